"""The pure checkpoint rules: the documented digests, the chain check, and comparing heads;
plus a property on the memory store: cutting any suffix off any covered stream is caught."""

from __future__ import annotations

import hashlib

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import ManualClock, ServiceDesk
from serviceflow.backends.memory import MemoryStore
from serviceflow.domain._serialization import GENESIS
from serviceflow.eventlog._checkpoint import (
    Finding,
    chain_problems,
    compare_heads,
    heads_root,
    next_checkpoint,
    prefix_problem,
)
from serviceflow.eventlog._store import EventRecord, HeadRecord

from ..conftest import START, walk_to

A1, B2 = HeadRecord("a", 1, "h1"), HeadRecord("b", 2, "h2")


def test_the_root_is_sha256_over_the_heads_in_stream_order() -> None:
    assert heads_root([]) == hashlib.sha256(b"").hexdigest()
    assert heads_root([A1, B2]) == hashlib.sha256(b"a\n1\nh1\nb\n2\nh2\n").hexdigest()


def test_checkpoints_chain_and_their_hash_is_documented() -> None:
    first = next_checkpoint(None, "2026-03-02T09:00:00.000000+00:00", 5, [A1, B2], {})
    assert (first.seq, first.prev, first.position, first.streams, first.events) == (
        1,
        GENESIS,
        5,
        2,
        3,
    )
    assert first.root == heads_root([A1, B2])
    text = f"checkpoint\n1\n{first.at}\n{GENESIS}\n5\n2\n3\n{first.root}"
    assert first.hash == hashlib.sha256(text.encode()).hexdigest()
    second = next_checkpoint(first, first.at, 5, [], {})
    assert (second.seq, second.prev, second.position) == (2, first.hash, 5)
    assert (second.streams, second.events, second.root) == (2, 3, heads_root([]))
    assert list(chain_problems([first, second])) == []
    assert list(chain_problems([second])) == ["checkpoint 1 is missing (found 2 next): deleted"]
    edited = attrs.evolve(first, events=4)
    assert list(chain_problems([edited, second])) == [
        "checkpoint 1: content does not match its hash (edited)"
    ]
    relinked = attrs.evolve(second, prev="f" * 64)
    assert "link to the previous checkpoint is broken" in next(chain_problems([first, relinked]))


def test_a_checkpoint_brings_the_totals_of_the_fold_up_to_date_from_its_delta() -> None:
    first = next_checkpoint(None, "t", 5, [A1, B2], {})
    moved = [HeadRecord("b", 5, "h5"), HeadRecord("c", 4, "h4")]
    second = next_checkpoint(first, "t", 9, moved, {"b": B2})
    assert (second.streams, second.events) == (3, 1 + 5 + 4)
    assert second.root == heads_root(moved)


def test_comparing_heads_finds_every_kind_of_loss_and_what_moved() -> None:
    recorded = [A1, B2, HeadRecord("c", 3, "h3"), HeadRecord("d", 1, "d1")]
    current = [A1, HeadRecord("b", 1, "x"), HeadRecord("c", 3, "zz"), HeadRecord("e", 1, "e1")]
    found = list(compare_heads(7, recorded, current))
    problems = {f.recorded.stream: f.problem for f in found if isinstance(f, Finding)}
    assert problems["b"] == (
        "checkpoint 7 recorded 2 event(s), but the stream ends at seq 1: events deleted (truncated)"
    )
    assert "edited, reordered or rewritten" in (problems["c"] or "")
    assert "the stream has none: deleted" in (problems["d"] or "")
    moved = [f for f in found if isinstance(f, HeadRecord)]
    assert moved == current[1:]
    grown = list(compare_heads(1, [A1], [HeadRecord("a", 4, "h4")]))
    assert grown == [Finding(A1, 4, None), HeadRecord("a", 4, "h4")]


def test_a_grown_stream_must_still_hold_its_recorded_head() -> None:
    kept = [EventRecord("a", 1, "t", "at", "{}", GENESIS, "h1")]
    assert prefix_problem(1, A1, kept) is None
    assert "edited" in (prefix_problem(1, A1, [kept[0]._replace(hash="x")]) or "")
    assert "is gone" in (prefix_problem(1, A1, []) or "")


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_cutting_any_suffix_off_any_covered_stream_is_caught(data: st.DataObject) -> None:
    desk = ServiceDesk(MemoryStore(), clock=ManualClock(START))
    states = data.draw(st.lists(st.sampled_from(["assigned", "closed"]), min_size=1, max_size=3))
    ids = [walk_to(desk, state) for state in states]
    desk.checkpoint()
    victim = data.draw(st.sampled_from(ids))
    events = desk.store._events[victim]  # type: ignore[attr-defined]
    keep = data.draw(st.integers(0, len(events) - 1))
    del events[keep:]
    found = {v.case_id: v.problems for v in desk.verify_all() if not v.ok}
    assert any("checkpoint 1 recorded" in p for p in found[victim])
