"""Where a PostgreSQL store lives: the URL split into libpq's part and the store's own options.

``postgresql://user:secret@host:5432/db?schema=desk&pool_max=20&sslmode=require``: the
store reads ``schema``, ``pool_min`` and ``pool_max``; every other parameter goes to libpq
unchanged. The URL shown in messages has its password replaced by ``***``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from attrs import frozen
from serviceflow.errors import StoreError

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "serviceflow"
"""The tables live in their own schema, so names like ``events`` never meet an application's."""
DEFAULT_CONNECT_TIMEOUT = "10"
"""Seconds libpq waits for a server that does not answer (libpq's own default is forever)."""
OPTIONS = ("schema", "pool_min", "pool_max")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@frozen
class Address:
    """A parsed store URL: the libpq connection string, the schema and the pool bounds."""

    url: str
    """The URL as given, password redacted: safe for messages and logs."""
    conninfo: str
    schema: str
    pool_min: int
    pool_max: int


def redact(url: str) -> str:
    """``url`` with its password (in the user part or as a parameter) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        f"{name}=***" if name == "password" else f"{name}={value}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_address(url: str) -> Address:
    """Split ``url``; a wrong scheme, an unknown store option or a bad value is a ``StoreError``."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise StoreError(f"{shown}: not a PostgreSQL URL: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise StoreError(f"{shown}: write postgresql://user@host:5432/database")
    if not parts.path.strip("/"):
        raise StoreError(f"{shown}: no database named; write postgresql://user@host/database")
    params = parse_qsl(parts.query, keep_blank_values=True)
    own = {name: value for name, value in params if name in OPTIONS}
    libpq = [(name, value) for name, value in params if name not in OPTIONS]
    if not any(name == "connect_timeout" for name, _ in libpq):
        libpq.append(("connect_timeout", DEFAULT_CONNECT_TIMEOUT))
    schema = own.get("schema", DEFAULT_SCHEMA)
    if not _IDENTIFIER.fullmatch(schema):
        raise StoreError(
            f"{shown}: schema={schema!r} is not a plain identifier "
            "(letters, digits and _, not starting with a digit, at most 63)"
        )
    pool_min = _count(shown, "pool_min", own.get("pool_min", "1"))
    pool_max = _count(shown, "pool_max", own.get("pool_max", str(max(pool_min, 10))))
    if pool_max < pool_min:
        raise StoreError(f"{shown}: pool_max={pool_max} is less than pool_min={pool_min}")
    conninfo = urlunsplit(
        (parts.scheme, parts.netloc, parts.path, urlencode(libpq), parts.fragment)
    )
    return Address(shown, conninfo, schema, pool_min, pool_max)


def _count(shown: str, name: str, text: str) -> int:
    """A positive whole number of connections."""
    if not text.isdigit() or int(text) < 1:
        raise StoreError(f"{shown}: {name}={text!r} must be a whole number of at least 1")
    return int(text)
