"""The store contract's reads: queries and their filters, histories, kept KPI facts in
their stead, paging over many cases, and how rows carry the case.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from serviceflow.errors import NotFound, StoreError
from serviceflow.eventlog._store import (
    CaseQuery,
    EventRecord,
    FactsRecord,
    Store,
    StreamWrite,
)
from serviceflow.testing._store_checks import MANY, StoreChecks
from serviceflow.testing.records import at, event, row, write


class ReadChecks(StoreChecks):
    """The store contract's checks of reads: queries, histories, kept facts, rows."""

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


def _case_of(item: list[EventRecord] | FactsRecord) -> str:
    return item.case_id if isinstance(item, FactsRecord) else item[0].stream
