"""The dashboard's charts as inline SVG text: pygal for bars, hand-drawn for percentiles.

Every chart is static (no script, no external style or font) so the dashboard is one
file that reads offline. Durations (resolution time, time held per tier) are drawn by
hand: pygal has no chart for a distribution given as percentiles (its box plot wants the
raw values, which a streaming report does not keep). Needs the ``reports`` extra (pygal).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from html import escape
from typing import Any

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

from serviceflow.analytics._distribution import Stats
from serviceflow.analytics._kpi_set import NONE, KpiReport, KpiSet
from serviceflow.analytics._kpi_tables import ordered, sla_metrics
from serviceflow.analytics._svg import (
    FONT,
    GRID,
    HEIGHT,
    INK,
    WIDTH,
    empty_svg,
    percentile_chart,
)

# pygal appends a legacy import hook to sys.meta_path, for its map plugins (unused here).
# It has no find_spec, so Python 3.11 warns on every later import that misses; take it out.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

PRIORITY_COLOURS = ("#b42318", "#e8740c", "#2563eb", "#64748b", "#7c3aed", "#0d9488", "#a16207")
"""Series colours in priority order: the most urgent is red."""
NONE_COLOUR = "#b8c2cf"
"""The colour of cases without a priority."""
SERIES_COLOURS = ("#2563eb", "#0d9488", "#7c3aed", "#e8740c", "#b42318", "#64748b")
"""Colours for series that are not priorities (SLA metrics, escalation tiers)."""
WIDE = 1280
"""The width of the full-width volume chart."""
MAX_DAILY_BARS = 120
"""Beyond this many days, volume is drawn per week."""
QUIET_DAYS = 7
"""A longer run of days without a submission at either end of the period is left out of
the volume chart (and the page says so)."""
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _style(colours: Sequence[str]) -> Any:
    return Style(
        background="transparent",
        plot_background="transparent",
        foreground=INK,
        foreground_strong=INK,
        foreground_subtle=GRID,
        font_family=FONT,
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=13,
        value_font_size=11,
        value_colors=(INK,),
        no_data_font_size=16,
        opacity="0.9",
        opacity_hover="0.9",
        transition="none",
        colors=tuple(colours),
        guide_stroke_color=GRID,
        major_guide_stroke_color=GRID,
    )


def _chart(kind: Callable[..., Any], colours: Sequence[str] = SERIES_COLOURS, **config: Any) -> Any:
    """A static pygal chart in the dashboard's look."""
    settings: dict[str, Any] = {
        "style": _style(colours),
        "js": [],
        "disable_xml_declaration": True,
        "width": WIDTH,
        "height": HEIGHT,
        "margin": 8,
        "spacing": 14,
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "truncate_label": -1,
        "show_x_guides": False,
        "no_data_text": "Nothing in this period",
        "print_values": False,
        **config,
    }
    return kind(**settings)


def _svg(chart: Any, label: str) -> str:
    """The chart's ``<svg>`` element, titled ``label``, without pygal's comments and its
    configuration script (which only its interactive JavaScript reads). pygal writes XML,
    so text in it is escaped and the first ``</script>`` closes its own script."""
    svg = _SCRIPT.sub("", _COMMENT.sub("", str(chart.render(is_unicode=True))))
    return svg.replace("<title>Pygal</title>", f"<title>{escape(label)}</title>", 1)


def volume_chart(report: KpiReport) -> str:
    """Cases submitted per day of the period (per week when the period is long)."""
    days = daily_volume(report)
    if not any(n for _, n in days):
        return empty_svg("No case was submitted in this period", WIDE)
    weekly = len(days) > MAX_DAILY_BARS
    points = weekly_volume(days) if weekly else days
    chart = _chart(
        pygal.Bar,
        width=WIDE,
        height=300,
        show_legend=False,
        show_minor_x_labels=False,
        x_labels_major_every=_label_step(len(points), weekly),
        y_title="cases per week" if weekly else "cases per day",
        value_formatter=lambda v: f"{v:,.0f}",
    )
    chart.y_labels = count_ticks(max(n for _, n in points))
    chart.x_labels = [f"{'w/c ' if weekly else ''}{day:%d %b}" for day, _ in points]
    chart.add("submitted", [n for _, n in points])
    return _svg(chart, "Cases submitted per day")


def count_ticks(highest: int) -> list[int]:
    """Whole-number axis ticks from 0 past ``highest``: at most about six, in steps of
    1, 2 or 5 times a power of ten."""
    step = 1
    while highest / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if highest / step <= 5:
                break
    return list(range(0, highest + step, step))


def daily_volume(report: KpiReport) -> list[tuple[date, int]]:
    """Every UTC day the volume chart covers (``volume_span``) with its submitted cases,
    days without any as 0."""
    span = volume_span(report)
    if span is None:
        return []
    first, last = span
    counted = dict(report.volume)
    return [
        (first + timedelta(days=i), counted.get(first + timedelta(days=i), 0))
        for i in range((last - first).days + 1)
    ]


