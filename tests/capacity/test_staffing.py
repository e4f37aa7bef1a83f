"""Forecasts read from TOML and CSV, turned into staffing plans."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.capacity._erlang import StaffingTarget, agents_needed
from serviceflow.capacity._forecast import Forecast, QueueForecast, forecast_from_mapping
from serviceflow.capacity._forecast_files import forecast_from_csv, load_forecast
from serviceflow.capacity._staffing import (
    INTERVAL_COLUMNS,
    interval_records,
    period_rows,
    plan_staffing,
    plan_summary,
)
from serviceflow.errors import ValidationError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "forecast_week.toml"


def _problems(data: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        forecast_from_mapping(data)
    return list(caught.value.problems)


def _queue(**fields: Any) -> dict[str, Any]:
    return {"name": "q", "handle_seconds": 180, "arrivals": [100, 0], **fields}


def test_the_example_week_expands_its_profiles() -> None:
    forecast = load_forecast(EXAMPLE)
    assert forecast.interval_minutes == 15
    assert forecast.intervals == 7 * 96
    assert [q.name for q in forecast.queues] == ["billing", "technical", "web-chat"]
    billing = forecast.queues[0]
    monday_ten = 10 * 4
    assert billing.arrivals[monday_ten] == pytest.approx(180 * 1.25 / 4)
    assert billing.arrivals[6 * 96 + monday_ten] == 0  # Sunday factor 0
    assert billing.target == StaffingTarget(0.8, 20, 0.85, 0.3)
    technical = forecast.queues[1].target
    assert (technical.service_level, technical.max_asa_seconds, technical.min_agents) == (
        0.9,
        15,
        1,
    )
    assert technical.shrinkage == 0.3  # inherited from [targets]
    assert forecast.start == datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=1)))


def test_plan_adds_up() -> None:
    forecast = load_forecast(EXAMPLE)
    plan = plan_staffing(forecast)
    assert len(plan.totals) == forecast.intervals
    for i in (0, 40, 300, 671):
        assert plan.totals[i] == sum(q.intervals[i].rostered for q in plan.queues)
    assert plan.peak == max(plan.totals) == plan.totals[plan.peak_interval]
    assert plan.label(plan.peak_interval) == "Mon 2026-03-02 10:00"
    for queue in plan.queues:
        assert queue.peak == max(a.rostered for a in queue.intervals)
        assert queue.agent_hours == pytest.approx(sum(a.rostered for a in queue.intervals) / 4)
        assert 0 < queue.occupancy <= 0.85
    assert plan.agent_hours == pytest.approx(sum(q.agent_hours for q in plan.queues))
    technical = plan.queues[1]
    assert min(a.agents for a in technical.intervals) >= 1  # min_agents


def test_each_interval_is_the_erlang_c_answer() -> None:
    forecast = load_forecast(EXAMPLE)
    plan = plan_staffing(forecast)
    billing = forecast.queues[0]
    answer = plan.queues[0].intervals[40]
    intensity = billing.arrivals[40] / 900 * 240
    assert answer == agents_needed(intensity, handle_seconds=240, target=billing.target)


def test_hourly_rows_show_the_peak_interval_of_each_hour() -> None:
    target = StaffingTarget()
    queue = QueueForecast("q", "phone", (10, 40, 20, 0, 5, 5, 5, 5), (180,) * 8, target)
    plan = plan_staffing(Forecast(15, (queue,)))
    hours = period_rows(plan)
    assert [r.label for r in hours] == ["d1 00:00", "d1 01:00"]
    assert hours[0].agents == (plan.queues[0].intervals[1].rostered,)
    assert hours[0].holds(3)
    assert not hours[0].holds(4)
    intervals = period_rows(plan, hourly=False)
    assert len(intervals) == 8
    assert intervals[1].label == "d1 00:15"
    odd = plan_staffing(Forecast(45, (queue,)))
    assert len(period_rows(odd)) == 8  # 45 minutes do not divide an hour: one row each


def test_records_and_summary_are_plain_data() -> None:
    forecast = load_forecast(EXAMPLE)
    plan = plan_staffing(forecast)
    records = interval_records(plan, forecast)
    assert len(records) == 3 * 672
    assert list(records[0]) == list(INTERVAL_COLUMNS)
    busy = records[40]
    assert busy["queue"] == "billing"
    assert busy["arrivals"] == forecast.queues[0].arrivals[40]
    summary = plan_summary(plan)
    json.dumps(summary, allow_nan=False)
    assert summary["peak"] == plan.peak
    assert summary["queues"][1]["target"]["max_asa_seconds"] == 15
    assert summary["start"] == "2026-03-02T00:00:00.000000+01:00"


def test_toml_problems_have_paths() -> None:
    bad_type = _problems({"queues": [_queue(), _queue(name="b", arrivals=[1, "x"])]})
    assert bad_type == ["$.queues[1].arrivals[1]: expected a number, got 'x'"]
    problems = _problems(
        {
            "interval_minutes": 7,
            "queues": [
                _queue(arrivals=[1, -2]),
                _queue(handle_seconds=0, targets={"service_level": 80}),
                _queue(name="c", arrivals=[1, 2, 3]),
            ],
        }
    )
    assert problems[0].startswith("$.interval_minutes: expected minutes that divide a day")
    assert "$.queues[0].arrivals[1]: expected a finite number ≥ 0, got -2.0" in problems
    assert "$.queues[1].name: 'q' is named twice" in problems
    assert "$.queues[1].handle_seconds: expected a number > 0, got 0.0" in problems
    assert any(
        p.startswith("$.queues[1].targets.service_level: expected a share") for p in problems
    )
    assert "$.queues[2]: covers 3 intervals, the first queue 2" in problems
    unknown = _problems({"queues": [_queue(colour="red")]})
    assert unknown == ["$.queues[0]: unknown field(s) colour"]
    neither = _problems({"queues": [{"name": "q", "handle_seconds": 60}]})
    assert neither == [
        "$.queues[0]: expected arrivals (one per interval) or a profile, exactly one"
    ]
    profile = {"hourly": [1] * 23, "days": [1, -1]}
    problems = _problems({"start": "soon", "queues": [_queue(arrivals=None, profile=profile)]})
    assert problems == [
        "$.start: expected a date and time like 2026-03-02T00:00:00, got 'soon'",
        "$.queues[0].profile.hourly: expected 24 values (calls per hour), got 23",
        "$.queues[0].profile.days[1]: expected a finite number ≥ 0, got -1.0",
    ]
    assert _problems({"queues": []}) == ["$.queues: expected at least one queue"]


def test_load_forecast_refuses_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read forecast"):
        load_forecast(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("queues = [", encoding="utf-8")
    with pytest.raises(ValidationError, match="is not valid TOML"):
        load_forecast(broken)


CSV = """queue,channel,interval,arrivals,handle_seconds,service_level,answer_seconds,shrinkage
sales,phone,1,30,200,0.9,15,0.25
sales,phone,0,60,180,0.9,15,0.25
chat,chat,0,20,400,,,
chat,chat,1,0,400,,,
"""


def test_csv_forecast_allows_a_handle_time_per_interval(tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text(CSV, encoding="utf-8")
    forecast = load_forecast(path)
    assert forecast.interval_minutes == 15
    sales, chat = forecast.queues
    assert (sales.arrivals, sales.handle_seconds) == ((60, 30), (180, 200))
    assert sales.target == StaffingTarget(0.9, 15, shrinkage=0.25)
    assert chat.target == StaffingTarget()
    assert chat.channel == "chat"
    plan = plan_staffing(forecast)
    assert plan.queues[0].intervals[1].handle_seconds == 200
    assert plan.queues[1].intervals[1].agents == 0


def test_csv_problems_name_line_and_column() -> None:
    text = (
        "queue,interval,arrivals,handle_seconds,service_level,interval_minutes\n"
        "a,0,10,180,0.8,30\n"
        "a,1,x,180,0.8,30\n"
        "a,1,12,180,0.9,30\n"
        "a,1,12,180,0.8,30\n"
        "a,1,12,180,0.8,30\n"
        "b,0,5,-3,,30\n"
        "a,3,1,1,0.8,30\n"
        ",0,1,1,,30\n"
    )
    with pytest.raises(ValidationError) as caught:
        forecast_from_csv(text)
    assert caught.value.problems == (
        "line 3, arrivals: expected a number, got 'x'",
        "line 4, service_level: queue 'a' has '0.8' on an earlier row, '0.9' here",
        "line 5, interval: interval 1 of queue 'a' is given twice",
        "line 6, interval: interval 1 of queue 'a' is given twice",
        "line 7, handle_seconds: expected a finite number ≥ 0, got '-3'",
        "line 9, queue: expected a queue name",
        "queue 'a': no row for interval(s) 2",
    )
    with pytest.raises(ValidationError) as header:
        forecast_from_csv("queue,when\n")
    assert header.value.problems[:3] == (
        "header: missing column interval",
        "header: missing column arrivals",
        "header: missing column handle_seconds",
    )
    assert header.value.problems[3].startswith("header: unknown column 'when' (known: queue,")
    with pytest.raises(ValidationError, match=r"queue 'a', service_level: expected a share"):
        forecast_from_csv("queue,interval,arrivals,handle_seconds,service_level\na,0,1,1,80\n")
    with pytest.raises(ValidationError, match="interval_minutes: expected minutes that divide"):
        forecast_from_csv("queue,interval,arrivals,handle_seconds,interval_minutes\na,0,1,1,7\n")


@given(
    arrivals=st.lists(st.floats(0, 400, allow_nan=False), min_size=1, max_size=12),
    handle=st.floats(10, 900),
)
@settings(max_examples=50)
def test_totals_and_hours_are_sums_of_intervals(arrivals: list[float], handle: float) -> None:
    queue = QueueForecast(
        "q", "phone", tuple(arrivals), (handle,) * len(arrivals), StaffingTarget(shrinkage=0.2)
    )
    plan = plan_staffing(Forecast(30, (queue, queue)))
    assert plan.totals == tuple(2 * a.rostered for a in plan.queues[0].intervals)
    assert plan.agent_hours == pytest.approx(sum(plan.totals) / 2)
    workload = sum(a * handle / 1800 for a in arrivals) / 2
    assert plan.queues[0].workload_hours == pytest.approx(workload)
    assert all(
        math.isfinite(r["asa_seconds"] or 0.0)
        for r in interval_records(plan, Forecast(30, (queue, queue)))
    )


def test_an_invalid_interval_stops_before_a_profile_is_expanded() -> None:
    """Regression: ``interval_minutes = 0`` with a profile crashed on ``60 % 0``."""
    profile = {"hourly": [10] * 24, "days": [1]}
    for minutes in (0, -15):
        problems = _problems(
            {"interval_minutes": minutes, "queues": [_queue(arrivals=None, profile=profile)]}
        )
        assert problems == [
            "$.interval_minutes: expected minutes that divide a day (such as 15, 30, 60), "
            f"got {minutes}"
        ]


def test_a_forecast_without_intervals_is_refused() -> None:
    """Regression: ``arrivals = []`` gave a plan with zero intervals."""
    assert _problems({"queues": [_queue(arrivals=[])]}) == [
        "$.queues[0].arrivals: expected at least one interval, got none"
    ]
    no_days = {"hourly": [1] * 24, "days": []}
    assert _problems({"queues": [_queue(arrivals=None, profile=no_days)]}) == [
        "$.queues[0].profile.days: expected at least one day, got none"
    ]


HEADER = "queue,interval,arrivals,handle_seconds"


def _csv_problems(text: str) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as caught:
        forecast_from_csv(text)
    return caught.value.problems


def test_csv_whole_numbers_are_ascii_digits() -> None:
    """Regression: ``isdigit`` accepted "²", then ``int`` raised ValueError."""
    assert _csv_problems(f"{HEADER}\na,²,1,1\n") == (
        "line 2, interval: expected a whole number ≥ 0, got '²'",
    )
    assert _csv_problems(f"{HEADER},min_agents\na,0,1,1,²\n") == (
        "queue 'a', min_agents: expected a whole number ≥ 0, got '²'",
    )
    assert _csv_problems(f"{HEADER},interval_minutes\na,0,1,1,³\n") == (
        "interval_minutes: expected minutes that divide a day, got '³'",
    )


def test_csv_rows_must_have_one_cell_per_column() -> None:
    """Regression: extra cells were silently dropped."""
    assert _csv_problems(f"{HEADER}\na,0,1,1,9\na,1,1\n") == (
        "line 2: expected 4 cells (one per header column), got 5",
        "line 3: expected 4 cells (one per header column), got 3",
    )


def test_csv_header_names_a_column_once() -> None:
    """Regression: a repeated column silently kept its last cell."""
    assert _csv_problems(f"{HEADER},arrivals\na,0,1,1,2\n") == (
        "header: column 'arrivals' appears more than once",
    )


def test_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Regression: a UTF-8 BOM gave "missing column queue"."""
    path = tmp_path / "bom.csv"
    path.write_text(f"{HEADER}\na,0,10,180\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_forecast(path).queues[0].name == "a"
    assert forecast_from_csv(f"\ufeff{HEADER}\na,0,10,180\n").queues[0].arrivals == (10,)


def test_csv_interval_minutes_reports_what_was_written() -> None:
    """Regression: a blank cell was reported as "15"."""
    text = f"{HEADER},interval_minutes\na,0,1,1,30\na,1,1,1,\n"
    assert _csv_problems(text) == ("interval_minutes: expected one value, got ['', '30']",)
    blank = forecast_from_csv(f"{HEADER},interval_minutes\na,0,1,1,\na,1,1,1, \n")
    assert blank.interval_minutes == 15
