"""Distributions: exact mean and spread; exact percentiles for small samples, within the
sketch's relative accuracy for large ones; merging equals adding."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.analytics._distribution import EXACT_UP_TO, RELATIVE_ACCURACY, Distribution, Stats

values = st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=2, max_size=600)


def _exact(ordered: list[float], q: float) -> float:
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def test_empty_distribution_has_only_a_count() -> None:
    assert Distribution().stats() == Stats(count=0)
    assert Distribution().quantile(0.5) is None


def test_small_sample_is_exact() -> None:
    d = Distribution()
    for v in (10, 20, 30, 40, 1000):
        d.add(v)
    s = d.stats()
    assert (s.count, s.mean, s.minimum, s.maximum) == (5, 220, 10, 1000)
    assert (s.p25, s.p50, s.p75) == (20, 30, 40)
    assert s.iqr == 20
    assert s.p90 == pytest.approx(616)
    assert s.stdev == statistics.stdev([10, 20, 30, 40, 1000])
    assert s.cv == s.stdev / 220


@settings(max_examples=60, deadline=None)
@given(values)
def test_mean_and_spread_are_exact_and_percentiles_accurate(xs: list[float]) -> None:
    d = Distribution()
    for x in xs:
        d.add(x)
    s = d.stats()
    assert s.count == len(xs)
    assert math.isclose(s.mean or 0, statistics.fmean(xs), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(s.stdev or 0, statistics.stdev(xs), rel_tol=1e-6, abs_tol=1e-3)
    ordered = sorted(xs)
    for q in (0.25, 0.5, 0.9, 0.99):
        got = d.quantile(q)
        assert got is not None
        if len(xs) <= EXACT_UP_TO:
            assert math.isclose(got, _exact(ordered, q), rel_tol=1e-9, abs_tol=1e-9)
        else:
            rank = q * (len(ordered) - 1)
            low, high = ordered[math.floor(rank)], ordered[math.ceil(rank)]
            slack = RELATIVE_ACCURACY * 1.01
            assert low * (1 - slack) - 1e-9 <= got <= high * (1 + slack) + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.just(0.0),
        min_size=EXACT_UP_TO + 1,
        max_size=900,
    )
)
def test_zeros_and_negative_values_keep_their_percentiles_accurate(xs: list[float]) -> None:
    d = Distribution()
    for x in xs:
        d.add(x)
    ordered = sorted(xs)
    slack = RELATIVE_ACCURACY * 1.01
    for q in (0.0, 0.1, 0.5, 0.9, 1.0):
        got = d.quantile(q)
        assert got is not None
        rank = q * (len(ordered) - 1)
        low, high = ordered[math.floor(rank)], ordered[math.ceil(rank)]
        assert min(low * (1 - slack), low * (1 + slack)) - 1e-9 <= got
        assert got <= max(high * (1 + slack), high * (1 - slack)) + 1e-9


@settings(max_examples=40, deadline=None)
@given(values, values)
def test_merging_equals_adding_everything_to_one(xs: list[float], ys: list[float]) -> None:
    a, b, both = Distribution(), Distribution(), Distribution()
    for x in xs:
        a.add(x)
        both.add(x)
    for y in ys:
        b.add(y)
        both.add(y)
    a.merge(b)
    merged, direct = a.stats(), both.stats()
    assert merged.count == direct.count
    assert math.isclose(merged.mean or 0, direct.mean or 0, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(merged.stdev or 0, direct.stdev or 0, rel_tol=1e-6, abs_tol=1e-3)
    assert (merged.minimum, merged.maximum) == (direct.minimum, direct.maximum)
    for q in (0.5, 0.9):
        m, d = a.quantile(q), both.quantile(q)
        assert m is not None
        assert d is not None
        assert math.isclose(m, d, rel_tol=2.1 * RELATIVE_ACCURACY, abs_tol=1e-6)


def test_memory_does_not_grow_with_the_number_of_values() -> None:
    import tracemalloc

    d = Distribution()
    tracemalloc.start()
    for i in range(20_000):
        d.add(i * 1.7)
    small = tracemalloc.get_traced_memory()[0]
    for i in range(200_000):
        d.add(i * 1.7)
    large = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert large < small * 1.5 + 20_000