def volume_span(report: KpiReport) -> tuple[date, date] | None:
    """The first and last UTC day the volume chart covers: the report's period (from the
    first submission when it is open), less a run of more than ``QUIET_DAYS`` days without
    any submission at either end, so a log that fills only part of a wide period (an
    imported log, a period asked for in round years) is drawn over the days it covers.
    None when the period is open and nothing was submitted."""
    counted = sorted(day for day, n in report.volume if n)
    last = (report.end - timedelta(microseconds=1)).date()
    if report.start is None:
        if not counted:
            return None
        first = counted[0]
    else:
        first = report.start.date()
    if counted:
        if (counted[0] - first).days > QUIET_DAYS:
            first = counted[0]
        if (last - counted[-1]).days > QUIET_DAYS:
            last = counted[-1]
    return first, last


def weekly_volume(days: Sequence[tuple[date, int]]) -> list[tuple[date, int]]:
    """Daily counts summed per week, each week named by its Monday."""
    weeks: dict[date, int] = {}
    for day, n in days:
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + n
    return sorted(weeks.items())


def _label_step(points: int, weekly: bool) -> int:
    if points <= (16 if weekly else 14):
        return 1
    if weekly:
        return max(1, math.ceil(points / 12))
    return 7 * max(1, math.ceil(points / 84))


def sla_chart(priorities: KpiReport, order: Sequence[str] = ()) -> str:
    """SLA compliance per priority (and all cases), one bar per SLA metric."""
    names = [
        n
        for n in ordered(priorities.slices, order)
        if any(c.rate is not None for c in priorities.slices[n].sla)
    ]
    sets = [priorities.slices[n] for n in names] + [priorities.overall]
    if all(c.rate is None for c in priorities.overall.sla):
        reason = priorities.overall.sla_all.reason
        return empty_svg(f"No SLA clock was met or breached in this period: {reason}")
    chart = _chart(
        pygal.Bar,
        range=(0, 100),
        y_title="% of decided clocks met",
        value_formatter=lambda v: f"{v:.0f}%",
        print_values=True,
        print_values_position="top",
    )
    chart.y_labels = list(range(0, 101, 20))
    chart.x_labels = [*names, "all cases"]
    for metric in sla_metrics(sets):
        values = []
        for k in sets:
            found = k.compliance(metric)
            rate = found.rate if found is not None else None
            values.append(100 * rate if rate is not None else None)
        chart.add(metric.replace("_", " "), values)
    return _svg(chart, "SLA compliance by priority")


def backlog_chart(
    report: KpiReport, priorities: KpiReport | None, order: Sequence[str] = ()
) -> str:
    """Open cases by age at the end of the period, stacked by priority when known."""
    buckets = report.overall.backlog.buckets
    if not report.overall.backlog.open:
        return empty_svg("Nothing was open at the end of the period")
    series: list[tuple[str, list[int | None], str]] = []
    if priorities is None:
        series.append(("open", [n or None for _, n in buckets], SERIES_COLOURS[0]))
    else:
        colours = priority_colours(ordered(priorities.slices, order))
        for name, colour in colours.items():
            counts = [n or None for _, n in priorities.slices[name].backlog.buckets]
            if any(counts):
                series.append((name, counts, colour))
    chart = _chart(
        pygal.StackedBar,
        [colour for _, _, colour in series],
        y_title="open cases",
        value_formatter=lambda v: f"{v:,.0f}",
        show_legend=priorities is not None,
    )
    chart.y_labels = count_ticks(max(n for _, n in buckets))
    chart.x_labels = [f"{label} ({n:,})" for label, n in buckets]
    for name, counts, _ in series:
        chart.add(name, counts)
    return _svg(chart, "Backlog ageing")


def priority_colours(names: Sequence[str]) -> dict[str, str]:
    """Each priority's colour, by its place in ``names`` (most urgent first), so a
    priority looks the same in every chart; cases without one are grey."""
    ranked = [n for n in names if n != NONE]
    colours = {n: PRIORITY_COLOURS[i % len(PRIORITY_COLOURS)] for i, n in enumerate(ranked)}
    if NONE in names:
        colours[NONE] = NONE_COLOUR
    return colours


def tier_chart(k: KpiSet, order: Sequence[str] = ()) -> str:
    """How long each escalation tier held its cases, as percentiles, with its stints."""
    tiers = ordered(k.tier_time, order)
    rows = [
        (tier, k.tier_time[tier], SERIES_COLOURS[i % len(SERIES_COLOURS)], "stint")
        for i, tier in enumerate(tiers)
    ]
    return percentile_chart(
        rows,
        axis="time a tier held the case (log scale)",
        label="Time held per escalation tier",
        empty="No case was escalated in this period",
    )


def resolution_chart(
    priorities: KpiReport, order: Sequence[str] = (), *, business: bool = False
) -> str:
    """Time to the first resolution per priority, and for all cases, as percentiles."""
    colours = priority_colours(ordered(priorities.slices, order))
    rows = [
        (name, _resolution(priorities.slices[name], business), colour, "resolved")
        for name, colour in colours.items()
        if name != NONE or priorities.slices[name].resolution.calendar.count
    ]
    rows.append(("all cases", _resolution(priorities.overall, business), INK, "resolved"))
    clock = "business hours" if business else "wall-clock"
    return percentile_chart(
        rows,
        axis=f"time to first resolution, {clock} (log scale)",
        label="Resolution time percentiles per priority",
        empty="No case was resolved in this period",
    )


def _resolution(k: KpiSet, business: bool) -> Stats:
    return k.resolution.business if business else k.resolution.calendar
