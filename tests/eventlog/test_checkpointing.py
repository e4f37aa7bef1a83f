"""Checkpoints on a real SQLite file: raw-SQL tampering that every stream's own chain misses
(truncation, whole deletions, rewritten chains) is caught by ``verify_all``, and replacing the
newest checkpoint only by the anchor."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from serviceflow import ManualClock, NotAuthorized, ServiceDesk
from serviceflow.errors import IntegrityError
from serviceflow.eventlog._audit import audit_stream
from serviceflow.eventlog._checkpoint import CHAIN
from serviceflow.testing.tampering import Tamperer

from ..conftest import walk_to
from ..rules.test_authority import governed

DAY_ONE = audit_stream(date(2026, 3, 2))
DAY_TWO = audit_stream(date(2026, 3, 3))


@pytest.fixture
def desk(tmp_path: Path, clock: ManualClock) -> Iterator[ServiceDesk]:
    """A governed desk on a SQLite file: two closed cases, refusals on two days."""
    opened = governed(clock, f"sqlite:///{tmp_path / 'desk.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def cases(desk: ServiceDesk, clock: ManualClock) -> tuple[str, str]:
    """Two closed cases, two refusals on day one and one on day two, then a checkpoint."""
    first, second = walk_to(desk, "closed"), walk_to(desk, "closed")
    for case_id in (first, second):
        with pytest.raises(NotAuthorized):
            desk.note(case_id, by="stranger", text="let me in")
    clock.advance(days=1)
    with pytest.raises(NotAuthorized):
        desk.note(second, by="stranger", text="again")
    desk.checkpoint()
    return first, second


def tamperer(desk: ServiceDesk) -> Tamperer:
    db = sqlite3.connect(desk.store.url.removeprefix("sqlite:///"), isolation_level=None)

    def sql(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return db.execute(statement, tuple(params)).fetchall()

    return Tamperer(desk, sql)


def problems(desk: ServiceDesk, anchor: str | None = None) -> dict[str, tuple[str, ...]]:
    return {v.case_id: v.problems for v in desk.verify_all(anchor=anchor) if not v.ok}


def test_an_untouched_store_verifies_with_its_checkpoint_chain(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    second = desk.checkpoint()
    results = list(desk.verify_all(anchor=second.hash))
    assert all(v.ok for v in results)
    assert results[-1].case_id == CHAIN
    assert results[-1].events == 2


def test_deleting_the_last_refusal_of_a_day_is_caught(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    tamperer(desk).truncate(DAY_ONE, keep=1)
    assert desk.verify(DAY_ONE).ok, "the chain alone cannot tell"
    assert "events deleted (truncated)" in problems(desk)[DAY_ONE][0]


def test_deleting_a_whole_audit_day_is_caught(desk: ServiceDesk, cases: tuple[str, str]) -> None:
    tamperer(desk).delete(DAY_TWO)
    assert "the stream has none: deleted" in problems(desk)[DAY_TWO][0]


def test_cutting_a_case_and_fixing_its_row_is_caught(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    first, _ = cases
    tamperer(desk).truncate(first, keep=5)
    assert desk.verify(first).ok, "row and events agree: the case alone looks fine"
    assert problems(desk) == {
        first: (
            "checkpoint 1 recorded 11 event(s), but the stream ends at seq 5: "
            "events deleted (truncated)",
        )
    }


def test_deleting_a_whole_case_is_caught(desk: ServiceDesk, cases: tuple[str, str]) -> None:
    _, second = cases
    tamperer(desk).delete(second)
    found = problems(desk)
    assert list(found) == [second]
    assert "deleted" in found[second][0]


def test_an_edited_event_with_a_recomputed_chain_is_caught(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    tamperer(desk).edit(DAY_ONE, 1, "stranger", "someone")
    assert desk.verify(DAY_ONE).ok
    assert "edited, reordered or rewritten" in problems(desk)[DAY_ONE][0]


def test_reordered_events_with_a_recomputed_chain_are_caught(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    tamperer(desk).swap(DAY_ONE, 1, 2)
    assert desk.verify(DAY_ONE).ok
    assert "edited, reordered or rewritten" in problems(desk)[DAY_ONE][0]


def test_events_appended_after_the_checkpoint_keep_it_valid_and_damage_below_is_caught(
    desk: ServiceDesk, cases: tuple[str, str], clock: ManualClock
) -> None:
    first, _ = cases
    with pytest.raises(NotAuthorized):
        desk.note(first, by="stranger", text="once more")
    assert desk.verify(DAY_TWO).events == 2
    assert problems(desk) == {}, "growing past the checkpoint is what streams do"
    tamperer(desk).edit(DAY_TWO, 1, "stranger", "someone")  # rechained, below the checkpoint
    assert desk.verify(DAY_TWO).ok
    assert "edited, reordered or rewritten" in problems(desk)[DAY_TWO][0]
    with pytest.raises(IntegrityError, match="not checkpointing over damage"):
        desk.checkpoint()


def test_deleting_a_checkpoint_breaks_the_chain(desk: ServiceDesk, cases: tuple[str, str]) -> None:
    desk.checkpoint()
    desk.checkpoint()
    tamperer(desk).drop_checkpoint(2)
    assert problems(desk) == {CHAIN: ("checkpoint 2 is missing (found 3 next): deleted",)}


def test_replacing_the_newest_checkpoint_is_caught_only_by_the_anchor(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    first, _ = cases
    anchor = desk.checkpoint().hash
    forger = tamperer(desk)
    forger.truncate(first, keep=5)
    forger.drop_checkpoint(2)
    forger.drop_checkpoint(1)
    desk.checkpoint()  # the forger writes a fresh chain over the cut case
    assert problems(desk) == {}, "without an anchor a rewritten chain looks whole"
    found = problems(desk, anchor=anchor)
    assert list(found) == [CHAIN]
    assert "no stored checkpoint has this hash" in found[CHAIN][0]


def test_an_anchor_catches_damage_below_an_older_checkpoint(
    desk: ServiceDesk, cases: tuple[str, str], clock: ManualClock
) -> None:
    first, _ = cases
    anchor = desk.last_checkpoint()
    assert anchor is not None
    forger = tamperer(desk)
    forger.truncate(first, keep=5)
    forger.sql("DELETE FROM checkpoint_heads WHERE stream = ?", (first,))
    forger.sql("DELETE FROM checkpoints", ())
    forger.sql("DELETE FROM checkpoint_heads", ())
    desk.checkpoint()
    assert problems(desk) == {}
    assert CHAIN in problems(desk, anchor=anchor.hash)


def test_tick_writes_a_checkpoint_at_most_once_an_hour(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    walk_to(desk, "assigned")
    desk.tick()
    first = desk.last_checkpoint()
    assert first is not None
    clock.advance(minutes=59)
    desk.tick()
    assert desk.last_checkpoint() == first
    clock.advance(minutes=1)
    desk.tick()
    newest = desk.last_checkpoint()
    assert newest is not None
    assert newest.seq == 2
    assert newest.prev == first.hash


def test_tick_logs_damage_instead_of_checkpointing_over_it(
    desk: ServiceDesk, cases: tuple[str, str], clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    first, _ = cases
    with pytest.raises(NotAuthorized):
        desk.note(first, by="stranger", text="once more")
    recorded = desk.checkpoint()
    tamperer(desk).truncate(DAY_TWO, keep=1)
    for text in ("and again", "and again and again"):  # the cut day grows over the cut
        clock.advance(minutes=1)
        with pytest.raises(NotAuthorized):
            desk.note(first, by="stranger", text=text)
    clock.advance(hours=2)
    desk.tick()
    assert desk.last_checkpoint() == recorded
    assert "not checkpointing over damage" in caplog.text
    assert "edited, reordered or rewritten" in caplog.text


def test_damage_to_a_stream_that_did_not_move_is_left_to_verify(
    desk: ServiceDesk, cases: tuple[str, str], clock: ManualClock
) -> None:
    first, _ = cases
    tamperer(desk).truncate(first, keep=5)
    clock.advance(hours=2)
    newest = desk.checkpoint()  # reads only what moved: the cut case did not
    assert newest.seq == 2
    assert list(desk.store.checkpoint_delta(2)) == []
    assert "events deleted (truncated)" in problems(desk)[first][0]
    assert "events deleted (truncated)" in problems(desk, anchor=newest.hash)[first][0]


def test_a_checkpoint_stores_only_the_heads_that_moved_and_reads_only_them(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    first, _ = cases
    before = desk.last_checkpoint()
    assert before is not None
    idle = desk.checkpoint()
    assert list(desk.store.checkpoint_delta(idle.seq)) == []
    assert (idle.position, idle.streams, idle.events) == (
        before.position,
        before.streams,
        before.events,
    )
    with pytest.raises(NotAuthorized):
        desk.note(first, by="stranger", text="once more")
    moved = desk.checkpoint()
    assert [h.stream for h in desk.store.checkpoint_delta(moved.seq)] == [DAY_TWO]
    assert moved.position > idle.position
    assert (moved.streams, moved.events) == (idle.streams, idle.events + 1)


def test_an_edited_delta_of_an_older_checkpoint_is_caught(
    desk: ServiceDesk, cases: tuple[str, str]
) -> None:
    first, _ = cases
    with pytest.raises(NotAuthorized):
        desk.note(first, by="stranger", text="once more")
    desk.checkpoint()
    forger = tamperer(desk)
    forger.sql("DELETE FROM checkpoint_heads WHERE checkpoint = 1 AND stream = ?", (first,))
    assert "checkpoint 1: its stored heads do not match its root" in problems(desk)[CHAIN][0]
    forger.sql("DELETE FROM checkpoint_heads WHERE checkpoint = 2", ())
    with pytest.raises(IntegrityError, match="checkpoint 2: its stored heads do not match"):
        desk.checkpoint()
