"""The storage conformance suite: one pytest class that checks the whole store contract.

A backend author subclasses ``StoreContract`` in a test module, says how to make a store,
and pytest runs every check of ``serviceflow.store`` against it: atomic appends, optimistic
concurrency, reads, queries, histories, timers and their claims, the outbox and its claims,
kept KPI facts, policies, checkpoints over stream heads, how rows carry the case, durability
and concurrent writers. Needs pytest.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from queue import Empty
from typing import Any, ClassVar, TypeVar, cast

import attrs
import pytest

from serviceflow.errors import ConcurrencyConflict, NotFound, StoreError
from serviceflow.eventlog._store import (
    OUTBOX_STATUSES,
    CaseQuery,
    CaseRow,
    CheckpointRecord,
    EventRecord,
    FactsRecord,
    HeadRecord,
    OutboxRecord,
    Store,
    StreamWrite,
    TimerRecord,
)
from serviceflow.plugins._manager import plugin_manager
from serviceflow.testing.hostile import HostileInputs
from serviceflow.testing.records import at, event, message, row, timer, write

__all__ = ["StoreContract"]

MANY = 1203
"""Enough cases to cross two pages of 500, the page size of the built-in stores."""

THREADS = 4
PROCESSES = 2
_PROCESS_TIMEOUT = 60.0

T = TypeVar("T")


class StoreContract(HostileInputs):
    """Subclass me (in a module pytest collects, with a ``Test`` name) to check a store.

    What a subclass gives:

    * ``make_store(self, where: Path) -> Store`` (required): a store for one test. ``where``
      is a fresh folder per test (pytest's ``tmp_path``); the store must be empty the first
      time, and calling ``make_store`` again with the same ``where`` after ``close()`` must
      reopen the same data (the durability checks do exactly that).
    * ``durable = False`` for a store that keeps nothing once closed (like ``memory://``);
      the durability checks are then skipped with ``not_durable_reason``.
    * ``process_url(self, where: Path) -> str | None``: the URL another Python process opens
      (with the ``open_store`` hook: built-ins, else installed entry points) to reach the
      store ``make_store(where)`` made. Return ``None`` (the default) for a store that lives in one
      process; the cross-process claim checks are then skipped.
    * To clean up something outside ``where`` (a database schema), override the ``where``
      fixture: yield a folder, then drop what the test created.

    Example::

        from serviceflow.testing.conformance import StoreContract

        class TestMyStore(StoreContract):
            def make_store(self, where):
                return MyStore(where / "data")

            def process_url(self, where):
                return f"mystore://{where / 'data'}"

    Every check is a ``test_*`` method, so ``pytest -k`` selects them and a subclass may
    override one (say why in its docstring) when the backend documents a difference.
    """

    durable: ClassVar[bool] = True
    not_durable_reason: ClassVar[str] = "this store keeps nothing once closed"

    def make_store(self, where: Path) -> Store:
        """A store on ``where``: empty at first, the same data when called again."""
        raise NotImplementedError(
            f"{type(self).__name__} must define make_store(self, where) -> Store"
        )

    def process_url(self, where: Path) -> str | None:
        """The URL another process opens to share the store made on ``where``, if any."""
        return None

    @pytest.fixture
    def where(self, tmp_path: Path) -> Path:
        """The folder of one test's store."""
        return tmp_path

    @pytest.fixture
    def store(self, where: Path) -> Iterator[Store]:
        """A fresh store, closed after the test."""
        opened = self.make_store(where)
        try:
            yield opened
        finally:
            opened.close()

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
        assert _version(store, "A") == 4

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
        assert [_version(store, s) for s in "ABC"] == [2, 1, 1]

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
        assert _version(store, "A") == 3

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

        _together(THREADS, writer)
        assert [e.seq for e in store.read("audit:x")] == list(range(1, THREADS * 10 + 1))

    # --- reading and querying --------------------------------------------------------

    def test_query_filters_order_and_limit(self, store: Store) -> None:
        cases = {
            "C1": row("C1", 1, submitted_at=at(3), state="assigned", assignee="agent:kim"),
            "C2": row("C2", 1, submitted_at=at(1), state="closed", priority="high"),
            "C3": row("C3", 1, submitted_at=at(2), category="billing", channel="email"),
            "C4": row("C4", 1, submitted_at=at(2), requester="globex/joe@globex.test"),
            "C5": row(
                "C5", 1, submitted_at=at(4), state="assigned", assignee="agent:kim", channel="chat"
            ),
        }
        store.append([attrs.evolve(write(i, 0), row=r) for i, r in reversed(cases.items())])

        def ids(**filters: Any) -> list[str]:
            return [r.id for r in store.query(CaseQuery(**filters))]

        assert ids() == ["C2", "C3", "C4", "C1", "C5"], "by submission time, then id"
        assert ids(limit=2) == ["C2", "C3"]
        assert ids(limit=0) == []
        assert ids(states=("assigned", "closed")) == ["C2", "C1", "C5"]
        assert ids(states=()) == []
        assert ids(priority="high") == ["C2"]
        assert ids(category="billing") == ["C3"]
        assert ids(assignee="agent:kim") == ["C1", "C5"]
        assert ids(requester="globex/joe@globex.test") == ["C4"]
        assert ids(channel="email") == ["C3"]
        assert ids(states=("assigned",), channel="chat") == ["C5"]
        assert ids(states=("assigned",), assignee="agent:kim", limit=1) == ["C1"]
        assert ids(priority="low") == []
        assert next(iter(store.query(CaseQuery(priority="high")))) == cases["C2"]
        assert store.count(CaseQuery()) == 5
        assert store.count(CaseQuery(states=("assigned",), limit=1)) == 2, "count ignores limit"
        assert store.count(CaseQuery(states=())) == 0
        assert store.count(CaseQuery(assignee="agent:kim", channel="chat")) == 1

    def test_an_update_moves_the_indexed_columns_it_names(self, store: Store) -> None:
        store.append([write("A", 0)])
        moved = row("A", 2, state="assigned", assignee="agent:kim", priority="high")
        store.append(
            [
                attrs.evolve(
                    write("A", 1), row=moved, changed=frozenset({"state", "assignee", "priority"})
                )
            ]
        )
        assert store.load("A") == moved
        assert [r.id for r in store.query(CaseQuery(states=("assigned",)))] == ["A"]
        assert store.count(CaseQuery(states=("intake",))) == 0
        assert store.count(CaseQuery(assignee="agent:kim", priority="high")) == 1

    def test_workload_counts_assigned_cases_per_channel(self, store: Store) -> None:
        held = [
            ("A", "assigned", "agent:kim", "web"),
            ("B", "in_progress", "agent:kim", "web"),
            ("C", "in_progress", "agent:kim", "chat"),
            ("D", "closed", "agent:kim", "web"),
            ("E", "assigned", "agent:sam", "web"),
            ("F", "prioritized", None, "web"),
        ]
        store.append(
            [
                attrs.evolve(write(i, 0), row=row(i, 1, state=s, assignee=a, channel=c))
                for i, s, a, c in held
            ]
        )
        assert store.workload(["assigned", "in_progress"]) == {
            ("agent:kim", "web"): 2,
            ("agent:kim", "chat"): 1,
            ("agent:sam", "web"): 1,
        }
        assert store.workload(["closed", "prioritized"]) == {("agent:kim", "web"): 1}
        assert store.workload([]) == {}

    def test_histories_in_submission_order_with_every_bound(self, store: Store) -> None:
        def case(stream: str, submitted: float, updated: float, state: str, n: int) -> StreamWrite:
            moved = row(stream, n, submitted_at=at(submitted), updated_at=at(updated), state=state)
            return write(stream, 0, events=n, row=moved)

        store.append(
            [
                case("Z", 1, 1, "closed", 2),
                case("A", 3, 9, "closed", 3),
                case("M", 2, 2, "in_progress", 1),
                case("B", 3, 3, "closed", 1),
            ]
        )
        store.append_next("audit:2026-01-01", lambda version, head: [event("audit:x", 1)])

        def ids(**bounds: Any) -> list[tuple[str, int]]:
            return [(h[0].stream, len(h)) for h in store.histories(**bounds)]

        assert ids() == [("Z", 2), ("M", 1), ("A", 3), ("B", 1)]
        assert next(iter(store.histories())) == store.read("Z")
        assert ids(submitted_before=at(3)) == [("Z", 2), ("M", 1)]
        assert ids(updated_since=at(5)) == [("A", 3)]
        assert ids(updated_since=at(3)) == [("A", 3), ("B", 1)], "at or after"
        assert ids(updated_since=at(5), or_states=("in_progress",)) == [("M", 1), ("A", 3)]
        assert ids(submitted_before=at(3), updated_since=at(5), or_states=("in_progress",)) == [
            ("M", 1)
        ]
        assert ids(or_states=("in_progress",)) == ids(), "or_states only widens updated_since"

    # --- kept KPI facts ---------------------------------------------------------------

    def test_facts_stand_in_for_a_history_while_the_case_is_unchanged(self, store: Store) -> None:
        def case(stream: str, submitted: float, updated: float, state: str, n: int) -> StreamWrite:
            moved = row(stream, n, submitted_at=at(submitted), updated_at=at(updated), state=state)
            return write(stream, 0, events=n, row=moved)

        store.append(
            [
                case("Z", 1, 1, "closed", 2),
                case("A", 3, 9, "closed", 3),
                case("M", 2, 2, "in_progress", 1),
                case("B", 3, 3, "closed", 1),
            ]
        )

        def shown(key: str = "k", **bounds: Any) -> list[tuple[str, object]]:
            return [
                (item.case_id, item.data)
                if isinstance(item, FactsRecord)
                else (item[0].stream, len(item))
                for item in store.histories_or_facts(key, **bounds)
            ]

        assert shown() == [("Z", 2), ("M", 1), ("A", 3), ("B", 1)], "nothing kept yet"
        assert list(store.histories_or_facts("k")) == list(store.histories())
        store.save_facts([FactsRecord("A", 3, "k", '"a3"'), FactsRecord("M", 1, "k", '"m1"')])
        assert shown() == [("Z", 2), ("M", '"m1"'), ("A", '"a3"'), ("B", 1)]
        assert shown("other") == [("Z", 2), ("M", 1), ("A", 3), ("B", 1)], "another key"
        assert shown(submitted_before=at(3)) == [("Z", 2), ("M", '"m1"')]
        assert shown(submitted_before=at(9)) == [("Z", 2), ("M", '"m1"'), ("A", 3), ("B", 1)], (
            "a case updated at or after the bound comes as its history"
        )
        assert shown(submitted_before=at(9.5)) == shown()
        assert shown(updated_since=at(5), or_states=("in_progress",)) == [
            ("M", '"m1"'),
            ("A", '"a3"'),
        ]
        store.append([write("A", 3, row=row("A", 4, submitted_at=at(3), state="closed"))])
        assert shown() == [("Z", 2), ("M", '"m1"'), ("A", 4), ("B", 1)], "A moved on"
        assert store.read("A")[-1].seq == 4

    def test_saved_facts_replace_older_ones_never_newer(self, store: Store) -> None:
        store.append([write("A", 0, events=3)])

        def kept(key: str = "k") -> object:
            found = next(store.histories_or_facts(key))
            return found.data if isinstance(found, FactsRecord) else None

        store.save_facts([FactsRecord("A", 2, "k", '"old"')])
        assert kept() is None, "facts of an older version do not stand in"
        store.save_facts([FactsRecord("A", 3, "k", '"first"')])
        store.save_facts([FactsRecord("A", 3, "k", '"again"')])
        assert kept() == '"again"', "the same version is replaced"
        store.save_facts([FactsRecord("A", 2, "k", '"late"')])
        assert kept() == '"again"', "an older version never replaces a newer one"
        store.save_facts([FactsRecord("A", 3, "j", '"other key"')])
        assert kept("j") == '"other key"'
        assert kept() is None, "one set of facts per case"

    def test_facts_of_an_unknown_case_are_not_found_and_nothing_is_written(
        self, store: Store
    ) -> None:
        store.append([write("A", 0)])
        with pytest.raises(NotFound, match="nope"):
            store.save_facts([FactsRecord("A", 1, "k", '"a"'), FactsRecord("nope", 1, "k", '"n"')])
        assert list(store.histories_or_facts("k")) == [store.read("A")]
        store.save_facts([])

    def test_paging_over_many_cases(self, store: Store) -> None:
        ids = [f"C{i:04d}" for i in range(MANY)]
        store.append([write(i, 0) for i in reversed(ids)])
        store.append([attrs.evolve(write(ids[7], 1, events=2), row=row(ids[7], 3))])
        assert [r.id for r in store.query(CaseQuery())] == ids
        assert [r.id for r in store.query(CaseQuery(limit=501))] == ids[:501]
        assert store.count(CaseQuery(states=("intake",))) == MANY
        assert list(store.streams()) == ids
        histories = list(store.histories())
        assert [h[0].stream for h in histories] == ids
        assert [e.seq for e in histories[7]] == [1, 2, 3]
        found = store.load_many([*ids[::2], "missing"])
        assert sorted(found) == ids[::2]
        assert found[ids[8]] == store.load(ids[8]) == row(ids[8], 1)
        assert store.load_many([]) == {}
        store.save_facts([FactsRecord(i, 1, "k", f'"{i}"') for i in ids[::3] if i != ids[7]])
        mixed = list(store.histories_or_facts("k"))
        assert [_case_of(item) for item in mixed] == ids
        kept = [item for item in mixed if isinstance(item, FactsRecord)]
        assert kept == [FactsRecord(i, 1, "k", f'"{i}"') for i in ids[::3] if i != ids[7]]
        assert mixed[7] == histories[7]

    def test_streams_are_sorted_by_id(self, store: Store) -> None:
        store.append([write("b", 0), write("B", 0), write("a:1", 0)])
        store.append_next("audit:x", lambda version, head: [event("audit:x", 1)])
        assert list(store.streams()) == sorted(["b", "B", "a:1", "audit:x"])
        assert list(store.streams("a")) == ["a:1", "audit:x"]
        assert list(store.streams("a:")) == ["a:1"]
        assert list(store.streams("c")) == []

    def test_streams_of_a_prefix_cross_pages(self, store: Store) -> None:
        ids = [f"k:{i:04d}" for i in range(MANY)]
        store.append([write(i, 0) for i in ids])
        store.append([write("j:1", 0), write("l:1", 0), write("k", 0)])
        assert list(store.streams("k:")) == ids
        assert list(store.streams("k")) == ["k", *ids]

    # --- checkpoints over the stream heads ------------------------------------------------

    def test_heads_are_each_streams_last_event_sorted_by_stream(self, store: Store) -> None:
        assert list(store.heads()) == []
        store.append([write("b", 0, events=3), write("B", 0), write("a:1", 0, events=2)])
        store.append_next("audit:x", lambda version, head: [event("audit:x", 1)])
        assert list(store.heads()) == sorted(
            [
                HeadRecord("b", 3, "b/3"),
                HeadRecord("B", 1, "B/1"),
                HeadRecord("a:1", 2, "a:1/2"),
                HeadRecord("audit:x", 1, "audit:x/1"),
            ]
        )

    def test_heads_cross_pages(self, store: Store) -> None:
        ids = [f"k:{i:04d}" for i in range(MANY)]
        store.append([write(i, 0, events=1 + n % 3) for n, i in enumerate(ids)])
        assert list(store.heads()) == [
            HeadRecord(i, 1 + n % 3, f"{i}/{1 + n % 3}") for n, i in enumerate(ids)
        ]

    def test_heads_since_a_position_are_the_streams_appended_to_after_it(
        self, store: Store
    ) -> None:
        assert store.heads_since(0) == ([], 0)
        store.append([write("b", 0, events=3), write("a:1", 0, events=2)])
        moved, first = store.heads_since(0)
        assert moved == [HeadRecord("a:1", 2, "a:1/2"), HeadRecord("b", 3, "b/3")]
        assert first > 0
        assert store.heads_since(first) == ([], first)
        store.append([write("b", 3), write("c", 0)])
        store.append_next("audit:x", lambda version, head: [event("audit:x", 1)])
        moved, second = store.heads_since(first)
        assert moved == [
            HeadRecord("audit:x", 1, "audit:x/1"),
            HeadRecord("b", 4, "b/4"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert second > first
        assert store.heads_since(second) == ([], second)

    def test_heads_since_cross_pages(self, store: Store) -> None:
        ids = [f"k:{i:04d}" for i in range(MANY)]
        store.append([write(i, 0) for i in ids])
        moved, position = store.heads_since(0)
        assert moved == [HeadRecord(i, 1, f"{i}/1") for i in ids]
        store.append([write(i, 1) for i in ids[::3]])
        assert store.heads_since(position)[0] == [HeadRecord(i, 2, f"{i}/2") for i in ids[::3]]

    def test_checkpoints_keep_their_chain_and_the_heads_each_recorded(self, store: Store) -> None:
        assert store.last_checkpoint() is None
        assert list(store.checkpoints()) == []
        assert list(store.checkpoint_heads(1)) == []
        one, two = _checkpoint(1), _checkpoint(2)
        store.save_checkpoint(one, [HeadRecord("b", 1, "b/1"), HeadRecord("a", 2, "a/2")][::-1])
        store.save_checkpoint(two, [HeadRecord("b", 4, "b/4"), HeadRecord("c", 1, "c/1")])
        assert list(store.checkpoints()) == [one, two]
        assert store.last_checkpoint() == two
        assert list(store.checkpoint_heads(1)) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("b", 1, "b/1"),
        ]
        assert list(store.checkpoint_heads(2)) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("b", 4, "b/4"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert list(store.checkpoint_heads(0)) == []
        assert list(store.checkpoint_heads(2, ["c", "a", "x"])) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert list(store.checkpoint_heads(1, ["b"])) == [HeadRecord("b", 1, "b/1")]
        assert list(store.checkpoint_delta(1)) == [
            HeadRecord("a", 2, "a/2"),
            HeadRecord("b", 1, "b/1"),
        ]
        assert list(store.checkpoint_delta(2)) == [
            HeadRecord("b", 4, "b/4"),
            HeadRecord("c", 1, "c/1"),
        ]
        assert list(store.checkpoint_delta(3)) == []

    def test_a_checkpoint_out_of_turn_is_a_conflict_and_writes_nothing(self, store: Store) -> None:
        with pytest.raises(ConcurrencyConflict):
            store.save_checkpoint(_checkpoint(2), [HeadRecord("a", 1, "a/1")])
        store.save_checkpoint(_checkpoint(1), [HeadRecord("a", 1, "a/1")])
        with pytest.raises(ConcurrencyConflict):
            store.save_checkpoint(_checkpoint(1, root="other"), [HeadRecord("a", 2, "a/2")])
        assert list(store.checkpoints()) == [_checkpoint(1)]
        assert list(store.checkpoint_heads(5)) == [HeadRecord("a", 1, "a/1")]

    def test_checkpoint_heads_cross_pages(self, store: Store) -> None:
        first = [HeadRecord(f"k:{i:04d}", 1, f"k:{i:04d}/1") for i in range(MANY)]
        store.save_checkpoint(_checkpoint(1), first)
        moved = [HeadRecord(h.stream, 2, f"{h.stream}/2") for h in first[::2]]
        store.save_checkpoint(_checkpoint(2), moved)
        assert list(store.checkpoint_heads(1)) == first
        expected = [moved[n // 2] if n % 2 == 0 else h for n, h in enumerate(first)]
        assert list(store.checkpoint_heads(2)) == expected
        assert list(store.checkpoint_delta(2)) == moved
        wanted = [h.stream for h in first[::5]][::-1]
        assert list(store.checkpoint_heads(2, wanted)) == expected[::5]

    def test_checkpoints_are_still_there_after_reopening(self, where: Path) -> None:
        if not self.durable:
            pytest.skip(f"{type(self).__name__}: {self.not_durable_reason}")
        first = self.make_store(where)
        try:
            first.save_checkpoint(_checkpoint(1), [HeadRecord("a", 1, "a/1")])
        finally:
            first.close()
        again = self.make_store(where)
        try:
            assert again.last_checkpoint() == _checkpoint(1)
            assert list(again.checkpoint_heads(1)) == [HeadRecord("a", 1, "a/1")]
        finally:
            again.close()

    # --- how rows carry the case -----------------------------------------------------

    def test_rows_carry_the_case_as_the_store_says(self, store: Store) -> None:
        case = object()
        store.append([attrs.evolve(write("A", 0), row=row("A", 1, snapshot=case))])
        loaded = store.load("A")
        assert loaded is not None
        if store.keeps_objects:
            assert loaded.snapshot is case, "a store that keeps objects returns the snapshot"
        else:
            assert loaded.data == row("A", 1).data, "other stores return the JSON document"
        assert store.load_many(["A"])["A"] == loaded

    def test_bookkeeping_moves_only_version_head_and_time(self, store: Store) -> None:
        store.append([write("A", 0)])
        first = store.load("A")
        assert first is not None
        moved = first.moved(2, "A/2", at(50))
        assert moved.data is None
        store.append([attrs.evolve(write("A", 1), row=moved, changed=frozenset())])
        loaded = store.load("A")
        assert loaded is not None
        assert (loaded.version, loaded.head, loaded.updated_at) == (2, "A/2", at(50))
        assert (loaded.state, loaded.submitted_at) == (first.state, first.submitted_at)
        if not store.keeps_objects:
            assert loaded.data == first.data, "the stored document stays"

    def test_a_new_row_without_its_document_is_refused(self, store: Store) -> None:
        if store.keeps_objects:
            pytest.skip("a store that keeps objects takes the snapshot instead")
        bare = row("A", 1, data=None)
        with pytest.raises(StoreError, match="document"):
            store.append([write("B", 0), attrs.evolve(write("A", 0), row=bare)])
        assert store.load("A") is None
        assert store.read("A") == []
        assert store.read("B") == [], "nothing of the refused append is written"

    # --- timers ----------------------------------------------------------------------

    def test_timers_are_replaced_with_the_write(self, store: Store) -> None:
        a1, a2, b1 = timer("A", 10), timer("A", 20, kind="warning"), timer("B", 5)
        store.append([write("A", 0, timers=(a1, a2)), write("B", 0, timers=(b1,))])
        assert store.case_timers(["A", "B", "C"]) == {"A": [a1, a2], "B": [b1]}
        assert store.due_timers(at(30), 10) == [b1, a1, a2], "earliest first"
        assert store.due_timers(at(10), 10) == [b1, a1], "due at or before now"
        assert store.due_timers(at(30), 2) == [b1, a1]
        assert store.due_timers(at(4), 10) == []
        store.append([write("A", 1)])
        assert store.case_timers(["A"]) == {"A": [a1, a2]}, "timers=None leaves them"
        a3 = timer("A", 40, version=2)
        store.append([write("A", 2, timers=(a3,))])
        assert store.case_timers(["A"]) == {"A": [a3]}, "a write replaces the whole set"
        store.append([write("A", 3, timers=())])
        assert store.case_timers(["A", "B"]) == {"B": [b1]}
        assert store.due_timers(at(100), 10) == [b1]

    def test_firing_removes_the_timer_with_the_write(self, store: Store) -> None:
        a1, a2 = timer("A", 10), timer("A", 20, metric="first_response")
        store.append([write("A", 0, timers=(a1, a2))])
        store.append([write("A", 1, fired=(a1,))])
        assert store.case_timers(["A"]) == {"A": [a2]}
        assert store.due_timers(at(30), 10) == [a2]
        with pytest.raises(ConcurrencyConflict):
            store.append([write("A", 2, fired=(a1,))])
        assert [e.seq for e in store.read("A")] == [1, 2]

    def test_firing_a_replaced_timer_is_a_conflict_and_writes_nothing(self, store: Store) -> None:
        old = timer("A", 10, version=1)
        store.append([write("A", 0, timers=(old,))])
        store.append([write("A", 1, timers=(attrs.evolve(old, version=2),))])
        with pytest.raises(ConcurrencyConflict):
            store.append([write("A", 2, fired=(old,))])
        assert [e.seq for e in store.read("A")] == [1, 2]
        assert store.case_timers(["A"]) == {"A": [attrs.evolve(old, version=2)]}

    def test_a_batch_with_one_stale_timer_names_its_case_and_writes_nothing(
        self, store: Store
    ) -> None:
        timers = {i: timer(i, 10) for i in ("A", "B", "C")}
        store.append([write(i, 0, timers=(t,)) for i, t in timers.items()])
        fired = [write(i, 1, fired=(t,)) for i, t in timers.items()]
        fired[1] = write("B", 1, fired=(attrs.evolve(timers["B"], version=9),))
        with pytest.raises(ConcurrencyConflict) as conflict:
            store.append(fired)
        assert conflict.value.stream == "B"
        assert len(store.due_timers(at(20), 10)) == 3
        assert [len(store.read(i)) for i in timers] == [1, 1, 1]

    def test_claimed_timers_are_leased(self, store: Store) -> None:
        a10, b10 = timer("A", 10), timer("B", 10)
        a20, c30 = timer("A", 20, kind="warning"), timer("C", 30)
        store.append(
            [write("A", 0, timers=(a20, a10)), write("B", 0, timers=(b10,)), write("C", 0)]
        )
        store.append([write("C", 1, timers=(c30,))])
        assert store.claim_timers(at(25), 10, at(35)) == [a10, b10, a20], (
            "due by now, earliest first, then case id"
        )
        assert store.claim_timers(at(25), 10, at(35)) == [], "not again while leased"
        assert store.due_timers(at(25), 10) == [a10, b10, a20], "due_timers ignores leases"
        assert store.claim_timers(at(34), 10, at(60)) == [c30]
        assert store.claim_timers(at(35), 10, at(50)) == [a10, b10, a20], (
            "claimable again once the lease ended"
        )
        assert store.claim_timers(at(49), 10, at(70)) == []
        assert store.claim_timers(at(50), 1, at(70)) == [a10], "up to the limit"
        assert store.claim_timers(at(60), 0, at(70)) == []

    def test_claim_order_breaks_ties_by_case_metric_cycle_kind(self, store: Store) -> None:
        same = [
            timer("B", 10, metric="first_response"),
            timer("A", 10, metric="resolution", cycle=2, kind="breach"),
            timer("A", 10, metric="resolution", cycle=1, kind="warning"),
            timer("A", 10, metric="resolution", cycle=1, kind="breach"),
            timer("A", 10, metric="first_response", cycle=3),
        ]
        store.append([write("A", 0, timers=tuple(same[1:])), write("B", 0, timers=same[:1])])
        expected = sorted(same, key=lambda t: (t.due, t.case_id, t.metric, t.cycle, t.kind))
        assert store.claim_timers(at(10), 10, at(20)) == expected

    def test_a_leased_timer_still_fires_and_replaced_timers_lose_their_lease(
        self, store: Store
    ) -> None:
        a, b = timer("A", 10), timer("B", 10)
        store.append([write("A", 0, timers=(a,)), write("B", 0, timers=(b,))])
        assert store.claim_timers(at(10), 10, at(40)) == [a, b]
        store.append([write("A", 1, fired=(a,))])
        assert store.case_timers(["A"]) == {}, "firing matches a leased timer"
        store.append([write("B", 1, timers=(b,))])
        assert store.claim_timers(at(11), 10, at(40)) == [b], "the replaced set has no lease"
        assert store.claim_timers(at(11), 10, at(40)) == []

    def test_concurrent_claimers_never_share_a_timer(self, store: Store) -> None:
        timers = _many_timers(store, 60)
        claimed = _claimed_by_threads(lambda: store.claim_timers(at(100), 3, at(200)))
        assert sorted(claimed) == sorted(timers), "every due timer claimed exactly once"

    def test_claimers_in_other_processes_never_share_a_timer_or_message(
        self, store: Store, where: Path
    ) -> None:
        url = self.process_url(where)
        if url is None:
            pytest.skip(f"{type(self).__name__}: the store is not shared across processes")
        timers = _many_timers(store, 40)
        messages = _many_messages(store, 40)
        found = _claimed_by_processes(url)
        assert sorted(t for t, _ in found if t is not None) == sorted(timers)
        assert sorted(k for _, k in found if k) == sorted(m.key for m in messages)

    # --- the outbox ------------------------------------------------------------------

    def test_outbox_is_written_with_the_events(self, store: Store) -> None:
        b2, a1, b1 = message("B/2", 10), message("A/1", 20, created=10), message("B/1", 10)
        store.append([write("A", 0, outbox=(a1,)), write("B", 0, outbox=(b2, b1))])
        assert store.due_outbox(at(20), 10) == [b1, b2, a1], "by due time, then key"
        assert store.due_outbox(at(10), 10) == [b1, b2]
        assert store.due_outbox(at(20), 1) == [b1]
        assert store.due_outbox(at(9), 10) == []
        assert store.outbox() == [a1, b1, b2], "by created, then key"
        assert store.outbox("pending", limit=2) == [a1, b1]
        assert store.outbox("pending", limit=0) == []
        assert store.outbox("delivered") == []
        assert store.outbox_counts() == {"pending": 3, "delivered": 0, "failed": 0}

    def test_a_refused_append_queues_no_message(self, store: Store) -> None:
        a1 = message("A/1")
        store.append([write("A", 0, outbox=(a1,)), write("B", 0)])
        with pytest.raises(ConcurrencyConflict):
            store.append([write("A", 1, outbox=(message("A/2"),)), write("B", 0)])
        with pytest.raises(StoreError, match="outbox message 'A/1' is already stored"):
            store.append([write("A", 1, outbox=(message("A/1", 5),))])
        with pytest.raises(StoreError, match="outbox message 'C/1' is twice in one append"):
            store.append([write("C", 0, outbox=(message("C/1"), message("C/1")))])
        assert [e.seq for e in store.read("A")] == [1], "a refused append writes no event"
        assert store.read("C") == []
        assert store.outbox() == [a1], "nor any outbox row"

    def test_update_outbox_rewrites_delivery_columns_only(self, store: Store) -> None:
        b1, b2, a1 = message("B/1", 10), message("B/2", 10), message("A/1", 20, created=10)
        store.append([write("A", 0, outbox=(a1,)), write("B", 0, outbox=(b1, b2))])
        done = attrs.evolve(
            b1, status="delivered", attempts=1, delivered_to=("log", "mail"), delivered_at=at(20)
        )
        retry = attrs.evolve(b2, attempts=1, due=at(20), last_error="mail: OSError: down")
        store.update_outbox([done, retry])
        assert store.due_outbox(at(10), 10) == []
        assert store.due_outbox(at(20), 10) == [a1, retry], "a retried message moves"
        assert store.outbox("delivered") == [done]
        assert store.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 0}
        dead = attrs.evolve(retry, status="failed", attempts=8)
        with pytest.raises(NotFound, match="outbox message 'Z/1' does not exist"):
            store.update_outbox([dead, message("Z/1")])
        assert store.outbox("failed") == [], "an update with an unknown key writes nothing"
        assert store.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 0}
        store.update_outbox([dead])
        store.update_outbox([])
        assert store.due_outbox(at(20), 10) == [a1], "a dead letter is not due again"
        assert store.outbox("failed") == [dead]
        assert store.outbox_counts() == {"pending": 1, "delivered": 1, "failed": 1}
        changed = attrs.evolve(dead, payload="other", created=at(99), case_id="X", status="pending")
        store.update_outbox([changed])
        assert store.outbox("pending") == [a1, attrs.evolve(dead, status="pending")], (
            "key, case, created and payload never change"
        )

    def test_claimed_messages_are_leased_until_their_new_due(self, store: Store) -> None:
        a1, b1, b2, c1 = (
            message("A/1", 10),
            message("B/1", 10),
            message("B/2", 20),
            message("C/1", 40),
        )
        store.append(
            [
                write("A", 0, outbox=(a1,)),
                write("B", 0, outbox=(b2, b1)),
                write("C", 0, outbox=(c1,)),
            ]
        )
        first = store.claim_outbox(at(30), 10, at(45))
        assert first == [attrs.evolve(m, due=at(45)) for m in (a1, b1, b2)], (
            "due by now, by due then key, returned as stored: due is the lease's end"
        )
        assert store.outbox("pending") == [*first, c1]
        assert store.claim_outbox(at(30), 10, at(45)) == [], "not again while leased"
        assert store.due_outbox(at(30), 10) == []
        assert store.claim_outbox(at(45), 2, at(60)) == [
            attrs.evolve(c1, due=at(60)),
            attrs.evolve(a1, due=at(60)),
        ], "claimable again once the lease ended; up to the limit"
        delivered = attrs.evolve(b1, due=at(45), status="delivered", attempts=1)
        failed = attrs.evolve(b2, due=at(45), status="failed", attempts=8)
        store.update_outbox([delivered, failed])
        assert store.claim_outbox(at(100), 10, at(110)) == [
            attrs.evolve(a1, due=at(110)),
            attrs.evolve(c1, due=at(110)),
        ], "only pending messages are claimed"
        assert store.claim_outbox(at(200), 0, at(210)) == []
        assert store.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 1}

    def test_concurrent_claimers_never_share_a_message(self, store: Store) -> None:
        messages = _many_messages(store, 60)
        claimed = _claimed_by_threads(lambda: store.claim_outbox(at(100), 3, at(200)))
        assert sorted(m.key for m in claimed) == sorted(m.key for m in messages)
        assert {m.due for m in claimed} == {at(200)}

    # --- policies --------------------------------------------------------------------

    def test_policies_are_kept_by_version_first_writer_wins(self, store: Store) -> None:
        store.save_policy("v1", '{"name": "one"}', at(0))
        store.save_policy("v1", '{"name": "changed"}', at(1))
        store.save_policy("v2", '{"name": "two"}', at(2))
        assert store.load_policy("v1") == '{"name": "one"}'
        assert store.load_policy("v2") == '{"name": "two"}'
        assert store.load_policy("v3") is None

    # --- concurrency -----------------------------------------------------------------

    def test_one_writer_wins_each_version(self, store: Store) -> None:
        store.append([write("A", 0)])
        for version in range(1, 6):
            outcomes = _together(THREADS, partial(_try_append, store, "A", version))
            assert outcomes.count(True) == 1, f"exactly one writer wins version {version}"
        assert [e.seq for e in store.read("A")] == list(range(1, 7))
        assert _version(store, "A") == 6

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

        _together(THREADS, writer)
        events = store.read("A")
        assert [e.seq for e in events] == list(range(1, THREADS * per_writer + 1))
        expected = {_mark(n * 100 + i) for n in range(THREADS) for i in range(per_writer)}
        assert sorted(e.data for e in events) == sorted(expected), "each write exactly once"
        assert _version(store, "A") == THREADS * per_writer

    # --- durability ------------------------------------------------------------------

    def test_everything_is_still_there_after_reopening(self, where: Path) -> None:
        if not self.durable:
            pytest.skip(f"{type(self).__name__}: {self.not_durable_reason}")
        first = self.make_store(where)
        try:
            first.append(
                [
                    write("A", 0, events=2, timers=(timer("A", 10), timer("A", 20, kind="x"))),
                    write("B", 0, outbox=(message("B/1", 5), message("B/2", 50))),
                ]
            )
            first.append([write("A", 2, fired=(timer("A", 10),))])
            first.append_next("audit:x", lambda version, head: [event("audit:x", 1)])
            first.save_policy("v1", "{}", at(0))
            first.save_facts([FactsRecord("B", 1, "k", '{"kept": true}')])
            claimed = first.claim_outbox(at(10), 10, at(30))
            first.update_outbox([attrs.evolve(message("B/2", 50), status="delivered")])
            before = _snapshot(first)
            assert FactsRecord("B", 1, "k", '{"kept": true}') in cast(list[object], before["facts"])
        finally:
            first.close()
        again = self.make_store(where)
        try:
            assert _snapshot(again) == before
            assert claimed == [attrs.evolve(message("B/1", 5), due=at(30))]
            assert again.claim_outbox(at(29), 10, at(40)) == [], "the lease was stored"
            again.append([write("A", 3)])
            assert _version(again, "A") == 4
        finally:
            again.close()


def _checkpoint(seq: int, *, root: str = "root") -> CheckpointRecord:
    """A checkpoint record at ``seq`` (stores keep it as given; they check no hash)."""
    return CheckpointRecord(seq, at(seq), f"c{seq - 1}", 10 * seq, 3, 7, root, f"c{seq}")


def _version(store: Store, stream: str) -> int:
    found = store.load(stream)
    assert found is not None, f"no row for {stream}"
    return found.version


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


def _together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in threads started at the same moment; re-raise a failure."""
    start = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [results[n] for n in range(count)]


def _claimed_by_threads(claim: Callable[[], Sequence[T]]) -> list[T]:
    """Everything ``THREADS`` threads claim, each claiming until nothing is left."""

    def drain(_: int) -> list[T]:
        found: list[T] = []
        while batch := claim():
            found.extend(batch)
        return found

    return [item for batch in _together(THREADS, drain) for item in batch]


def _many_timers(store: Store, count: int) -> list[TimerRecord]:
    timers = [timer(f"T{i:03d}", i % 7) for i in range(count)]
    store.append([write(t.case_id, 0, timers=(t,)) for t in timers])
    return timers


def _many_messages(store: Store, count: int) -> list[OutboxRecord]:
    messages = [message(f"M{i:03d}/1", i % 5) for i in range(count)]
    store.append([write(m.case_id, 0, outbox=(m,)) for m in messages])
    return messages


def _claimed_by_processes(url: str) -> list[tuple[TimerRecord | None, str]]:
    """What ``PROCESSES`` processes claim on ``url``: ``(timer, "")`` and ``(None, key)``."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_claim_in_process, args=(url, start, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    found: list[tuple[TimerRecord | None, str]] = []
    try:
        for _ in workers:
            outcome = results.get(timeout=_PROCESS_TIMEOUT)
            if isinstance(outcome, str):
                pytest.fail(f"a claiming process failed: {outcome}")
            found.extend(outcome)
    except Empty:
        pytest.fail(f"a claiming process gave no answer within {_PROCESS_TIMEOUT:.0f}s")
    finally:
        for worker in workers:
            worker.join(timeout=_PROCESS_TIMEOUT)
            if worker.is_alive():
                worker.kill()
    return found


def _claim_in_process(url: str, start: Any, results: Any) -> None:
    """In a child process: open ``url``, claim timers then messages in small batches."""
    try:
        store: Store | None = plugin_manager(entry_points=False).hook.open_store(url=url)
        if store is None:
            store = plugin_manager().hook.open_store(url=url)
        if store is None:
            raise StoreError(f"no installed plugin opens {url!r} in a child process")
        start.wait(timeout=_PROCESS_TIMEOUT)
        found: list[tuple[TimerRecord | None, str]] = []
        while timers := store.claim_timers(at(100), 2, at(200)):
            found.extend((t, "") for t in timers)
        while messages := store.claim_outbox(at(100), 2, at(200)):
            found.extend((None, m.key) for m in messages)
        store.close()
        results.put(found)
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(f"{type(exc).__name__}: {exc}")


def _snapshot(store: Store) -> dict[str, object]:
    """Everything a store holds that the suite wrote, in comparable form."""
    streams = list(store.streams())
    rows: dict[str, CaseRow] = store.load_many(streams)
    return {
        "streams": {s: store.read(s) for s in streams},
        "rows": rows,
        "timers": store.case_timers(streams),
        "outbox": store.outbox(),
        "counts": store.outbox_counts(),
        "policy": store.load_policy("v1"),
        "facts": list(store.histories_or_facts("k")),
    }


def _case_of(item: list[EventRecord] | FactsRecord) -> str:
    return item.case_id if isinstance(item, FactsRecord) else item[0].stream
