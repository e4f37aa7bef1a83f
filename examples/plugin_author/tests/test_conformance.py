"""The tracing store passes serviceflow's storage conformance suite, on memory and SQLite."""

from __future__ import annotations

from pathlib import Path

from serviceflow_tracing import open_tracing

from serviceflow.eventlog import Store
from serviceflow.testing.conformance import StoreContract


class TestTracingOverMemory(StoreContract):
    """Over ``memory://``: nothing survives close, so the durability checks are skipped."""

    durable = False
    not_durable_reason = "trace+memory:// keeps nothing once closed"

    def make_store(self, where: Path) -> Store:
        return open_tracing("trace+memory://")


class TestTracingOverSQLite(StoreContract):
    """Over a SQLite file: durable; another process would need this plugin installed."""

    def make_store(self, where: Path) -> Store:
        return open_tracing(f"trace+sqlite:///{where / 'desk.db'}")
