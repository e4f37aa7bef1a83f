"""The service-governance calendar: the daily, weekly, monthly and quarterly reviews, each
read from the desk, its knowledge base, its problems and its improvement cycles.
"""

from __future__ import annotations

from serviceflow.governance._check import Check
from serviceflow.governance._daily import AT_RISK_WITHIN, TRIAGE_WITHIN, UNTRIAGED_STATES
from serviceflow.governance._monthly import DRIFT
from serviceflow.governance._period import PERIODS
from serviceflow.governance._quarterly import BELOW_DESK, PROBLEM_OPEN_FOR
from serviceflow.governance._reviews import CHECKLIST, Review, review
from serviceflow.governance._weekly import REPEATS

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
