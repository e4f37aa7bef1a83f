"""Capacity planning: Erlang C (the stable Erlang B recursion) and staffing plans from a
forecast.
"""

from __future__ import annotations

from serviceflow.capacity._erlang import (
    Binding,
    Performance,
    Staffing,
    StaffingTarget,
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    occupancy,
    performance,
    rostered,
    service_level,
    traffic_intensity,
    wait_probability,
)
from serviceflow.capacity._forecast import Forecast, QueueForecast, forecast_from_mapping
from serviceflow.capacity._forecast_files import forecast_from_csv, load_forecast
from serviceflow.capacity._staffing import (
    INTERVAL_COLUMNS,
    PeriodRow,
    QueuePlan,
    StaffingPlan,
    interval_records,
    period_rows,
    plan_staffing,
    plan_summary,
)

__all__ = [
    "INTERVAL_COLUMNS",
    "Binding",
    "Forecast",
    "Performance",
    "PeriodRow",
    "QueueForecast",
    "QueuePlan",
    "Staffing",
    "StaffingPlan",
    "StaffingTarget",
    "agents_needed",
    "average_speed_of_answer",
    "erlang_b",
    "forecast_from_csv",
    "forecast_from_mapping",
    "interval_records",
    "load_forecast",
    "occupancy",
    "performance",
    "period_rows",
    "plan_staffing",
    "plan_summary",
    "rostered",
    "service_level",
    "traffic_intensity",
    "wait_probability",
]
