"""The running counts of one slice of a KPI report: how one case's facts, SLA clocks,
survey answers and quality reviews in the period add to its tally.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from attrs import define, field

from serviceflow.analytics._case_facts import NO_REQUESTER, CaseFacts
from serviceflow.analytics._distribution import Distribution
from serviceflow.analytics._kept_facts import Clock
from serviceflow.analytics._kpi_set import (
    AGE_BUCKETS,
    NO_SERVICE_LEVEL,
    Backlog,
    Compliance,
    KpiSet,
    Quality,
    Rate,
    Surveys,
    TimeMetric,
)
from serviceflow.core._calendar import BusinessCalendar
from serviceflow.domain import _events as ev
from serviceflow.domain.policy._sla import FIRST_RESPONSE, METRICS, RESOLUTION
from serviceflow.domain.policy._surveys import (
    CES,
    CSAT,
    CSAT_SATISFIED,
    NPS,
    NPS_DETRACTOR,
    NPS_PROMOTER,
)
from serviceflow.rules._sla import status_at

_LOGGED_METRICS = (FIRST_RESPONSE, RESOLUTION)
_NO_CASE = "no case in the period"
_UNDECIDED = "no SLA clock decided in the period"
_NOT_RESOLVED = "no case resolved in the period"
_NOT_SUBMITTED = "no case submitted in the period"


@define
class Tally:
    """The running KPI counts and distributions of one slice."""

    cases: int = 0
    submitted: int = 0
    resolved: int = 0
    closed: int = 0
    cancelled: int = 0
    times: dict[str, Distribution] = field(factory=dict)
    fcr: int = 0
    reopened: int = 0
    sla: dict[str, list[int]] = field(factory=dict)
    logged: dict[str, list[int]] = field(factory=dict)
    """Imported cases without a service level: the verdicts their log records."""
    levelled: bool = False
    escalatable: int = 0
    escalated: int = 0
    tier_time: dict[str, Distribution] = field(factory=dict)
    transfers: Distribution = field(factory=Distribution)
    transferred: int = 0
    repeat: int = 0
    unmeasured: int = 0
    """First responses in the period whose time the log cannot tell."""
    repeatable: int = 0
    """Submitted cases whose requester is known: only they can repeat one."""
    effort: Distribution = field(factory=Distribution)
    backlog_age: Distribution = field(factory=Distribution)
    buckets: list[int] = field(factory=lambda: [0] * len(AGE_BUCKETS))
    csat: list[int] = field(factory=lambda: [0, 0])
    nps: list[int] = field(factory=lambda: [0, 0, 0])
    ces: Distribution = field(factory=Distribution)
    qa_total: Distribution = field(factory=Distribution)
    qa_criteria: dict[str, list[float]] = field(factory=dict)

    def time(self, name: str) -> Distribution:
        found = self.times.get(name)
        if found is None:
            found = self.times[name] = Distribution()
        return found

    def result(self, verdicts: frozenset[str] = frozenset()) -> KpiSet:
        """The slice's KPIs; ``verdicts`` names the metrics an imported log records
        breaches of, whose logged clocks count (see ``logged_verdicts``)."""

        def metric(name: str, unmeasured: int = 0) -> TimeMetric:
            calendar, business = self.time(name).stats(), self.time(f"{name}:business").stats()
            return TimeMetric(calendar, business, unmeasured)

        sla = self.compliance(verdicts)
        return KpiSet(
            cases=self.cases,
            submitted=self.submitted,
            resolved=self.resolved,
            closed=self.closed,
            cancelled=self.cancelled,
            first_response=metric("first_response", self.unmeasured),
            resolution=metric("resolution"),
            full_resolution=metric("full_resolution"),
            fcr=Rate(self.fcr, self.resolved, _NOT_RESOLVED),
            reopened=Rate(self.reopened, self.resolved, _NOT_RESOLVED),
            sla=sla,
            sla_all=self.sla_all(sla),
            escalated=Rate(self.escalated, self.escalatable, self.unescalatable()),
            tier_time={tier: d.stats() for tier, d in sorted(self.tier_time.items())},
            transfers=self.transfers.stats(),
            transferred=Rate(self.transferred, self.resolved, _NOT_RESOLVED),
            repeat=Rate(
                self.repeat, self.repeatable, NO_REQUESTER if self.submitted else _NOT_SUBMITTED
            ),
            effort=self.effort.stats(),
            backlog=Backlog(
                self.backlog_age.count,
                self.backlog_age.stats(),
                tuple((label, n) for (label, _), n in zip(AGE_BUCKETS, self.buckets, strict=True)),
            ),
            surveys=Surveys(
                Rate(self.csat[0], self.csat[1], "no CSAT answer in the period"),
                self.nps[0],
                self.nps[1],
                self.nps[2],
                self.ces.stats(),
            ),
            quality=Quality(
                self.qa_total.count,
                self.qa_total.stats(),
                {name: total / n for name, (total, n) in sorted(self.qa_criteria.items())},
            ),
        )

    def compliance(self, verdicts: frozenset[str]) -> tuple[Compliance, ...]:
        """Each metric's clocks: the SLA engine's, and the log's where it records verdicts."""
        counts = {m: list(c) for m, c in self.sla.items()}
        for m in verdicts & self.logged.keys():
            known = counts.setdefault(m, [0, 0, 0])
            counts[m] = [a + b for a, b in zip(known, self.logged[m], strict=True)]
        return tuple(Compliance(m, *counts[m]) for m in _sla_order(counts) if sum(counts[m]))

    def sla_all(self, sla: tuple[Compliance, ...]) -> Rate:
        """Met out of decided over every metric; without any, why (no clock ever ran)."""
        met = sum(c.met for c in sla)
        decided = met + sum(c.breached for c in sla)
        if sla or self.levelled:
            reason = _UNDECIDED
        else:
            reason = NO_SERVICE_LEVEL if self.cases else _NO_CASE
        return Rate(met, decided, reason)

    def unescalatable(self) -> str:
        """Why no escalation rate: nothing submitted, or only cases imported without a support
        line (such an import records no escalations, so their count is not a measurement)."""
        return "imported cases record no escalations" if self.submitted else _NOT_SUBMITTED


