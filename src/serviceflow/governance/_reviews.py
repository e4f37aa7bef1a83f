"""The service-governance calendar: daily, weekly, monthly and quarterly reviews.

Each review is the standard checklist of its cadence, every item answered from what the
library already computes (KPIs, SLA timers, scorecards, the escalation audit, problems,
the knowledge base, improvement cycles):

- daily: monitor requests, prioritise, timely responses;
- weekly: recurring issues, quality audits;
- monthly: KPIs against the month before, SOP updates;
- quarterly: training needs, workflow optimisation, the escalation-log audit.

A review covers the rolling period that ends at ``at`` (1, 7, 30 or 91 days). An item is
``attention`` when one of its findings calls for action, else ``ok``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from serviceflow.analytics._case_facts import CaseFacts, before, case_facts
from serviceflow.analytics._metrics import KpiReport, KpiSet, Rate, decoded, kpis
from serviceflow.analytics._scorecard import scorecards
from serviceflow.clock import require_aware
from serviceflow.core._duration import format_duration
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import iso
from serviceflow.domain._states import OPEN_STATES, PRIORITIZED
from serviceflow.errors import ValidationError
from serviceflow.eventlog._policy_log import version_in_force
from serviceflow.improvement._service import Improvement
from serviceflow.knowledge._article import DRAFT, IN_REVIEW, PUBLISHED, REVIEW_DUE, Article
from serviceflow.knowledge._service import Knowledge
from serviceflow.problems._service import problem_candidates, unlinked_incidents
from serviceflow.problems._service import report as problem_report
from serviceflow.rules._sla import report as sla_report

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

PERIODS = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=30),
    "quarterly": timedelta(days=91),
}
"""Each cadence and the rolling period its review covers."""

UNTRIAGED_STATES = ("intake", "classified")
"""States in which a case still waits to be prioritised."""
TRIAGE_WITHIN = timedelta(hours=1)
"""How long a case may wait for triage before the daily review flags it."""
AT_RISK_WITHIN = timedelta(hours=4)
"""How far ahead the daily review looks for SLA breaches to come."""
DRIFT = 0.05
"""A rate that moved by more than this (5 points) from the month before is flagged."""
REPEATS = 0.10
"""A repeat-issue rate above this (10 %) is flagged."""
PROBLEM_OPEN_FOR = timedelta(days=30)
"""A problem open longer than this is flagged by the quarterly review."""
BELOW_DESK = 0.10
"""An agent this far (10 points) below the desk's FCR or quality is flagged for training."""


@frozen
class Check:
    """One checklist item: what it asks, whether it needs attention, and why."""

    item: str
    asks: str
    status: str
    findings: tuple[str, ...]
    figures: Mapping[str, Any] = field(factory=ReadOnlyMap, converter=read_only)
    """The numbers behind the findings, as plain JSON-ready values."""


@frozen
class Review:
    """A cadence's checklist answered for ``[start, end)``."""

    cadence: str
    start: datetime
    end: datetime
    checks: tuple[Check, ...]

    @property
    def attention(self) -> tuple[Check, ...]:
        """The items that call for action."""
        return tuple(c for c in self.checks if c.status == "attention")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "cadence": self.cadence,
            "start": iso(self.start),
            "end": iso(self.end),
            "checks": [
                {
                    "item": c.item,
                    "asks": c.asks,
                    "status": c.status,
                    "findings": list(c.findings),
                    "figures": dict(c.figures),
                }
                for c in self.checks
            ],
        }


class _Period:
    """What every check of one review reads, worked out once."""

    def __init__(self, desk: ServiceDesk, cadence: str, end: datetime) -> None:
        self.desk = desk
        self.cadence = cadence
        self.end = end
        self.start = end - PERIODS[cadence]
        self._report: KpiReport | None = None

    @property
    def report(self) -> KpiReport:
        if self._report is None:
            self._report = kpis(self.desk, start=self.start, end=self.end, by="priority")
        return self._report

    @cached_property
    def open_cases(self) -> list[tuple[CaseFacts, list[ev.Event]]]:
        """The cases open at the end of the period, as their events then said (a past
        review sees the past, not the cases as they are now)."""
        end = iso(self.end)
        histories = self.desk.store.histories(
            submitted_before=end, updated_since=end, or_states=OPEN_STATES
        )
        found = []
        for events in decoded(histories):
            history = list(before(events, self.end))
            if history:
                facts = case_facts(history)
                if facts.is_open:
                    found.append((facts, history))
        return found


def review(desk: ServiceDesk, cadence: str, *, at: datetime | None = None) -> Review:
    """The ``cadence`` review of ``desk`` for the period ending at ``at`` (default: now)."""
    if cadence not in PERIODS:
        raise ValidationError(
            "governance review", [f"cadence: {cadence!r} is not one of {', '.join(PERIODS)}"]
        )
    end = require_aware(at, "review(at)") if at is not None else desk.clock.now()
    period = _Period(desk, cadence, end)
    checks = tuple(check(period) for check in CHECKLIST[cadence])
    return Review(cadence, period.start, end, checks)


