"""The quarterly review's checks: training needs, workflow optimisation (improvement
cycles, stuck problems), and the escalation-log audit.
"""

from __future__ import annotations

from datetime import timedelta

from serviceflow.analytics._metrics import kpis
from serviceflow.analytics._scorecard import scorecards
from serviceflow.governance._check import Check, answered, in_minutes
from serviceflow.governance._period import Period
from serviceflow.improvement._service import Improvement
from serviceflow.problems._service import report as problem_report

PROBLEM_OPEN_FOR = timedelta(days=30)
"""A problem open longer than this is flagged by the quarterly review."""
BELOW_DESK = 0.10
"""An agent this far (10 points) below the desk's FCR or quality is flagged for training."""


def training(period: Period) -> Check:
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
    return answered(
        "training",
        "Which agents need coaching, by outcome and by quality?",
        findings,
        agents=len(cards),
        flagged=flagged,
    )


def workflow_optimisation(period: Period) -> Check:
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
            (f"problem {row.id} ({row.state}) open for {in_minutes(row.age.total_seconds())}", True)
        )
    return answered(
        "workflow optimisation",
        "What did improvement cycles try this quarter, and which problems are stuck?",
        findings,
        cycles=outcomes,
        stale_problems=[row.id for row in stale],
    )


def escalation_log(period: Period) -> Check:
    asks = "Was every escalation acknowledged, owned and updated, without ping-pong?"
    if not period.desk.policy.escalation.tiers:
        return answered(
            "escalation-log audit", asks, [("the policy has no escalation tiers", False)]
        )
    summary = period.desk.escalation_audit(period.start, period.end).summary()
    problems = [
        ("late acknowledgements", summary.late_acknowledgements),
        ("missed updates", summary.missed_updates),
        ("unowned escalations overdue", summary.unowned_overdue),
        ("ping-pong cases", summary.ping_pong),
    ]
    findings = [(f"{summary.escalations} escalations, {summary.deescalations} returned", False)]
    findings += [(f"{count} {name}", True) for name, count in problems if count]
    return answered(
        "escalation-log audit",
        asks,
        findings,
        **{name.replace(" ", "_").replace("-", "_"): count for name, count in problems},
        escalations=summary.escalations,
    )
