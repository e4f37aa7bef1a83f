"""Case events: what happens to a case, from intake to closure, service levels,
escalation, surveys and quality reviews.

Every event type maps to exactly one lifecycle trigger (``TRIGGER``), so folding an event
needs no knowledge beyond the lifecycle machine. ``SCHEMA`` is the version of the event's
shape; ``serialization`` upcasts older shapes when they are read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import field, frozen

from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain._event import Event


@frozen(kw_only=True)
class Submitted(Event):
    """Intake: the client's request was captured."""

    TYPE = "case.submitted"
    TRIGGER = "submit"

    case_id: str
    requester: str
    channel: str
    subject: str
    description: str = ""
    tier: str
    category: str | None = None
    kind: str | None = None
    impact: str | None = None
    urgency: str | None = None
    language: str | None = None
    fields: Mapping[str, str] = field(factory=ReadOnlyMap, converter=read_only)


@frozen(kw_only=True)
class Classified(Event):
    """Classification: type and category decided (by a person or a confident classifier)."""

    TYPE = "case.classified"
    TRIGGER = "classify"

    category: str
    kind: str
    confidence: float | None = None
    tags: tuple[str, ...] = ()
    reason: str = ""


@frozen(kw_only=True)
class Prioritized(Event):
    """Prioritization: the priority and why (matrix, category rule, tier, or a person)."""

    TYPE = "case.prioritized"
    TRIGGER = "prioritize"

    priority: str
    impact: str | None = None
    urgency: str | None = None
    rule: str
    reason: str


@frozen(kw_only=True)
class Assigned(Event):
    """Routing: the case has an owner (a first assignment or a transfer)."""

    TYPE = "case.assigned"
    TRIGGER = "assign"

    assignee: str
    previous: str | None = None
    queue: str | None = None
    reason: str = ""


@frozen(kw_only=True)
class Unassigned(Event):
    """Back to the queue: the owner let the case go, and it waits for the next one."""

    TYPE = "case.unassigned"
    TRIGGER = "unassign"

    previous: str
    queue: str | None = None
    """The queue the case waits in (``None``: the one it was in)."""
    reason: str


@frozen(kw_only=True)
class Acknowledged(Event):
    """The first public reply: the client knows someone owns the case."""

    TYPE = "case.acknowledged"
    TRIGGER = "acknowledge"
    PUBLIC = True

    message: str
    template: str | None = None


@frozen(kw_only=True)
class Replied(Event):
    """A later public reply to the client."""

    TYPE = "case.replied"
    TRIGGER = "reply"
    PUBLIC = True

    message: str
    template: str | None = None


@frozen(kw_only=True)
class InfoRequested(Event):
    """Clarification: the desk asked the client something and waits for the answer."""

    TYPE = "case.info_requested"
    TRIGGER = "request_info"
    PUBLIC = True

    message: str
    template: str | None = None


@frozen(kw_only=True)
class ClientReplied(Event):
    """The client wrote to the desk."""

    TYPE = "case.client_replied"
    TRIGGER = "client_reply"

    message: str


@frozen(kw_only=True)
class Resolved(Event):
    """Resolution: a fix or answer was delivered; validation is pending."""

    TYPE = "case.resolved"
    TRIGGER = "resolve"
    PUBLIC = True

    resolution: str
    template: str | None = None


@frozen(kw_only=True)
class Validated(Event):
    """Validation: the resolution passed the quality check."""

    TYPE = "case.validated"
    TRIGGER = "validate"

    note: str = ""


@frozen(kw_only=True)
class ValidationRejected(Event):
    """Validation failed: the case goes back to work."""

    TYPE = "case.validation_rejected"
    TRIGGER = "reject"

    reason: str


@frozen(kw_only=True)
class Confirmed(Event):
    """The client confirmed the resolution."""

    TYPE = "case.confirmed"
    TRIGGER = "confirm"

    comment: str = ""


@frozen(kw_only=True)
class Closed(Event):
    """Closure: validated and confirmed (by the client, or by the policy's timeout)."""

    TYPE = "case.closed"
    TRIGGER = "close"
    PUBLIC = True

    reason: str


@frozen(kw_only=True)
class Reopened(Event):
    """The case came back after resolution or closure."""

    TYPE = "case.reopened"
    TRIGGER = "reopen"

    reason: str


