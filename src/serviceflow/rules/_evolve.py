"""Evolve: the pure fold of a case's events into its projection. Replay is ``fold``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from attrs import evolve as _evolve

from serviceflow.core._readonly import read_only
from serviceflow.domain import _events as ev
from serviceflow.domain._case import ACCEPTED, AWAITING, RETURNED, Case, Escalation, replace
from serviceflow.errors import IntegrityError
from serviceflow.rules._lifecycle import DESTINATIONS, INTAKE


def evolve(case: Case | None, event: ev.Event) -> Case:
    """The case after ``event``; refuses events that the lifecycle does not allow here."""
    if isinstance(event, ev.Submitted):
        if case is not None:
            raise IntegrityError(f"case {case.id}: submitted twice")
        return _submitted(event)
    if case is None:
        raise IntegrityError(f"{event.TYPE} before the case was submitted")
    state = DESTINATIONS.get((event.TRIGGER, case.state))
    if state is None:
        raise IntegrityError(
            f"case {case.id}: {event.TYPE} cannot follow state {case.state!r} "
            f"(version {case.version})"
        )
    if type(event) in BOOKKEEPING:
        return replace(case, state, case.version + 1, event.at, case.policy, _NOTHING)
    changes = _CHANGES[type(event)](case, event)
    return replace(case, state, case.version + 1, event.at, event.policy, changes)


def next_state(state: str | None, event: ev.Event) -> str:
    """The lifecycle state after ``event`` (``None``: before submission), checked as in
    ``evolve`` but without building the case: for folds that need only the state."""
    if isinstance(event, ev.Submitted):
        if state is not None:
            raise IntegrityError(f"case {event.case_id}: submitted twice")
        return INTAKE
    if state is None:
        raise IntegrityError(f"{event.TYPE} before the case was submitted")
    after = DESTINATIONS.get((event.TRIGGER, state))
    if after is None:
        raise IntegrityError(f"{event.TYPE} cannot follow state {state!r}")
    return after


BOOKKEEPING: frozenset[type[ev.Event]] = frozenset({ev.SlaWarned, ev.SlaBreached})
"""Events that record a fact about the case's clocks and change nothing else in the case:
only its version and ``updated_at`` move (not even its policy or state), so a store may
leave the case's document as it was and keep those two in the row (see ``caught_up``)."""

BOOKKEEPING_TYPES = frozenset(e.TYPE for e in BOOKKEEPING)
"""The stored ``type`` of each bookkeeping event."""


def caught_up(case: Case, version: int, updated_at: datetime) -> Case:
    """A case whose document was written at an earlier version, after the bookkeeping
    events that followed it (the caller knows they were bookkeeping only)."""
    if version < case.version:
        raise IntegrityError(
            f"case {case.id}: its document is at version {case.version}, ahead of its row "
            f"({version})"
        )
    if version == case.version:
        return case
    return replace(case, case.state, version, updated_at, case.policy, _NOTHING)


def fold(events: Iterable[ev.Event], case: Case | None = None) -> Case | None:
    """Replay ``events`` on ``case`` (``None`` for a whole stream)."""
    for event in events:
        case = evolve(case, event)
    return case


def _submitted(e: ev.Submitted) -> Case:
    return Case(
        id=e.case_id,
        state=INTAKE,
        version=1,
        requester=e.requester,
        channel=e.channel,
        subject=e.subject,
        description=e.description,
        tier=e.tier,
        submitted_at=e.at,
        updated_at=e.at,
        policy=e.policy,
        category=e.category,
        kind=e.kind,
        impact=e.impact,
        urgency=e.urgency,
        language=e.language,
        fields=e.fields,
    )


_NOTHING: dict[str, Any] = {}
_AFTER_WORK_RESUMES = {
    "resolved_at": None,
    "resolved_by": None,
    "validated_at": None,
    "confirmed_at": None,
    "closed_at": None,
    "resolution": None,
}


def _classified(case: Case, e: Any) -> dict[str, Any]:
    tags = (*case.tags, *(t for t in e.tags if t not in case.tags))
    return {"category": e.category, "kind": e.kind, "tags": tags}


def _prioritized(case: Case, e: Any) -> dict[str, Any]:
    return {
        "priority": e.priority,
        "impact": e.impact if e.impact is not None else case.impact,
        "urgency": e.urgency if e.urgency is not None else case.urgency,
        "priority_reason": e.reason,
    }


