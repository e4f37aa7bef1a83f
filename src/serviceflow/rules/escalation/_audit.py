"""The escalation audit: delays, ownership gaps and ping-pong in the escalation log, per tier.

Pure analytics over case histories, one case at a time (memory grows with the rows found,
not with the number of cases). For a window ``[start, end)`` it reports:

- late acknowledgements: acceptance clocks that breached (accepted late, never accepted
  before the escalation ended, or still waiting at ``end``);
- missed updates: breached cycles of the ``escalation_update`` clock;
- escalations without an owner: still awaiting acceptance at ``end``;
- ping-pong: cases flagged (``PingPongFlagged``) or bounced back into a tier twice or more;
- time held per tier: calendar time each tier held cases (a stint runs from the case's
  arrival in the tier, the entry tier from submission, until it moves or is resolved,
  closed, cancelled or merged; a reopen resumes it in the tier that held it);
- breaches per tier and metric: every SLA and escalation clock breached in the window
  (read from the clocks at ``end``, so breaches count even if nobody ran ``tick``), charged
  to the tier that held the case at the breach instant.

A breach, late acknowledgement or missed update belongs to the window holding its due
instant. Only events before ``end`` are read, so the audit of a past window is stable.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from attrs import asdict, field, frozen
from attrs import evolve as evolve_attrs

from serviceflow.clock import require_aware
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain import _events as ev
from serviceflow.domain._case import AWAITING, Case
from serviceflow.domain._serialization import iso
from serviceflow.domain._states import OPEN_STATES
from serviceflow.domain.policy._escalation import ACCEPTANCE, UPDATE
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ValidationError
from serviceflow.rules._evolve import evolve
from serviceflow.rules._sla import ClockReport
from serviceflow.rules._sla import report as sla_report
from serviceflow.rules.escalation._clocks import TierClock, escalation_clocks
from serviceflow.rules.escalation._governance import tier_of

ACCEPTED_LATE = "accepted"
"""A late acknowledgement's outcome: an owner accepted it, after the target."""
STILL_WAITING = "waiting"
"""A late acknowledgement's outcome: nobody had accepted it at the end of the window."""
ENDED_UNACCEPTED = "ended"
"""A late acknowledgement's outcome: the escalation ended (moved, flagged, resolved, closed)
without anyone accepting it."""

_BREACHED = "breached"
_MOVES = (ev.Escalated, ev.Deescalated)
_ENDS = (ev.Resolved, ev.Closed, ev.Cancelled, ev.Merged)
_FINISHED = (ev.Closed, ev.Cancelled, ev.Merged)
_RESUMES = (ev.Reopened, ev.ValidationRejected)


@frozen
class LateAcknowledgement:
    """An escalation whose acceptance came after the target tier's ``acknowledge_within``."""

    case_id: str
    tier: str
    escalated_at: datetime
    due: datetime
    accepted_at: datetime | None
    late_by: timedelta
    """Calendar time past ``due``: until acceptance, the escalation's end, or the window's end."""
    outcome: str
    """``accepted``, ``waiting`` (at the window's end) or ``ended`` (never accepted)."""


@frozen
class MissedUpdate:
    """A breached cycle of an accepted escalation's update clock (the client was not updated
    within the tier's ``update_every``)."""

    case_id: str
    tier: str
    cycle: int
    due: datetime
    stopped_at: datetime | None
    """The next update (or the escalation's end); ``None``: still open at the window's end."""
    late_by: timedelta


@frozen
class UnownedEscalation:
    """An escalation nobody in its target tier had accepted at the window's end."""

    case_id: str
    tier: str
    since: datetime
    waiting: timedelta
    due: datetime | None
    """When acceptance was due (``None``: the tier has left the policy)."""
    overdue: bool


@frozen
class PingPongCase:
    """A case bounced between tiers: flagged by anti-flapping, or back in a tier twice or
    more. One row per case: its latest such episode in the window."""

    case_id: str
    at: datetime
    tier: str
    path: tuple[str, ...]
    bounces: int
    owner: str | None
    """Who holds the case: the process owner of a flagged case, else the escalation's owner
    (or the assignee while the escalation waits)."""
    flagged: bool


