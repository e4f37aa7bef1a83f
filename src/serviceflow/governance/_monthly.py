"""The monthly review's checks: KPIs against the month before, and SOP updates (decided
improvement cycles, the policy in force, articles due or flagged).
"""

from __future__ import annotations

from datetime import datetime

from serviceflow.analytics._kpi_set import KpiSet
from serviceflow.analytics._metrics import kpis
from serviceflow.eventlog._policy_log import version_in_force
from serviceflow.governance._check import Check, answered, in_minutes
from serviceflow.governance._period import PERIODS, Period
from serviceflow.improvement._service import Improvement
from serviceflow.knowledge._article import DRAFT, IN_REVIEW, PUBLISHED, REVIEW_DUE, Article
from serviceflow.knowledge._service import Knowledge

DRIFT = 0.05
"""A rate that moved by more than this (5 points) from the month before is flagged."""


def month_kpis(period: Period) -> Check:
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
        text = f"resolution p90 {in_minutes(p90)} (business)"
        slower = earlier_p90 is not None and p90 > earlier_p90 * (1 + 2 * DRIFT)
        if earlier_p90 is not None:
            text += f", {in_minutes(earlier_p90)} the month before"
        findings.append((text, slower))
    return answered(
        "KPIs",
        "How did the month go against the month before?",
        findings,
        **{name.lower().replace(" ", "_"): value for name, value, _, _ in rows},
        resolution_p90_seconds=p90,
    )


def sop_updates(period: Period) -> Check:
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
    return answered(
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


def _sla(k: KpiSet) -> float | None:
    met = sum(c.met for c in k.sla)
    decided = met + sum(c.breached for c in k.sla)
    return met / decided if decided else None
