"""The memory store keeps objects, checks versions, and orders rows like every store."""

from __future__ import annotations

import pytest

from serviceflow import ConcurrencyConflict
from serviceflow.backends.memory import MemoryStore, open_store
from serviceflow.store import CaseQuery, Store

from .test_backends_sqlite import _row, _write


def test_is_a_store_and_opens_memory_urls() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    assert open_store("sqlite:///x.db") is None
    assert isinstance(MemoryStore(), Store)
    assert MemoryStore.keeps_objects


def test_append_checks_every_version_before_writing() -> None:
    store = MemoryStore()
    store.append([_write("A", 0), _write("B", 0)])
    with pytest.raises(
        ConcurrencyConflict, match="stream 'B': expected version 0, found version 1"
    ):
        store.append([_write("A", 1), _write("B", 0)])
    assert [r.seq for r in store.read("A")] == [1]
    assert store.load("A") == _row("A", 1)
    assert store.read("missing") == []
    assert store.load("missing") is None


def test_query_order_limit_and_count() -> None:
    store = MemoryStore()
    store.append([_write(f"C{i}", 0) for i in (3, 1, 2)])
    assert [r.id for r in store.query(CaseQuery())] == ["C1", "C2", "C3"]
    assert [r.id for r in store.query(CaseQuery(limit=2))] == ["C1", "C2"]
    assert store.count(CaseQuery(states=("closed",))) == 0
    assert list(store.streams()) == ["C1", "C2", "C3"]
    store.save_policy("v", "doc", "t")
    assert store.load_policy("v") == "doc"