@frozen
class AuditSummary:
    """Headline counts of an escalation audit."""

    cases: int
    escalations: int
    deescalations: int
    late_acknowledgements: int
    missed_updates: int
    unowned: int
    unowned_overdue: int
    ping_pong: int
    flagged: int
    breaches: int


@frozen
class EscalationAudit:
    """What the escalation log shows for ``[start, end)`` (see the module doc)."""

    start: datetime
    end: datetime
    cases: int
    """Case histories read (excluding those closed before the window)."""
    escalations: int
    deescalations: int
    late_acknowledgements: tuple[LateAcknowledgement, ...]
    missed_updates: tuple[MissedUpdate, ...]
    unowned: tuple[UnownedEscalation, ...]
    ping_pong: tuple[PingPongCase, ...]
    held: Mapping[str, timedelta] = field(factory=ReadOnlyMap, converter=read_only)
    """Calendar time each tier held cases within the window (every policy tier listed)."""
    breaches: Mapping[tuple[str, str], int] = field(factory=ReadOnlyMap, converter=read_only)
    """Breaches by (tier, metric): SLA metrics and escalation clocks alike."""

    def summary(self) -> AuditSummary:
        """The headline counts."""
        return AuditSummary(
            cases=self.cases,
            escalations=self.escalations,
            deescalations=self.deescalations,
            late_acknowledgements=len(self.late_acknowledgements),
            missed_updates=len(self.missed_updates),
            unowned=len(self.unowned),
            unowned_overdue=sum(1 for u in self.unowned if u.overdue),
            ping_pong=len(self.ping_pong),
            flagged=sum(1 for p in self.ping_pong if p.flagged),
            breaches=sum(self.breaches.values()),
        )

    def to_dict(self) -> dict[str, Any]:
        """The audit as JSON-ready data: instants in ISO 8601 (UTC), durations in seconds."""
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "summary": _plain(self.summary()),
            "late_acknowledgements": [_plain(r) for r in self.late_acknowledgements],
            "missed_updates": [_plain(r) for r in self.missed_updates],
            "unowned": [_plain(r) for r in self.unowned],
            "ping_pong": [_plain(r) for r in self.ping_pong],
            "held_seconds": {tier: held.total_seconds() for tier, held in self.held.items()},
            "breaches": [
                {"tier": tier, "metric": metric, "count": count}
                for (tier, metric), count in self.breaches.items()
            ],
        }


def audit_escalations(
    histories: Iterable[Sequence[ev.Event]], policy: Policy, start: datetime, end: datetime
) -> EscalationAudit:
    """Audit the escalations in ``histories`` (each one case's events, in order) for the
    window ``[start, end)`` under ``policy``; see the module doc for each section."""
    start = require_aware(start, "audit_escalations(start)")
    end = require_aware(end, "audit_escalations(end)")
    problems = []
    if not policy.escalation.tiers:
        problems.append("the policy declares no escalation tiers (escalation is off)")
    if start >= end:
        problems.append(f"start ({iso(start)}) must be before end ({iso(end)})")
    if problems:
        raise ValidationError("cannot audit escalations", problems)
    tally = _Tally(policy, start, end)
    for history in histories:
        tally.case(history)
    return tally.result()


