"""Quality review rules: the weighted total, critical criteria, and who may review when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from serviceflow import InvalidTransition, NotAuthorized, ValidationError, load_policy
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.rules._decide import HISTORY_READS, decide
from serviceflow.rules._evolve import fold
from serviceflow.rules._quality import READS, kind_totals, review_total, score_problems

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = load_policy(
    """
    [[quality.rubrics]]
    name = "email"
    criteria = [
      { name = "verified", weight = 3, kind = "compliance", max = 1, critical = true },
      { name = "accurate", weight = 4, kind = "compliance", max = 5 },
      { name = "empathy", weight = 2, kind = "soft_skill", max = 5 },
    ]

    [[quality.rubrics]]
    name = "phone"
    criteria = [{ name = "courtesy", weight = 1, kind = "soft_skill", max = 10 }]
    """
)
EMAIL = POLICY.quality.rubrics[0]
GOOD = {"verified": 1, "accurate": 4, "empathy": 3}


def history(*, resolved: bool = True, assigned: bool = True) -> list[ev.Event]:
    def meta(minutes: int, by: str = "agent:kim") -> dict[str, Any]:
        return {"at": T0 + timedelta(minutes=minutes), "by": by, "policy": POLICY.version}

    events: list[ev.Event] = [
        ev.Submitted(
            case_id="C1",
            requester="jane@acme.test",
            channel="email",
            subject="Refund",
            tier="standard",
            **meta(0, "client:jane@acme.test"),
        )
    ]
    if assigned:
        events += [
            ev.Classified(category="billing", kind="incident", **meta(1)),
            ev.Prioritized(priority="high", rule="manual", reason="vip", **meta(2)),
            ev.Assigned(assignee="agent:kim", **meta(3, "lead:ana")),
            ev.Acknowledged(message="On it", **meta(4)),
        ]
    if assigned and resolved:
        events.append(ev.Resolved(resolution="Refunded", **meta(5, "agent:sam")))
    return events


def review(
    events: Sequence[ev.Event],
    by: str = "qa:lee",
    scores: Mapping[str, int] = GOOD,
    **options: Any,
) -> ev.QualityReviewed:
    case = fold(events)
    assert isinstance(case, Case)
    command = cmd.ReviewQuality(
        case_id="C1", by=by, rubric=options.pop("rubric", "email"), scores=scores, **options
    )
    (event,) = decide(case, command, POLICY, T0 + timedelta(days=1), history=events)
    assert isinstance(event, ev.QualityReviewed)
    return event


def test_the_total_is_the_weighted_share_of_points_out_of_100() -> None:
    # (3 × 1/1 + 4 × 4/5 + 2 × 3/5) / (3 + 4 + 2) × 100 = 7.4 / 9 × 100 = 82.2
    assert review_total(EMAIL, GOOD) == 82.2
    assert review_total(EMAIL, {"verified": 1, "accurate": 5, "empathy": 5}) == 100.0
    assert review_total(EMAIL, {"verified": 1, "accurate": 0, "empathy": 0}) == 33.3
    assert kind_totals(EMAIL, GOOD) == {"compliance": 88.6, "soft_skill": 60.0}


def test_a_critical_criterion_at_zero_fails_the_whole_review() -> None:
    perfect_but_unverified = {"verified": 0, "accurate": 5, "empathy": 5}
    assert review_total(EMAIL, perfect_but_unverified) == 0.0
    assert kind_totals(EMAIL, perfect_but_unverified) == {"compliance": 57.1, "soft_skill": 100.0}


def test_a_review_records_who_scored_whom_and_the_total() -> None:
    events = history()
    event = review(events, session="march", comment="Clear answer")
    assert event == ev.QualityReviewed(
        rubric="email",
        agent="agent:sam",
        scores=GOOD,
        total=82.2,
        session="march",
        comment="Clear answer",
        at=T0 + timedelta(days=1),
        by="qa:lee",
        policy=POLICY.version,
    )
    after = fold([event], fold(events))
    assert after is not None
    assert after.state == "resolved"
    assert HISTORY_READS[cmd.ReviewQuality] == READS == {"case.quality_reviewed"}


def test_the_agent_reviewed_is_who_resolved_else_the_assignee_else_given() -> None:
    assert review(history()).agent == "agent:sam"
    assert review(history(resolved=False)).agent == "agent:kim"
    assert review(history(), agent="agent:joe").agent == "agent:joe"
    with pytest.raises(ValidationError) as caught:
        review(history(assigned=False))
    assert caught.value.problems == (
        "agent: required: case C1 has no resolver nor assignee whose work to review",
    )
    assert review(history(assigned=False), agent="agent:kim").agent == "agent:kim"


def test_unknown_rubric_and_bad_scores_are_refused_with_every_problem() -> None:
    with pytest.raises(ValidationError) as unknown:
        review(history(), rubric="chat")
    assert unknown.value.problems == ("rubric: expected one of email, phone, got 'chat'",)
    with pytest.raises(ValidationError) as bad:
        review(history(), scores={"verified": 2, "empathy": -1, "speed": 3})
    assert bad.value.problems == (
        "scores.speed: unknown criterion of rubric 'email' (criteria: verified, accurate, empathy)",
        "scores.verified: 2 is outside 0..1",
        "scores.accurate: missing (rubric 'email' scores every criterion: verified, accurate, "
        "empathy)",
        "scores.empathy: -1 is outside 0..5",
    )
    assert list(score_problems(EMAIL, GOOD)) == []


def test_without_rubrics_in_the_policy_reviews_are_refused() -> None:
    events = history()
    case = fold(events)
    assert case is not None
    command = cmd.ReviewQuality(case_id="C1", by="qa:lee", rubric="email", scores=GOOD)
    with pytest.raises(ValidationError, match=r"the policy defines no QA rubrics"):
        decide(case, command, load_policy({}), T0, history=events)


def test_nobody_reviews_their_own_handling() -> None:
    with pytest.raises(NotAuthorized) as caught:
        review(history(), by="agent:sam")
    assert str(caught.value) == (
        "agent:sam may not review their own handling of case C1; "
        "needs another reviewer (nobody reviews their own work)"
    )
    with pytest.raises(NotAuthorized):
        review(history(), by="qa:lee", agent="qa:lee")


@pytest.mark.parametrize("variant", ["Agent:SAM", "ａｇｅｎｔ:ｓａｍ", " agent:Sam "])
def test_nobody_reviews_their_own_handling_under_another_spelling(variant: str) -> None:
    with pytest.raises(NotAuthorized, match="review their own handling"):
        review(history(), by=variant)
    with pytest.raises(NotAuthorized, match="review their own handling"):
        review(history(), by="qa:lee", agent="ＱＡ:Lee")
    events = history()
    events.append(review(events))
    with pytest.raises(ValidationError, match="already reviewed case C1"):
        review(events, by="QA:Lee")


def test_a_reviewer_scores_a_case_once_per_session() -> None:
    events = history()
    events.append(review(events))
    with pytest.raises(ValidationError, match=r"by: qa:lee already reviewed case C1 outside any"):
        review(events)
    events.append(review(events, session="march"))
    with pytest.raises(ValidationError, match=r"already reviewed case C1 in session 'march'"):
        review(events, session="march")
    assert review(events, session="april").session == "april"
    assert review(events, by="qa:max", session="march").by == "qa:max"


def test_a_sessions_reviewers_use_the_same_rubric_on_the_same_agent() -> None:
    events = history()
    events.append(review(events, session="march"))
    with pytest.raises(ValidationError) as caught:
        review(
            events,
            by="qa:max",
            session="march",
            rubric="phone",
            scores={"courtesy": 7},
            agent="agent:kim",
        )
    assert caught.value.problems == (
        "rubric: session 'march' scores case C1 with rubric 'email' (its reviewers must use "
        "the same rubric to compare)",
        "agent: session 'march' reviews agent:sam's handling of case C1 (its reviewers must "
        "review the same agent to compare)",
    )
    assert review(events, by="qa:max", rubric="phone", scores={"courtesy": 7}).total == 70.0


def test_blank_agent_or_session_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        review(history(), agent=" ", session="")
    assert caught.value.problems == (
        "agent: must not be blank (leave it out to review who resolved the case)",
        "session: must not be blank (leave it out for a review outside sessions)",
    )


def test_the_shape_check_wants_whole_points_per_criterion() -> None:
    events = history()
    case = fold(events)
    assert case is not None
    for scores in ({"verified": 1.0}, {"verified": True}, {"verified": "1"}, [("verified", 1)]):
        command = cmd.ReviewQuality(
            case_id="C1",
            by="qa:lee",
            rubric="email",
            scores=scores,  # type: ignore[arg-type]
        )
        with pytest.raises(
            ValidationError, match=r"scores: expected a mapping of text to integers"
        ):
            decide(case, command, POLICY, T0, history=events)
    blank = cmd.ReviewQuality(case_id="C1", by=" ", rubric="email", scores=GOOD)
    with pytest.raises(ValidationError, match=r"by: required"):
        decide(case, blank, POLICY, T0, history=events)


def test_a_cancelled_case_is_not_reviewed() -> None:
    events = history(resolved=False)
    events.append(ev.Cancelled(reason="void", at=T0, by="agent:kim", policy=POLICY.version))
    with pytest.raises(InvalidTransition, match=r"cannot review in state 'cancelled'"):
        review(events)
