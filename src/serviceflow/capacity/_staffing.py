"""A staffing plan from a demand forecast: agents per interval per queue, with Erlang C.

A forecast gives, per queue, the arrivals of each interval, the average handle time and
the targets (``capacity.StaffingTarget``). ``plan_staffing`` turns it into agents per
interval, totals, peaks and agent-hours, all plain attrs values. Only ``load_forecast``
reads a file (TOML or CSV); the format is in ``docs/capacity.md``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen

from serviceflow.capacity._erlang import Staffing, StaffingTarget, agents_needed
from serviceflow.core._convert import iso, structure_checked
from serviceflow.core._toml import parse_toml, read_text
from serviceflow.errors import ValidationError

_TARGET_FIELDS = (
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
                "target": {name: getattr(q.target, name) for name in _TARGET_FIELDS},
            }
            for q in plan.queues
        ],
    }


# --- reading a forecast (the only I/O here) ---------------------------------------------


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
                {k: getattr(layer, k) for k in _TARGET_FIELDS if getattr(layer, k) is not None}
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
    problems += _same_length(queues)
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


def _same_length(labelled: Sequence[tuple[str, QueueForecast]]) -> list[str]:
    """Every queue must cover as many intervals as the first one."""
    if not labelled:
        return []
    first = len(labelled[0][1].arrivals)
    return [
        f"{label}: covers {len(q.arrivals)} intervals, the first queue {first}"
        for label, q in labelled
        if len(q.arrivals) != first
    ]


_CSV_REQUIRED = ("queue", "interval", "arrivals", "handle_seconds")
_CSV_OPTIONAL = ("channel", "interval_minutes", *_TARGET_FIELDS)


def forecast_from_csv(text: str, *, where: str = "forecast") -> Forecast:
    """A forecast from CSV: one row per queue and interval (columns in ``docs/capacity.md``).

    Each queue's rows must number its intervals 0, 1, … once each; its channel and targets
    must be the same on every row; problems name the line and column.
    """
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = reader.fieldnames or []
    missing = [c for c in _CSV_REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in _CSV_REQUIRED + _CSV_OPTIONAL]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if missing or unknown or twice:
        raise ValidationError(
            f"{where} is invalid",
            [f"header: missing column {c}" for c in missing]
            + [
                f"header: unknown column {c!r} (known: {', '.join(_CSV_REQUIRED + _CSV_OPTIONAL)})"
                for c in unknown
            ]
            + [f"header: column {c!r} appears more than once" for c in twice],
        )
    problems: list[str] = []
    rows, fixed, minutes_seen = _csv_rows(reader, problems)
    interval_minutes = _csv_minutes(minutes_seen, problems)
    queues = []
    for name, by_index in rows.items():
        gaps = sorted(set(range(max(by_index) + 1)) - set(by_index))
        if gaps:
            problems.append(
                f"queue {name!r}: no row for interval(s) {', '.join(map(str, gaps[:10]))}"
            )
            continue
        target = _csv_target(fixed[name], f"queue {name!r}", problems)
        if target is None:
            continue
        ordered = [by_index[i] for i in range(len(by_index))]
        queues.append(
            QueueForecast(
                name,
                fixed[name]["channel"] or "phone",
                tuple(c for c, _ in ordered),
                tuple(h for _, h in ordered),
                target,
            )
        )
    if not rows and not problems:
        problems.append("rows: expected at least one queue row")
    problems += _same_length([(f"queue {q.name!r}", q) for q in queues])
    if problems:
        raise ValidationError(f"{where} is invalid", problems)
    return Forecast(interval_minutes, tuple(queues))


_Rows = dict[str, dict[int, tuple[float, float]]]


def _csv_rows(
    reader: csv.DictReader[str], problems: list[str]
) -> tuple[_Rows, dict[str, dict[str, str]], set[str]]:
    """Per queue: (arrivals, handle time) by interval and its fixed settings; interval lengths."""
    rows: _Rows = {}
    fixed: dict[str, dict[str, str]] = {}
    minutes_seen: set[str] = set()
    width = len(reader.fieldnames or [])
    for row in reader:
        line = reader.line_num
        at = f"line {line}"
        cells = _cells(row)
        if cells != width:
            problems.append(f"{at}: expected {width} cells (one per header column), got {cells}")
            continue
        name = (row.get("queue") or "").strip()
        if not name:
            problems.append(f"{at}, queue: expected a queue name")
            continue
        index = _whole(row.get("interval"), f"{at}, interval", problems)
        calls = _number(row.get("arrivals"), f"{at}, arrivals", problems)
        handle = _number(row.get("handle_seconds"), f"{at}, handle_seconds", problems)
        if handle is not None and calls and handle <= 0:
            problems.append(f"{at}, handle_seconds: expected a number > 0, got {handle!r}")
        if "interval_minutes" in row:
            minutes_seen.add((row["interval_minutes"] or "").strip())
        settings = {c: (row.get(c) or "").strip() for c in ("channel", *_TARGET_FIELDS)}
        first = fixed.setdefault(name, settings)
        for column, value in settings.items():
            if value != first[column]:
                problems.append(
                    f"{at}, {column}: queue {name!r} has {first[column]!r} on an earlier row, "
                    f"{value!r} here"
                )
        if index is None or calls is None or handle is None:
            continue
        if index in rows.setdefault(name, {}):
            problems.append(f"{at}, interval: interval {index} of queue {name!r} is given twice")
        rows[name][index] = (calls, handle)
    return rows, fixed, minutes_seen


def _cells(row: Mapping[str | None, Any]) -> int:
    """How many cells a ``DictReader`` row had: a short row's missing ones are ``None``,
    a long row's extra ones are a list under the key ``None``."""
    present = sum(v is not None for k, v in row.items() if k is not None)
    extra = row.get(None)
    return present + (len(extra) if isinstance(extra, list) else 0)


