"""Evolve folds events into a case, and refuses streams the lifecycle could not produce."""

from __future__ import annotations

from typing import Any

import pytest

from serviceflow import IntegrityError
from serviceflow import events as ev
from serviceflow.evolve import evolve, fold

from .conftest import START

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
