"""The service-governance calendar: the daily, weekly, monthly and quarterly reviews, each
read from the desk, its knowledge base, its problems and its improvement cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.governance._check import Check as Check
    from serviceflow.governance._daily import AT_RISK_WITHIN as AT_RISK_WITHIN
    from serviceflow.governance._daily import TRIAGE_WITHIN as TRIAGE_WITHIN
    from serviceflow.governance._daily import UNTRIAGED_STATES as UNTRIAGED_STATES
    from serviceflow.governance._monthly import DRIFT as DRIFT
    from serviceflow.governance._period import PERIODS as PERIODS
    from serviceflow.governance._quarterly import BELOW_DESK as BELOW_DESK
    from serviceflow.governance._quarterly import PROBLEM_OPEN_FOR as PROBLEM_OPEN_FOR
    from serviceflow.governance._reviews import CHECKLIST as CHECKLIST
    from serviceflow.governance._reviews import Review as Review
    from serviceflow.governance._reviews import review as review
    from serviceflow.governance._weekly import REPEATS as REPEATS

_NAMES = {
    "AT_RISK_WITHIN": "serviceflow.governance._daily",
    "BELOW_DESK": "serviceflow.governance._quarterly",
    "CHECKLIST": "serviceflow.governance._reviews",
    "Check": "serviceflow.governance._check",
    "DRIFT": "serviceflow.governance._monthly",
    "PERIODS": "serviceflow.governance._period",
    "PROBLEM_OPEN_FOR": "serviceflow.governance._quarterly",
    "REPEATS": "serviceflow.governance._weekly",
    "Review": "serviceflow.governance._reviews",
    "TRIAGE_WITHIN": "serviceflow.governance._daily",
    "UNTRIAGED_STATES": "serviceflow.governance._daily",
    "review": "serviceflow.governance._reviews",
}
"""Each public name and the module that defines it, imported on first use."""

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

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
