"""Streaming distributions: count, mean and spread exactly, percentiles from a sketch.

A KPI over millions of cases must not keep every value, yet "consistency is the point":
the mean alone hides the long tail. ``Distribution`` keeps the count, mean and variance
exactly. Percentiles are exact (linear interpolation between ranks) while there are at
most ``EXACT_UP_TO`` values; beyond that they come from logarithmic buckets (the DDSketch
mapping), whose answers are within ``RELATIVE_ACCURACY`` of the true value and whose memory
grows only with the logarithm of the range of values, never with their number.

Values are taken in batches: ``add`` only appends to a small buffer, and each full buffer
is folded into the moments (a two-pass batch mean and spread, merged by Chan's update) and
the bucket counts (``Counter.update``) at once, which keeps the per-value cost low.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from typing import Any

from attrs import asdict, define, field, frozen

RELATIVE_ACCURACY = 0.005
"""Beyond ``EXACT_UP_TO`` values, each percentile is within 0.5 % of the exact one."""
EXACT_UP_TO = 256
"""How many values are kept as they are (8 bytes each) before the buckets take over."""
_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_PER_LOG = 1 / math.log(_GAMMA)
_TINY = 1e-9
"""Values this close to zero fall in the zero bucket (a bucket key needs a logarithm)."""


@frozen
class Stats:
    """A distribution summarised: its size, centre, spread and tail (``None`` when empty).

    ``iqr`` is p75 − p25; ``cv`` (coefficient of variation) is the sample standard
    deviation over the mean: 0 is perfectly consistent, above 1 is wilder than the mean.
    """

    count: int
    mean: float | None = None
    stdev: float | None = None
    cv: float | None = None
    minimum: float | None = None
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None
    p90: float | None = None
    p99: float | None = None
    maximum: float | None = None
    iqr: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON and CSV."""
        return asdict(self)


@define
class Distribution:
    """An accumulator of values (durations in seconds, counts, scores)."""

    _folded: int = 0
    _mean: float = 0.0
    _m2: float = 0.0
    _min: float = math.inf
    _max: float = -math.inf
    _pending: array[float] = field(factory=lambda: array("d"))
    _values: array[float] | None = field(factory=lambda: array("d"))
    """Every value folded so far, while there are at most ``EXACT_UP_TO``; then ``None``."""
    _buckets: _Buckets | None = None

    @property
    def count(self) -> int:
        """How many values were added."""
        return self._folded + len(self._pending)

    def add(self, value: float) -> None:
        """Take one value into account."""
        pending = self._pending
        pending.append(value)
        if len(pending) >= EXACT_UP_TO:
            self._fold()

    def _fold(self) -> None:
        """Fold the buffered values into the moments and the exact values or the buckets."""
        batch = self._pending
        if not batch:
            return
        size = len(batch)
        mean = math.fsum(batch) / size
        m2 = math.fsum((x - mean) ** 2 for x in batch)
        self._combine(size, mean, m2, min(batch), max(batch))
        values = self._values
        if values is not None:
            values.extend(batch)
            if len(values) > EXACT_UP_TO:
                self._buckets = _Buckets()
                self._buckets.add(values)
                self._values = None
        else:
            assert self._buckets is not None
            self._buckets.add(batch)
        self._pending = array("d")

    def _combine(self, count: int, mean: float, m2: float, low: float, high: float) -> None:
        """Merge another set's moments into these (Chan's parallel update)."""
        total = self._folded + count
        delta = mean - self._mean
        self._m2 += m2 + delta * delta * self._folded * count / total
        self._mean += delta * count / total
        self._folded = total
        self._min = min(self._min, low)
        self._max = max(self._max, high)

    def merge(self, other: Distribution) -> None:
        """Fold ``other`` into this one."""
        other._fold()
        if other._folded == 0:
            return
        self._fold()
        self._combine(other._folded, other._mean, other._m2, other._min, other._max)
        if self._values is not None and other._values is not None:
            self._values.extend(other._values)
            if len(self._values) > EXACT_UP_TO:
                self._buckets = _Buckets()
                self._buckets.add(self._values)
                self._values = None
            return
        if self._buckets is None:
            assert self._values is not None
            self._buckets = _Buckets()
            self._buckets.add(self._values)
            self._values = None
        if other._values is not None:
            self._buckets.add(other._values)
        else:
            assert other._buckets is not None
            self._buckets.merge(other._buckets)

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile (0–1), clamped to the values seen; ``None`` when empty."""
        self._fold()
        if self._folded == 0:
            return None
        if self._values is not None:
            ordered = sorted(self._values)
            rank = q * (len(ordered) - 1)
            low = math.floor(rank)
            high = min(low + 1, len(ordered) - 1)
            return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
        assert self._buckets is not None
        value = self._buckets.quantile(q * (self._folded - 1))
        return min(max(value, self._min), self._max)

    def stats(self) -> Stats:
        """The summary of the values so far."""
        self._fold()
        count = self._folded
        if count == 0:
            return Stats(count=0)
        stdev = math.sqrt(self._m2 / (count - 1)) if count > 1 else 0.0
        p25, p50, p75, p90, p99 = (self.quantile(q) for q in (0.25, 0.5, 0.75, 0.9, 0.99))
        assert p25 is not None
        assert p75 is not None
        return Stats(
            count=count,
            mean=self._mean,
            stdev=stdev,
            cv=stdev / self._mean if self._mean > 0 else None,
            minimum=self._min,
            p25=p25,
            p50=p50,
            p75=p75,
            p90=p90,
            p99=p99,
            maximum=self._max,
            iqr=p75 - p25,
        )


class _Buckets:
    """Counts of values by logarithmic bucket: bucket ``k`` holds (γ^(k-1), γ^k], whose
    representative value 2γ^k/(1+γ) is within ``RELATIVE_ACCURACY`` of every value in it.
    Negative values count by their magnitude on their own side; near-zero ones apart."""

    __slots__ = ("negative", "positive", "zeros")

    def __init__(self) -> None:
        self.positive: Counter[int] = Counter()
        self.negative: Counter[int] = Counter()
        self.zeros = 0

    def add(self, values: array[float]) -> None:
        ceil, log, per_log = math.ceil, math.log, _PER_LOG
        self.positive.update([ceil(log(v) * per_log) for v in values if v > _TINY])
        if min(values) < _TINY:
            self.negative.update([ceil(log(-v) * per_log) for v in values if v < -_TINY])
            self.zeros += sum(1 for v in values if -_TINY <= v <= _TINY)

    def merge(self, other: _Buckets) -> None:
        self.positive.update(other.positive)
        self.negative.update(other.negative)
        self.zeros += other.zeros

    def quantile(self, rank: float) -> float:
        """The representative value of the bucket holding the value of this (0-based) rank."""
        seen = 0
        for key in sorted(self.negative, reverse=True):
            seen += self.negative[key]
            if seen > rank:
                return -_representative(key)
        seen += self.zeros
        if seen > rank:
            return 0.0
        for key in sorted(self.positive):
            seen += self.positive[key]
            if seen > rank:
                return _representative(key)
        raise AssertionError(f"rank {rank} is beyond the {seen} values counted")


def _representative(key: int) -> float:
    return 2 * _GAMMA**key / (1 + _GAMMA)
