"""Before/after effect of a change on a KPI: the difference, its confidence interval, a rank test.

Pure and deterministic: the bootstrap draws from a ``random.Random`` seeded by the caller,
so the same samples and seed always give the same interval. The statistic is one of
``mean``, ``p50``, ``p90`` (percentiles interpolate linearly between ranks, as
``distribution`` does while exact) or ``rate`` (the mean of 0/1 outcomes). The rank test
is Mann–Whitney U with mid-ranks for ties and the normal approximation (tie-corrected, with
continuity correction): it asks whether one sample tends to be larger, whatever the statistic.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from attrs import frozen

from serviceflow.errors import ValidationError

STATISTICS = ("mean", "p50", "p90", "rate")
"""What a KPI sample may be summarised by."""
_QUANTILES = {"p50": 0.5, "p90": 0.9}


def statistic(values: Sequence[float], name: str) -> float | None:
    """``name`` of ``values`` (``None`` when there are none)."""
    if name not in STATISTICS:
        raise ValidationError("statistic", [f"{name!r}: expected one of {', '.join(STATISTICS)}"])
    if not values:
        return None
    if name in ("mean", "rate"):
        return math.fsum(values) / len(values)
    return quantile(sorted(values), _QUANTILES[name])


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values, interpolating linearly between ranks."""
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@frozen
class RankTest:
    """Mann–Whitney U of ``after`` against ``before``: ``u`` counts the pairs where the
    after value is larger (ties half); ``p_value`` is two-sided."""

    u: float
    z: float
    p_value: float


@frozen
class Effect:
    """The change of a statistic from ``before`` to ``after``, with a bootstrap interval.

    ``difference`` is after − before; ``low``/``high`` bound it at ``confidence``
    (percentile bootstrap of ``resamples`` draws, widened to hold the point estimate when
    the resampled distribution is lopsided). ``None`` where a sample is empty.
    """

    statistic: str
    before: float | None
    after: float | None
    difference: float | None
    low: float | None
    high: float | None
    confidence: float
    before_count: int
    after_count: int
    p_value: float | None
    resamples: int
    seed: int
    warnings: tuple[str, ...] = ()


def mann_whitney(before: Sequence[float], after: Sequence[float]) -> RankTest | None:
    """The rank test of ``after`` against ``before``; ``None`` if either is empty or every
    value is the same (nothing to rank)."""
    n_b, n_a = len(before), len(after)
    if not n_b or not n_a:
        return None
    pooled = sorted([(v, 0) for v in before] + [(v, 1) for v in after])
    n = n_b + n_a
    rank_sum_after = 0.0
    ties = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        mid = (i + j) / 2 + 1
        size = j - i + 1
        ties += size**3 - size
        rank_sum_after += mid * sum(1 for k in range(i, j + 1) if pooled[k][1] == 1)
        i = j + 1
    u = rank_sum_after - n_a * (n_a + 1) / 2
    mean = n_a * n_b / 2
    variance = n_a * n_b / 12 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:
        return None
    shift = u - mean
    corrected = max(abs(shift) - 0.5, 0.0)
    z = math.copysign(corrected, shift) / math.sqrt(variance)
    return RankTest(u, z, min(1.0, math.erfc(abs(z) / math.sqrt(2))))


def effect(
    before: Sequence[float],
    after: Sequence[float],
    *,
    statistic_name: str = "mean",
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
    min_count: int = 30,
) -> Effect:
    """The effect of a change: the statistic before and after, their difference with a
    seeded bootstrap interval, the rank test's p-value, and warnings when a sample has
    fewer than ``min_count`` values."""
    problems = []
    if statistic_name not in STATISTICS:
        problems.append(f"statistic: {statistic_name!r} is not one of {', '.join(STATISTICS)}")
    if not 0 < confidence < 1:
        problems.append(f"confidence: {confidence} is not between 0 and 1")
    if resamples < 1:
        problems.append(f"resamples: {resamples} is not at least 1")
    if min_count < 1:
        problems.append(f"min_count: {min_count} is not at least 1")
    if problems:
        raise ValidationError("effect", problems)
    warnings = [
        f"{label} has {len(sample)} value(s), fewer than {min_count}: the interval is unreliable"
        for label, sample in (("before", before), ("after", after))
        if len(sample) < min_count
    ]
    first, second = statistic(before, statistic_name), statistic(after, statistic_name)
    test = mann_whitney(before, after)
    if first is None or second is None:
        return Effect(
            statistic_name, first, second, None, None, None, confidence,
            len(before), len(after), None, resamples, seed, tuple(warnings),
        )  # fmt: skip
    difference = second - first
    rng = random.Random(seed)
    diffs = []
    for _ in range(resamples):
        b = statistic(rng.choices(before, k=len(before)), statistic_name)
        a = statistic(rng.choices(after, k=len(after)), statistic_name)
        assert a is not None
        assert b is not None
        diffs.append(a - b)
    diffs.sort()
    tail = (1 - confidence) / 2
    low, high = quantile(diffs, tail), quantile(diffs, 1 - tail)
    return Effect(
        statistic_name,
        first,
        second,
        difference,
        min(low, difference),
        max(high, difference),
        confidence,
        len(before),
        len(after),
        test.p_value if test is not None else None,
        resamples,
        seed,
        tuple(warnings),
    )