def _check(item: str, asks: str, findings: list[tuple[str, bool]], **figures: Any) -> Check:
    """A check from its findings, each with whether it calls for action."""
    status = "attention" if any(flag for _, flag in findings) else "ok"
    return Check(item, asks, status, tuple(text for text, _ in findings), figures)


# --- daily -----------------------------------------------------------------------------


def _monitor_requests(period: _Period) -> Check:
    k = period.report.overall
    backlog = {name: s.backlog.open for name, s in period.report.slices.items()}
    oldest = k.backlog.age.maximum
    findings = [
        (f"{k.submitted} submitted, {k.resolved} resolved, {k.closed} closed in the period", False),
        (
            f"{k.backlog.open} open" + (f", the oldest {_duration(oldest)}" if oldest else ""),
            False,
        ),
    ]
    if k.submitted > k.resolved + k.cancelled and k.submitted:
        findings.append(("the backlog grew: more came in than was resolved", True))
    return _check(
        "monitor requests",
        "What came in, what is open, and is the backlog under control?",
        findings,
        submitted=k.submitted,
        resolved=k.resolved,
        open=k.backlog.open,
        oldest_seconds=oldest,
        open_by_priority=backlog,
    )


def _prioritise(period: _Period) -> Check:
    waiting = [f for f, _ in period.open_cases if f.state in UNTRIAGED_STATES]
    late = [f for f in waiting if period.end - f.submitted_at > TRIAGE_WITHIN]
    unassigned = sum(1 for f, _ in period.open_cases if f.state == PRIORITIZED)
    findings = [
        (f"{len(waiting)} waiting for triage, {unassigned} prioritised but unassigned", False)
    ]
    if late:
        ids = ", ".join(f.case_id for f in late[:5]) + (" …" if len(late) > 5 else "")
        findings.append(
            (f"{len(late)} waited over {format_duration(TRIAGE_WITHIN)} for triage: {ids}", True)
        )
    return _check(
        "prioritise",
        "Is every request classified and prioritised, and routed?",
        findings,
        untriaged=len(waiting),
        untriaged_late=len(late),
        unassigned=unassigned,
    )


def _timely_responses(period: _Period) -> Check:
    k = period.report.overall
    first = k.first_response.calendar
    compliance = k.compliance("first_response")
    at_risk, overdue = _clocks_at_risk(period)
    findings = [
        (
            f"first response: {first.count} in the period"
            + (f", p90 {_duration(first.p90)}" if first.p90 else ""),
            False,
        )
    ]
    rate = compliance.rate if compliance is not None else None
    if compliance is not None and rate is not None:
        findings.append(
            (
                f"first-response SLA met {compliance.met} of "
                f"{compliance.met + compliance.breached}",
                compliance.breached > 0,
            )
        )
    if overdue:
        findings.append((f"{len(overdue)} open cases past an SLA target: {_ids(overdue)}", True))
    if at_risk:
        findings.append(
            (
                f"{len(at_risk)} cases breach an SLA within "
                f"{format_duration(AT_RISK_WITHIN)}: {_ids(at_risk)}",
                True,
            )
        )
    return _check(
        "timely responses",
        "Are clients answered within their targets, and which cases are about to breach?",
        findings,
        first_responses=first.count,
        first_response_p90_seconds=first.p90,
        first_response_sla=rate,
        at_risk=at_risk,
        overdue=overdue,
    )


def _clocks_at_risk(period: _Period) -> tuple[list[str], list[str]]:
    """Open cases with a running SLA clock due within ``AT_RISK_WITHIN`` of the end, and
    those with one already past its target, as the SLA engine saw them then."""
    horizon = period.end + AT_RISK_WITHIN
    at_risk, overdue = set(), set()
    for facts, history in period.open_cases:
        if facts.level is None:
            continue
        for clock in sla_report(facts.case_id, history, period.desk.policy, period.end).clocks:
            if clock.status == "breached" and clock.stopped_at is None:
                overdue.add(facts.case_id)
            elif clock.status == "running" and clock.due is not None and clock.due <= horizon:
                at_risk.add(facts.case_id)
    return sorted(at_risk - overdue), sorted(overdue)


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")


# --- weekly ----------------------------------------------------------------------------


