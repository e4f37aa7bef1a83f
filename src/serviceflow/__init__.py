"""serviceflow: one standard lifecycle for every client request, over an auditable event log.

The public API is re-exported here. Plugin authors also use ``serviceflow.store`` (the store
contract) and ``serviceflow.hookspecs``; ``serviceflow.commands`` and
``serviceflow.events`` hold the types that ``ServiceDesk.execute`` and ``history`` use.
Modules starting with ``_`` are private.
"""

from __future__ import annotations

from serviceflow.calendar import BusinessCalendar, always_open, business_calendar
from serviceflow.case import Case
from serviceflow.clock import Clock, ManualClock, SystemClock
from serviceflow.desk import RecordedEvent, ServiceDesk, Verification
from serviceflow.errors import (
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
from serviceflow.hookspecs import hookimpl
from serviceflow.messages import Classification, Notification
from serviceflow.policy import Policy, default_policy, load_policy
from serviceflow.priority import PriorityExplanation
from serviceflow.routing import Agent, Decision, Queue

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "BusinessCalendar",
    "Case",
    "Classification",
    "Clock",
    "ConcurrencyConflict",
    "Decision",
    "GuardrailViolation",
    "IntegrityError",
    "InvalidTransition",
    "ManualClock",
    "NotAuthorized",
    "NotFound",
    "Notification",
    "PluginError",
    "Policy",
    "PolicyError",
    "PriorityExplanation",
    "Queue",
    "RecordedEvent",
    "ServiceDesk",
    "ServiceflowError",
    "StoreError",
    "SystemClock",
    "ValidationError",
    "Verification",
    "__version__",
    "always_open",
    "business_calendar",
    "default_policy",
    "hookimpl",
    "load_policy",
]
