"""Honest numbers: streaming distributions, case facts, KPIs sliced by dimension, scorecards,
QA calibration, effect sizes, the governance calendar, tables, exports and the dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.analytics._calibration import CalibrationReport as CalibrationReport
    from serviceflow.analytics._calibration import CaseCalibration as CaseCalibration
    from serviceflow.analytics._calibration import CriterionSpread as CriterionSpread
    from serviceflow.analytics._calibration import CriterionSummary as CriterionSummary
    from serviceflow.analytics._calibration import ReviewerCalibration as ReviewerCalibration
    from serviceflow.analytics._calibration import ReviewerScore as ReviewerScore
    from serviceflow.analytics._calibration import Spread as Spread
    from serviceflow.analytics._calibration import calibrate as calibrate
    from serviceflow.analytics._calibration import calibration as calibration
    from serviceflow.analytics._case_facts import DIMENSIONS as DIMENSIONS
    from serviceflow.analytics._case_facts import RESOLVED_STATES as RESOLVED_STATES
    from serviceflow.analytics._case_facts import CaseFacts as CaseFacts
    from serviceflow.analytics._case_facts import TierStint as TierStint
    from serviceflow.analytics._case_facts import add_event as add_event
    from serviceflow.analytics._case_facts import before as before
    from serviceflow.analytics._case_facts import case_facts as case_facts
    from serviceflow.analytics._case_facts import opening_facts as opening_facts
    from serviceflow.analytics._case_summary import Summary as Summary
    from serviceflow.analytics._case_summary import decoded as decoded
    from serviceflow.analytics._case_summary import summary as summary
    from serviceflow.analytics._dashboard import CSS as CSS
    from serviceflow.analytics._dashboard import DOCS_URL as DOCS_URL
    from serviceflow.analytics._dashboard import LEGEND as LEGEND
    from serviceflow.analytics._dashboard import render_dashboard as render_dashboard
    from serviceflow.analytics._dashboard import write_dashboard as write_dashboard
    from serviceflow.analytics._distribution import EXACT_UP_TO as EXACT_UP_TO
    from serviceflow.analytics._distribution import RELATIVE_ACCURACY as RELATIVE_ACCURACY
    from serviceflow.analytics._distribution import Distribution as Distribution
    from serviceflow.analytics._distribution import Stats as Stats
    from serviceflow.analytics._effect import STATISTICS as STATISTICS
    from serviceflow.analytics._effect import Effect as Effect
    from serviceflow.analytics._effect import RankTest as RankTest
    from serviceflow.analytics._effect import effect as effect
    from serviceflow.analytics._effect import mann_whitney as mann_whitney
    from serviceflow.analytics._effect import quantile as quantile
    from serviceflow.analytics._effect import statistic as statistic
    from serviceflow.analytics._kept_facts import FORMAT as FORMAT
    from serviceflow.analytics._kept_facts import Clock as Clock
    from serviceflow.analytics._kept_facts import E as E
    from serviceflow.analytics._kept_facts import decode_facts as decode_facts
    from serviceflow.analytics._kept_facts import encode_facts as encode_facts
    from serviceflow.analytics._kept_facts import facts_key as facts_key
    from serviceflow.analytics._kpi_sample import KPI_NAMES as KPI_NAMES
    from serviceflow.analytics._kpi_sample import RATE_KPIS as RATE_KPIS
    from serviceflow.analytics._kpi_sample import TIME_KINDS as TIME_KINDS
    from serviceflow.analytics._kpi_sample import TIME_KPIS as TIME_KPIS
    from serviceflow.analytics._kpi_sample import Kpi as Kpi
    from serviceflow.analytics._kpi_sample import Sample as Sample
    from serviceflow.analytics._kpi_sample import case_values as case_values
    from serviceflow.analytics._kpi_sample import desk_sample as desk_sample
    from serviceflow.analytics._kpi_sample import rate_kpi as rate_kpi
    from serviceflow.analytics._kpi_sample import sample as sample
    from serviceflow.analytics._kpi_sample import scope_problems as scope_problems
    from serviceflow.analytics._kpi_set import AGE_BUCKETS as AGE_BUCKETS
    from serviceflow.analytics._kpi_set import NONE as NONE
    from serviceflow.analytics._kpi_set import Backlog as Backlog
    from serviceflow.analytics._kpi_set import Compliance as Compliance
    from serviceflow.analytics._kpi_set import KpiReport as KpiReport
    from serviceflow.analytics._kpi_set import KpiSet as KpiSet
    from serviceflow.analytics._kpi_set import Quality as Quality
    from serviceflow.analytics._kpi_set import Rate as Rate
    from serviceflow.analytics._kpi_set import Surveys as Surveys
    from serviceflow.analytics._kpi_set import TimeMetric as TimeMetric
    from serviceflow.analytics._kpi_tables import backlog_table as backlog_table
    from serviceflow.analytics._kpi_tables import criteria_table as criteria_table
    from serviceflow.analytics._kpi_tables import headline as headline
    from serviceflow.analytics._kpi_tables import ordered as ordered
    from serviceflow.analytics._kpi_tables import per_case_table as per_case_table
    from serviceflow.analytics._kpi_tables import quality_table as quality_table
    from serviceflow.analytics._kpi_tables import sla_metrics as sla_metrics
    from serviceflow.analytics._kpi_tables import sla_overall as sla_overall
    from serviceflow.analytics._kpi_tables import sla_table as sla_table
    from serviceflow.analytics._kpi_tables import slice_order as slice_order
    from serviceflow.analytics._kpi_tables import slice_table as slice_table
    from serviceflow.analytics._kpi_tables import summary_table as summary_table
    from serviceflow.analytics._kpi_tables import survey_table as survey_table
    from serviceflow.analytics._kpi_tables import tier_order as tier_order
    from serviceflow.analytics._kpi_tables import tier_table as tier_table
    from serviceflow.analytics._kpi_tables import time_table as time_table
    from serviceflow.analytics._kpi_tables import volume_table as volume_table
    from serviceflow.analytics._metrics import compute_kpis as compute_kpis
    from serviceflow.analytics._metrics import kpis as kpis
    from serviceflow.analytics._report import FORMATS as FORMATS
    from serviceflow.analytics._report import tables as tables
    from serviceflow.analytics._report import to_csv as to_csv
    from serviceflow.analytics._report import write_exports as write_exports
    from serviceflow.analytics._scorecard import KINDS as KINDS
    from serviceflow.analytics._scorecard import Scorecard as Scorecard
    from serviceflow.analytics._scorecard import desk_scorecards as desk_scorecards
    from serviceflow.analytics._scorecard import scorecards as scorecards
    from serviceflow.analytics._table import Cell as Cell
    from serviceflow.analytics._table import Column as Column
    from serviceflow.analytics._table import Figure as Figure
    from serviceflow.analytics._table import Kind as Kind
    from serviceflow.analytics._table import Table as Table
    from serviceflow.analytics._table import format_cell as format_cell
    from serviceflow.analytics._table import human_duration as human_duration

_NAMES = {
    "AGE_BUCKETS": "serviceflow.analytics._kpi_set",
    "Backlog": "serviceflow.analytics._kpi_set",
    "CSS": "serviceflow.analytics._dashboard",
    "CalibrationReport": "serviceflow.analytics._calibration",
    "CaseCalibration": "serviceflow.analytics._calibration",
    "CaseFacts": "serviceflow.analytics._case_facts",
    "Cell": "serviceflow.analytics._table",
    "Clock": "serviceflow.analytics._kept_facts",
    "Column": "serviceflow.analytics._table",
    "Compliance": "serviceflow.analytics._kpi_set",
    "CriterionSpread": "serviceflow.analytics._calibration",
    "CriterionSummary": "serviceflow.analytics._calibration",
    "DIMENSIONS": "serviceflow.analytics._case_facts",
    "DOCS_URL": "serviceflow.analytics._dashboard",
    "Distribution": "serviceflow.analytics._distribution",
    "E": "serviceflow.analytics._kept_facts",
    "EXACT_UP_TO": "serviceflow.analytics._distribution",
    "Effect": "serviceflow.analytics._effect",
    "FORMAT": "serviceflow.analytics._kept_facts",
    "FORMATS": "serviceflow.analytics._report",
    "Figure": "serviceflow.analytics._table",
    "KINDS": "serviceflow.analytics._scorecard",
    "KPI_NAMES": "serviceflow.analytics._kpi_sample",
    "Kind": "serviceflow.analytics._table",
    "Kpi": "serviceflow.analytics._kpi_sample",
    "KpiReport": "serviceflow.analytics._kpi_set",
    "KpiSet": "serviceflow.analytics._kpi_set",
    "LEGEND": "serviceflow.analytics._dashboard",
    "NONE": "serviceflow.analytics._kpi_set",
    "Quality": "serviceflow.analytics._kpi_set",
    "RATE_KPIS": "serviceflow.analytics._kpi_sample",
    "RELATIVE_ACCURACY": "serviceflow.analytics._distribution",
    "RESOLVED_STATES": "serviceflow.analytics._case_facts",
    "RankTest": "serviceflow.analytics._effect",
    "Rate": "serviceflow.analytics._kpi_set",
    "ReviewerCalibration": "serviceflow.analytics._calibration",
    "ReviewerScore": "serviceflow.analytics._calibration",
    "STATISTICS": "serviceflow.analytics._effect",
    "Sample": "serviceflow.analytics._kpi_sample",
    "Scorecard": "serviceflow.analytics._scorecard",
    "Spread": "serviceflow.analytics._calibration",
    "Stats": "serviceflow.analytics._distribution",
    "Summary": "serviceflow.analytics._case_summary",
    "Surveys": "serviceflow.analytics._kpi_set",
    "TIME_KINDS": "serviceflow.analytics._kpi_sample",
    "TIME_KPIS": "serviceflow.analytics._kpi_sample",
    "Table": "serviceflow.analytics._table",
    "TierStint": "serviceflow.analytics._case_facts",
    "TimeMetric": "serviceflow.analytics._kpi_set",
    "add_event": "serviceflow.analytics._case_facts",
    "backlog_table": "serviceflow.analytics._kpi_tables",
    "before": "serviceflow.analytics._case_facts",
    "calibrate": "serviceflow.analytics._calibration",
    "calibration": "serviceflow.analytics._calibration",
    "case_facts": "serviceflow.analytics._case_facts",
    "case_values": "serviceflow.analytics._kpi_sample",
    "compute_kpis": "serviceflow.analytics._metrics",
    "criteria_table": "serviceflow.analytics._kpi_tables",
    "decode_facts": "serviceflow.analytics._kept_facts",
    "decoded": "serviceflow.analytics._case_summary",
    "desk_sample": "serviceflow.analytics._kpi_sample",
    "desk_scorecards": "serviceflow.analytics._scorecard",
    "effect": "serviceflow.analytics._effect",
    "encode_facts": "serviceflow.analytics._kept_facts",
    "facts_key": "serviceflow.analytics._kept_facts",
    "format_cell": "serviceflow.analytics._table",
    "headline": "serviceflow.analytics._kpi_tables",
    "human_duration": "serviceflow.analytics._table",
    "kpis": "serviceflow.analytics._metrics",
    "mann_whitney": "serviceflow.analytics._effect",
    "opening_facts": "serviceflow.analytics._case_facts",
    "ordered": "serviceflow.analytics._kpi_tables",
    "per_case_table": "serviceflow.analytics._kpi_tables",
    "quality_table": "serviceflow.analytics._kpi_tables",
    "quantile": "serviceflow.analytics._effect",
    "rate_kpi": "serviceflow.analytics._kpi_sample",
    "render_dashboard": "serviceflow.analytics._dashboard",
    "sample": "serviceflow.analytics._kpi_sample",
    "scope_problems": "serviceflow.analytics._kpi_sample",
    "scorecards": "serviceflow.analytics._scorecard",
    "sla_metrics": "serviceflow.analytics._kpi_tables",
    "sla_overall": "serviceflow.analytics._kpi_tables",
    "sla_table": "serviceflow.analytics._kpi_tables",
    "slice_order": "serviceflow.analytics._kpi_tables",
    "slice_table": "serviceflow.analytics._kpi_tables",
    "statistic": "serviceflow.analytics._effect",
    "summary": "serviceflow.analytics._case_summary",
    "summary_table": "serviceflow.analytics._kpi_tables",
    "survey_table": "serviceflow.analytics._kpi_tables",
    "tables": "serviceflow.analytics._report",
    "tier_order": "serviceflow.analytics._kpi_tables",
    "tier_table": "serviceflow.analytics._kpi_tables",
    "time_table": "serviceflow.analytics._kpi_tables",
    "to_csv": "serviceflow.analytics._report",
    "volume_table": "serviceflow.analytics._kpi_tables",
    "write_dashboard": "serviceflow.analytics._dashboard",
    "write_exports": "serviceflow.analytics._report",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = [
    "AGE_BUCKETS",
    "CSS",
    "DIMENSIONS",
    "DOCS_URL",
    "EXACT_UP_TO",
    "FORMAT",
    "FORMATS",
    "KINDS",
    "KPI_NAMES",
    "LEGEND",
    "NONE",
    "RATE_KPIS",
    "RELATIVE_ACCURACY",
    "RESOLVED_STATES",
    "STATISTICS",
    "TIME_KINDS",
    "TIME_KPIS",
    "Backlog",
    "CalibrationReport",
    "CaseCalibration",
    "CaseFacts",
    "Cell",
    "Clock",
    "Column",
    "Compliance",
    "CriterionSpread",
    "CriterionSummary",
    "Distribution",
    "E",
    "Effect",
    "Figure",
    "Kind",
    "Kpi",
    "KpiReport",
    "KpiSet",
    "Quality",
    "RankTest",
    "Rate",
    "ReviewerCalibration",
    "ReviewerScore",
    "Sample",
    "Scorecard",
    "Spread",
    "Stats",
    "Summary",
    "Surveys",
    "Table",
    "TierStint",
    "TimeMetric",
    "add_event",
    "backlog_table",
    "before",
    "calibrate",
    "calibration",
    "case_facts",
    "case_values",
    "compute_kpis",
    "criteria_table",
    "decode_facts",
    "decoded",
    "desk_sample",
    "desk_scorecards",
    "effect",
    "encode_facts",
    "facts_key",
    "format_cell",
    "headline",
    "human_duration",
    "kpis",
    "mann_whitney",
    "opening_facts",
    "ordered",
    "per_case_table",
    "quality_table",
    "quantile",
    "rate_kpi",
    "render_dashboard",
    "sample",
    "scope_problems",
    "scorecards",
    "sla_metrics",
    "sla_overall",
    "sla_table",
    "slice_order",
    "slice_table",
    "statistic",
    "summary",
    "summary_table",
    "survey_table",
    "tables",
    "tier_order",
    "tier_table",
    "time_table",
    "to_csv",
    "volume_table",
    "write_dashboard",
    "write_exports",
]

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
