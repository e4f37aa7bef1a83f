"""PostgreSQL for the plugin's tests: ``SERVICEFLOW_POSTGRES_URL`` names the server.

A module of its own name (not ``conftest``), so test modules can import it even when
several plugin test folders run in one pytest session.

Each test works in its own schema (``?schema=...``), dropped afterwards. Without the
variable the tests skip with the reason; with ``SERVICEFLOW_REQUIRE_SERVICES=1`` (CI) they
fail instead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from serviceflow.testing.services import require

from serviceflow_postgres import parse_address

URL_VARIABLE = "SERVICEFLOW_POSTGRES_URL"


def server_url() -> str:
    """The server's URL from the environment (skips or fails the test when unset)."""
    url = os.environ.get(URL_VARIABLE, "")
    require(
        bool(url),
        f"{URL_VARIABLE} is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)",
    )
    return url


def with_schema(url: str, schema: str) -> str:
    """``url`` with its ``schema`` parameter set to ``schema``."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"]
    params.append(("schema", schema))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))


def schema_for(where: Path) -> str:
    """A schema name of its own for a test folder (the same folder, the same schema)."""
    return "sf_test_" + hashlib.blake2b(str(where).encode(), digest_size=8).hexdigest()


def drop_schema(url: str, schema: str) -> None:
    """Remove a test's schema and everything in it."""
    with psycopg.connect(parse_address(url).conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
