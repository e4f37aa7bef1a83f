"""Evolve folds events into a case, and refuses streams the lifecycle could not produce."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from serviceflow import IntegrityError
from serviceflow.domain import _events as ev
from serviceflow.rules._evolve import BOOKKEEPING, caught_up, evolve, fold

from ..conftest import START

META: dict[str, Any] = {"at": START, "by": "x", "policy": "p"}
SUBMITTED = ev.Submitted(
    case_id="C1", requester="a/b@c", channel="email", subject="s", tier="standard", **META
)


def test_fold_builds_the_case() -> None:
    case = fold(
        [
            SUBMITTED,
            ev.Classified(category="billing", kind="incident", **META),
            ev.NoteAdded(text="n", **META),
        ]
    )
    assert case is not None
    assert (case.id, case.state, case.version, case.category) == ("C1", "classified", 3, "billing")
    assert case.requester_group == "a"
    assert case.requester_address == "b@c"


def test_events_the_lifecycle_forbids_are_integrity_errors() -> None:
    case = evolve(None, SUBMITTED)
    with pytest.raises(IntegrityError, match=r"case.resolved cannot follow state 'intake'"):
        evolve(case, ev.Resolved(resolution="r", **META))
    with pytest.raises(IntegrityError, match="submitted twice"):
        evolve(case, SUBMITTED)
    with pytest.raises(IntegrityError, match="before the case was submitted"):
        evolve(None, ev.NoteAdded(text="n", **META))


def test_duplicates_accumulate() -> None:
    case = fold(
        [
            SUBMITTED,
            ev.DuplicateMerged(duplicate="C2", **META),
            ev.DuplicateMerged(duplicate="C3", **META),
        ]
    )
    assert case is not None
    assert case.duplicates == ("C2", "C3")


def test_bookkeeping_events_move_only_the_version_and_time() -> None:
    case = fold([SUBMITTED, ev.Classified(category="billing", kind="incident", **META)])
    assert case is not None
    later = {**META, "at": START + timedelta(hours=1), "policy": "newer"}
    for event in (
        ev.SlaWarned(metric="resolution", cycle=1, threshold=0.5, **later),
        ev.SlaBreached(metric="resolution", cycle=1, **later),
    ):
        assert type(event) in BOOKKEEPING
        after = evolve(case, event)
        assert after == attrs.evolve(case, version=3, updated_at=START + timedelta(hours=1))


def test_a_document_catches_up_with_its_row() -> None:
    written = fold([SUBMITTED, ev.Classified(category="billing", kind="incident", **META)])
    assert written is not None
    later = {**META, "at": START + timedelta(minutes=5)}
    bookkeeping = [
        ev.SlaWarned(metric="resolution", cycle=1, threshold=0.5, **later),
        ev.SlaBreached(metric="resolution", cycle=1, **later),
    ]
    assert caught_up(written, 4, later["at"]) == fold(bookkeeping, written)
    assert caught_up(written, 2, START) is written
    with pytest.raises(IntegrityError, match="document is at version 2, ahead of its row"):
        caught_up(written, 1, START)


def test_a_new_owner_is_a_transfer_and_the_same_owner_in_a_new_queue_is_not() -> None:
    triage = [
        SUBMITTED,
        ev.Classified(category="billing", kind="incident", **META),
        ev.Prioritized(priority="low", rule="import", reason="r", **META),
    ]
    first = ev.Assigned(assignee="agent:kim", queue="L1", **META)
    moved = ev.Assigned(assignee="agent:kim", previous="agent:kim", queue="L2", **META)
    handed = ev.Assigned(assignee="agent:ola", previous="agent:kim", queue="L2", **META)
    case = fold([*triage, first, moved])
    assert case is not None
    assert (case.assignee, case.transfer_count) == ("agent:kim", 0)
    case = evolve(case, handed)
    assert (case.assignee, case.transfer_count) == ("agent:ola", 1)
