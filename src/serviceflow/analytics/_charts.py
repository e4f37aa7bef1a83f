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
from serviceflow.analytics._table import human_duration

# pygal appends a legacy import hook to sys.meta_path, for its map plugins (unused here).
# It has no find_spec, so Python 3.11 warns on every later import that misses; take it out.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
"""The dashboard's one font stack: whatever sans-serif the reader's system has."""
INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"
PRIORITY_COLOURS = ("#b42318", "#e8740c", "#2563eb", "#64748b", "#7c3aed", "#0d9488", "#a16207")
"""Series colours in priority order: the most urgent is red."""
NONE_COLOUR = "#b8c2cf"
"""The colour of cases without a priority."""
SERIES_COLOURS = ("#2563eb", "#0d9488", "#7c3aed", "#e8740c", "#b42318", "#64748b")
"""Colours for series that are not priorities (SLA metrics, escalation tiers)."""
WIDTH, HEIGHT = 640, 360
"""The size of a half-width chart; text in it reads at about its font size."""
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
        return _empty_svg("No case was submitted in this period", WIDE)
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
        return _empty_svg(f"No SLA clock was met or breached in this period: {reason}")
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
        return _empty_svg("Nothing was open at the end of the period")
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


PercentileRow = tuple[str, Stats, str, str]
"""A row of a percentile chart: name, durations, colour, and what its count counts."""
_TICKS = (1, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)
_TICK_GAP = 36
"""The least room between two labelled ticks, in SVG units."""
_ROW, _LEFT, _RIGHT, _TOP = 52, 128, 178, 14
"""A row's height, the least room left and right of the plot, and the room above it."""
_PLOT = WIDTH - _LEFT - _RIGHT
"""The width of a percentile chart's plot; the room beside it grows with its labels."""
_PAD = 8
"""The least room between a label and the chart's edge."""
_NAME_ROOM = 220
"""The widest a row's name is drawn; a longer one is cut short (its full text on hover)."""


def percentile_chart(rows: Sequence[PercentileRow], *, axis: str, label: str, empty: str) -> str:
    """Durations as percentiles on a log scale, one row each: the box is the middle half
    (p25–p75), the bar the median, the whisker p90 and the dot p99. The names on the left
    and the percentiles on the right get the room their text needs (the chart widens, the
    plot keeps its width), so no label runs off the chart."""
    measured = [s for _, s, _, _ in rows if s.count]
    if not measured:
        return _empty_svg(empty)
    names = [_fit(name, _NAME_ROOM, 14, bold=True) for name, _, _, _ in rows]
    left = max(
        _LEFT,
        *(
            max(text_width(name, 14, bold=True), text_width(_count(row), 12)) + _PAD + 12
            for name, row in zip(names, rows, strict=True)
        ),
    )
    right = max(
        _RIGHT,
        *(
            max(text_width(a, 14, bold=True), text_width(b, 12)) + _PAD + 14
            for a, b in (_percentile_labels(s) for s in measured)
        ),
    )
    width = math.ceil(left + _PLOT + right)
    low = max(min(s.p25 or s.minimum or 1.0 for s in measured), 1.0)
    high = max(*(s.p99 or 0 for s in measured), low * 4)
    scale = _LogScale(low / 1.6, high * 1.6, left, left + _PLOT)
    axis_y = _TOP + _ROW * len(rows) + 4
    height = axis_y + 76
    parts = [_svg_open(width, height, label)]
    for tick in _ticks(scale):
        x = scale.x(tick)
        parts.append(_line(x, _TOP, x, axis_y, GRID))
        parts.append(
            _text(x, axis_y + 17, human_duration(tick), anchor="middle", fill=MUTED, size=12)
        )
    parts.append(_line(left, axis_y, left + _PLOT, axis_y, MUTED))
    parts.append(_text(left + _PLOT / 2, axis_y + 36, axis, anchor="middle", fill=MUTED, size=12))
    for index, (name, row) in enumerate(zip(names, rows, strict=True)):
        parts.extend(_percentile_row(scale, _TOP + _ROW * index, row, name))
    parts.extend(_percentile_key(width, height - 10))
    parts.append("</svg>")
    return "".join(parts)


def _count(row: PercentileRow) -> str:
    """What a row counts, as its second line on the left: ``12 resolved``, ``1 stint``."""
    _, s, _, counts = row
    plural = "" if s.count == 1 or counts == "resolved" else "s"
    return f"{s.count:,} {counts}{plural}"


def _percentile_labels(s: Stats) -> tuple[str, str]:
    """The two lines right of a row: the median, then p90 and p99."""
    p75 = s.p75 or 0.0
    p90, p99 = s.p90 or p75, s.p99 or p75
    return (
        f"median {human_duration(s.p50 or 0.0)}",
        f"p90 {human_duration(p90)} · p99 {human_duration(p99)}",
    )


def _ticks(scale: _LogScale) -> list[float]:
    """Round durations within the scale, far enough apart for their labels; beyond a
    month, every 90 days."""
    candidates = [*_TICKS, *range(90 * 86400, int(scale.high) + 1, 90 * 86400)]
    found: list[float] = []
    for tick in candidates:
        if scale.low <= tick <= scale.high and (
            not found or scale.x(tick) - scale.x(found[-1]) >= _TICK_GAP
        ):
            found.append(tick)
    return found


class _LogScale:
    """Seconds to x positions on a log axis between ``low`` and ``high``."""

    def __init__(self, low: float, high: float, left: float, right: float) -> None:
        self.low, self.high, self.left, self.right = low, high, left, right
        self._span = math.log(high) - math.log(low)

    def x(self, seconds: float) -> float:
        clamped = min(max(seconds, self.low), self.high)
        share = (math.log(clamped) - math.log(self.low)) / self._span
        return self.left + share * (self.right - self.left)


