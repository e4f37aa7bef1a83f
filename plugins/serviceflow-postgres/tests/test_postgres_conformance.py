"""The storage conformance suite, run against the PostgreSQL store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from serviceflow.eventlog import Store
from serviceflow.testing.conformance import StoreContract

from postgres_support import drop_schema, schema_for, server_url, with_schema
from serviceflow_postgres import PostgresStore


class TestPostgresStore(StoreContract):
    """Every check of the store contract, each test in a schema of its own."""

    @pytest.fixture
    def where(self, tmp_path: Path) -> Iterator[Path]:
        url = server_url()
        yield tmp_path
        drop_schema(url, schema_for(tmp_path))

    def make_store(self, where: Path) -> Store:
        return PostgresStore(with_schema(server_url(), schema_for(where)))

    def process_url(self, where: Path) -> str | None:
        return with_schema(server_url(), schema_for(where))
