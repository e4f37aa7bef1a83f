"""What happened to one case up to an instant: the facts every KPI is computed from.

One pass over a case's events (pure, no policy) gives the moments that matter (first
response, resolutions, closure), the counts (reopens, transfers, escalations, client
contacts), the recorded SLA breaches, the survey answers and quality reviews, and the
case's dimensions as they stood at the end (category, priority, team, agent, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from attrs import define, field

from serviceflow.domain import _events as ev
from serviceflow.domain._case import requester_group
from serviceflow.domain._states import CLOSED, INTAKE, OPEN_STATES, RESOLVED, VALIDATED
from serviceflow.rules._lifecycle import DESTINATIONS

RESOLVED_STATES = frozenset({RESOLVED, VALIDATED, CLOSED})
"""States in which the case counts as resolved."""

TIERS_LOGGED = "support_line"
"""The ``fields`` key an import writes on a case whose log gives its support line (the
tier it starts in): its escalations are recorded, so it counts in the escalation rate."""

DIMENSIONS = ("category", "priority", "tier", "channel", "team", "agent", "group")
"""What KPIs can be sliced by: each a case's value at the end of the period; and any of
its extra fields, as ``field:<name>``."""
FIELD = "field:"
"""The prefix of a slicing by one of the case's extra fields (``field:product``)."""


def slicing_problem(by: object) -> str | None:
    """Why ``by`` cannot slice a report (``None`` when it can: a dimension or
    ``field:<name>``)."""
    if by in DIMENSIONS:
        return None
    if isinstance(by, str) and by.startswith(FIELD) and by.removeprefix(FIELD).strip():
        return None
    return f"{by!r} is not one of {', '.join(DIMENSIONS)}, nor {FIELD}<name of a field>"


OPENED_UNLOGGED = "intake"
"""The ``fields`` key an import writes on a case whose log gives no opening time: it is
submitted at its first row's time, so a response in that row has no time of its own."""
OPENED_AT_FIRST_ROW = "first row (the log has no opening time)"
"""The value of ``OPENED_UNLOGGED``."""

NO_REQUESTER = "the log names no requester"
"""Why a case counts in no repeat rate and no ``group`` slice: an import without one
(its requester is empty)."""
NO_CHANNEL = "the log names no channel"
"""Why a case counts in no ``channel`` slice: an import without one (its channel is empty)."""


@define(slots=True)
class TierStint:
    """A spell of an escalation tier holding the case (``until``: ``None`` still holding)."""

    tier: str
    since: datetime
    until: datetime | None = None


@define(slots=True)
class CaseFacts:
    """The facts of one case, read from its events before the end of a period."""

    case_id: str
    submitted_at: datetime
    requester: str
    channel: str
    tier: str
    state: str = INTAKE
    category: str | None = None
    priority: str | None = None
    team: str | None = None
    assignee: str | None = None
    resolved_by: str | None = None
    level: str | None = None
    first_response_at: datetime | None = None
    first_resolved_at: datetime | None = None
    last_resolved_at: datetime | None = None
    closed_at: datetime | None = None
    ended_at: datetime | None = None
    """When the case was cancelled or merged."""
    reopens: int = 0
    transfers: int = 0
    """Changes of owner: a transfer, or a return to the queue (the owner let it go)."""
    requeues: int = 0
    """Returns to the queue."""
    escalations: int = 0
    info_requests: int = 0
    client_replies: int = 0
    follow_up: bool = False
    """The client had to come back before the first resolution: a question was asked, or
    the client wrote again, after the first response."""
    imported: bool = False
    intake_source: str | None = None
    """Where an imported case's intake came from (its first row)."""
    response_logged: bool = True
    """False when an imported case was answered in its first row and its log has no
    opening time (``OPENED_UNLOGGED``): the log does not tell how long the answer took."""
    tiers_logged: bool = False
    """Imported with a support line: the log's escalations are recorded (``TIERS_LOGGED``)."""
    fields: dict[str, str] = field(factory=dict)
    """The case's extra fields as they stand (the latest change before the end)."""
    stints: list[TierStint] = field(factory=list)
    breaches: list[tuple[str, datetime]] = field(factory=list)
    surveys: list[ev.SurveyRecorded] = field(factory=list)
    reviews: list[ev.QualityReviewed] = field(factory=list)

    @property
    def group(self) -> str | None:
        """The requester's organisation (``acme`` of ``acme/jane@…``)."""
        return requester_group(self.requester)

    @property
    def agent(self) -> str | None:
        """Who answers for the case: the last resolver, else the current assignee."""
        return self.resolved_by or self.assignee

    @property
    def is_open(self) -> bool:
        """Still to be worked on at the end of the period."""
        return self.state in OPEN_STATES

    @property
    def is_resolved(self) -> bool:
        """Resolved, validated or closed at the end of the period (not reopened since)."""
        return self.state in RESOLVED_STATES

    def dimension(self, name: str) -> str | None:
        """The case's value for one of ``DIMENSIONS``, or for ``field:<name>``."""
        if name.startswith(FIELD):
            return self.fields.get(name.removeprefix(FIELD))
        return getattr(self, name)  # type: ignore[no-any-return]

    def unknown(self, name: str) -> str | None:
        """Why the case has no value for dimension ``name`` because its log holds none
        (an import without requesters or channels); ``None`` when the value is known."""
        if name == "group" and not self.requester:
            return NO_REQUESTER
        if name == "channel" and not self.channel:
            return NO_CHANNEL
        return None


def case_facts(events: Sequence[ev.Event]) -> CaseFacts:
    """The facts of the case whose stream is ``events`` (its ``Submitted`` first; cut it at
    a period's end with ``before``)."""
    facts = opening_facts(events[0])
    for event in events[1:]:
        add_event(facts, event)
    return facts