class _Tally:
    """The audit's rows and totals while the cases are read, one at a time."""

    def __init__(self, policy: Policy, start: datetime, end: datetime) -> None:
        self.policy = policy
        self.start = start
        self.end = end
        self.cases = 0
        self.escalations = 0
        self.deescalations = 0
        self.late: list[LateAcknowledgement] = []
        self.missed: list[MissedUpdate] = []
        self.unowned: list[UnownedEscalation] = []
        self.ping_pong: list[PingPongCase] = []
        self.held: dict[str, timedelta] = {t.name: timedelta(0) for t in policy.escalation.tiers}
        self.breaches: dict[tuple[str, str], int] = {}

    def within(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def case(self, history: Sequence[ev.Event]) -> None:
        """Add one case's rows and totals."""
        events = [e for e in history if e.at < self.end]
        if not events or not isinstance(events[0], ev.Submitted):
            return
        last = events[-1]
        if isinstance(last, _FINISHED) and last.at < self.start:
            return  # over before the window: nothing of it falls inside
        self.cases += 1
        case_id = events[0].case_id
        replay = _Replay(self, case_id)
        for event in events:
            replay.apply(event)
        case = replay.case
        assert case is not None
        replay.close_stint(self.end)
        clocks = escalation_clocks(events, self.policy, self.end)
        sla = sla_report(case_id, events, self.policy, self.end)
        for clock in (*sla.clocks, *(c.report for c in clocks)):
            if clock.status == _BREACHED and clock.due is not None and self.within(clock.due):
                key = (replay.tier_at(clock.due), clock.metric)
                self.breaches[key] = self.breaches.get(key, 0) + 1
        for tier_clock in clocks:
            clock = tier_clock.report
            if clock.metric == ACCEPTANCE:
                self.acceptance(case_id, tier_clock.tier, clock, replay.accepted)
            elif clock.metric == UPDATE:
                self.update(case_id, tier_clock.tier, clock)
        self.awaiting(case, _acceptance_cycles(clocks))
        pinged = replay.pinged
        if pinged is not None:
            escalation = case.escalation
            if not pinged.flagged and escalation is not None and escalation.path == pinged.path:
                pinged = evolve_attrs(pinged, owner=escalation.owner or case.assignee)
            self.ping_pong.append(pinged)

    def acceptance(
        self, case_id: str, tier: str, clock: ClockReport, accepted: Mapping[datetime, datetime]
    ) -> None:
        if clock.status != _BREACHED or clock.due is None or not self.within(clock.due):
            return
        accepted_at = accepted.get(clock.started_at)
        if accepted_at is not None:
            outcome, until = ACCEPTED_LATE, accepted_at
        elif clock.stopped_at is not None:
            outcome, until = ENDED_UNACCEPTED, clock.stopped_at
        else:
            outcome, until = STILL_WAITING, self.end
        self.late.append(
            LateAcknowledgement(
                case_id=case_id,
                tier=tier,
                escalated_at=clock.started_at,
                due=clock.due,
                accepted_at=accepted_at,
                late_by=until - clock.due,
                outcome=outcome,
            )
        )

    def update(self, case_id: str, tier: str, clock: ClockReport) -> None:
        if clock.status != _BREACHED or clock.due is None or not self.within(clock.due):
            return
        until = clock.stopped_at if clock.stopped_at is not None else self.end
        self.missed.append(
            MissedUpdate(
                case_id=case_id,
                tier=tier,
                cycle=clock.cycle,
                due=clock.due,
                stopped_at=clock.stopped_at,
                late_by=until - clock.due,
            )
        )

    def awaiting(self, case: Case, acceptance: Mapping[datetime, ClockReport]) -> None:
        escalation = case.escalation
        if escalation is None or escalation.status != AWAITING or case.state not in OPEN_STATES:
            return
        clock = acceptance.get(escalation.since)
        due = clock.due if clock is not None else None
        self.unowned.append(
            UnownedEscalation(
                case_id=case.id,
                tier=escalation.tier,
                since=escalation.since,
                waiting=self.end - escalation.since,
                due=due,
                overdue=clock is not None and clock.status == _BREACHED,
            )
        )

    def result(self) -> EscalationAudit:
        return EscalationAudit(
            start=self.start,
            end=self.end,
            cases=self.cases,
            escalations=self.escalations,
            deescalations=self.deescalations,
            late_acknowledgements=tuple(sorted(self.late, key=lambda r: (r.due, r.case_id))),
            missed_updates=tuple(sorted(self.missed, key=lambda r: (r.due, r.case_id))),
            unowned=tuple(sorted(self.unowned, key=lambda r: (r.since, r.case_id))),
            ping_pong=tuple(sorted(self.ping_pong, key=lambda r: (r.at, r.case_id))),
            held=self.held,
            breaches=dict(sorted(self.breaches.items(), key=self._breach_order)),
        )

    def _breach_order(self, item: tuple[tuple[str, str], int]) -> tuple[int, str, str]:
        (tier, metric), _ = item
        known = self.policy.escalation.tier(tier)
        return (known.level if known is not None else 1 << 30, tier, metric)


class _Replay:
    """One case's fold: its tier over time, its stints, acceptances and ping-pong."""

    def __init__(self, tally: _Tally, case_id: str) -> None:
        self.tally = tally
        self.case_id = case_id
        self.case: Case | None = None
        self.moved_at: list[datetime] = []
        self.tiers: list[str] = []
        self.stint: datetime | None = None
        self.escalated_at: datetime | None = None
        self.accepted: dict[datetime, datetime] = {}
        """When each escalation (by its instant) was accepted."""
        self.pinged: PingPongCase | None = None

    @property
    def tier(self) -> str:
        return self.tiers[-1]

    def apply(self, event: ev.Event) -> None:
        case = self.case = evolve(self.case, event)
        at, tally = event.at, self.tally
        if isinstance(event, ev.Submitted):
            self.arrive(at, _tier(case, tally.policy))
            self.stint = at
        elif isinstance(event, _MOVES):
            self.close_stint(at)
            self.arrive(at, _tier(case, tally.policy))
            self.stint = at
            inside = tally.within(at)
            if isinstance(event, ev.Escalated):
                self.escalated_at = at
                tally.escalations += 1 if inside else 0
            else:
                self.escalated_at = None
                tally.deescalations += 1 if inside else 0
            escalation = case.escalation
            if escalation is not None and escalation.bounces >= 2 and inside:
                self.ping(at, escalation.path, escalation.bounces, case.assignee, flagged=False)
        elif isinstance(event, _ENDS):
            self.close_stint(at)
        elif isinstance(event, _RESUMES) and self.stint is None:
            self.stint = at
        elif isinstance(event, ev.EscalationAccepted) and self.escalated_at is not None:
            self.accepted[self.escalated_at] = at
        elif isinstance(event, ev.PingPongFlagged) and tally.within(at):
            self.ping(at, event.path, event.bounces, event.owner, flagged=True)

    def arrive(self, at: datetime, tier: str) -> None:
        self.moved_at.append(at)
        self.tiers.append(tier)

    def close_stint(self, at: datetime) -> None:
        """End the running stint at ``at``, adding its part inside the window."""
        if self.stint is None:
            return
        tally = self.tally
        held = min(at, tally.end) - max(self.stint, tally.start)
        if held > timedelta(0):
            tally.held[self.tier] = tally.held.get(self.tier, timedelta(0)) + held
        self.stint = None

    def tier_at(self, moment: datetime) -> str:
        """The tier holding the case just after ``moment`` (a breach follows its due instant)."""
        return self.tiers[max(bisect_right(self.moved_at, moment) - 1, 0)]

    def ping(
        self, at: datetime, path: tuple[str, ...], bounces: int, owner: str | None, *, flagged: bool
    ) -> None:
        self.pinged = PingPongCase(
            case_id=self.case_id,
            at=at,
            tier=self.tier,
            path=path,
            bounces=bounces,
            owner=owner,
            flagged=flagged,
        )


def _acceptance_cycles(clocks: Iterable[TierClock]) -> dict[datetime, ClockReport]:
    """The acceptance cycles of a case's escalation clocks, by the instant each started."""
    return {c.report.started_at: c.report for c in clocks if c.report.metric == ACCEPTANCE}


def _tier(case: Case, policy: Policy) -> str:
    tier = tier_of(case, policy)
    assert tier is not None, "checked: the policy declares tiers"
    return tier


def _plain(row: object) -> dict[str, Any]:
    """A row's fields as JSON-ready values."""
    out: dict[str, Any] = asdict(row, recurse=False)  # type: ignore[arg-type]
    for name, value in out.items():
        if isinstance(value, datetime):
            out[name] = iso(value)
        elif isinstance(value, timedelta):
            out[name] = value.total_seconds()
        elif isinstance(value, tuple):
            out[name] = list(value)
    return out


__all__ = [
    "ACCEPTED_LATE",
    "ENDED_UNACCEPTED",
    "STILL_WAITING",
    "AuditSummary",
    "EscalationAudit",
    "LateAcknowledgement",
    "MissedUpdate",
    "PingPongCase",
    "UnownedEscalation",
    "audit_escalations",
]
