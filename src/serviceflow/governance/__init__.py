"""The service-governance calendar: the daily, weekly, monthly and quarterly reviews, each
read from the desk, its knowledge base, its problems and its improvement cycles.
"""

from __future__ import annotations

from serviceflow.governance._reviews import (
    AT_RISK_WITHIN,
    BELOW_DESK,
    CHECKLIST,
    DRIFT,
    PERIODS,
    PROBLEM_OPEN_FOR,
    REPEATS,
    TRIAGE_WITHIN,
    UNTRIAGED_STATES,
    Check,
    Review,
    review,
)

__all__ = [
    "AT_RISK_WITHIN",
    "BELOW_DESK",
    "CHECKLIST",
    "DRIFT",
    "PERIODS",
    "PROBLEM_OPEN_FOR",
    "REPEATS",
    "TRIAGE_WITHIN",
    "UNTRIAGED_STATES",
    "Check",
    "Review",
    "review",
]
