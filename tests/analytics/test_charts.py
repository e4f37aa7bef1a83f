"""The dashboard's charts: the days and ticks they draw, colours that follow priorities, and
SVG that holds no script and escapes every label."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from attrs import evolve

from serviceflow.analytics._charts import (
    NONE_COLOUR,
    PRIORITY_COLOURS,
    count_ticks,
    daily_volume,
    priority_colours,
    resolution_chart,
    sla_chart,
    volume_chart,
    volume_span,
    weekly_volume,
)
from serviceflow.analytics._kpi_set import NONE
from serviceflow.analytics._metrics import compute_kpis

from .test_metrics import END, POLICY, T0, _log

YEAR = timedelta(days=365)


def test_daily_volume_counts_every_day_of_the_period() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    report = compute_kpis(_log(), POLICY, start=start, end=datetime(2026, 3, 5, tzinfo=UTC))
    assert daily_volume(report) == [
        (date(2026, 3, 1), 0),
        (date(2026, 3, 2), 4),
        (date(2026, 3, 3), 1),
        (date(2026, 3, 4), 0),
    ]
    since_ever = compute_kpis(_log(), POLICY, end=END)
    assert daily_volume(since_ever)[0] == (date(2026, 3, 2), 4)
    assert daily_volume(compute_kpis([], POLICY, end=END)) == []


def test_weekly_volume_names_each_week_by_its_monday() -> None:
    days = [(date(2026, 3, 1) + timedelta(days=i), 1) for i in range(10)]
    assert weekly_volume(days) == [
        (date(2026, 2, 23), 1),
        (date(2026, 3, 2), 7),
        (date(2026, 3, 9), 2),
    ]


def test_a_long_period_is_drawn_per_week() -> None:
    start = T0 - timedelta(days=200)
    report = compute_kpis(_log(), POLICY, start=start, end=END)
    early = evolve(report, volume=((start.date(), 1), *report.volume))
    svg = volume_chart(early)
    assert "cases per week" in svg
    assert "w/c 02 Mar" in svg
    assert "cases per day" in volume_chart(compute_kpis(_log(), POLICY, start=T0, end=END))


def test_the_volume_chart_leaves_out_a_long_quiet_stretch_at_either_end() -> None:
    """A period much wider than its log (an imported log, a period in round years) is
    drawn over the days with submissions, not as a long row of empty days."""
    wide = compute_kpis(_log(), POLICY, start=T0 - timedelta(days=200), end=END + YEAR)
    assert volume_span(wide) == (date(2026, 3, 2), date(2026, 3, 3))
    assert daily_volume(wide) == [(date(2026, 3, 2), 4), (date(2026, 3, 3), 1)]
    assert "cases per day" in volume_chart(wide)
    since_ever = compute_kpis(_log(), POLICY, end=END + YEAR)
    assert volume_span(since_ever) == (date(2026, 3, 2), date(2026, 3, 3))
    week = datetime(2026, 2, 23, tzinfo=UTC)  # a quiet week before the log is kept
    assert volume_span(compute_kpis(_log(), POLICY, start=week, end=END)) == (
        date(2026, 2, 23),
        date(2026, 3, 3),
    )
    assert volume_span(compute_kpis([], POLICY, end=END)) is None


def test_count_ticks_are_whole_and_few() -> None:
    assert count_ticks(1) == [0, 1]
    assert count_ticks(5) == [0, 1, 2, 3, 4, 5]
    assert count_ticks(12) == [0, 5, 10, 15]
    assert count_ticks(99) == [0, 20, 40, 60, 80, 100]
    for highest in range(1, 3000, 7):
        ticks = count_ticks(highest)
        assert ticks[-1] >= highest
        assert len(ticks) <= 7


def test_each_priority_keeps_its_colour_and_missing_ones_are_grey() -> None:
    colours = priority_colours(["critical", "high", "low", NONE])
    assert colours == {
        "critical": PRIORITY_COLOURS[0],
        "high": PRIORITY_COLOURS[1],
        "low": PRIORITY_COLOURS[2],
        NONE: NONE_COLOUR,
    }


def test_charts_hold_no_script_and_escape_their_labels() -> None:
    report = compute_kpis(_log(), POLICY, start=T0, end=END, by="priority")
    for svg in (volume_chart(report), sla_chart(report, POLICY.priority.names)):
        assert svg.startswith("<svg")
        assert "<script" not in svg
        assert "<!--" not in svg
    sla = sla_chart(report, POLICY.priority.names)
    assert sla.index(">high<") < sla.index(">medium<") < sla.index(">all cases<")
    assert f">{NONE}<" not in sla, "cases without a priority decided no SLA clock"
    resolution = resolution_chart(report, POLICY.priority.names)
    assert "time to first resolution, wall-clock (log scale)" in resolution
    assert "business hours" in resolution_chart(report, business=True)


def test_importing_the_charts_leaves_no_legacy_import_hook() -> None:
    import importlib
    import sys
    import warnings

    import pygal  # type: ignore[import-untyped]

    assert not [f for f in sys.meta_path if isinstance(f, pygal.PluginImportFixer)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("serviceflow_no_such_module")
