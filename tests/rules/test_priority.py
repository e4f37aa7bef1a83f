"""Priority: matrix, category override, tier raise, and the reason for each."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow import (
    ManualClock,
    PolicyError,
    ServiceDesk,
    ValidationError,
    default_policy,
    load_policy,
)
from serviceflow.rules._priority import decide_priority

POLICY = default_policy()


def test_matrix() -> None:
    d = decide_priority(
        POLICY, impact="medium", urgency="high", category="billing", tier="standard"
    )
    assert (d.priority, d.rule) == ("high", "matrix")
    assert d.reason == "impact medium × urgency high gives high by the matrix"


def test_category_overrides_the_matrix() -> None:
    d = decide_priority(POLICY, impact="low", urgency="low", category="outage", tier="standard")
    assert (d.priority, d.rule, d.reason) == (
        "critical",
        "category",
        "category 'outage' sets critical",
    )


def test_category_override_needs_no_impact() -> None:
    assert (
        decide_priority(
            POLICY, impact=None, urgency=None, category="outage", tier="standard"
        ).priority
        == "critical"
    )


def test_premium_tier_raises_one_level_and_says_so() -> None:
    d = decide_priority(POLICY, impact="low", urgency="high", category=None, tier="premium")
    assert (d.priority, d.rule) == ("high", "matrix+tier")
    assert d.reason.endswith("tier 'premium' raises it to high")


def test_missing_or_unknown_impact_and_urgency() -> None:
    with pytest.raises(ValidationError) as info:
        decide_priority(POLICY, impact=None, urgency="soon", category=None, tier="standard")
    assert info.value.problems == (
        "impact: required (one of high, medium, low)",
        "urgency: expected one of high, medium, low, got 'soon'",
    )


@given(
    st.sampled_from(POLICY.priority.impacts),
    st.sampled_from(POLICY.priority.urgencies),
    st.sampled_from([None, *POLICY.category_map]),
    st.sampled_from([t.name for t in POLICY.tiers]),
)
def test_priority_is_total_and_tiers_never_lower_it(
    impact: str, urgency: str, category: str | None, tier: str
) -> None:
    got = decide_priority(POLICY, impact=impact, urgency=urgency, category=category, tier=tier)
    plain = decide_priority(
        POLICY, impact=impact, urgency=urgency, category=category, tier="standard"
    )
    assert got.priority in POLICY.priority.names
    assert POLICY.priority.rank(got.priority) <= POLICY.priority.rank(plain.priority)


def test_every_valid_matrix_is_total() -> None:
    """A policy that loads has a priority for every impact × urgency (or it does not load)."""

    @given(
        st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True),
        st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3, unique=True),
        st.data(),
    )
    def check(impacts: list[str], urgencies: list[str], data: st.DataObject) -> None:
        levels = ["p1", "p2", "p3"]
        matrix = {
            i: {
                u: data.draw(st.sampled_from(levels))
                for u in urgencies
                if data.draw(st.booleans()) or len(urgencies) == 1
            }
            for i in impacts
        }
        document = {
            "priority": {
                "levels": [{"name": n} for n in levels],
                "impacts": impacts,
                "urgencies": urgencies,
                "matrix": matrix,
            },
            "categories": [{"name": "c"}],
        }
        if any(len(row) < len(urgencies) for row in matrix.values()):
            with pytest.raises(PolicyError, match="must cover every impact × urgency"):
                load_policy(document)
            return
        policy = load_policy(document)
        for impact in impacts:
            for urgency in urgencies:
                decision = decide_priority(
                    policy, impact=impact, urgency=urgency, category=None, tier="standard"
                )
                assert decision.priority in levels

    check()


def test_explain_priority_lists_every_decision(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", clock=clock, entry_points=False)
    case = desk.submit(requester="premium/jo@p.test", channel="web", subject="s", tier="premium")
    assert desk.explain_priority(case.id).text() == f"case {case.id} has no priority yet"
    desk.classify(case.id, by="agent:kim", category="billing", kind="incident")
    desk.prioritize(case.id, by="agent:kim", impact="medium", urgency="medium")
    clock.advance(minutes=5)
    with pytest.raises(ValidationError, match="reason: required, must not be empty"):
        desk.prioritize(case.id, by="lead:ana", priority="critical")
    with pytest.raises(ValidationError, match="reason: required to change the priority"):
        desk.prioritize(case.id, by="lead:ana", impact="high", urgency="high")
    desk.prioritize(case.id, by="lead:ana", priority="critical", reason="CFO is blocked")
    explained = desk.explain_priority(case.id)
    assert explained.priority == "critical"
    assert [(c.by, c.priority, c.rule) for c in explained.changes] == [
        ("agent:kim", "high", "matrix+tier"),
        ("lead:ana", "critical", "manual"),
    ]
    assert explained.text().splitlines() == [
        f"case {case.id} is critical",
        "- 2026-03-02T09:00:00+00:00 agent:kim set high (matrix+tier): impact medium × urgency "
        "medium gives medium by the matrix; tier 'premium' raises it to high",
        "- 2026-03-02T09:05:00+00:00 lead:ana set critical (manual): CFO is blocked",
    ]
