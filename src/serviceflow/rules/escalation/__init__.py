"""Escalation governance: moves between tiers, acceptance and anti-flapping, automatic
triggers, the tier clocks and the audit of escalations (pure folds over histories).
"""

from __future__ import annotations

from serviceflow.rules.escalation._audit import (
    ACCEPTED_LATE,
    ENDED_UNACCEPTED,
    STILL_WAITING,
    AuditSummary,
    EscalationAudit,
    LateAcknowledgement,
    MissedUpdate,
    PingPongCase,
    UnownedEscalation,
    audit_escalations,
)
from serviceflow.rules.escalation._clocks import TierClock, escalation_clocks, escalation_timers
from serviceflow.rules.escalation._governance import (
    SYSTEM,
    automatic,
    decide_accept,
    decide_deescalate,
    decide_escalate,
    may_trigger,
    process_owner,
    rule_for,
    serves,
    tier_of,
)

__all__ = [
    "ACCEPTED_LATE",
    "ENDED_UNACCEPTED",
    "STILL_WAITING",
    "SYSTEM",
    "AuditSummary",
    "EscalationAudit",
    "LateAcknowledgement",
    "MissedUpdate",
    "PingPongCase",
    "TierClock",
    "UnownedEscalation",
    "audit_escalations",
    "automatic",
    "decide_accept",
    "decide_deescalate",
    "decide_escalate",
    "escalation_clocks",
    "escalation_timers",
    "may_trigger",
    "process_owner",
    "rule_for",
    "serves",
    "tier_of",
]
