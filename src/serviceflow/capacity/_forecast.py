"""A demand forecast: each queue's arrivals, handle times and targets per interval, made
from TOML-shaped data with every problem reported at its path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from serviceflow.capacity._erlang import StaffingTarget
from serviceflow.core._convert import structure_checked
from serviceflow.errors import ValidationError

TARGET_FIELDS = (
    "service_level",
    "answer_seconds",
    "max_occupancy",
    "shrinkage",
    "max_asa_seconds",
    "min_agents",
)


@frozen
class QueueForecast:
    """One queue's demand: arrivals and average handle time (seconds) per interval, targets."""

    name: str
    channel: str
    arrivals: tuple[float, ...]
    handle_seconds: tuple[float, ...]
    target: StaffingTarget


@frozen
class Forecast:
    """Demand for several queues over the same intervals of ``interval_minutes``.

    ``start`` (optional) is when interval 0 begins, as written (it only labels intervals, in
    its own offset); without it, interval 0 is day 1, 00:00. A profile assumes midnight.
    """

    interval_minutes: int
    queues: tuple[QueueForecast, ...]
    start: datetime | None = None

    @property
    def intervals(self) -> int:
        """How many intervals every queue covers."""
        return len(self.queues[0].arrivals) if self.queues else 0


@frozen
class _TargetsDoc:
    service_level: float | None = None
    answer_seconds: float | None = None
    max_occupancy: float | None = None
    shrinkage: float | None = None
    max_asa_seconds: float | None = None
    min_agents: int | None = None


@frozen
class _ProfileDoc:
    hourly: tuple[float, ...]
    days: tuple[float, ...]


@frozen
class _QueueDoc:
    name: str
    handle_seconds: float
    channel: str = "phone"
    arrivals: tuple[float, ...] | None = None
    profile: _ProfileDoc | None = None
    targets: _TargetsDoc | None = None


@frozen
class _ForecastDoc:
    queues: tuple[_QueueDoc, ...]
    interval_minutes: int = 15
    start: Any = None
    targets: _TargetsDoc | None = None


def _target(
    defaults: _TargetsDoc | None, own: _TargetsDoc | None, where: str
) -> tuple[StaffingTarget | None, list[str]]:
    values: dict[str, Any] = {}
    for layer in (defaults, own):
        if layer is not None:
            values.update(
                {k: getattr(layer, k) for k in TARGET_FIELDS if getattr(layer, k) is not None}
            )
    try:
        return StaffingTarget(**values), []
    except ValidationError as exc:
        return None, [f"{where}.{problem}" for problem in exc.problems]


def _expand(
    profile: _ProfileDoc, interval_minutes: int, where: str
) -> tuple[tuple[float, ...], list[str]]:
    problems = []
    if len(profile.hourly) != 24:
        problems.append(
            f"{where}.hourly: expected 24 values (calls per hour), got {len(profile.hourly)}"
        )
    if 60 % interval_minutes:
        problems.append(
            f"{where}: an hourly profile needs interval_minutes dividing 60, got {interval_minutes}"
        )
    problems += _negatives(profile.hourly, f"{where}.hourly")
    problems += _negatives(profile.days, f"{where}.days")
    if problems:
        return (), problems
    per_hour = 60 // interval_minutes
    return tuple(
        calls * factor / per_hour
        for factor in profile.days
        for calls in profile.hourly
        for _ in range(per_hour)
    ), []


def _negatives(values: Sequence[float], where: str) -> list[str]:
    return [
        f"{where}[{i}]: expected a finite number ≥ 0, got {v!r}"
        for i, v in enumerate(values)
        if not (math.isfinite(v) and v >= 0)
    ]


def forecast_from_mapping(data: Mapping[str, Any], *, where: str = "forecast") -> Forecast:
    """A forecast from TOML-shaped data; every problem is reported at once with its path."""
    doc = structure_checked(data, _ForecastDoc, what=f"{where} is invalid")
    problems: list[str] = []
    minutes_ok = doc.interval_minutes > 0 and 24 * 60 % doc.interval_minutes == 0
    if not minutes_ok:
        problems.append(
            f"$.interval_minutes: expected minutes that divide a day (such as 15, 30, 60), "
            f"got {doc.interval_minutes}"
        )
    if not doc.queues:
        problems.append("$.queues: expected at least one queue")
    start = _start(doc.start, problems)
    queues: list[tuple[str, QueueForecast]] = []
    seen: set[str] = set()
    for i, q in enumerate(doc.queues):
        at = f"$.queues[{i}]"
        if not q.name.strip():
            problems.append(f"{at}.name: expected a name, got {q.name!r}")
        elif q.name in seen:
            problems.append(f"{at}.name: {q.name!r} is named twice")
        seen.add(q.name)
        if not (math.isfinite(q.handle_seconds) and q.handle_seconds > 0):
            problems.append(f"{at}.handle_seconds: expected a number > 0, got {q.handle_seconds!r}")
        target, target_problems = _target(doc.targets, q.targets, f"{at}.targets")
        problems += target_problems
        arrivals: tuple[float, ...] = ()
        if (q.arrivals is None) == (q.profile is None):
            problems.append(f"{at}: expected arrivals (one per interval) or a profile, exactly one")
        elif q.arrivals is not None:
            arrivals = q.arrivals
            if not arrivals:
                problems.append(f"{at}.arrivals: expected at least one interval, got none")
            problems += _negatives(arrivals, f"{at}.arrivals")
        elif q.profile is not None and not q.profile.days:
            problems.append(f"{at}.profile.days: expected at least one day, got none")
        elif q.profile is not None and minutes_ok:  # else nothing to expand by
            arrivals, found = _expand(q.profile, doc.interval_minutes, f"{at}.profile")
            problems += found
        if target is not None:
            handle = (q.handle_seconds,) * len(arrivals)
            queues.append((at, QueueForecast(q.name, q.channel, arrivals, handle, target)))
    problems += same_length(queues)
    if problems:
        raise ValidationError(f"{where} is invalid", problems)
    return Forecast(doc.interval_minutes, tuple(q for _, q in queues), start)


def _start(value: Any, problems: list[str]) -> datetime | None:
    """The first interval's start as written: a label, so its own offset (or none) is kept."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"$.start: expected a date and time like 2026-03-02T00:00:00, got {value!r}")
    return None


def same_length(labelled: Sequence[tuple[str, QueueForecast]]) -> list[str]:
    """Every queue must cover as many intervals as the first one."""
    if not labelled:
        return []
    first = len(labelled[0][1].arrivals)
    return [
        f"{label}: covers {len(q.arrivals)} intervals, the first queue {first}"
        for label, q in labelled
        if len(q.arrivals) != first
    ]
