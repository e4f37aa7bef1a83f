"""A KPI report as tables of plain values, for the terminal, the dashboard, CSV and JSON.

Each ``Table`` holds numbers as they are (durations in seconds, rates as 0–1 shares), and
its columns say what kind each number is, so every reader formats them the same way and
an export keeps full precision. Building tables is pure; only ``write_exports`` writes.

This module gathers a report's tables and writes them out; a table's shape is in
``_table``, each table's builder in ``_kpi_tables``. ``__all__`` keeps every name the 0.1
path ``serviceflow.report`` (this module) gave.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from serviceflow.analytics._kpi_set import KpiReport
from serviceflow.analytics._kpi_tables import (
    backlog_table,
    criteria_table,
    headline,
    ordered,
    per_case_table,
    quality_table,
    sla_metrics,
    sla_overall,
    sla_table,
    slice_order,
    slice_table,
    summary_table,
    survey_table,
    tier_order,
    tier_table,
    time_table,
    volume_table,
)
from serviceflow.analytics._table import (
    Cell,
    Column,
    Figure,
    Kind,
    Table,
    format_cell,
    human_duration,
)
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ValidationError

__all__ = [
    "FORMATS",
    "Cell",
    "Column",
    "Figure",
    "Kind",
    "Table",
    "backlog_table",
    "criteria_table",
    "format_cell",
    "headline",
    "human_duration",
    "ordered",
    "per_case_table",
    "quality_table",
    "sla_metrics",
    "sla_overall",
    "sla_table",
    "slice_order",
    "slice_table",
    "summary_table",
    "survey_table",
    "tables",
    "tier_order",
    "tier_table",
    "time_table",
    "to_csv",
    "volume_table",
    "write_exports",
]

FORMATS = ("json", "csv")
"""What ``write_exports`` can write."""
_SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def tables(report: KpiReport, policy: Policy | None = None) -> list[Table]:
    """Every table of ``report``; with the desk's ``policy``, priorities are listed most
    urgent first and escalation tiers by level (else both alphabetically)."""
    k = report.overall
    found = [
        summary_table(k),
        time_table(k),
        sla_table(k),
        volume_table(report),
        backlog_table(k),
        tier_table(k, tier_order(policy)),
        per_case_table(k),
        survey_table(k),
        quality_table(k),
        criteria_table(k),
    ]
    if report.by is not None:
        found.insert(3, slice_table(report, slice_order(policy, report.by)))
    return found


def to_csv(table: Table) -> str:
    """The table as CSV: a header of column keys, values as they are (empty for none).

    Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is
    prefixed with ``'``: category and agent names come from users.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [
                _csv_cell(value, column.kind)
                for value, column in zip(row, table.columns, strict=True)
            ]
        )
    return out.getvalue()


def _csv_cell(value: Cell, kind: Kind) -> str | int | float:
    if value is None:
        return ""
    if kind == "text" and isinstance(value, str) and value.startswith(_SPREADSHEET_FORMULA):
        return "'" + value
    return value


def write_exports(
    report: KpiReport,
    folder: str | Path,
    formats: Sequence[str] = FORMATS,
    *,
    policy: Policy | None = None,
) -> list[Path]:
    """Write the report into ``folder`` (created if needed) and return the files written.

    ``csv``: one ``<table>.csv`` per table. ``json``: ``report.json`` (every KPI, as
    ``KpiReport.as_dict``) and ``tables.json`` (the tables, as ``Table.as_dict``).
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValidationError(
            "report export", [f"format {f!r} is not one of json, csv" for f in unknown]
        )
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    found = tables(report, policy)
    written: list[Path] = []
    if "json" in formats:
        written.append(_write(target / "report.json", _json(report.as_dict())))
        written.append(_write(target / "tables.json", _json([t.as_dict() for t in found])))
    if "csv" in formats:
        written.extend(_write(target / f"{t.name}.csv", to_csv(t)) for t in found)
    return written


def _json(data: Mapping[str, Any] | list[Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(text)
    return path
