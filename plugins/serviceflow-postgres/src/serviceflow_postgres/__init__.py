"""PostgreSQL storage for serviceflow: ``ServiceDesk.open("postgresql://user@host/db")``.

Installed, this distribution registers itself through the ``serviceflow`` entry point and
answers ``open_store`` for ``postgresql://`` and ``postgres://`` URLs.
"""

from __future__ import annotations

from serviceflow import hookimpl
from serviceflow.eventlog import Store

from serviceflow_postgres.address import SCHEMES, Address, parse_address, redact
from serviceflow_postgres.migrations import MIGRATIONS, SCHEMA_VERSION, Migration
from serviceflow_postgres.store import PostgresStore

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Address",
    "Migration",
    "PostgresStore",
    "open_store",
    "parse_address",
    "redact",
]


@hookimpl
def open_store(url: str) -> Store | None:
    """Open ``postgresql://`` and ``postgres://`` stores; leave other URLs to other plugins."""
    if url.split(":", 1)[0] not in SCHEMES:
        return None
    return PostgresStore(url)
