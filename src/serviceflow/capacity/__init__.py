"""Capacity planning: Erlang C (the stable Erlang B recursion) and staffing plans from a
forecast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.capacity._erlang import Binding as Binding
    from serviceflow.capacity._erlang import Performance as Performance
    from serviceflow.capacity._erlang import Staffing as Staffing
    from serviceflow.capacity._erlang import StaffingTarget as StaffingTarget
    from serviceflow.capacity._erlang import agents_needed as agents_needed
    from serviceflow.capacity._erlang import average_speed_of_answer as average_speed_of_answer
    from serviceflow.capacity._erlang import erlang_b as erlang_b
    from serviceflow.capacity._erlang import occupancy as occupancy
    from serviceflow.capacity._erlang import performance as performance
    from serviceflow.capacity._erlang import rostered as rostered
    from serviceflow.capacity._erlang import service_level as service_level
    from serviceflow.capacity._erlang import traffic_intensity as traffic_intensity
    from serviceflow.capacity._erlang import wait_probability as wait_probability
    from serviceflow.capacity._forecast import Forecast as Forecast
    from serviceflow.capacity._forecast import QueueForecast as QueueForecast
    from serviceflow.capacity._forecast import forecast_from_mapping as forecast_from_mapping
    from serviceflow.capacity._forecast_files import forecast_from_csv as forecast_from_csv
    from serviceflow.capacity._forecast_files import load_forecast as load_forecast
    from serviceflow.capacity._staffing import INTERVAL_COLUMNS as INTERVAL_COLUMNS
    from serviceflow.capacity._staffing import PeriodRow as PeriodRow
    from serviceflow.capacity._staffing import QueuePlan as QueuePlan
    from serviceflow.capacity._staffing import StaffingPlan as StaffingPlan
    from serviceflow.capacity._staffing import interval_records as interval_records
    from serviceflow.capacity._staffing import period_rows as period_rows
    from serviceflow.capacity._staffing import plan_staffing as plan_staffing
    from serviceflow.capacity._staffing import plan_summary as plan_summary

_NAMES = {
    "Binding": "serviceflow.capacity._erlang",
    "Forecast": "serviceflow.capacity._forecast",
    "INTERVAL_COLUMNS": "serviceflow.capacity._staffing",
    "Performance": "serviceflow.capacity._erlang",
    "PeriodRow": "serviceflow.capacity._staffing",
    "QueueForecast": "serviceflow.capacity._forecast",
    "QueuePlan": "serviceflow.capacity._staffing",
    "Staffing": "serviceflow.capacity._erlang",
    "StaffingPlan": "serviceflow.capacity._staffing",
    "StaffingTarget": "serviceflow.capacity._erlang",
    "agents_needed": "serviceflow.capacity._erlang",
    "average_speed_of_answer": "serviceflow.capacity._erlang",
    "erlang_b": "serviceflow.capacity._erlang",
    "forecast_from_csv": "serviceflow.capacity._forecast_files",
    "forecast_from_mapping": "serviceflow.capacity._forecast",
    "interval_records": "serviceflow.capacity._staffing",
    "load_forecast": "serviceflow.capacity._forecast_files",
    "occupancy": "serviceflow.capacity._erlang",
    "performance": "serviceflow.capacity._erlang",
    "period_rows": "serviceflow.capacity._staffing",
    "plan_staffing": "serviceflow.capacity._staffing",
    "plan_summary": "serviceflow.capacity._staffing",
    "rostered": "serviceflow.capacity._erlang",
    "service_level": "serviceflow.capacity._erlang",
    "traffic_intensity": "serviceflow.capacity._erlang",
    "wait_probability": "serviceflow.capacity._erlang",
}
"""Each public name and the module that defines it, imported on first use."""

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

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
