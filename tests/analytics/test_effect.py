"""Effect sizes: known answers for the statistics and the rank test, bootstrap properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.analytics._effect import effect, mann_whitney, quantile, statistic
from serviceflow.errors import ValidationError


def test_statistics_have_known_answers() -> None:
    values = [float(v) for v in range(1, 11)]
    assert statistic(values, "mean") == 5.5
    assert statistic(values, "p50") == 5.5
    assert statistic(values, "p90") == pytest.approx(9.1)
    assert statistic([1.0, 0.0, 1.0, 1.0], "rate") == 0.75
    assert statistic([], "p90") is None
    assert quantile([2.0], 0.9) == 2.0
    with pytest.raises(ValidationError, match="p99"):
        statistic(values, "p99")


def test_mann_whitney_has_known_answers() -> None:
    found = mann_whitney([1, 2, 3], [4, 5, 6])
    assert found is not None
    assert found.u == 9
    assert found.z == pytest.approx(4 / math.sqrt(5.25))
    assert found.p_value == pytest.approx(0.0808556, abs=1e-6)  # scipy's asymptotic answer
    tied = mann_whitney([1, 2, 2], [2, 3])  # mid-ranks: 1, 3, 3 | 3, 5
    assert tied is not None
    assert tied.u == 8 - 3
    assert mann_whitney([1, 1], [1]) is None
    assert mann_whitney([], [1]) is None


def test_a_clear_shift_has_an_interval_away_from_zero() -> None:
    before = [float(v) for v in range(100, 140)]
    after = [float(v) for v in range(60, 100)]
    found = effect(before, after, statistic_name="mean", seed=7)
    assert found.difference == -40
    assert found.low is not None
    assert found.high is not None
    assert found.low <= -40 <= found.high < 0
    assert found.p_value is not None
    assert found.p_value < 0.001
    assert found.warnings == ()


def test_small_or_empty_samples_are_warned_about() -> None:
    found = effect([1.0, 2.0], [], statistic_name="p90", min_count=5)
    assert (found.after, found.difference, found.low, found.high) == (None, None, None, None)
    assert len(found.warnings) == 2
    assert "before has 2 value(s), fewer than 5" in found.warnings[0]


def test_bad_arguments_are_listed() -> None:
    with pytest.raises(ValidationError) as raised:
        effect([1.0], [1.0], statistic_name="max", confidence=1.5, resamples=0, min_count=0)
    assert len(raised.value.problems) == 4


samples = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(samples, samples, st.sampled_from(["mean", "p50", "p90"]), st.integers(0, 2**32))
def test_the_interval_holds_the_estimate_and_a_seed_repeats(
    before: list[float], after: list[float], name: str, seed: int
) -> None:
    found = effect(before, after, statistic_name=name, seed=seed, resamples=200)
    assert found.difference is not None
    assert found.low is not None
    assert found.high is not None
    assert found.low <= found.difference <= found.high
    assert found == effect(before, after, statistic_name=name, seed=seed, resamples=200)
    assert found.before == statistic(before, name)
    assert found.after == statistic(after, name)


@settings(max_examples=40, deadline=None)
@given(samples, samples)
def test_the_rank_test_is_symmetric(before: list[float], after: list[float]) -> None:
    one, other = mann_whitney(before, after), mann_whitney(after, before)
    if one is None or other is None:
        assert one is other is None
        return
    assert one.u + other.u == pytest.approx(len(before) * len(after))
    assert one.p_value == pytest.approx(other.p_value)
    assert 0 <= one.p_value <= 1
