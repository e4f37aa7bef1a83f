"""Every event type by its ``TYPE``: the case and desk events, their unions, and
``register`` for other aggregates' events (so any stream's events read back).

The event classes live in ``_event`` (the base), ``_case_events`` and ``_desk_events``;
this module names them all, so ``_events`` is the one place to look an event up.
"""

from __future__ import annotations

from serviceflow.domain._case_events import (
    Acknowledged,
    Assigned,
    Cancelled,
    Classified,
    ClientReplied,
    Closed,
    Confirmed,
    Deescalated,
    DuplicateMerged,
    Escalated,
    EscalationAccepted,
    FieldsChanged,
    InfoRequested,
    Merged,
    NoteAdded,
    PingPongFlagged,
    Prioritized,
    QualityReviewed,
    Reopened,
    Replied,
    Resolved,
    SlaApplied,
    SlaBreached,
    SlaWarned,
    Submitted,
    SurveyRecorded,
    Unassigned,
    Validated,
    ValidationRejected,
)
from serviceflow.domain._desk_events import (
    ARTICLE,
    AUDIT,
    DESK_STREAMS,
    IMPROVEMENT,
    POLICY_LOG,
    PROBLEM,
    QUEUE,
    PolicyApplied,
    Refused,
    TurnTaken,
)
from serviceflow.domain._event import Event

__all__ = [
    "ARTICLE",
    "AUDIT",
    "DESK_STREAMS",
    "EVENT_TYPES",
    "IMPROVEMENT",
    "POLICY_LOG",
    "PROBLEM",
    "QUEUE",
    "Acknowledged",
    "Assigned",
    "Cancelled",
    "CaseEvent",
    "Classified",
    "ClientReplied",
    "Closed",
    "Confirmed",
    "Deescalated",
    "DeskEvent",
    "DuplicateMerged",
    "Escalated",
    "EscalationAccepted",
    "Event",
    "FieldsChanged",
    "InfoRequested",
    "Merged",
    "NoteAdded",
    "PingPongFlagged",
    "PolicyApplied",
    "Prioritized",
    "QualityReviewed",
    "Refused",
    "Reopened",
    "Replied",
    "Resolved",
    "SlaApplied",
    "SlaBreached",
    "SlaWarned",
    "Submitted",
    "SurveyRecorded",
    "TurnTaken",
    "Unassigned",
    "Validated",
    "ValidationRejected",
    "register",
]

DeskEvent = Refused | TurnTaken | PolicyApplied

CaseEvent = (
    Submitted
    | Classified
    | Prioritized
    | Assigned
    | Unassigned
    | Acknowledged
    | Replied
    | InfoRequested
    | ClientReplied
    | Resolved
    | Validated
    | ValidationRejected
    | Confirmed
    | Closed
    | Reopened
    | Cancelled
    | Merged
    | DuplicateMerged
    | NoteAdded
    | FieldsChanged
    | SlaApplied
    | SlaWarned
    | SlaBreached
    | Escalated
    | EscalationAccepted
    | Deescalated
    | PingPongFlagged
    | SurveyRecorded
    | QualityReviewed
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        Submitted,
        Classified,
        Prioritized,
        Assigned,
        Unassigned,
        Acknowledged,
        Replied,
        InfoRequested,
        ClientReplied,
        Resolved,
        Validated,
        ValidationRejected,
        Confirmed,
        Closed,
        Reopened,
        Cancelled,
        Merged,
        DuplicateMerged,
        NoteAdded,
        FieldsChanged,
        SlaApplied,
        SlaWarned,
        SlaBreached,
        Escalated,
        EscalationAccepted,
        Deescalated,
        PingPongFlagged,
        SurveyRecorded,
        QualityReviewed,
        Refused,
        TurnTaken,
        PolicyApplied,
    )
}


def register(*classes: type[Event]) -> None:
    """Make more event types readable and writable (the streams of other aggregates:
    articles, problems, improvement cycles); a ``TYPE`` already taken is an error."""
    for cls in classes:
        taken = EVENT_TYPES.get(cls.TYPE)
        if taken is not None and taken is not cls:
            raise ValueError(f"event type {cls.TYPE!r} is already {taken.__qualname__}")
        EVENT_TYPES[cls.TYPE] = cls
