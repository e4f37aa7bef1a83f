"""The weekly review's checks: quality audits, and recurring issues (repeat cases, problem
candidates, incidents that match an open problem).
"""

from __future__ import annotations

from serviceflow.analytics._kpi_set import Rate
from serviceflow.governance._check import Check, answered
from serviceflow.governance._period import PERIODS, Period
from serviceflow.problems._service import problem_candidates, unlinked_incidents
from serviceflow.problems._service import report as problem_report

REPEATS = 0.10
"""A repeat-issue rate above this (10 %) is flagged."""


def quality_audits(period: Period) -> Check:
    quality = period.report.overall.quality
    findings = [(f"{quality.reviews} quality reviews in the period", quality.reviews == 0)]
    if quality.total.mean is not None:
        findings.append((f"mean score {quality.total.mean:.1f} / 100", False))
    weakest = sorted(quality.criteria.items(), key=lambda item: item[1])[:3]
    for name, share in weakest:
        findings.append((f"criterion {name}: {share:.0%} of its points on average", share < 0.7))
    return answered(
        "quality audits",
        "Were cases reviewed against the rubric, and where do they fall short?",
        findings,
        reviews=quality.reviews,
        mean=quality.total.mean,
        criteria=dict(quality.criteria),
    )


def recurring_issues(period: Period) -> Check:
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
    return answered(
        "recurring issues",
        "What keeps coming back, and is a problem record open for it?",
        findings,
        repeat_rate=repeat.value,
        candidates=[list(c.case_ids) for c in candidates],
        unlinked={u.problem_id: list(u.case_ids) for u in unlinked},
        open_problems=len(problems.open),
    )


def _share(rate: Rate) -> str:
    return (
        f"{rate.value:.0%} ({rate.numerator} of {rate.denominator})"
        if rate.value is not None
        else "no data"
    )
