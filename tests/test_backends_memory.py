"""The memory store keeps objects, checks versions, and orders rows like every store."""

from __future__ import annotations

from typing import Any

import pytest

from serviceflow import ConcurrencyConflict
from serviceflow.backends.memory import MemoryStore, open_store
from serviceflow.store import CaseQuery, EventRecord, OutboxRecord, Store, StreamWrite

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


def test_outbox_is_written_with_the_events() -> None:
    _outbox_contract(MemoryStore())


def _outbox(
    key: str, *, due: str = "2026-01-01T10:00:00.000000+00:00", created: str = ""
) -> OutboxRecord:
    case_id = key.split("/", maxsplit=1)[0]
    return OutboxRecord(key, case_id, created or due, due, f'{{"key":"{key}"}}')


def _outbox_contract(store: Store) -> None:
    """Outbox rows go in with the events or not at all; due order; updates; listings; counts."""
    import attrs

    from serviceflow import NotFound, StoreError

    early, late = "2026-01-01T10:00:00.000000+00:00", "2026-01-01T11:00:00.000000+00:00"
    b2 = _outbox("B/2", due=early)
    a1 = _outbox("A/1", due=late, created=early)
    b1 = _outbox("B/1", due=early)
    store.append(
        [attrs.evolve(_write("A", 0), outbox=(a1,)), attrs.evolve(_write("B", 0), outbox=(b2, b1))]
    )
    assert store.due_outbox(late, 10) == [b1, b2, a1], "by due time, then key"
    assert store.due_outbox(early, 10) == [b1, b2]
    assert store.due_outbox(late, 1) == [b1]
    assert store.due_outbox("2026-01-01T09:00:00.000000+00:00", 10) == []

    with pytest.raises(ConcurrencyConflict):
        store.append([attrs.evolve(_write("A", 1), outbox=(_outbox("A/2"),)), _write("B", 0)])
    with pytest.raises(StoreError, match="outbox message 'A/1' is already stored"):
        store.append([attrs.evolve(_write("A", 1), outbox=(_outbox("A/1"),))])
    with pytest.raises(StoreError, match="outbox message 'C/1' is twice in one append"):
        store.append([attrs.evolve(_write("C", 0), outbox=(_outbox("C/1"), _outbox("C/1")))])
    assert [r.seq for r in store.read("A")] == [1], "a refused append writes no event"
    assert store.read("C") == []
    assert [r.key for r in store.outbox()] == ["A/1", "B/1", "B/2"], "nor any outbox row"

    done = attrs.evolve(
        b1, status="delivered", attempts=1, delivered_to=("log", "mail"), delivered_at=late
    )
    retry = attrs.evolve(b2, attempts=1, due=late, last_error="mail: OSError: down")
    store.update_outbox([done, retry])
    assert store.due_outbox(early, 10) == []
    assert store.due_outbox(late, 10) == [a1, retry], "a retried message moves to its new due"
    assert store.outbox("delivered") == [done]
    assert store.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 0}
    dead = attrs.evolve(retry, status="failed", attempts=8)
    with pytest.raises(NotFound, match="outbox message 'Z/1' does not exist"):
        store.update_outbox([dead, _outbox("Z/1")])
    assert store.outbox("failed") == [], "an update with an unknown key writes nothing"
    store.update_outbox([dead])
    store.update_outbox([])
    assert store.due_outbox(late, 10) == [a1], "a dead letter is not due again"
    assert store.outbox("failed") == [dead]
    assert store.outbox("pending", limit=0) == []
    assert [r.key for r in store.outbox(limit=2)] == ["A/1", "B/1"], "by created, then key"
    assert store.outbox_counts() == {"pending": 1, "delivered": 1, "failed": 1}
    changed = attrs.evolve(dead, payload="other", created=late, case_id="X", status="pending")
    store.update_outbox([changed])
    assert store.outbox("pending")[1] == attrs.evolve(dead, status="pending"), (
        "only the delivery columns change"
    )


def test_histories_in_submission_order_with_filters() -> None:
    _histories_contract(MemoryStore())


def _histories_contract(store: Store) -> None:
    """Whole streams, by submission time then id, filtered by submission, update and state."""
    import attrs

    def write(stream: str, submitted: str, updated: str, state: str, events: int) -> StreamWrite:
        records = tuple(
            EventRecord(stream, seq, "case.note_added", "t", "{}", "p", "h")
            for seq in range(1, events + 1)
        )
        row = attrs.evolve(
            _row(stream, events), submitted_at=submitted, updated_at=updated, state=state
        )
        return StreamWrite(stream, 0, records, row)

    store.append(
        [
            write("Z", "2026-01-01", "2026-01-01", "closed", 2),
            write("A", "2026-01-03", "2026-01-09", "closed", 3),
            write("M", "2026-01-02", "2026-01-02", "in_progress", 1),
            write("B", "2026-01-03", "2026-01-03", "closed", 1),
        ]
    )
    store.append_next("audit:2026-01-01", lambda version, head: [])

    def ids(**kwargs: Any) -> list[tuple[str, int]]:
        return [(h[0].stream, len(h)) for h in store.histories(**kwargs)]

    assert ids() == [("Z", 2), ("M", 1), ("A", 3), ("B", 1)]
    assert [seq.seq for seq in next(iter(store.histories()))] == [1, 2]
    assert ids(submitted_before="2026-01-03") == [("Z", 2), ("M", 1)]
    assert ids(updated_since="2026-01-05") == [("A", 3)]
    assert ids(updated_since="2026-01-05", or_states=("in_progress",)) == [("M", 1), ("A", 3)]
