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


def test_firing_a_replaced_timer_is_a_conflict() -> None:
    _fired_timer_contract(MemoryStore())


def _fired_timer_contract(store: Store) -> None:
    """A write may fire only timers stored exactly as read; otherwise nothing is written."""
    import attrs

    from serviceflow.store import TimerRecord

    timer = TimerRecord("2026-01-01T10:00:00.000000+00:00", "A", "resolution", 1, "breach", 1)
    first = attrs.evolve(_write("A", 0), timers=(timer,))
    store.append([first])
    assert store.due_timers("2026-01-02", 10) == [timer]
    stale = attrs.evolve(timer, version=7)
    with pytest.raises(ConcurrencyConflict):
        store.append([attrs.evolve(_write("A", 1), fired=(stale,))])
    assert [r.seq for r in store.read("A")] == [1]
    store.append([attrs.evolve(_write("A", 1), fired=(timer,))])
    assert store.due_timers("2026-01-02", 10) == []
    with pytest.raises(ConcurrencyConflict):
        store.append([attrs.evolve(_write("A", 2), fired=(timer,))])


def test_loads_many_rows_at_once() -> None:
    _load_many_contract(MemoryStore())


def _load_many_contract(store: Store) -> None:
    """``load_many`` returns the rows that exist among the ids asked for, by id."""
    ids = [f"C{i:04d}" for i in range(1203)]
    store.append([_write(i, 0) for i in ids])
    found = store.load_many([*ids[::2], "missing"])
    assert sorted(found) == ids[::2]
    assert found["C0002"] == store.load("C0002")
    assert store.load_many([]) == {}
