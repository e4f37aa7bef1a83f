"""A KPI report as tables of plain values, for the terminal, the dashboard, CSV and JSON.

Each ``Table`` holds numbers as they are (durations in seconds, rates as 0–1 shares), and
its columns say what kind each number is, so every reader formats them the same way and
an export keeps full precision. Building tables is pure; only ``write_exports`` writes.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from attrs import frozen

from serviceflow.analytics._distribution import Stats
from serviceflow.analytics._metrics import NONE, Compliance, KpiReport, KpiSet, Rate, TimeMetric
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ValidationError

Cell = str | int | float | None
"""One plain value of a table: text, a count, seconds, a share or a number."""
Kind = Literal["text", "count", "seconds", "share", "number"]
"""How a column's values read: seconds are durations, shares are 0–1 rates."""
FORMATS = ("json", "csv")
"""What ``write_exports`` can write."""
_SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@frozen
class Column:
    """A table column: ``key`` names it in exports, ``label`` on screen."""

    key: str
    label: str
    kind: Kind = "text"


@frozen
class Table:
    """One KPI table: its columns and rows of plain values (``note`` says what it counts)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def records(self) -> list[dict[str, Cell]]:
        """The rows as mappings from column key to value."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: the table's name, title, note, columns and records."""
        return {
            "name": self.name,
            "title": self.title,
            "note": self.note,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": self.records(),
        }


@frozen
class Figure:
    """A headline number: its value, how to read it, and what it is out of."""

    label: str
    value: float | int | None
    kind: Kind
    detail: str

    def text(self) -> str:
        """The value as a headline shows it (a score signed and whole: ``+23``)."""
        if self.kind == "number" and self.value is not None:
            return f"{self.value:+.0f}"
        return format_cell(self.value, self.kind)


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


def summary_table(k: KpiSet) -> Table:
    """Volumes, then each rate with its numerator and denominator."""
    rows: list[tuple[Cell, ...]] = [
        ("cases counted", k.cases, None, None, "cases with anything in the period"),
        ("submitted", k.submitted, None, None, ""),
        ("resolved", k.resolved, None, None, "first resolution in the period"),
        ("closed", k.closed, None, None, ""),
        ("cancelled", k.cancelled, None, None, ""),
    ]
    for label, rate, base in (
        ("first-contact resolution", k.fcr, "resolved cases"),
        ("reopened", k.reopened, "resolved cases"),
        ("escalated", k.escalated, "submitted cases"),
        ("transferred", k.transferred, "resolved cases"),
        ("repeat issue", k.repeat, "submitted cases"),
        ("SLA compliance (all clocks)", sla_overall(k), "decided SLA clocks"),
        ("CSAT", k.surveys.csat, "CSAT answers"),
    ):
        rows.append((label, rate.numerator, rate.denominator, rate.value, base))
    rows.append(("backlog (open at end)", k.backlog.open, None, None, ""))
    return Table(
        "summary",
        "Summary",
        (
            Column("kpi", "KPI"),
            Column("count", "count", "count"),
            Column("out_of", "out of", "count"),
            Column("rate", "rate", "share"),
            Column("denominator", "denominator"),
        ),
        tuple(rows),
        "A rate is count out of its denominator; see docs/metrics.md for each definition.",
    )


_STATS_COLUMNS = (
    Column("count", "count", "count"),
    Column("mean_seconds", "mean", "seconds"),
    Column("p50_seconds", "p50", "seconds"),
    Column("p90_seconds", "p90", "seconds"),
    Column("p99_seconds", "p99", "seconds"),
    Column("iqr_seconds", "IQR", "seconds"),
    Column("cv", "CV", "number"),
    Column("max_seconds", "max", "seconds"),
)


def _spread(stats: Stats) -> tuple[Cell, ...]:
    return (
        stats.count,
        stats.mean,
        stats.p50,
        stats.p90,
        stats.p99,
        stats.iqr,
        stats.cv,
        stats.maximum,
    )


def time_table(k: KpiSet) -> Table:
    """First response, resolution and full resolution: wall-clock and business time."""
    metrics: tuple[tuple[str, TimeMetric], ...] = (
        ("first response", k.first_response),
        ("resolution", k.resolution),
        ("full resolution", k.full_resolution),
    )
    rows = tuple(
        (name, clock, *_spread(stats))
        for name, metric in metrics
        for clock, stats in (("calendar", metric.calendar), ("business", metric.business))
    )
    return Table(
        "times",
        "Time to respond and resolve",
        (Column("metric", "metric"), Column("time", "time"), *_STATS_COLUMNS),
        rows,
        "Seconds per case; business time counts only the opening hours of the case's "
        "calendar. IQR is p75 − p25, CV the standard deviation over the mean.",
    )


def sla_table(k: KpiSet) -> Table:
    """Each SLA metric's clock cycles: met, breached, still open, and the compliance rate."""
    return Table(
        "sla",
        "SLA compliance",
        (
            Column("metric", "metric"),
            Column("met", "met", "count"),
            Column("breached", "breached", "count"),
            Column("open", "open", "count"),
            Column("rate", "compliance", "share"),
        ),
        tuple(_compliance_row(c) for c in k.sla),
        "Compliance is met out of met plus breached; open clocks are not decided yet.",
    )