def opening_facts(first: ev.Event) -> CaseFacts:
    """The facts of a case that has just been submitted; ``add_event`` folds in the rest."""
    if not isinstance(first, ev.Submitted):
        raise ValueError(f"a case history starts with case.submitted, not {first.TYPE}")
    return CaseFacts(
        case_id=first.case_id,
        submitted_at=first.at,
        requester=first.requester,
        channel=first.channel,
        tier=first.tier,
        category=first.category,
        imported=first.source is not None,
        intake_source=first.source,
        tiers_logged=first.source is not None and TIERS_LOGGED in first.fields,
        fields=dict(first.fields),
    )


def add_event(facts: CaseFacts, event: ev.Event) -> None:
    """Fold the case's next event into its facts."""
    facts.state = DESTINATIONS.get((event.TRIGGER, facts.state), facts.state)
    handler = _APPLY.get(type(event))
    if handler is not None:
        handler(facts, event)


def before(events: Sequence[ev.Event], end: datetime | None) -> Sequence[ev.Event]:
    """The leading events of a stream that happened before ``end``."""
    if end is None:
        return events
    for index, event in enumerate(events):
        if event.at >= end:
            return events[:index]
    return events


def _responded(facts: CaseFacts, event: ev.Event) -> None:
    if facts.first_response_at is None:
        facts.first_response_at = event.at
        if facts.intake_source is not None and event.source == facts.intake_source:
            facts.response_logged = OPENED_UNLOGGED not in facts.fields


def _info_requested(facts: CaseFacts, event: ev.Event) -> None:
    _responded(facts, event)
    facts.info_requests += 1
    if facts.first_resolved_at is None:
        facts.follow_up = True


def _client_replied(facts: CaseFacts, event: ev.Event) -> None:
    facts.client_replies += 1
    if facts.first_response_at is not None and facts.first_resolved_at is None:
        facts.follow_up = True


def _classified(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.Classified)
    facts.category = event.category


def _prioritized(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.Prioritized)
    facts.priority = event.priority


def _assigned(facts: CaseFacts, event: ev.Event) -> None:
    """A new owner is a transfer; the same owner in a new queue only moves the team."""
    assert isinstance(event, ev.Assigned)
    if facts.assignee is not None and event.assignee != facts.assignee:
        facts.transfers += 1
    facts.assignee = event.assignee
    if event.queue is not None:
        facts.team = event.queue


def _unassigned(facts: CaseFacts, event: ev.Event) -> None:
    """Back to the queue: the owner let the case go (a transfer, whoever takes it next)."""
    assert isinstance(event, ev.Unassigned)
    facts.transfers += 1
    facts.requeues += 1
    facts.assignee = None
    if event.queue is not None:
        facts.team = event.queue


def _fields_changed(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.FieldsChanged)
    for name in event.removed:
        facts.fields.pop(name, None)
    facts.fields.update(event.fields)


def _resolved(facts: CaseFacts, event: ev.Event) -> None:
    _responded(facts, event)
    if facts.first_resolved_at is None:
        facts.first_resolved_at = event.at
    facts.last_resolved_at = event.at
    facts.resolved_by = event.by
    _leave_tier(facts, event.at)


def _reopened(facts: CaseFacts, event: ev.Event) -> None:
    if isinstance(event, ev.Reopened):
        facts.reopens += 1
    facts.closed_at = None
    if facts.stints and facts.stints[-1].until is not None:
        facts.stints.append(TierStint(facts.stints[-1].tier, event.at))


def _closed(facts: CaseFacts, event: ev.Event) -> None:
    facts.closed_at = event.at


def _ended(facts: CaseFacts, event: ev.Event) -> None:
    facts.ended_at = event.at
    _leave_tier(facts, event.at)


def _moved(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.Escalated | ev.Deescalated)
    if isinstance(event, ev.Escalated):
        facts.escalations += 1
        if not facts.stints:
            facts.stints.append(TierStint(event.from_tier, facts.submitted_at))
    _leave_tier(facts, event.at)
    facts.stints.append(TierStint(event.to_tier, event.at))


def _flagged(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.PingPongFlagged)
    if facts.stints and facts.stints[-1].tier != event.tier:
        _leave_tier(facts, event.at)
        facts.stints.append(TierStint(event.tier, event.at))


def _leave_tier(facts: CaseFacts, at: datetime) -> None:
    if facts.stints and facts.stints[-1].until is None:
        facts.stints[-1].until = at


def _breached(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.SlaBreached)
    facts.breaches.append((event.metric, event.at))


def _level(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.SlaApplied)
    facts.level = event.level


def _surveyed(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.SurveyRecorded)
    facts.surveys.append(event)


def _reviewed(facts: CaseFacts, event: ev.Event) -> None:
    assert isinstance(event, ev.QualityReviewed)
    facts.reviews.append(event)


_APPLY = {
    ev.Unassigned: _unassigned,
    ev.FieldsChanged: _fields_changed,
    ev.Classified: _classified,
    ev.Prioritized: _prioritized,
    ev.Assigned: _assigned,
    ev.Acknowledged: _responded,
    ev.Replied: _responded,
    ev.InfoRequested: _info_requested,
    ev.ClientReplied: _client_replied,
    ev.Resolved: _resolved,
    ev.ValidationRejected: _reopened,
    ev.Closed: _closed,
    ev.Reopened: _reopened,
    ev.Cancelled: _ended,
    ev.Merged: _ended,
    ev.Escalated: _moved,
    ev.Deescalated: _moved,
    ev.PingPongFlagged: _flagged,
    ev.SlaBreached: _breached,
    ev.SlaApplied: _level,
    ev.SurveyRecorded: _surveyed,
    ev.QualityReviewed: _reviewed,
}
