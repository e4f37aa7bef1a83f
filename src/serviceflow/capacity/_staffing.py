"""A staffing plan from a demand forecast: agents per interval per queue, with Erlang C.

A forecast gives, per queue, the arrivals of each interval, the average handle time and
the targets (``capacity.StaffingTarget``). ``plan_staffing`` turns it into agents per
interval, totals, peaks and agent-hours, all plain attrs values. Only ``load_forecast``
reads a file (TOML or CSV); the format is in ``docs/capacity.md``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen

from serviceflow.capacity._erlang import Staffing, StaffingTarget, agents_needed
from serviceflow.capacity._forecast import (
    TARGET_FIELDS,
    Forecast,
    QueueForecast,
    forecast_from_mapping,
)
from serviceflow.capacity._forecast_files import forecast_from_csv, load_forecast
from serviceflow.core._convert import iso

# The forecast's names too: this module is 0.1's ``serviceflow.staffing``, which had them
# (until 0.3).
__all__ = [
    "INTERVAL_COLUMNS",
    "Forecast",
    "PeriodRow",
    "QueueForecast",
    "QueuePlan",
    "StaffingPlan",
    "forecast_from_csv",
    "forecast_from_mapping",
    "interval_records",
    "load_forecast",
    "period_rows",
    "plan_staffing",
    "plan_summary",
]


@frozen
class QueuePlan:
    """One queue's staffing: an Erlang C answer per interval and what they add up to."""

    name: str
    channel: str
    target: StaffingTarget
    intervals: tuple[Staffing, ...]
    arrivals: float
    peak: int
    peak_interval: int
    agent_hours: float
    productive_hours: float
    workload_hours: float

    @property
    def occupancy(self) -> float:
        """Workload over the hours of agents on the queue (0 when nobody is needed)."""
        return self.workload_hours / self.productive_hours if self.productive_hours else 0.0


