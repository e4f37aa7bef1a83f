"""Priority: matrix, category override, tier raise, and the reason for each."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow import ValidationError, default_policy
from serviceflow.priority import decide_priority

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