def _assigned(case: Case, e: Any) -> dict[str, Any]:
    """A new owner is a transfer; the same owner again (an imported team move) is not."""
    moved = case.assignee is not None and e.assignee != case.assignee
    transfers = case.transfer_count + (1 if moved else 0)
    return {"assignee": e.assignee, "transfer_count": transfers}


def _unassigned(case: Case, e: Any) -> dict[str, Any]:
    """Letting the case go is a transfer: the next owner, whoever it is, is not another."""
    return {"assignee": None, "transfer_count": case.transfer_count + 1}


def _fields_changed(case: Case, e: Any) -> dict[str, Any]:
    fields = {k: v for k, v in case.fields.items() if k not in e.removed}
    return {"fields": read_only({**fields, **e.fields})}


def _acknowledged(case: Case, e: Any) -> dict[str, Any]:
    return _NOTHING if case.acknowledged_at is not None else {"acknowledged_at": e.at}


def _resolved(case: Case, e: Any) -> dict[str, Any]:
    return {
        **_AFTER_WORK_RESUMES,
        "resolved_at": e.at,
        "resolution": e.resolution,
        "resolved_by": e.by,
    }


def _reopened(case: Case, e: Any) -> dict[str, Any]:
    return {**_AFTER_WORK_RESUMES, "reopen_count": case.reopen_count + 1}


def _moved(case: Case, e: Any, status: str) -> dict[str, Any]:
    """The case arrives in tier ``e.to_tier`` (escalated, or returned to it)."""
    before = case.escalation
    if before is not None and before.flagged:
        before = None  # the process owner moved it: anti-flapping starts afresh
    path = before.path if before is not None else (e.from_tier,)
    escalation = Escalation(
        tier=e.to_tier,
        since=e.at,
        status=status,
        number=(case.escalation.number if case.escalation is not None else 0)
        + (status == AWAITING),
        path=(*path, e.to_tier),
        bounces=(before.bounces if before is not None else 0) + (e.to_tier in path),
    )
    return {"escalation": escalation}


def _accepted(case: Case, e: Any) -> dict[str, Any]:
    assert case.escalation is not None
    return {
        "escalation": _evolve(case.escalation, status=ACCEPTED, owner=e.by, timeline=e.timeline)
    }


def _flagged(case: Case, e: Any) -> dict[str, Any]:
    assert case.escalation is not None
    return {
        "escalation": _evolve(
            case.escalation, status=ACCEPTED, owner=e.owner, timeline=None, flagged=True
        )
    }


_CHANGES: dict[type[ev.Event], Callable[[Case, Any], dict[str, Any]]] = {
    ev.Classified: _classified,
    ev.Prioritized: _prioritized,
    ev.Assigned: _assigned,
    ev.Unassigned: _unassigned,
    ev.Acknowledged: _acknowledged,
    ev.Replied: lambda c, e: _NOTHING,
    ev.InfoRequested: lambda c, e: _NOTHING,
    ev.ClientReplied: lambda c, e: _NOTHING,
    ev.Resolved: _resolved,
    ev.Validated: lambda c, e: {"validated_at": e.at},
    ev.ValidationRejected: lambda c, e: _AFTER_WORK_RESUMES,
    ev.Confirmed: lambda c, e: {"confirmed_at": e.at},
    ev.Closed: lambda c, e: {"closed_at": e.at},
    ev.Reopened: _reopened,
    ev.Cancelled: lambda c, e: _NOTHING,
    ev.Merged: lambda c, e: {"merged_into": e.into},
    ev.DuplicateMerged: lambda c, e: {"duplicates": (*c.duplicates, e.duplicate)},
    ev.NoteAdded: lambda c, e: _NOTHING,
    ev.FieldsChanged: _fields_changed,
    ev.SlaApplied: lambda c, e: {"sla": e.level},
    ev.Escalated: lambda c, e: _moved(c, e, AWAITING),
    ev.Deescalated: lambda c, e: _moved(c, e, RETURNED),
    ev.EscalationAccepted: _accepted,
    ev.PingPongFlagged: _flagged,
    ev.SurveyRecorded: lambda c, e: _NOTHING,
    ev.QualityReviewed: lambda c, e: _NOTHING,
}