def _percentile_row(
    scale: _LogScale, top: float, row: PercentileRow, shown: str | None = None
) -> list[str]:
    """One row: its name (``shown``, cut to fit; the full name on hover) and count on the
    left, the box and whiskers, and the median, p90 and p99 in words on the right."""
    name, s, colour, _ = row
    middle = top + _ROW / 2
    shown = name if shown is None else shown
    parts = [
        _text(
            scale.left - 12,
            middle - 3,
            shown,
            anchor="end",
            size=14,
            weight="600",
            title=name if shown != name else "",
        ),
        _text(scale.left - 12, middle + 13, _count(row), anchor="end", fill=MUTED, size=12),
    ]
    if not s.count:
        parts.append(_text(scale.left + 8, middle + 4, "none in this period", fill=MUTED))
        return parts
    p25, p50, p75 = s.p25 or 0.0, s.p50 or 0.0, s.p75 or 0.0
    p90, p99 = s.p90 or p75, s.p99 or p75
    x25, x50, x75, x90, x99 = (scale.x(v) for v in (p25, p50, p75, p90, p99))
    text_x = scale.right + 14
    median, tail = _percentile_labels(s)
    parts += [
        _line(x75, middle, x90, middle, colour, width=2),
        _line(x90, middle - 7, x90, middle + 7, colour, width=2),
        _line(x90, middle, x99, middle, colour, width=1.5, dash="3 3"),
        f'<circle cx="{x99:.1f}" cy="{middle:.1f}" r="4" fill="{colour}"/>',
        f'<rect x="{x25:.1f}" y="{middle - 11:.1f}" width="{max(x75 - x25, 2):.1f}" '
        f'height="22" rx="3" fill="{colour}" fill-opacity="0.2" stroke="{colour}"/>',
        _line(x50, middle - 13, x50, middle + 13, colour, width=3),
        _text(text_x, middle - 3, median, size=14, weight="600"),
        _text(text_x, middle + 13, tail, fill=MUTED, size=12),
    ]
    return parts


def _percentile_key(width: float, y: float) -> list[str]:
    """The legend: what the box, the bar, the whisker and the dot stand for."""
    x = (width - 400) / 2
    return [
        f'<rect x="{x}" y="{y - 9}" width="26" height="12" rx="2" fill="{INK}" '
        f'fill-opacity="0.18" stroke="{INK}"/>',
        _text(x + 32, y + 1, "p25–p75 (middle half)", fill=MUTED, size=12),
        _line(x + 190, y - 10, x + 190, y + 4, INK, width=3),
        _text(x + 198, y + 1, "median", fill=MUTED, size=12),
        _line(x + 262, y - 3, x + 290, y - 3, INK, width=2),
        _line(x + 290, y - 9, x + 290, y + 3, INK, width=2),
        _text(x + 298, y + 1, "p90", fill=MUTED, size=12),
        _line(x + 336, y - 3, x + 360, y - 3, INK, width=1, dash="3 3"),
        f'<circle cx="{x + 363}" cy="{y - 3}" r="3.5" fill="{INK}"/>',
        _text(x + 372, y + 1, "p99", fill=MUTED, size=12),
    ]


def _empty_svg(message: str, width: int = WIDTH) -> str:
    """A chart's place when there is nothing to draw: the reason, in words (on as many
    lines as it needs to stay inside the chart)."""
    lines = wrap(message, width - 2 * _PAD - 16, 16)
    height = 96 + 22 * len(lines)
    top = height / 2 - 11 * (len(lines) - 1) + 5
    return (
        _svg_open(width, height, message)
        + "".join(
            _text(width / 2, top + 22 * i, text, anchor="middle", fill=MUTED, size=16)
            for i, text in enumerate(lines)
        )
        + "</svg>"
    )


_NARROW = frozenset(" '.,:;!|/·ijlIJf")
_MEDIUM = frozenset('-()[]rt"*')
_WIDE = frozenset("mwMW%—…@&+<>=")


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A generous estimate of how wide ``text`` reads at font ``size``, in SVG units.

    The browser picks the font, so this cannot be exact; it errs on the wide side of
    common sans-serif fonts (DejaVu Sans, which Linux systems fall back to, is among the
    widest), so room made with it is enough."""
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.34
        elif char in _MEDIUM:
            ems += 0.44
        elif char in _WIDE or ord(char) > 0x2E7F:
            ems += 1.0
        elif char.isupper():
            ems += 0.8
        else:
            ems += 0.66
    return ems * size * (1.12 if bold else 1.0)


def wrap(text: str, room: float, size: float, *, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``room`` (see ``text_width``);
    a single word too wide for a line is cut short with an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(joined, size, bold=bold) <= room:
            lines[-1] = joined
        else:
            lines.append(_fit(word, room, size, bold=bold))
    return lines


def _fit(text: str, room: float, size: float, *, bold: bool = False) -> str:
    """``text``, or as much of it as fits in ``room`` followed by an ellipsis."""
    if text_width(text, size, bold=bold) <= room:
        return text
    cut = text
    while cut and text_width(cut + "…", size, bold=bold) > room:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" font-family="{escape(FONT)}" '
        f'font-size="13" fill="{INK}">'
    )


def _line(
    x1: float, y1: float, x2: float, y2: float, colour: str, *, width: float = 1, dash: str = ""
) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{colour}" stroke-width="{width}"{dashed}/>'
    )


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    fill: str = INK,
    size: int = 13,
    weight: str = "400",
    title: str = "",
) -> str:
    hover = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
        f'font-size="{size}" font-weight="{weight}">{hover}{escape(content)}</text>'
    )
