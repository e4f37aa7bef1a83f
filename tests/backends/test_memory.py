"""The memory store passes the storage conformance suite; it keeps objects, and no file."""

from __future__ import annotations

from pathlib import Path

from serviceflow.backends.memory import MemoryStore, open_store
from serviceflow.eventlog._store import Store
from serviceflow.testing.conformance import StoreContract


class TestMemoryStore(StoreContract):
    """The whole store contract on ``memory://`` (nothing survives ``close``)."""

    durable = False
    not_durable_reason = "the memory store keeps nothing once closed"

    def make_store(self, where: Path) -> Store:
        return MemoryStore()


def test_opens_memory_urls_only() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    assert open_store("sqlite:///x.db") is None
    assert MemoryStore.keeps_objects