def _csv_minutes(minutes_seen: set[str], problems: list[str]) -> int:
    """The one interval length of the file (15 minutes when the column is missing or blank on
    every row; a blank cell beside a written one is a conflict)."""
    interval_minutes = 15
    if len(minutes_seen) > 1:
        problems.append(f"interval_minutes: expected one value, got {sorted(minutes_seen)}")
    elif minutes_seen and (text_minutes := minutes_seen.pop()):
        if _is_whole(text_minutes) and int(text_minutes) > 0 and 1440 % int(text_minutes) == 0:
            interval_minutes = int(text_minutes)
        else:
            problems.append(
                f"interval_minutes: expected minutes that divide a day, got {text_minutes!r}"
            )
    return interval_minutes


def _number(text: str | None, at: str, problems: list[str]) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        problems.append(f"{at}: expected a number, got {text!r}")
        return None
    if not (math.isfinite(value) and value >= 0):
        problems.append(f"{at}: expected a finite number ≥ 0, got {text!r}")
        return None
    return value


def _is_whole(text: str) -> bool:
    """ASCII digits only: ``isdigit`` alone accepts "²", which ``int`` refuses."""
    return text.isascii() and text.isdecimal()


def _whole(text: str | None, at: str, problems: list[str]) -> int | None:
    cleaned = (text or "").strip()
    if not _is_whole(cleaned):
        problems.append(f"{at}: expected a whole number ≥ 0, got {text!r}")
        return None
    return int(cleaned)


def _csv_target(settings: Mapping[str, str], at: str, problems: list[str]) -> StaffingTarget | None:
    values: dict[str, Any] = {}
    for column in _TARGET_FIELDS:
        text = settings[column]
        if not text:
            continue
        if column == "min_agents":
            values[column] = _whole(text, f"{at}, {column}", problems)
        else:
            values[column] = _number(text, f"{at}, {column}", problems)
    if any(v is None for v in values.values()):
        return None
    try:
        return StaffingTarget(**values)
    except ValidationError as exc:
        problems.extend(f"{at}, {p}" for p in exc.problems)
        return None


def load_forecast(path: str | Path) -> Forecast:
    """Read a forecast file: ``.csv`` as CSV, anything else as TOML."""
    source = Path(path)
    text = read_text(source, "forecast")
    where = f"forecast {source}"
    if source.suffix.lower() == ".csv":
        return forecast_from_csv(text, where=where)
    return forecast_from_mapping(parse_toml(text, f"{where} is not valid TOML"), where=where)