@frozen
class StaffingPlan:
    """Agents per interval for every queue, the rostered total per interval and its peak."""

    interval_minutes: int
    start: datetime | None
    queues: tuple[QueuePlan, ...]
    totals: tuple[int, ...]
    peak: int
    peak_interval: int
    agent_hours: float

    def label(self, index: int) -> str:
        """When interval ``index`` begins: ``Mon 2026-03-02 08:15`` (``d1 08:15`` with no start)."""
        offset = timedelta(minutes=self.interval_minutes * index)
        if self.start is not None:
            return (self.start + offset).strftime("%a %Y-%m-%d %H:%M")
        minutes = int(offset.total_seconds() // 60)
        day, rest = divmod(minutes, 24 * 60)
        return f"d{day + 1} {rest // 60:02d}:{rest % 60:02d}"


def _queue_plan(queue: QueueForecast, interval_minutes: int) -> QueuePlan:
    seconds = interval_minutes * 60.0
    hours = interval_minutes / 60.0
    answers = tuple(
        agents_needed(calls / seconds * handle, handle_seconds=handle, target=queue.target)
        for calls, handle in zip(queue.arrivals, queue.handle_seconds, strict=True)
    )
    peak_interval = max(range(len(answers)), key=lambda i: answers[i].rostered, default=0)
    return QueuePlan(
        name=queue.name,
        channel=queue.channel,
        target=queue.target,
        intervals=answers,
        arrivals=math.fsum(queue.arrivals),
        peak=answers[peak_interval].rostered if answers else 0,
        peak_interval=peak_interval,
        agent_hours=sum(a.rostered for a in answers) * hours,
        productive_hours=sum(a.agents for a in answers) * hours,
        workload_hours=math.fsum(a.intensity for a in answers) * hours,
    )


def plan_staffing(forecast: Forecast) -> StaffingPlan:
    """Staff every interval of every queue independently (Erlang C) and add them up."""
    plans = tuple(_queue_plan(q, forecast.interval_minutes) for q in forecast.queues)
    totals = tuple(sum(p.intervals[i].rostered for p in plans) for i in range(forecast.intervals))
    peak_interval = max(range(len(totals)), key=totals.__getitem__, default=0)
    return StaffingPlan(
        interval_minutes=forecast.interval_minutes,
        start=forecast.start,
        queues=plans,
        totals=totals,
        peak=totals[peak_interval] if totals else 0,
        peak_interval=peak_interval,
        agent_hours=math.fsum(p.agent_hours for p in plans),
    )


@frozen
class PeriodRow:
    """Rostered agents over a period (an interval or an hour): the most any interval needs."""

    label: str
    first_interval: int
    last_interval: int
    agents: tuple[int, ...]
    total: int

    def holds(self, interval: int) -> bool:
        """Whether ``interval`` is one of this row's intervals."""
        return self.first_interval <= interval <= self.last_interval


def period_rows(plan: StaffingPlan, *, hourly: bool = True) -> tuple[PeriodRow, ...]:
    """Rows per hour (the peak of its intervals) or, with ``hourly=False``, per interval.

    Intervals of an hour or more, or that do not divide an hour, are always shown as they are.
    """
    width = 60 // plan.interval_minutes if hourly and 60 % plan.interval_minutes == 0 else 1
    rows = []
    for first in range(0, len(plan.totals), width):
        span = range(first, min(first + width, len(plan.totals)))
        rows.append(
            PeriodRow(
                label=plan.label(first),
                first_interval=first,
                last_interval=span[-1],
                agents=tuple(max(q.intervals[i].rostered for i in span) for q in plan.queues),
                total=max(plan.totals[i] for i in span),
            )
        )
    return tuple(rows)


INTERVAL_COLUMNS = (
    "interval",
    "start",
    "queue",
    "channel",
    "arrivals",
    "handle_seconds",
    "intensity",
    "agents",
    "rostered",
    "binding",
    "service_level",
    "wait_probability",
    "asa_seconds",
    "occupancy",
)
"""The columns of ``interval_records`` (and of ``serviceflow staff --csv``)."""


def interval_records(plan: StaffingPlan, forecast: Forecast) -> list[dict[str, Any]]:
    """One plain record per queue and interval, every figure at full precision (ASA of an
    overloaded interval is None)."""
    records = []
    for queue, source in zip(plan.queues, forecast.queues, strict=True):
        for index, answer in enumerate(queue.intervals):
            figures = answer.performance
            asa = figures.average_speed_of_answer
            records.append(
                {
                    "interval": index,
                    "start": plan.label(index),
                    "queue": queue.name,
                    "channel": queue.channel,
                    "arrivals": source.arrivals[index],
                    "handle_seconds": answer.handle_seconds,
                    "intensity": answer.intensity,
                    "agents": answer.agents,
                    "rostered": answer.rostered,
                    "binding": answer.binding,
                    "service_level": figures.service_level,
                    "wait_probability": figures.wait_probability,
                    "asa_seconds": asa if math.isfinite(asa) else None,
                    "occupancy": figures.occupancy,
                }
            )
    return records


def plan_summary(plan: StaffingPlan) -> dict[str, Any]:
    """The plan's totals and each queue's summary as JSON-ready data."""
    return {
        "interval_minutes": plan.interval_minutes,
        "start": iso(plan.start) if plan.start else None,
        "intervals": len(plan.totals),
        "peak": plan.peak,
        "peak_start": plan.label(plan.peak_interval),
        "agent_hours": plan.agent_hours,
        "totals": list(plan.totals),
        "queues": [
            {
                "name": q.name,
                "channel": q.channel,
                "arrivals": q.arrivals,
                "peak": q.peak,
                "peak_start": plan.label(q.peak_interval),
                "agent_hours": q.agent_hours,
                "productive_hours": q.productive_hours,
                "workload_hours": q.workload_hours,
                "occupancy": q.occupancy,
                "rostered": [a.rostered for a in q.intervals],
                "agents": [a.agents for a in q.intervals],
                "target": {name: getattr(q.target, name) for name in TARGET_FIELDS},
            }
            for q in plan.queues
        ],
    }