def _compliance_row(c: Compliance) -> tuple[Cell, ...]:
    return (c.metric.replace("_", " "), c.met, c.breached, c.open, c.rate)


def slice_table(report: KpiReport, order: Sequence[str] = ()) -> Table:
    """One row per value of the report's slicing, with the key KPIs side by side."""
    assert report.by is not None, "a sliced report"
    metrics = sla_metrics(report.slices.values())
    columns = (
        Column(report.by, report.by),
        Column("cases", "cases", "count"),
        Column("submitted", "submitted", "count"),
        Column("resolved", "resolved", "count"),
        Column("fcr", "FCR", "share"),
        Column("reopened", "reopened", "share"),
        Column("escalated", "escalated", "share"),
        *(Column(f"sla_{m}", f"SLA {m.replace('_', ' ')}", "share") for m in metrics),
        Column("resolution_p50_seconds", "resolution p50", "seconds"),
        Column("resolution_p90_seconds", "resolution p90", "seconds"),
        Column("backlog", "backlog", "count"),
        Column("csat", "CSAT", "share"),
    )
    rows = []
    for name in ordered(report.slices, order):
        k = report.slices[name]
        compliance = [k.compliance(m) for m in metrics]
        rows.append(
            (
                name,
                k.cases,
                k.submitted,
                k.resolved,
                k.fcr.value,
                k.reopened.value,
                k.escalated.value,
                *(c.rate if c is not None else None for c in compliance),
                k.resolution.calendar.p50,
                k.resolution.calendar.p90,
                k.backlog.open,
                k.surveys.csat.value,
            )
        )
    return Table(
        "slices",
        f"By {report.by}",
        columns,
        tuple(rows),
        f"Each case counts under its {report.by} at the end of the period; "
        f"{NONE} gathers cases without one. Resolution times are wall-clock.",
    )


def volume_table(report: KpiReport) -> Table:
    """Cases submitted per UTC day (days without any are left out)."""
    return Table(
        "volume",
        "Volume per day",
        (Column("day", "day (UTC)"), Column("submitted", "submitted", "count")),
        tuple((day.isoformat(), n) for day, n in report.volume),
    )


def backlog_table(k: KpiSet) -> Table:
    """The cases open at the end of the period, grouped by age."""
    open_ = k.backlog.open
    return Table(
        "backlog",
        "Backlog ageing",
        (
            Column("age", "age"),
            Column("cases", "cases", "count"),
            Column("share", "share", "share"),
        ),
        tuple((label, n, n / open_ if open_ else None) for label, n in k.backlog.buckets),
        f"{open_} cases open at the end of the period; age is from submission.",
    )


def tier_table(k: KpiSet, order: Sequence[str] = ()) -> Table:
    """How long each escalation tier held the cases it held in the period."""
    return Table(
        "tiers",
        "Time held per escalation tier",
        (Column("tier", "tier"), *_STATS_COLUMNS),
        tuple((tier, *_spread(k.tier_time[tier])) for tier in ordered(k.tier_time, order)),
        f"{k.escalated.numerator} of {k.escalated.denominator} submitted cases were "
        "escalated; count is the tier's stints, a stint still running counts up to the "
        "end of the period.",
    )


def per_case_table(k: KpiSet) -> Table:
    """Transfers and client effort (client replies) per resolved case, with their spread."""
    columns = (
        Column("measure", "per resolved case"),
        Column("count", "cases", "count"),
        Column("mean", "mean", "number"),
        Column("p50", "p50", "number"),
        Column("p90", "p90", "number"),
        Column("max", "max", "number"),
        Column("cv", "CV", "number"),
    )
    rows = tuple(
        (name, s.count, s.mean, s.p50, s.p90, s.maximum, s.cv)
        for name, s in (("transfers", k.transfers), ("client replies", k.effort))
    )
    return Table("per_case", "Transfers and client effort", columns, rows)


def survey_table(k: KpiSet) -> Table:
    """CSAT, NPS and CES: answers, how they split, and the score on its own scale (a row
    for each survey that was answered)."""
    s = k.surveys
    csat = s.csat
    nps_answers = s.promoters + s.passives + s.detractors
    rows: tuple[tuple[Cell, ...], ...] = (
        (
            "CSAT",
            csat.denominator,
            csat.numerator,
            None,
            csat.denominator - csat.numerator,
            100 * csat.value if csat.value is not None else None,
            "% of answers 4–5 (1–5)",
        ),
        (
            "NPS",
            nps_answers,
            s.promoters,
            s.passives,
            s.detractors,
            s.nps,
            "% 9–10 − % 0–6 (−100…100)",
        ),
        ("CES", s.ces.count, None, None, None, s.ces.mean, "mean (1–7, higher is easier)"),
    )
    return Table(
        "surveys",
        "Surveys",
        (
            Column("survey", "survey"),
            Column("responses", "responses", "count"),
            Column("positive", "positive", "count"),
            Column("neutral", "neutral", "count"),
            Column("negative", "negative", "count"),
            Column("score", "score", "number"),
            Column("scale", "scale"),
        ),
        tuple(row for row in rows if row[1]),
        "Answers recorded in the period.",
    )


