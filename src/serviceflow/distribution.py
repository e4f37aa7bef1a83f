"""Streaming distributions: count, mean and spread exactly, percentiles from a sketch.

A KPI over millions of cases must not keep every value, yet "consistency is the point":
the mean alone hides the long tail. ``Distribution`` keeps the count, mean and variance
exactly (Welford's online update). Percentiles are exact (linear interpolation between
ranks) while there are at most ``EXACT_UP_TO`` values; beyond that they come from a
DDSketch, whose answers are within ``RELATIVE_ACCURACY`` of the true value and whose
memory grows only with the logarithm of the range of values, never with their number.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

from attrs import asdict, define, field, frozen
from ddsketch import DDSketch

RELATIVE_ACCURACY = 0.005
"""Beyond ``EXACT_UP_TO`` values, each percentile is within 0.5 % of the exact one."""
EXACT_UP_TO = 256
"""How many values are kept as they are (8 bytes each) before the sketch takes over."""


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
    """An accumulator of non-negative values (durations in seconds, counts, scores)."""

    count: int = 0
    _mean: float = 0.0
    _m2: float = 0.0
    _min: float = math.inf
    _max: float = -math.inf
    _values: array[float] | None = field(factory=lambda: array("d"))
    _sketch: DDSketch | None = None

    def add(self, value: float) -> None:
        """Take one value into account."""
        count = self.count = self.count + 1
        delta = value - self._mean
        self._mean += delta / count
        self._m2 += delta * (value - self._mean)
        self._min = min(self._min, value)
        self._max = max(self._max, value)
        values = self._values
        if values is None:
            self._sketch.add(value)  # type: ignore[union-attr]
        elif count > EXACT_UP_TO:
            values.append(value)
            self._to_sketch()
        else:
            values.append(value)

    def _to_sketch(self) -> DDSketch:
        if self._sketch is None:
            self._sketch = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
        if self._values is not None:
            for value in self._values:
                self._sketch.add(value)
            self._values = None
        return self._sketch

    def merge(self, other: Distribution) -> None:
        """Fold ``other`` into this one (Chan's parallel update for the variance)."""
        if other.count == 0:
            return
        total = self.count + other.count
        delta = other._mean - self._mean
        self._m2 += other._m2 + delta * delta * self.count * other.count / total
        self._mean += delta * other.count / total
        self.count = total
        self._min = min(self._min, other._min)
        self._max = max(self._max, other._max)
        if self._values is not None and other._values is not None:
            self._values.extend(other._values)
            if len(self._values) > EXACT_UP_TO:
                self._to_sketch()
        elif other._values is not None:
            for value in other._values:
                self._to_sketch().add(value)
        else:
            self._to_sketch().merge(other._to_sketch())

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile (0–1), clamped to the values seen; ``None`` when empty."""
        if self.count == 0:
            return None
        if self._values is not None:
            ordered = sorted(self._values)
            rank = q * (len(ordered) - 1)
            low = math.floor(rank)
            high = min(low + 1, len(ordered) - 1)
            return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
        assert self._sketch is not None
        value = self._sketch.get_quantile_value(q)
        assert value is not None
        return min(max(float(value), self._min), self._max)

    def stats(self) -> Stats:
        """The summary of the values so far."""
        if self.count == 0:
            return Stats(count=0)
        stdev = math.sqrt(self._m2 / (self.count - 1)) if self.count > 1 else 0.0
        p25, p50, p75, p90, p99 = (self.quantile(q) for q in (0.25, 0.5, 0.75, 0.9, 0.99))
        assert p25 is not None
        assert p75 is not None
        return Stats(
            count=self.count,
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
