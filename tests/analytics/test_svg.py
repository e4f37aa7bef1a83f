"""The hand-drawn SVG charts: percentiles on a log scale, empty charts, measured labels."""

from __future__ import annotations

import re

from serviceflow.analytics._distribution import Distribution
from serviceflow.analytics._svg import _fit, empty_svg, percentile_chart, text_width, wrap


def test_a_percentile_chart_makes_room_for_every_label() -> None:
    slow = Distribution()
    for seconds in (60, 600, 3600, 20 * 3600, 23.9 * 3600):
        slow.add(seconds)
    long_name = "Level 2 application support and engineering (EMEA)"
    svg = percentile_chart(
        [("critical", slow.stats(), "#000", "resolved"), (long_name, slow.stats(), "#111", "x")],
        axis="time",
        label="test",
        empty="none",
    )
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg)[1])  # type: ignore[index]
    assert width > 640, "wider than the default for the long name"
    assert f"<title>{long_name}</title>" in svg, "a name cut short keeps its full text"
    assert "…" in svg
    for match in re.finditer(
        r'<text x="([\d.]+)" [^>]*text-anchor="(\w+)"[^>]*'
        r'font-size="(\d+)" font-weight="(\d+)">(?:<title>.*?</title>)?'
        r"([^<]*)</text>",
        svg,
    ):
        x, anchor, size, weight, text = match.groups()
        room = text_width(text, int(size), bold=weight != "400")
        left = {"start": 0, "middle": room / 2, "end": room}[anchor]
        assert float(x) - left >= 0, text
        assert float(x) - left + room <= width, text


def test_an_empty_chart_wraps_its_reason_inside_the_chart() -> None:
    reason = "No SLA clock was met or breached in this period: " + "a long reason " * 6
    svg = empty_svg(reason)
    lines = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    assert len(lines) > 1
    assert " ".join(lines) == " ".join(reason.split())
    assert all(text_width(line, 16) <= 640 - 32 for line in lines)
    assert wrap("a" * 200, 100, 16) == [_fit("a" * 200, 100, 16)], "a long word is cut"
    assert _fit("a" * 200, 100, 16).endswith("…")


def test_a_percentile_chart_escapes_its_labels() -> None:
    times = Distribution()
    for seconds in (60, 600, 3600):
        times.add(seconds)
    drawn = percentile_chart(
        [("<b>tier</b>", times.stats(), "#000", "stint")], axis="a & b", label="<x>", empty="-"
    )
    assert "<script" not in drawn
    assert "&lt;b&gt;tier&lt;/b&gt;" in drawn
    assert "a &amp; b" in drawn
    assert 'aria-label="&lt;x&gt;"' in drawn
    assert "3 stints" in drawn