def _quality_audits(period: _Period) -> Check:
    quality = period.report.overall.quality
    findings = [(f"{quality.reviews} quality reviews in the period", quality.reviews == 0)]
    if quality.total.mean is not None:
        findings.append((f"mean score {quality.total.mean:.1f} / 100", False))
    weakest = sorted(quality.criteria.items(), key=lambda item: item[1])[:3]
    for name, share in weakest:
        findings.append((f"criterion {name}: {share:.0%} of its points on average", share < 0.7))
    return _check(
        "quality audits",
        "Were cases reviewed against the rubric, and where do they fall short?",
        findings,
        reviews=quality.reviews,
        mean=quality.total.mean,
        criteria=dict(quality.criteria),
    )


def _recurring_issues(period: _Period) -> Check:
    repeat = period.report.overall.repeat
    window = PERIODS["weekly"]
    candidates = problem_candidates(period.desk, window=window, now=period.end)
    unlinked = unlinked_incidents(period.desk, window=window, now=period.end)
    problems = problem_report(period.desk, period.end)
    findings = [
        (
            f"repeat issues: {_share(repeat)} of the cases submitted came back from the same "
            "requester and category"
            if repeat.value is not None
            else "repeat issues: no case submitted in the period",
            bool(repeat.value and repeat.value > REPEATS),
        ),
        (
            f"{len(problems.open)} open problems, "
            f"{problems.incidents_linked_open} incidents linked to them",
            False,
        ),
    ]
    findings += [(match.advice, True) for match in unlinked[:5]]
    for candidate in candidates[:5]:
        about = candidate.fingerprint.category or "any category"
        terms = ", ".join(sorted(candidate.fingerprint.terms)[:5])
        findings.append(
            (
                f"{candidate.size} similar incidents ({about}: {terms}) suggest a problem: "
                + ", ".join(candidate.case_ids[:5]),
                True,
            )
        )
    return _check(
        "recurring issues",
        "What keeps coming back, and is a problem record open for it?",
        findings,
        repeat_rate=repeat.value,
        candidates=[list(c.case_ids) for c in candidates],
        unlinked={u.problem_id: list(u.case_ids) for u in unlinked},
        open_problems=len(problems.open),
    )


# --- monthly ---------------------------------------------------------------------------


def _kpis(period: _Period) -> Check:
    now = period.report.overall
    before = kpis(
        period.desk, start=period.start - PERIODS["monthly"], end=period.start, by=None
    ).overall
    rows: list[tuple[str, float | None, float | None, bool]] = [
        ("FCR", now.fcr.value, before.fcr.value, True),
        ("reopen rate", now.reopened.value, before.reopened.value, False),
        ("CSAT", now.surveys.csat.value, before.surveys.csat.value, True),
        ("SLA compliance", _sla(now), _sla(before), True),
    ]
    findings = []
    for name, value, earlier, higher_is_better in rows:
        if value is None:
            findings.append((f"{name}: no data", False))
            continue
        text = f"{name} {value:.0%}"
        worse = False
        if earlier is not None:
            delta = value - earlier
            text += f" ({delta:+.0%} on the month before)"
            worse = (delta < -DRIFT) if higher_is_better else (delta > DRIFT)
        findings.append((text, worse))
    p90, earlier_p90 = now.resolution.business.p90, before.resolution.business.p90
    if p90 is not None:
        text = f"resolution p90 {_duration(p90)} (business)"
        slower = earlier_p90 is not None and p90 > earlier_p90 * (1 + 2 * DRIFT)
        if earlier_p90 is not None:
            text += f", {_duration(earlier_p90)} the month before"
        findings.append((text, slower))
    return _check(
        "KPIs",
        "How did the month go against the month before?",
        findings,
        **{name.lower().replace(" ", "_"): value for name, value, _, _ in rows},
        resolution_p90_seconds=p90,
    )


def _duration(seconds: float) -> str:
    """A duration to the minute (or the second, under one)."""
    step = 60 if seconds >= 60 else 1
    return format_duration(timedelta(seconds=round(seconds / step) * step))


def _sop_updates(period: _Period) -> Check:
    desk = period.desk
    decided = [
        c
        for c in Improvement(desk).all()
        if c.decided_at is not None and period.start <= c.decided_at < period.end
    ]
    in_force = version_in_force(desk.store)
    findings = [
        (
            f"policy {desk.policy.version} in force"
            + ("" if in_force else ", as the desk was opened (no replacement recorded)"),
            False,
        )
    ]
    for cycle in decided:
        what = f"{cycle.id}: {cycle.decision}"
        if cycle.sop:
            what += f", SOP: {cycle.sop}"
        elif cycle.reason:
            what += f" ({cycle.reason})"
        findings.append((what, False))
    if not decided:
        findings.append(("no improvement cycle decided in the period", False))
    articles = Knowledge(desk)
    due = [a.id for a in articles.all() if _due(a, period.end)]
    flagged = [(e.article_id, e.flags) for e in articles.effectiveness() if e.flags]
    if due:
        findings.append((f"{len(due)} articles due for review: " + ", ".join(due[:5]), True))
    for article_id, flags in flagged[:5]:
        findings.append((f"article {article_id} flagged: {', '.join(flags)}", True))
    return _check(
        "SOP updates",
        "Which standards changed, and which articles need revising?",
        findings,
        policy=desk.policy.version,
        decided=[c.id for c in decided],
        articles_due=due,
        articles_flagged=[a for a, _ in flagged],
    )


