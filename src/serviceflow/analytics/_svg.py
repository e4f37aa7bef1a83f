"""Charts drawn by hand as SVG text: durations as percentiles on a log scale, the message
of an empty chart, and the text measuring that gives every label the room it needs.

pygal has no chart for a distribution given as percentiles (its box plot wants the raw
values, which a streaming report does not keep), so these are drawn here; no script, no
external style or font.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from serviceflow.analytics._distribution import Stats
from serviceflow.analytics._table import human_duration

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
"""The dashboard's one font stack: whatever sans-serif the reader's system has."""
INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"
WIDTH, HEIGHT = 640, 360
"""The size of a half-width chart; text in it reads at about its font size."""

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
        return empty_svg(empty)
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


def empty_svg(message: str, width: int = WIDTH) -> str:
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
