"""Quality review rules: scoring a case's handling against a rubric, and who may review.

The total is ``Σ weight × points / max ÷ Σ weight × 100``, rounded to 0.1; a critical
criterion scored 0 makes it 0. Nobody reviews their own handling, and a reviewer scores a
case once per calibration session (or once outside sessions). All reviewers of a case in
one session use the same rubric on the same agent, so their scores can be compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from serviceflow.core._identity import same_actor
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import iso
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._quality import KINDS, Rubric
from serviceflow.errors import NotAuthorized, ValidationError
from serviceflow.rules._lifecycle import Subject, fire

READS = frozenset({ev.QualityReviewed.TYPE})
"""The past events ``decide_review`` reads: the reviews already recorded."""


def review_total(rubric: Rubric, scores: Mapping[str, int]) -> float:
    """The weighted score out of 100 (to 0.1); 0 when a critical criterion scored 0.

    ``scores`` must hold every criterion of ``rubric`` (``score_problems`` says so).
    """
    if any(c.critical and scores[c.name] == 0 for c in rubric.criteria):
        return 0.0
    weights = sum(c.weight for c in rubric.criteria)
    earned = sum(c.weight * scores[c.name] / c.max for c in rubric.criteria)
    return round(earned / weights * 100, 1)


def kind_totals(rubric: Rubric, scores: Mapping[str, int]) -> dict[str, float]:
    """The weighted score out of 100 (to 0.1) of each kind the rubric has (compliance, soft
    skills), without the critical rule: where a review won or lost its points."""
    totals: dict[str, float] = {}
    for kind in KINDS:
        criteria = [c for c in rubric.criteria if c.kind == kind]
        if criteria:
            weights = sum(c.weight for c in criteria)
            earned = sum(c.weight * scores[c.name] / c.max for c in criteria)
            totals[kind] = round(earned / weights * 100, 1)
    return totals


def score_problems(rubric: Rubric, scores: Mapping[str, int]) -> Iterator[str]:
    """Unknown criteria, criteria left out, and points outside 0 to the criterion's max."""
    names = ", ".join(c.name for c in rubric.criteria)
    for name in scores:
        if rubric.criterion(name) is None:
            yield f"scores.{name}: unknown criterion of rubric {rubric.name!r} (criteria: {names})"
    for criterion in rubric.criteria:
        points = scores.get(criterion.name)
        if points is None:
            yield (
                f"scores.{criterion.name}: missing (rubric {rubric.name!r} scores every "
                f"criterion: {names})"
            )
        elif not 0 <= points <= criterion.max:
            yield f"scores.{criterion.name}: {points} is outside 0..{criterion.max}"


def decide_review(
    case: Case, c: cmd.ReviewQuality, policy: Policy, now: datetime, past: Iterable[ev.Event]
) -> list[ev.Event]:
    """The ``QualityReviewed`` event of a review, with its total; refuses an unknown rubric,
    bad scores, no one to review, a self-review and a second review in the same session."""
    reviewer = c.by.strip()
    quality = policy.quality
    rubric = quality.rubric(c.rubric)
    problems: list[str] = []
    if not quality.rubrics:
        problems.append("rubric: the policy defines no QA rubrics ([[quality.rubrics]])")
    elif rubric is None:
        known = ", ".join(r.name for r in quality.rubrics)
        problems.append(f"rubric: expected one of {known}, got {c.rubric!r}")
    else:
        problems.extend(score_problems(rubric, c.scores))
    if c.agent is not None and not c.agent.strip():
        problems.append("agent: must not be blank (leave it out to review who resolved the case)")
    agent = (c.agent or "").strip() or case.resolved_by or case.assignee
    if agent is None:
        problems.append(
            f"agent: required: case {case.id} has no resolver nor assignee whose work to review"
        )
    if c.session is not None and not c.session.strip():
        problems.append("session: must not be blank (leave it out for a review outside sessions)")
    session = c.session.strip() if c.session is not None else None
    if problems:
        raise ValidationError(f"cannot review case {case.id}", problems)
    assert rubric is not None
    assert agent is not None
    if same_actor(agent, reviewer):
        raise NotAuthorized(
            reviewer,
            f"review their own handling of case {case.id}",
            "another reviewer (nobody reviews their own work)",
        )
    _check_session(case, reviewer, past, rubric=rubric.name, agent=agent, session=session)
    fire(Subject(case, policy, now), "review")
    return [
        ev.QualityReviewed(
            rubric=rubric.name,
            agent=agent,
            scores=dict(c.scores),
            total=review_total(rubric, c.scores),
            session=session,
            comment=c.comment,
            at=now,
            by=reviewer,
            policy=policy.version,
        )
    ]


def _check_session(
    case: Case,
    reviewer: str,
    past: Iterable[ev.Event],
    *,
    rubric: str,
    agent: str,
    session: str | None,
) -> None:
    """Once per reviewer and session; the same rubric and agent as the session's others."""
    where = f"in session {session!r}" if session is not None else "outside any session"
    problems: list[str] = []
    for event in past:
        if not isinstance(event, ev.QualityReviewed) or event.session != session:
            continue
        if same_actor(event.by, reviewer):
            problems.append(
                f"by: {reviewer} already reviewed case {case.id} {where} ({iso(event.at)}); "
                "a reviewer scores a case once per session"
            )
        if session is None:
            continue
        if event.rubric != rubric:
            problems.append(
                f"rubric: session {session!r} scores case {case.id} with rubric "
                f"{event.rubric!r} (its reviewers must use the same rubric to compare)"
            )
        if not same_actor(event.agent, agent):
            problems.append(
                f"agent: session {session!r} reviews {event.agent}'s handling of case "
                f"{case.id} (its reviewers must review the same agent to compare)"
            )
    if problems:
        raise ValidationError(f"cannot review case {case.id}", list(dict.fromkeys(problems)))
