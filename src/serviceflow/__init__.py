"""serviceflow: one standard lifecycle for every client request, over an auditable event log.

The names below are what an application needs; each loads on first use, so importing
``serviceflow`` costs almost nothing. The packages hold the rest, each behind a small face:
``core``, ``domain`` (and ``domain.policy``), ``rules``, ``eventlog``, ``desk``, ``plugins``
(``plugins.hookspecs`` for plugin authors), ``backends``, ``knowledge``, ``problems``,
``improvement``, ``analytics``, ``capacity``, ``simulation``, ``importing``, ``cli`` and
``testing``. Modules starting with ``_`` are private.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING

from serviceflow import _moved

if TYPE_CHECKING:
    from serviceflow.analytics._calibration import CalibrationReport as CalibrationReport
    from serviceflow.analytics._calibration import calibrate as calibrate
    from serviceflow.analytics._dashboard import render_dashboard as render_dashboard
    from serviceflow.analytics._dashboard import write_dashboard
    from serviceflow.analytics._distribution import Stats as Stats
    from serviceflow.analytics._kpi_sample import Kpi as Kpi
    from serviceflow.analytics._kpi_set import Compliance as Compliance
    from serviceflow.analytics._kpi_set import KpiReport
    from serviceflow.analytics._kpi_set import KpiSet as KpiSet
    from serviceflow.analytics._kpi_set import Rate as Rate
    from serviceflow.analytics._metrics import compute_kpis as compute_kpis
    from serviceflow.analytics._metrics import kpis
    from serviceflow.analytics._report import tables as tables
    from serviceflow.analytics._report import write_exports as write_exports
    from serviceflow.analytics._scorecard import Scorecard as Scorecard
    from serviceflow.analytics._scorecard import desk_scorecards as desk_scorecards
    from serviceflow.analytics._scorecard import scorecards
    from serviceflow.analytics._table import Table as Table
    from serviceflow.capacity._erlang import Performance as Performance
    from serviceflow.capacity._erlang import Staffing as Staffing
    from serviceflow.capacity._erlang import StaffingTarget as StaffingTarget
    from serviceflow.capacity._erlang import agents_needed
    from serviceflow.capacity._forecast import Forecast as Forecast
    from serviceflow.capacity._forecast_files import load_forecast as load_forecast
    from serviceflow.capacity._staffing import StaffingPlan as StaffingPlan
    from serviceflow.capacity._staffing import plan_staffing
    from serviceflow.clock import Clock, ManualClock, SystemClock
    from serviceflow.core._calendar import BusinessCalendar, always_open, business_calendar
    from serviceflow.desk._desk import ServiceDesk
    from serviceflow.desk._tick import RecordedEvent
    from serviceflow.desk._verify import Verification
    from serviceflow.desk._worker import Worker
    from serviceflow.domain._case import Case
    from serviceflow.domain._case import Escalation as Escalation
    from serviceflow.domain._messages import Classification, Notification
    from serviceflow.domain.policy._delivery import DeliveryPolicy as DeliveryPolicy
    from serviceflow.domain.policy._escalation import EscalationPolicy as EscalationPolicy
    from serviceflow.domain.policy._escalation import EscalationRule as EscalationRule
    from serviceflow.domain.policy._escalation import EscalationTier as EscalationTier
    from serviceflow.domain.policy._escalation import Raci as Raci
    from serviceflow.domain.policy._limits import Limits as Limits
    from serviceflow.domain.policy._policy import Policy, default_policy, load_policy
    from serviceflow.domain.policy._quality import Criterion as Criterion
    from serviceflow.domain.policy._quality import QualityPolicy as QualityPolicy
    from serviceflow.domain.policy._quality import Rubric as Rubric
    from serviceflow.domain.policy._surveys import SurveyPolicy as SurveyPolicy
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
    from serviceflow.eventlog._outbox import DeliveryReport as DeliveryReport
    from serviceflow.eventlog._outbox import Outbox as Outbox
    from serviceflow.eventlog._outbox import OutboxMessage as OutboxMessage
    from serviceflow.governance._reviews import Review as Review
    from serviceflow.governance._reviews import review as review
    from serviceflow.importing._importer import import_csv
    from serviceflow.importing._mapping import ImportMapping as ImportMapping
    from serviceflow.importing._mapping import load_mapping as load_mapping
    from serviceflow.importing._report import ImportReport
    from serviceflow.improvement._cycle import Cycle as Cycle
    from serviceflow.improvement._service import Improvement
    from serviceflow.knowledge._article import Article as Article
    from serviceflow.knowledge._service import Knowledge
    from serviceflow.plugins._notifiers import JsonLinesNotifier, LogNotifier
    from serviceflow.plugins.hookspecs import hookimpl
    from serviceflow.problems._problem import Problem as Problem
    from serviceflow.problems._service import Problems
    from serviceflow.rules._priority import PriorityExplanation as PriorityExplanation
    from serviceflow.rules._routing import Agent as Agent
    from serviceflow.rules._routing import Queue as Queue
    from serviceflow.rules._routing_decision import Decision as Decision
    from serviceflow.rules.escalation._audit import EscalationAudit as EscalationAudit
    from serviceflow.rules.escalation._clocks import TierClock as TierClock

__version__ = "0.1.0"

_FACE = {
    "BusinessCalendar": "serviceflow.core._calendar",
    "Case": "serviceflow.domain._case",
    "Classification": "serviceflow.domain._messages",
    "Clock": "serviceflow.clock",
    "ClockBehind": "serviceflow.errors",
    "ConcurrencyConflict": "serviceflow.errors",
    "GuardrailViolation": "serviceflow.errors",
    "ImportReport": "serviceflow.importing._report",
    "Improvement": "serviceflow.improvement._service",
    "IntegrityError": "serviceflow.errors",
    "InvalidTransition": "serviceflow.errors",
    "JsonLinesNotifier": "serviceflow.plugins._notifiers",
    "Knowledge": "serviceflow.knowledge._service",
    "KpiReport": "serviceflow.analytics._kpi_set",
    "LogNotifier": "serviceflow.plugins._notifiers",
    "ManualClock": "serviceflow.clock",
    "NotAuthorized": "serviceflow.errors",
    "NotFound": "serviceflow.errors",
    "Notification": "serviceflow.domain._messages",
    "PluginError": "serviceflow.errors",
    "Policy": "serviceflow.domain.policy._policy",
    "PolicyError": "serviceflow.errors",
    "Problems": "serviceflow.problems._service",
    "RecordedEvent": "serviceflow.desk._tick",
    "ServiceDesk": "serviceflow.desk._desk",
    "ServiceflowError": "serviceflow.errors",
    "StoreError": "serviceflow.errors",
    "SystemClock": "serviceflow.clock",
    "ValidationError": "serviceflow.errors",
    "Verification": "serviceflow.desk._verify",
    "Worker": "serviceflow.desk._worker",
    "agents_needed": "serviceflow.capacity._erlang",
    "always_open": "serviceflow.core._calendar",
    "business_calendar": "serviceflow.core._calendar",
    "default_policy": "serviceflow.domain.policy._policy",
    "hookimpl": "serviceflow.plugins.hookspecs",
    "import_csv": "serviceflow.importing._importer",
    "kpis": "serviceflow.analytics._metrics",
    "load_policy": "serviceflow.domain.policy._policy",
    "plan_staffing": "serviceflow.capacity._staffing",
    "scorecards": "serviceflow.analytics._scorecard",
    "write_dashboard": "serviceflow.analytics._dashboard",
}
"""Each name of the face and the module that defines it."""

_MOVED_NAMES = {
    "Agent": "serviceflow.rules._routing",
    "Article": "serviceflow.knowledge._article",
    "CalibrationReport": "serviceflow.analytics._calibration",
    "Compliance": "serviceflow.analytics._kpi_set",
    "Criterion": "serviceflow.domain.policy._quality",
    "Cycle": "serviceflow.improvement._cycle",
    "Decision": "serviceflow.rules._routing_decision",
    "DeliveryPolicy": "serviceflow.domain.policy._delivery",
    "DeliveryReport": "serviceflow.eventlog._outbox",
    "Escalation": "serviceflow.domain._case",
    "EscalationAudit": "serviceflow.rules.escalation._audit",
    "EscalationPolicy": "serviceflow.domain.policy._escalation",
    "EscalationRule": "serviceflow.domain.policy._escalation",
    "EscalationTier": "serviceflow.domain.policy._escalation",
    "Forecast": "serviceflow.capacity._forecast",
    "ImportMapping": "serviceflow.importing._mapping",
    "Kpi": "serviceflow.analytics._kpi_sample",
    "KpiSet": "serviceflow.analytics._kpi_set",
    "Limits": "serviceflow.domain.policy._limits",
    "Outbox": "serviceflow.eventlog._outbox",
    "OutboxMessage": "serviceflow.eventlog._outbox",
    "Performance": "serviceflow.capacity._erlang",
    "PriorityExplanation": "serviceflow.rules._priority",
    "Problem": "serviceflow.problems._problem",
    "QualityPolicy": "serviceflow.domain.policy._quality",
    "Queue": "serviceflow.rules._routing",
    "Raci": "serviceflow.domain.policy._escalation",
    "Rate": "serviceflow.analytics._kpi_set",
    "Review": "serviceflow.governance._reviews",
    "Rubric": "serviceflow.domain.policy._quality",
    "Scorecard": "serviceflow.analytics._scorecard",
    "Staffing": "serviceflow.capacity._erlang",
    "StaffingPlan": "serviceflow.capacity._staffing",
    "StaffingTarget": "serviceflow.capacity._erlang",
    "Stats": "serviceflow.analytics._distribution",
    "SurveyPolicy": "serviceflow.domain.policy._surveys",
    "Table": "serviceflow.analytics._table",
    "TierClock": "serviceflow.rules.escalation._clocks",
    "calibrate": "serviceflow.analytics._calibration",
    "compute_kpis": "serviceflow.analytics._metrics",
    "desk_scorecards": "serviceflow.analytics._scorecard",
    "load_forecast": "serviceflow.capacity._forecast_files",
    "load_mapping": "serviceflow.importing._mapping",
    "render_dashboard": "serviceflow.analytics._dashboard",
    "review": "serviceflow.governance._reviews",
    "tables": "serviceflow.analytics._report",
    "write_exports": "serviceflow.analytics._report",
}
"""Names 0.1 exported here that now live in a package: they still load, with a warning."""

__all__ = [
    "BusinessCalendar",
    "Case",
    "Classification",
    "Clock",
    "ClockBehind",
    "ConcurrencyConflict",
    "GuardrailViolation",
    "ImportReport",
    "Improvement",
    "IntegrityError",
    "InvalidTransition",
    "JsonLinesNotifier",
    "Knowledge",
    "KpiReport",
    "LogNotifier",
    "ManualClock",
    "NotAuthorized",
    "NotFound",
    "Notification",
    "PluginError",
    "Policy",
    "PolicyError",
    "Problems",
    "RecordedEvent",
    "ServiceDesk",
    "ServiceflowError",
    "StoreError",
    "SystemClock",
    "ValidationError",
    "Verification",
    "Worker",
    "__version__",
    "agents_needed",
    "always_open",
    "business_calendar",
    "default_policy",
    "hookimpl",
    "import_csv",
    "kpis",
    "load_policy",
    "plan_staffing",
    "scorecards",
    "write_dashboard",
]


def __getattr__(name: str) -> object:
    """Load a name of the face (or, with a warning, one 0.1 exported here) on first use."""
    if name in _FACE:
        module = _FACE[name]
    elif name in _MOVED_NAMES:
        module = _MOVED_NAMES[name]
        face = module.rsplit("._", 1)[0]
        warnings.warn(
            f"serviceflow.{name} moved to {face}.{name} (serviceflow 0.2); "
            "the old name goes in 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(module), name)
    if name in _FACE:
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_FACE])


_moved.install()
