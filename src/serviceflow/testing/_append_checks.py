"""The store contract's appends: every stream or none, stale versions refused, no write
lost or doubled when many writers append at once.
"""

from __future__ import annotations

from functools import partial

import pytest

from serviceflow.errors import ConcurrencyConflict
from serviceflow.eventlog._store import (
    OUTBOX_STATUSES,
    CaseQuery,
    EventRecord,
    Store,
    StreamWrite,
)
from serviceflow.testing._store_checks import THREADS, StoreChecks, together, version_of
from serviceflow.testing.records import at, event, message, row, timer, write


class AppendChecks(StoreChecks):
    """The store contract's checks of appends: atomic, optimistic, from many threads at once."""

    # --- the protocol and appends -----------------------------------------------------

    def test_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)
        assert isinstance(store.url, str)
        assert store.url
        assert isinstance(store.keeps_objects, bool)

    def test_an_empty_store_has_nothing(self, store: Store) -> None:
        assert store.read("A") == []
        assert store.last("A") is None
        assert store.load("A") is None
        assert store.load_many(["A", "B"]) == {}
        assert list(store.query(CaseQuery())) == []
        assert store.count(CaseQuery()) == 0
        assert list(store.streams()) == []
        assert list(store.histories()) == []
        assert list(store.histories_or_facts("k")) == []
        assert store.workload(["assigned"]) == {}
        assert store.due_timers(at(10_000), 10) == []
        assert store.case_timers(["A"]) == {}
        assert store.due_outbox(at(10_000), 10) == []
        assert store.outbox() == []
        assert store.outbox_counts() == dict.fromkeys(OUTBOX_STATUSES, 0)
        assert store.load_policy("v1") is None

    def test_append_writes_events_and_row(self, store: Store) -> None:
        store.append([write("A", 0, events=3)])
        assert [e.seq for e in store.read("A")] == [1, 2, 3]
        assert store.read("A") == [event("A", 1), event("A", 2), event("A", 3)]
        assert store.last("A") == event("A", 3)
        assert store.load("A") == row("A", 3)
        store.append([write("A", 3)])
        assert store.last("A") == event("A", 4)
        assert version_of(store, "A") == 4

    @pytest.mark.parametrize("count", [1, 3, 40])
    def test_an_append_of_any_size_reads_back_as_written(self, store: Store, count: int) -> None:
        timers = tuple(timer("A", 10 + n, cycle=n) for n in range(count))
        messages = tuple(message(f"A/{n}", n) for n in range(count))
        store.append([write("A", 0, count, timers=timers, outbox=messages)])
        store.append([write(f"N{n:02d}", 0) for n in range(count)])
        assert [e.seq for e in store.read("A")] == list(range(1, count + 1))
        assert store.read("A") == list(write("A", 0, count).events)
        assert store.case_timers(["A"]) == {"A": sorted(timers)}
        assert store.outbox() == sorted(messages, key=lambda m: (m.created, m.key))
        assert store.count(CaseQuery()) == count + 1

    def test_one_append_may_move_thousands_of_cases(self, store: Store) -> None:
        ids = [f"C{n:04d}" for n in range(2_000)]
        store.append([write(i, 0) for i in ids])
        store.append([write(i, 1) for i in ids])  # as an import's batch does
        assert {version_of(store, i) for i in ids} == {2}
        with pytest.raises(ConcurrencyConflict):
            store.append([write(i, 2) for i in ids[:-1]] + [write(ids[-1], 1)])
        assert {version_of(store, i) for i in ids} == {2}, "all or nothing"

    def test_append_writes_every_stream_or_none(self, store: Store) -> None:
        store.append([write("A", 0), write("B", 0)])
        with pytest.raises(ConcurrencyConflict) as conflict:
            store.append([write("A", 1), write("C", 0), write("B", 0)])
        assert conflict.value.stream == "B"
        assert "stream 'B': expected version 0" in str(conflict.value)
        assert [e.seq for e in store.read("A")] == [1], "the other streams got nothing"
        assert store.load("A") == row("A", 1)
        assert store.read("C") == []
        assert store.load("C") is None
        store.append([write("A", 1), write("C", 0)])
        assert [version_of(store, s) for s in "ABC"] == [2, 1, 1]

    def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(self, store: Store) -> None:
        store.append([write("A", 0, events=2)])
        for expected in (0, 1, 3, 7):
            with pytest.raises(ConcurrencyConflict) as conflict:
                store.append([write("A", expected)])
            assert conflict.value.stream == "A"
            assert conflict.value.expected == expected
        assert [e.seq for e in store.read("A")] == [1, 2]
        assert store.load("A") == row("A", 2)
        store.append([write("A", 2)])
        assert version_of(store, "A") == 3

    def test_desk_streams_have_no_row(self, store: Store) -> None:
        records = (event("audit:2026-01-01", 1), event("audit:2026-01-01", 2))
        store.append([StreamWrite("audit:2026-01-01", 0, records, None)])
        assert store.read("audit:2026-01-01") == list(records)
        assert store.load("audit:2026-01-01") is None
        assert list(store.streams()) == ["audit:2026-01-01"]
        assert list(store.histories()) == [], "histories are the cases' streams"
        with pytest.raises(ConcurrencyConflict):
            store.append([StreamWrite("audit:2026-01-01", 1, records[1:], None)])
        assert len(store.read("audit:2026-01-01")) == 2

    def test_append_next_builds_on_the_head(self, store: Store) -> None:
        seen: list[tuple[int, str | None]] = []

        def build(version: int, head: str | None) -> list[EventRecord]:
            seen.append((version, head))
            return [event("audit:x", version + 1), event("audit:x", version + 2)]

        store.append_next("audit:x", build)
        store.append_next("audit:x", build)
        assert seen == [(0, None), (2, event("audit:x", 2).hash)]
        assert [e.seq for e in store.read("audit:x")] == [1, 2, 3, 4]

    def test_append_next_from_many_threads_loses_nothing(self, store: Store) -> None:
        def build(version: int, head: str | None) -> list[EventRecord]:
            return [event("audit:x", version + 1)]

        def writer(_: int) -> None:
            for _ in range(10):
                store.append_next("audit:x", build)

        together(THREADS, writer)
        assert [e.seq for e in store.read("audit:x")] == list(range(1, THREADS * 10 + 1))

    # --- concurrency -----------------------------------------------------------------

    def test_one_writer_wins_each_version(self, store: Store) -> None:
        store.append([write("A", 0)])
        for version in range(1, 6):
            outcomes = together(THREADS, partial(_try_append, store, "A", version))
            assert outcomes.count(True) == 1, f"exactly one writer wins version {version}"
        assert [e.seq for e in store.read("A")] == list(range(1, 7))
        assert version_of(store, "A") == 6

    def test_writers_in_threads_lose_and_duplicate_nothing(self, store: Store) -> None:
        per_writer = 10

        def writer(n: int) -> int:
            conflicts = 0
            for i in range(per_writer):
                while True:
                    last = store.last("A")
                    version = last.seq if last is not None else 0
                    if _try_append(store, "A", version, n * 100 + i):
                        break
                    conflicts += 1
            return conflicts

        together(THREADS, writer)
        events = store.read("A")
        assert [e.seq for e in events] == list(range(1, THREADS * per_writer + 1))
        expected = {_mark(n * 100 + i) for n in range(THREADS) for i in range(per_writer)}
        assert sorted(e.data for e in events) == sorted(expected), "each write exactly once"
        assert version_of(store, "A") == THREADS * per_writer


def _mark(n: int) -> str:
    return f'{{"writer": {n}}}'


def _try_append(store: Store, stream: str, version: int, n: int) -> bool:
    """Append one event after ``version``; ``False`` when another writer got there first."""
    one = StreamWrite(
        stream,
        version,
        (event(stream, version + 1, data=_mark(n)),),
        row(stream, version + 1),
    )
    try:
        store.append([one])
    except ConcurrencyConflict:
        return False
    return True