def logged_verdicts(overall: Tally) -> frozenset[str]:
    """The metrics the period's imported log records a breach of: only there does a case
    without a recorded breach mean "met" rather than "never measured"."""
    return frozenset(m for m, (_, breached, _) in overall.logged.items() if breached)


def _sla_order(sla: Mapping[str, list[int]]) -> list[str]:
    known = [m for m in METRICS if m in sla]
    return known + sorted(m for m in sla if m not in METRICS)


class Window:
    """``[start, end)`` membership for instants."""

    __slots__ = ("end", "start")

    def __init__(self, start: datetime | None, end: datetime) -> None:
        self.start = start
        self.end = end

    def __contains__(self, at: datetime | None) -> bool:
        return at is not None and (self.start is None or at >= self.start) and at < self.end


class Repeats:
    """Whether a case repeats one from the same requester and category within the window.

    Cases arrive in submission order; entries older than the window are dropped now and
    then, so memory follows the requesters active within one window, not the whole log.
    """

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self.last: dict[tuple[str, str | None], datetime] = {}
        self.added = 0

    def seen(self, facts: CaseFacts) -> bool:
        if not facts.requester:
            return False  # imported without one: no repeat can be told
        key = (facts.requester, facts.category)
        at = facts.submitted_at
        previous = self.last.get(key)
        self.last[key] = at
        self.added += 1
        if self.added >= 10_000:
            self.added = 0
            horizon = at - self.window
            self.last = {k: v for k, v in self.last.items() if v >= horizon}
        return previous is not None and at - previous <= self.window


def count_case(
    tally: Tally,
    facts: CaseFacts,
    *,
    window: Window,
    durations: Durations,
    clocks: list[Clock] | None,
    repeated: bool,
) -> bool:
    """Add one case's facts to a slice's tally; whether anything of it was in the period."""
    submitted = facts.submitted_at
    counted = False
    if submitted in window:
        counted = True
        tally.submitted += 1
        tally.escalatable += not facts.imported or facts.tiers_logged
        if facts.escalations:
            tally.escalated += 1
        tally.repeatable += bool(facts.requester)
        if repeated:
            tally.repeat += 1
    if facts.first_response_at in window:
        counted = True
        if facts.response_logged:
            _duration(tally, "first_response", durations, facts.first_response_at)
        else:
            tally.unmeasured += 1
    if facts.first_resolved_at in window:
        counted = True
        tally.resolved += 1
        _duration(tally, "resolution", durations, facts.first_resolved_at)
        clean = not (facts.reopens or facts.transfers or facts.escalations or facts.follow_up)
        tally.fcr += clean
        tally.reopened += facts.reopens > 0
        tally.transfers.add(facts.transfers)
        tally.transferred += facts.transfers > 0
        tally.effort.add(facts.client_replies)
    if facts.is_resolved and facts.last_resolved_at in window:
        counted = True
        _duration(tally, "full_resolution", durations, facts.last_resolved_at)
    if facts.closed_at in window:
        counted = True
        tally.closed += 1
    if facts.ended_at in window and facts.state == "cancelled":
        counted = True
        tally.cancelled += 1
    if facts.is_open:
        counted = True
        age = window.end - submitted
        tally.backlog_age.add(age.total_seconds())
        tally.buckets[_bucket(age)] += 1
    for stint in facts.stints:
        until = stint.until if stint.until is not None else window.end
        if until in window or (stint.until is None and facts.is_open):
            counted = True
            held = tally.tier_time.get(stint.tier)
            if held is None:
                held = tally.tier_time[stint.tier] = Distribution()
            held.add((until - stint.since).total_seconds())
    counted |= _sla(tally, facts, window, clocks)
    return _surveys(tally, facts, window) or counted


