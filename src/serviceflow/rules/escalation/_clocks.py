"""The governance clocks of escalations: a pure fold of a case's events, like the SLA clocks.

- acceptance: starts when the case is escalated into a tier, stops when an owner accepts
  (or the case is flagged, resolved or ends); its target is the tier's ``acknowledge_within``;
- escalation update: while an accepted escalation is open, the client must hear from the
  desk every ``update_every`` of the tier; restarts at every public message, pauses while
  waiting on the client;
- timeline: from acceptance to the resolution time the owner committed to (calendar time);
- handoff (OLA): while a tier holds the case (from its arrival until it leaves, or the case
  is resolved), the tier's ``handoff_within``; pauses while waiting on the client.

Each cycle knows the tier it is charged to. Warnings and breaches are recorded by ``tick``
as SLA events with these metric names, and may themselves escalate further (policy rules).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from attrs import frozen

from serviceflow.core._calendar import BusinessCalendar
from serviceflow.domain import _events as ev
from serviceflow.domain._case import ACCEPTED, Case
from serviceflow.domain._states import WAITING_ON_CLIENT
from serviceflow.domain.policy._escalation import ACCEPTANCE, CLOCKS, HANDOFF, TIMELINE, UPDATE
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._sla import MetricTarget
from serviceflow.rules._evolve import evolve
from serviceflow.rules._sla import ClockReport, Cycle, Timer, clock_report, clock_timers

_PUBLIC = (ev.Acknowledged, ev.Replied, ev.InfoRequested, ev.EscalationAccepted)
_STOPS = (ev.PingPongFlagged, ev.Resolved, ev.Closed, ev.Cancelled, ev.Merged)
_RESTARTS = (*_PUBLIC, ev.Reopened, ev.ValidationRejected)
_PAUSED = (WAITING_ON_CLIENT,)


@frozen
class TierClock:
    """One cycle of one escalation clock, and the tier it is charged to."""

    tier: str
    report: ClockReport


class _Running:
    """A cycle with its target and calendar while the events are folded."""

    __slots__ = ("calendar", "cycle", "target", "tier")

    def __init__(
        self, tier: str, cycle: Cycle, target: MetricTarget, calendar: BusinessCalendar
    ) -> None:
        self.tier = tier
        self.cycle = cycle
        self.target = target
        self.calendar = calendar


class _Ledger:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.clocks: dict[str, list[_Running]] = {metric: [] for metric in CLOCKS}
        self.case: Case | None = None

    def apply(self, event: ev.Event) -> None:
        before = self.case.state if self.case is not None else None
        case = self.case = evolve(self.case, event)
        at = event.at
        if isinstance(event, ev.Escalated | ev.Deescalated):
            self.stop_all(at)
            if isinstance(event, ev.Escalated):
                self.start(ACCEPTANCE, event.to_tier, at, case.state)
            self.start(HANDOFF, event.to_tier, at, case.state)
        elif isinstance(event, _STOPS):
            self.stop_all(at)
        elif isinstance(event, ev.SlaWarned | ev.SlaBreached) and event.metric in self.clocks:
            self.mark(event)
        if isinstance(event, ev.EscalationAccepted):
            self.stop(ACCEPTANCE, at)
            self.start(TIMELINE, event.tier, at, case.state, until=event.timeline)
        if isinstance(event, _RESTARTS):
            self.stop(UPDATE, at)
            escalation = case.escalation
            if (
                escalation is not None
                and escalation.status == ACCEPTED
                and case.resolved_at is None
            ):
                self.start(UPDATE, escalation.tier, at, case.state)
        if case.state != before:
            for running in self.clocks.values():
                if running and running[-1].cycle.stopped is None:
                    self.pause_or_resume(running[-1], at, case.state)

    def start(
        self, metric: str, tier_name: str, at: datetime, state: str, until: datetime | None = None
    ) -> None:
        tier = self.policy.escalation.tier(tier_name)
        if tier is None:
            return
        within = {
            ACCEPTANCE: tier.acknowledge_within,
            UPDATE: tier.update_every,
            HANDOFF: tier.handoff_within,
            TIMELINE: until - at if until is not None else None,
        }[metric]
        if within is None or within.total_seconds() <= 0:
            return
        calendar_time = metric == TIMELINE
        pauses = _PAUSED if metric in (UPDATE, HANDOFF) else ()
        target = MetricTarget(
            within=within,
            time="calendar" if calendar_time else "business",
            warnings=tier.warnings,
            pause_in=pauses,
        )
        calendar = self.policy.calendar_map[tier.calendar]
        cycles = self.clocks[metric]
        number = cycles[-1].cycle.cycle + 1 if cycles else 1
        running = _Running(tier.name, Cycle(number, at), target, calendar)
        cycles.append(running)
        if state in pauses:
            running.cycle.pause(at, state)

    def stop(self, metric: str, at: datetime) -> None:
        cycles = self.clocks[metric]
        if cycles:
            cycles[-1].cycle.stop(at)

    def stop_all(self, at: datetime) -> None:
        for metric in self.clocks:
            self.stop(metric, at)

    def mark(self, event: ev.SlaWarned | ev.SlaBreached) -> None:
        for running in self.clocks[event.metric]:
            if running.cycle.cycle == event.cycle:
                if isinstance(event, ev.SlaWarned):
                    running.cycle.warned.add(event.threshold)
                else:
                    running.cycle.breached = True

    @staticmethod
    def pause_or_resume(running: _Running, at: datetime, state: str) -> None:
        if state in (running.target.pause_in or ()):
            running.cycle.pause(at, state)
        else:
            running.cycle.resume(at)


def _reports(
    events: Iterable[ev.Event], policy: Policy, now: datetime
) -> list[tuple[_Running, ClockReport]]:
    """Every cycle of every escalation clock at ``now``, with its target and calendar."""
    if not policy.escalation.tiers:
        return []
    ledger = _Ledger(policy)
    for event in events:
        ledger.apply(event)
    return [
        (
            running,
            clock_report(
                metric, running.cycle, running.target, running.calendar, now, explain=False
            ),
        )
        for metric, cycles in ledger.clocks.items()
        for running in cycles
    ]


def escalation_clocks(events: Iterable[ev.Event], policy: Policy, now: datetime) -> list[TierClock]:
    """Every cycle of every escalation clock of a case at ``now``, with its tier."""
    return [TierClock(running.tier, report) for running, report in _reports(events, policy, now)]


def escalation_timers(events: Iterable[ev.Event], policy: Policy, now: datetime) -> list[Timer]:
    """The warning and breach moments of the escalation clocks still to record."""
    return [
        timer
        for running, report in _reports(events, policy, now)
        for timer in clock_timers(report, running.target, running.calendar)
    ]
