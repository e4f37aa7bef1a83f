"""Kept case facts: their key, and a JSON that gives back exactly what was kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from serviceflow import default_policy, load_policy
from serviceflow.analytics._case_facts import case_facts
from serviceflow.analytics._case_summary import summary
from serviceflow.analytics._kept_facts import FORMAT, decode_facts, encode_facts, facts_key
from serviceflow.domain import _events as ev
from serviceflow.testing import strategies

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _meta(hours: float, by: str = "agent:kim") -> dict[str, Any]:
    return {"at": T0 + hours * H, "by": by, "policy": "p1"}


def _history() -> list[ev.Event]:
    """A case with something in every kind of fact: stints, a breach, surveys, a review."""
    return [
        ev.Submitted(
            case_id="K",
            requester="acme/jane@acme.test",
            channel="email",
            tier="standard",
            subject="s",
            **_meta(0),
        ),
        ev.SlaApplied(level="standard", reason="fallback", **_meta(0)),
        ev.Classified(category="billing", kind="incident", **_meta(0)),
        ev.Prioritized(priority="high", rule="matrix", reason="r", **_meta(0)),
        ev.Assigned(assignee="agent:kim", queue="front", **_meta(0.1)),
        ev.Escalated(
            from_tier="frontline",
            to_tier="technical",
            kind="hierarchical",
            trigger="manual",
            reason="r",
            message="m",
            **_meta(1),
        ),
        ev.SlaBreached(metric="first_response", cycle=1, **_meta(2, "system")),
        ev.Resolved(resolution="fixed", **_meta(3)),
        ev.SurveyRecorded(survey="csat", score=4, **_meta(4, "client:jane@acme.test")),
        ev.QualityReviewed(
            rubric="standard",
            agent="agent:kim",
            scores={"greeting": 1, "accuracy": 4},
            total=75.0,
            **_meta(5, "qa:lee"),
        ),
        ev.Reopened(reason="still broken", **_meta(6, "client:jane@acme.test")),
    ]


def test_facts_and_clocks_come_back_as_they_were_kept() -> None:
    facts = case_facts(_history())
    assert facts.stints[-1].until is None, "a tier still holding the case"
    assert facts.breaches
    assert facts.surveys
    assert facts.reviews
    clocks = [
        ("first_response", "breached", T0 + H, T0 + 3 * H),
        ("resolution", "running", T0 + 9 * H, None),
        ("next_reply", "paused", None, None),
    ]
    assert decode_facts(encode_facts(facts, clocks)) == (facts, clocks)
    assert decode_facts(encode_facts(facts, None)) == (facts, None), "no service level"
    assert decode_facts(encode_facts(facts, [])) == (facts, [])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(walk=strategies.case_walks(strategies.policies()))
def test_every_case_summary_comes_back_as_it_was_kept(walk: strategies.CaseWalk) -> None:
    events = strategies.history(walk)
    found = summary(events, walk.policy, max(e.at for e in events) + H)
    assert found is not None
    assert decode_facts(encode_facts(*found)) == found


def test_the_key_names_the_format_and_the_policy_version() -> None:
    policy = default_policy()
    other = load_policy({"sla": [{"name": "all", "targets": {"resolution": {"within": "1h"}}}]})
    assert facts_key(policy) == f"facts/{FORMAT}/{policy.version}"
    assert facts_key(policy) != facts_key(other)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        '{"case_id": "K"}',
        "[1, 2]",
        encode_facts(case_facts(_history()), None)[:-9],
    ],
)
def test_anything_else_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="not kept case facts"):
        decode_facts(text)


def test_a_kept_survey_that_is_not_a_survey_is_a_value_error() -> None:
    facts = case_facts(_history())
    text = encode_facts(facts, None).replace("case.survey_recorded", "case.quality_reviewed", 1)
    with pytest.raises(ValueError, match="not kept case facts"):
        decode_facts(text)