def _due(article: Article, at: datetime) -> bool:
    """Due for review: raised by a tick already (in any state), or the cycle of its live
    text has passed by ``at``."""
    due = article.review_due_at
    live = article.state in (PUBLISHED, DRAFT, IN_REVIEW) and article.published is not None
    return (
        article.state == REVIEW_DUE
        or article.review_overdue
        or (live and due is not None and due <= at)
    )


def _workflow_optimisation(period: _Period) -> Check:
    cycles = [
        c
        for c in Improvement(period.desk).all()
        if period.start <= c.planned_at < period.end or c.decision is None
    ]
    outcomes: dict[str, int] = {}
    for cycle in cycles:
        outcome = cycle.decision or cycle.state
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    summary = ", ".join(f"{n} {name}" for name, n in sorted(outcomes.items()))
    findings = [
        (f"{len(cycles)} improvement cycles: {summary}", False)
        if cycles
        else ("no improvement cycle planned or running in the period", True)
    ]
    stale = [
        row for row in problem_report(period.desk, period.end).open if row.age > PROBLEM_OPEN_FOR
    ]
    for row in stale[:5]:
        findings.append(
            (f"problem {row.id} ({row.state}) open for {_duration(row.age.total_seconds())}", True)
        )
    return _check(
        "workflow optimisation",
        "What did improvement cycles try this quarter, and which problems are stuck?",
        findings,
        cycles=outcomes,
        stale_problems=[row.id for row in stale],
    )


def _sla(k: KpiSet) -> float | None:
    met = sum(c.met for c in k.sla)
    decided = met + sum(c.breached for c in k.sla)
    return met / decided if decided else None


def _share(rate: Rate) -> str:
    return (
        f"{rate.value:.0%} ({rate.numerator} of {rate.denominator})"
        if rate.value is not None
        else "no data"
    )


# --- quarterly -------------------------------------------------------------------------


def _training(period: _Period) -> Check:
    desk_kpi = period.report.overall
    cards = scorecards(kpis(period.desk, start=period.start, end=period.end, by="agent"))
    findings: list[tuple[str, bool]] = []
    flagged = []
    for card in cards:
        reasons = []
        fcr, desk_fcr = card.fcr.value, desk_kpi.fcr.value
        if fcr is not None and desk_fcr is not None and fcr < desk_fcr - BELOW_DESK:
            reasons.append(f"FCR {fcr:.0%} against the desk's {desk_fcr:.0%}")
        mean = desk_kpi.quality.total.mean
        if card.quality is not None and mean is not None and card.quality < mean - 100 * BELOW_DESK:
            reasons.append(f"quality {card.quality:.0f} against the desk's {mean:.0f}")
        if reasons:
            flagged.append(card.name)
            findings.append((f"{card.name}: " + "; ".join(reasons), True))
    if not flagged:
        findings.append((f"{len(cards)} agents, none well below the desk", False))
    return _check(
        "training",
        "Which agents need coaching, by outcome and by quality?",
        findings,
        agents=len(cards),
        flagged=flagged,
    )


def _escalation_log(period: _Period) -> Check:
    asks = "Was every escalation acknowledged, owned and updated, without ping-pong?"
    if not period.desk.policy.escalation.tiers:
        return _check("escalation-log audit", asks, [("the policy has no escalation tiers", False)])
    summary = period.desk.escalation_audit(period.start, period.end).summary()
    problems = [
        ("late acknowledgements", summary.late_acknowledgements),
        ("missed updates", summary.missed_updates),
        ("unowned escalations overdue", summary.unowned_overdue),
        ("ping-pong cases", summary.ping_pong),
    ]
    findings = [(f"{summary.escalations} escalations, {summary.deescalations} returned", False)]
    findings += [(f"{count} {name}", True) for name, count in problems if count]
    return _check(
        "escalation-log audit",
        asks,
        findings,
        **{name.replace(" ", "_").replace("-", "_"): count for name, count in problems},
        escalations=summary.escalations,
    )


CHECKLIST: dict[str, tuple[Callable[[_Period], Check], ...]] = {
    "daily": (_monitor_requests, _prioritise, _timely_responses),
    "weekly": (_recurring_issues, _quality_audits),
    "monthly": (_kpis, _sop_updates),
    "quarterly": (_training, _workflow_optimisation, _escalation_log),
}
"""Each cadence's checklist, in order."""