class Durations:
    """A case's times from submission to an instant, wall-clock and business, each worked
    out once however many slices and metrics count it (business time is the costly one)."""

    __slots__ = ("business", "known", "start")

    def __init__(self, start: datetime, business: BusinessCalendar) -> None:
        self.start = start
        self.business = business
        self.known: dict[datetime, tuple[float, float]] = {}

    def until(self, stop: datetime) -> tuple[float, float]:
        found = self.known.get(stop)
        if found is None:
            calendar = (stop - self.start).total_seconds()
            business = self.business.between(self.start, stop).total_seconds()
            found = self.known[stop] = (calendar, business)
        return found


def _duration(tally: Tally, name: str, durations: Durations, stop: datetime | None) -> None:
    assert stop is not None
    calendar, business = durations.until(stop)
    tally.time(name).add(calendar)
    tally.time(f"{name}:business").add(business)


def _bucket(age: timedelta) -> int:
    for index, (_, bound) in enumerate(AGE_BUCKETS):
        if bound is None or age < bound:
            return index
    return len(AGE_BUCKETS) - 1


def _sla(
    tally: Tally,
    facts: CaseFacts,
    window: Window,
    clocks: list[Clock] | None,
) -> bool:
    """Count the case's SLA clock cycles that belong to the period.

    Under a service level, from the SLA engine (only targeted metrics have clocks). A case
    without one ran no clock: only an imported case's log verdicts are read, kept apart.
    """
    if clocks is not None:
        tally.levelled = True
        return _engine_clocks(tally.sla, clocks, window)
    if facts.imported:
        return _logged_clocks(tally.logged, facts, window)
    return False


def _engine_clocks(sla: dict[str, list[int]], clocks: list[Clock], window: Window) -> bool:
    """A met cycle belongs to the period it stopped in, a breached one to the period of its
    due instant; a running or paused one is open at the end."""
    counted = False
    for metric, kept, due, stopped in clocks:
        status = status_at(kept, due, window.end)
        if status == "met":
            hit = 0 if stopped in window else None
        elif status == "breached":
            hit = 1 if due in window else None
        else:
            hit = 2
        if hit is not None:
            sla.setdefault(metric, [0, 0, 0])[hit] += 1
            counted = True
    return counted


def _logged_clocks(logged: dict[str, list[int]], facts: CaseFacts, window: Window) -> bool:
    """First response and resolution as an imported log records them: breached when it
    recorded a breach, else met once done, else open."""
    counted = False
    breached = dict(facts.breaches)
    for metric in _LOGGED_METRICS:
        stop = facts.first_response_at if metric == FIRST_RESPONSE else facts.first_resolved_at
        if metric in breached:
            hit = 1 if breached[metric] in window else None
        elif stop is not None:
            hit = 0 if stop in window else None
        else:
            hit = 2 if facts.is_open else None
        if hit is not None:
            logged.setdefault(metric, [0, 0, 0])[hit] += 1
            counted = True
    return counted


def _surveys(tally: Tally, facts: CaseFacts, window: Window) -> bool:
    """Count the survey answers recorded in the period."""
    counted = False
    for survey in facts.surveys:
        if survey.at not in window:
            continue
        counted = True
        if survey.survey == CSAT:
            tally.csat[0] += survey.score >= CSAT_SATISFIED
            tally.csat[1] += 1
        elif survey.survey == NPS:
            promoter, detractor = survey.score >= NPS_PROMOTER, survey.score <= NPS_DETRACTOR
            tally.nps[0 if promoter else 2 if detractor else 1] += 1
        elif survey.survey == CES:
            tally.ces.add(survey.score)
    return counted


def count_review(
    tally: Tally,
    review: ev.QualityReviewed,
    window: Window,
    maxima: Mapping[str, Mapping[str, int]],
) -> bool:
    """Count a quality review recorded in the period (by agent: the reviewed agent's)."""
    if review.at not in window:
        return False
    tally.qa_total.add(review.total)
    limits = maxima.get(review.rubric, {})
    for name, points in review.scores.items():
        share = points / limits[name] if limits.get(name) else float(points)
        entry = tally.qa_criteria.setdefault(name, [0.0, 0])
        entry[0] += share
        entry[1] += 1
    return True
