"""``serviceflow staff FORECAST``: agents per hour (or interval) and a summary per queue.

Registered by ``cli.py`` (``cli.add_command(staff)``). It reads a forecast file only; it
never opens a desk, so ``--db`` and ``--policy`` do not matter to it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import click
from rich.markup import escape

from serviceflow.capacity._forecast_files import load_forecast
from serviceflow.capacity._staffing import (
    INTERVAL_COLUMNS,
    StaffingPlan,
    interval_records,
    period_rows,
    plan_staffing,
    plan_summary,
)
from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option
from serviceflow.cli._paths import OutputPath
from serviceflow.cli._tables import Col, Listing
from serviceflow.errors import ValidationError


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _whole_percent(share: float) -> str:
    return f"{share * 100:.4g}%"


def _summary_table(plan: StaffingPlan) -> None:
    shown = Listing(
        "queue",
        "target",
        "occ cap / shrink",
        Col("calls", "right"),
        Col("peak", "right"),
        "peak at",
        Col("agent-h", "right"),
        Col("occ", "right"),
        Col("lowest SL", "right"),
        title="Summary per queue (peak and agent-hours are rostered, after shrinkage)",
    )
    for q in plan.queues:
        t = q.target
        target = f"{_whole_percent(t.service_level)}/{t.answer_seconds:g}s"
        if t.max_asa_seconds is not None:
            target += f" ASA≤{t.max_asa_seconds:g}s"
        lowest = min((a.performance.service_level for a in q.intervals), default=1.0)
        shown.add_row(
            f"{q.name} ({q.channel})",
            target,
            f"{_whole_percent(t.max_occupancy)} / {_whole_percent(t.shrinkage)}",
            f"{q.arrivals:,.0f}",
            q.peak,
            plan.label(q.peak_interval),
            f"{q.agent_hours:,.0f}",
            _percent(q.occupancy),
            _percent(lowest),
        )
    shown.add_row(
        "all queues",
        "",
        "",
        f"{sum(q.arrivals for q in plan.queues):,.0f}",
        plan.peak,
        plan.label(plan.peak_interval),
        f"{plan.agent_hours:,.0f}",
        "",
        "",
    )
    shown.print()


def _agents_table(plan: StaffingPlan, *, hourly: bool) -> None:
    names = [q.name for q in plan.queues]
    what = "hour (peak interval of the hour)" if hourly else "interval"
    shown = Listing(
        "start",
        *(Col(name, "right") for name in names),
        Col("total", "right"),
        title=f"Rostered agents per {what}",
    )
    for row in period_rows(plan, hourly=hourly):
        total = f"{row.total} ← peak" if row.holds(plan.peak_interval) else str(row.total)
        shown.add_row(row.label, *row.agents, total)
    shown.print()


def _write_csv(path: Path, records: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=INTERVAL_COLUMNS)
        writer.writeheader()
        writer.writerows(records)


@click.command("staff")
@click.argument("forecast", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--interval-table", is_flag=True, help="One row per interval instead of one per hour."
)
@json_option("the plan")
@click.option(
    "--csv",
    "csv_path",
    type=OutputPath(),
    help="Also write every queue and interval with all Erlang C figures to this CSV file.",
)
def staff(forecast: Path, interval_table: bool, as_json: bool, csv_path: str | None) -> None:
    """Agents needed per interval from a demand forecast (Erlang C; see docs/capacity.md)."""
    try:
        loaded = load_forecast(forecast)
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from None
    plan = plan_staffing(loaded)
    if csv_path is not None:
        _write_csv(Path(csv_path), interval_records(plan, loaded))
    if as_json:
        emit({**plan_summary(plan), "start": plan.start})  # the start in UTC, as every --json
        return
    _agents_table(plan, hourly=not interval_table)
    _summary_table(plan)
    if csv_path is not None:
        rows = len(plan.queues) * len(plan.totals)
        console.print(f"Wrote {rows} rows to {escape(csv_path)}.", soft_wrap=True)
