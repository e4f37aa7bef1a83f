"""serviceflow: one standard lifecycle for every client request, over an auditable event log.

The public API is re-exported here. Plugin authors also use ``serviceflow.store`` (the store
contract) and ``serviceflow.hookspecs``; ``serviceflow.commands`` and
``serviceflow.events`` hold the types that ``ServiceDesk.execute`` and ``history`` use.
Modules starting with ``_`` are private.
"""

from __future__ import annotations

from serviceflow.calendar import BusinessCalendar, always_open, business_calendar
from serviceflow.case import Case, Escalation
from serviceflow.clock import Clock, ManualClock, SystemClock
from serviceflow.delivery_policy import DeliveryPolicy
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
from serviceflow.escalation_audit import EscalationAudit
from serviceflow.escalation_clock import TierClock
from serviceflow.escalation_policy import EscalationPolicy, EscalationRule, EscalationTier, Raci
from serviceflow.hookspecs import hookimpl
from serviceflow.messages import Classification, Notification
from serviceflow.notifiers import JsonLinesNotifier, LogNotifier
from serviceflow.outbox import DeliveryReport, Outbox, OutboxMessage
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
    "DeliveryPolicy",
    "DeliveryReport",
    "Escalation",
    "EscalationAudit",
    "EscalationPolicy",
    "EscalationRule",
    "EscalationTier",
    "GuardrailViolation",
    "IntegrityError",
    "InvalidTransition",
    "JsonLinesNotifier",
    "LogNotifier",
    "ManualClock",
    "NotAuthorized",
    "NotFound",
    "Notification",
    "Outbox",
    "OutboxMessage",
    "PluginError",
    "Policy",
    "PolicyError",
    "PriorityExplanation",
    "Queue",
    "Raci",
    "RecordedEvent",
    "ServiceDesk",
    "ServiceflowError",
    "StoreError",
    "SystemClock",
    "TierClock",
    "ValidationError",
    "Verification",
    "__version__",
    "always_open",
    "business_calendar",
    "default_policy",
    "hookimpl",
    "load_policy",
]
