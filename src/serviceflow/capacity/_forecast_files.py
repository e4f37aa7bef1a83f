"""Reading a forecast file: CSV (one row per queue and interval, checked line by line), or
TOML through ``forecast_from_mapping``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from serviceflow.capacity._erlang import StaffingTarget
from serviceflow.capacity._forecast import (
    TARGET_FIELDS,
    Forecast,
    QueueForecast,
    forecast_from_mapping,
    same_length,
)
from serviceflow.core._toml import parse_toml, read_text
from serviceflow.errors import ValidationError

_CSV_REQUIRED = ("queue", "interval", "arrivals", "handle_seconds")
_CSV_OPTIONAL = ("channel", "interval_minutes", *TARGET_FIELDS)


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
    problems += same_length([(f"queue {q.name!r}", q) for q in queues])
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
        settings = {c: (row.get(c) or "").strip() for c in ("channel", *TARGET_FIELDS)}
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
    for column in TARGET_FIELDS:
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
