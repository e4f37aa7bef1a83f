"""Reading a ``sqlite:///`` URL: the database file's path and the ``synchronous`` option."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from serviceflow.errors import StoreError

__all__ = ["parse_url"]


def parse_url(url: str) -> tuple[str, str]:
    """``sqlite:///rel.db`` → ``rel.db``; ``sqlite:////abs.db`` → ``/abs.db``; plus synchronous."""
    parts = urlsplit(url)
    raw = unquote(parts.path)
    path = raw[1:] if raw.startswith("/") else raw
    if parts.netloc:
        raise StoreError(f"{url}: write sqlite:///relative.db or sqlite:////absolute.db")
    if not path:
        raise StoreError(f"{url}: no database file; write e.g. sqlite:///desk.db")
    options = parse_qs(parts.query)
    unknown = set(options) - {"synchronous"}
    if unknown:
        raise StoreError(
            f"{url}: unknown option(s) {', '.join(sorted(unknown))} (known: synchronous)"
        )
    return path, options.get("synchronous", ["full"])[-1]
