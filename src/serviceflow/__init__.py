"""serviceflow: one standard lifecycle for every client request, over an auditable event log.

The public API is re-exported here. Plugin authors also use ``serviceflow.store`` (the store
contract) and ``serviceflow.hookspecs``; ``serviceflow.commands`` and
``serviceflow.events`` hold the types that ``ServiceDesk.execute`` and ``history`` use.
Modules starting with ``_`` are private.
"""

from __future__ import annotations

from serviceflow.article import Article
from serviceflow.calendar import BusinessCalendar, always_open, business_calendar
from serviceflow.calibration import CalibrationReport, calibrate
from serviceflow.capacity import Performance, Staffing, StaffingTarget, agents_needed
from serviceflow.case import Case, Escalation
from serviceflow.clock import Clock, ManualClock, SystemClock
from serviceflow.dashboard import render_dashboard, write_dashboard
from serviceflow.delivery_policy import DeliveryPolicy
from serviceflow.desk import RecordedEvent, ServiceDesk, Verification
from serviceflow.distribution import Stats
from serviceflow.errors import (
    ClockBehind,
    ConcurrencyConflict,
    GuardrailViolation,
    IntegrityError,
    InvalidTransition,
    NotAuthorized,
    NotFound,
    PluginError,
    PolicyError,
    ServiceflowError,
    StoreError,
    ValidationError,
)
from serviceflow.escalation_audit import EscalationAudit
from serviceflow.escalation_clock import TierClock
from serviceflow.escalation_policy import EscalationPolicy, EscalationRule, EscalationTier, Raci
from serviceflow.governance import Review, review
from serviceflow.hookspecs import hookimpl
from serviceflow.import_mapping import ImportMapping, load_mapping
from serviceflow.importer import ImportReport, import_csv
from serviceflow.improvement import Cycle, Improvement
from serviceflow.knowledge import Knowledge
from serviceflow.kpi_sample import Kpi
from serviceflow.limits_policy import Limits
from serviceflow.messages import Classification, Notification
from serviceflow.metrics import Compliance, KpiReport, KpiSet, Rate, compute_kpis, kpis
from serviceflow.notifiers import JsonLinesNotifier, LogNotifier
from serviceflow.outbox import DeliveryReport, Outbox, OutboxMessage
from serviceflow.policy import Policy, default_policy, load_policy
from serviceflow.priority import PriorityExplanation
from serviceflow.problems import Problem, Problems
from serviceflow.quality_policy import Criterion, QualityPolicy, Rubric
from serviceflow.report import Table, tables, write_exports
from serviceflow.routing import Agent, Decision, Queue
from serviceflow.scorecard import Scorecard, desk_scorecards, scorecards
from serviceflow.staffing import Forecast, StaffingPlan, load_forecast, plan_staffing
from serviceflow.survey_policy import SurveyPolicy
from serviceflow.worker import Worker

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "Article",
    "BusinessCalendar",
    "CalibrationReport",
    "Case",
    "Classification",
    "Clock",
    "ClockBehind",
    "Compliance",
    "ConcurrencyConflict",
    "Criterion",
    "Cycle",
    "Decision",
    "DeliveryPolicy",
    "DeliveryReport",
    "Escalation",
    "EscalationAudit",
    "EscalationPolicy",
    "EscalationRule",
    "EscalationTier",
    "Forecast",
    "GuardrailViolation",
    "ImportMapping",
    "ImportReport",
    "Improvement",
    "IntegrityError",
    "InvalidTransition",
    "JsonLinesNotifier",
    "Knowledge",
    "Kpi",
    "KpiReport",
    "KpiSet",
    "Limits",
    "LogNotifier",
    "ManualClock",
    "NotAuthorized",
    "NotFound",
    "Notification",
    "Outbox",
    "OutboxMessage",
    "Performance",
    "PluginError",
    "Policy",
    "PolicyError",
    "PriorityExplanation",
    "Problem",
    "Problems",
    "QualityPolicy",
    "Queue",
    "Raci",
    "Rate",
    "RecordedEvent",
    "Review",
    "Rubric",
    "Scorecard",
    "ServiceDesk",
    "ServiceflowError",
    "Staffing",
    "StaffingPlan",
    "StaffingTarget",
    "Stats",
    "StoreError",
    "SurveyPolicy",
    "SystemClock",
    "Table",
    "TierClock",
    "ValidationError",
    "Verification",
    "Worker",
    "__version__",
    "agents_needed",
    "always_open",
    "business_calendar",
    "calibrate",
    "compute_kpis",
    "default_policy",
    "desk_scorecards",
    "hookimpl",
    "import_csv",
    "kpis",
    "load_forecast",
    "load_mapping",
    "load_policy",
    "plan_staffing",
    "render_dashboard",
    "review",
    "scorecards",
    "tables",
    "write_dashboard",
    "write_exports",
]
