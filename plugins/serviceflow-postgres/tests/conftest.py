"""Fixtures: a PostgreSQL store URL on a schema of the test's own (see postgres_support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postgres_support import drop_schema, schema_for, server_url, with_schema


@pytest.fixture
def pg_server() -> str:
    """The PostgreSQL server's URL, without a schema (skips or fails when unset)."""
    return server_url()


@pytest.fixture
def pg_url(pg_server: str, tmp_path: Path) -> Iterator[str]:
    """A store URL on a schema of the test's own, dropped after the test."""
    schema = schema_for(tmp_path)
    yield with_schema(pg_server, schema)
    drop_schema(pg_server, schema)