def quality_table(k: KpiSet) -> Table:
    """Quality review totals (out of 100) recorded in the period, with their spread."""
    t = k.quality.total
    return Table(
        "quality",
        "Quality reviews",
        (
            Column("reviews", "reviews", "count"),
            Column("mean", "mean", "number"),
            Column("p25", "p25", "number"),
            Column("p50", "p50", "number"),
            Column("p90", "p90", "number"),
            Column("min", "min", "number"),
            Column("cv", "CV", "number"),
        ),
        ((t.count, t.mean, t.p25, t.p50, t.p90, t.minimum, t.cv),) if t.count else (),
        "Review totals out of 100.",
    )


def criteria_table(k: KpiSet) -> Table:
    """Each review criterion's mean share of its maximum points."""
    return Table(
        "quality_criteria",
        "Quality criteria",
        (Column("criterion", "criterion"), Column("share", "mean share of max", "share")),
        tuple((name, share) for name, share in k.quality.criteria.items()),
        "A criterion whose rubric states no maximum shows its mean points instead.",
    )


def sla_overall(k: KpiSet) -> Rate:
    """Every decided SLA clock of the slice: met out of met plus breached."""
    met = sum(c.met for c in k.sla)
    return Rate(met, met + sum(c.breached for c in k.sla))


def headline(k: KpiSet) -> tuple[Figure, ...]:
    """The numbers a reader looks at first, each with what it is out of."""
    s = k.surveys
    nps_answers = s.promoters + s.passives + s.detractors
    sla = sla_overall(k)
    return (
        Figure("Cases", k.cases, "count", f"{k.submitted:,} submitted, {k.resolved:,} resolved"),
        Figure("FCR", k.fcr.value, "share", f"{_of(k.fcr)} resolved"),
        Figure("SLA compliance", sla.value, "share", f"{_of(sla)} clocks met"),
        Figure("CSAT", s.csat.value, "share", f"{_of(s.csat)} answers"),
        Figure("NPS", s.nps, "number", f"{nps_answers:,} answers"),
        Figure("Backlog", k.backlog.open, "count", _median_age(k)),
    )


def _of(rate: Rate) -> str:
    return f"{rate.numerator:,} of {rate.denominator:,}"


def _median_age(k: KpiSet) -> str:
    age = k.backlog.age.p50
    return f"median age {human_duration(age)}" if age is not None else "nothing open"


def sla_metrics(sets: Iterable[KpiSet]) -> list[str]:
    """The SLA metrics any of ``sets`` counted, in the order they first appear."""
    seen: dict[str, None] = {}
    for k in sets:
        for c in k.sla:
            seen.setdefault(c.metric)
    return list(seen)


def ordered(names: Iterable[str], order: Sequence[str] = ()) -> list[str]:
    """``names`` in ``order`` first, the others alphabetically, and ``(none)`` last."""
    present = set(names)
    known = [n for n in order if n in present]
    rest = sorted(present - set(known) - {NONE})
    return known + rest + ([NONE] if NONE in present else [])


def slice_order(policy: Policy | None, by: str | None) -> tuple[str, ...]:
    """The policy's order for a slicing: priorities most urgent first, tiers as declared."""
    if policy is None:
        return ()
    if by == "priority":
        return policy.priority.names
    if by == "tier":
        return tuple(t.name for t in policy.tiers)
    return ()


def tier_order(policy: Policy | None) -> tuple[str, ...]:
    """The policy's escalation tiers, lowest level first."""
    if policy is None:
        return ()
    return tuple(t.name for t in sorted(policy.escalation.tiers, key=lambda t: t.level))


def human_duration(seconds: float) -> str:
    """Seconds as a person reads them, to two units: ``45s``, ``12m 5s``, ``3h 20m``, ``2d 4h``
    (the smaller unit rounded half up)."""
    if seconds < 0:
        return "-" + human_duration(-seconds)
    if 0 < seconds < 0.5:
        return "<1s"
    whole = math.floor(seconds + 0.5)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return _two_units(divmod(whole, 60), "m", "s")
    minutes = math.floor(seconds / 60 + 0.5)
    if minutes < 1440:
        return _two_units(divmod(minutes, 60), "h", "m")
    return _two_units(divmod(math.floor(seconds / 3600 + 0.5), 24), "d", "h")


def _two_units(amounts: tuple[int, int], unit: str, smaller: str) -> str:
    big, rest = amounts
    return f"{big}{unit} {rest}{smaller}" if rest else f"{big}{unit}"


def format_cell(value: Cell, kind: Kind) -> str:
    """A value as it reads on screen: durations, percentages, grouped counts."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if kind == "seconds":
        return human_duration(value)
    if kind == "share":
        return f"{value:.1%}"
    if kind == "count" and isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"


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