@frozen(kw_only=True)
class Cancelled(Event):
    """The request was withdrawn or is void."""

    TYPE = "case.cancelled"
    TRIGGER = "cancel"

    reason: str


@frozen(kw_only=True)
class Merged(Event):
    """This case was a duplicate and now lives on in another one."""

    TYPE = "case.merged"
    TRIGGER = "merge"

    into: str


@frozen(kw_only=True)
class DuplicateMerged(Event):
    """Another case was merged into this one."""

    TYPE = "case.duplicate_merged"
    TRIGGER = "absorb"

    duplicate: str


@frozen(kw_only=True)
class NoteAdded(Event):
    """An internal note, never shown to the client."""

    TYPE = "case.note_added"
    TRIGGER = "note"

    text: str


@frozen(kw_only=True)
class FieldsChanged(Event):
    """The case's extra fields changed: ``fields`` holds the new values, ``removed`` the
    keys cleared (what the case was is in the events before)."""

    TYPE = "case.fields_changed"
    TRIGGER = "update_fields"

    fields: Mapping[str, str] = field(factory=ReadOnlyMap, converter=read_only)
    removed: tuple[str, ...] = ()
    reason: str = ""


@frozen(kw_only=True)
class SlaApplied(Event):
    """The service level that holds for the case changed (at intake, or after triage)."""

    TYPE = "case.sla_applied"
    TRIGGER = "sla"

    level: str | None
    reason: str


@frozen(kw_only=True)
class SlaWarned(Event):
    """A clock consumed ``threshold`` of its target (recorded once per threshold and cycle)."""

    TYPE = "case.sla_warned"
    TRIGGER = "sla"

    metric: str
    cycle: int
    threshold: float


@frozen(kw_only=True)
class SlaBreached(Event):
    """A clock consumed its whole target (recorded once per cycle)."""

    TYPE = "case.sla_breached"
    TRIGGER = "sla"

    metric: str
    cycle: int


@frozen(kw_only=True)
class Escalated(Event):
    """The case moved to another tier: functional (same level) or hierarchical (up).

    Public: the client is told at once, with the explanation (``message``); ``notify``
    names the parties the category's RACI keeps informed or consults.
    """

    TYPE = "case.escalated"
    TRIGGER = "escalate"
    PUBLIC = True

    from_tier: str
    to_tier: str
    kind: str
    trigger: str
    reason: str
    message: str
    template: str | None = None
    notify: tuple[str, ...] = ()


@frozen(kw_only=True)
class EscalationAccepted(Event):
    """An owner in the target tier took the escalation and stated its resolution timeline."""

    TYPE = "case.escalation_accepted"
    TRIGGER = "accept_escalation"
    PUBLIC = True

    tier: str
    timeline: datetime
    message: str
    template: str | None = None


@frozen(kw_only=True)
class Deescalated(Event):
    """The case went back down to a tier, with the reason."""

    TYPE = "case.deescalated"
    TRIGGER = "deescalate"

    from_tier: str
    to_tier: str
    reason: str
    notify: tuple[str, ...] = ()


@frozen(kw_only=True)
class PingPongFlagged(Event):
    """The case bounced between tiers too often: its process owner holds it now, unbounced."""

    TYPE = "case.ping_pong_flagged"
    TRIGGER = "escalate"

    tier: str
    owner: str
    bounces: int
    path: tuple[str, ...]
    reason: str
    notify: tuple[str, ...] = ()


@frozen(kw_only=True)
class SurveyRecorded(Event):
    """The client answered a satisfaction survey (CSAT 1–5, NPS 0–10 or CES 1–7)."""

    TYPE = "case.survey_recorded"
    TRIGGER = "survey"

    survey: str
    score: int
    comment: str = ""


@frozen(kw_only=True)
class QualityReviewed(Event):
    """A reviewer scored how the case was handled against a QA rubric.

    ``scores`` holds each criterion's points; ``total`` is the weighted score out of 100.
    ``session`` names a calibration session when several reviewers score the same case.
    """

    TYPE = "case.quality_reviewed"
    TRIGGER = "review"

    rubric: str
    agent: str
    scores: Mapping[str, int] = field(converter=read_only)
    total: float
    session: str | None = None
    comment: str = ""
