"""The service-governance calendar: daily, weekly, monthly and quarterly reviews.

Each review is the standard checklist of its cadence, every item answered from what the
library already computes (KPIs, SLA timers, scorecards, the escalation audit, problems,
the knowledge base, improvement cycles):

- daily: monitor requests, prioritise, timely responses;
- weekly: recurring issues, quality audits;
- monthly: KPIs against the month before, SOP updates;
- quarterly: training needs, workflow optimisation, the escalation-log audit.

A review covers the rolling period that ends at ``at`` (1, 7, 30 or 91 days). An item is
``attention`` when one of its findings calls for action, else ``ok``.

Each cadence's checks are in their own module (``_daily``, ``_weekly``, ``_monthly``,
``_quarterly``); this one holds the review and its checklist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import frozen

from serviceflow.clock import require_aware
from serviceflow.domain._serialization import iso
from serviceflow.errors import ValidationError
from serviceflow.governance._check import Check
from serviceflow.governance._daily import monitor_requests, prioritise, timely_responses
from serviceflow.governance._monthly import month_kpis, sop_updates
from serviceflow.governance._period import PERIODS, Period
from serviceflow.governance._quarterly import escalation_log, training, workflow_optimisation
from serviceflow.governance._weekly import quality_audits, recurring_issues

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk


@frozen
class Review:
    """A cadence's checklist answered for ``[start, end)``."""

    cadence: str
    start: datetime
    end: datetime
    checks: tuple[Check, ...]

    @property
    def attention(self) -> tuple[Check, ...]:
        """The items that call for action."""
        return tuple(c for c in self.checks if c.status == "attention")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "cadence": self.cadence,
            "start": iso(self.start),
            "end": iso(self.end),
            "checks": [
                {
                    "item": c.item,
                    "asks": c.asks,
                    "status": c.status,
                    "findings": list(c.findings),
                    "figures": dict(c.figures),
                }
                for c in self.checks
            ],
        }


def review(desk: ServiceDesk, cadence: str, *, at: datetime | None = None) -> Review:
    """The ``cadence`` review of ``desk`` for the period ending at ``at`` (default: now)."""
    if cadence not in PERIODS:
        raise ValidationError(
            "governance review", [f"cadence: {cadence!r} is not one of {', '.join(PERIODS)}"]
        )
    end = require_aware(at, "review(at)") if at is not None else desk.clock.now()
    period = Period(desk, cadence, end)
    checks = tuple(check(period) for check in CHECKLIST[cadence])
    return Review(cadence, period.start, end, checks)


CHECKLIST: dict[str, tuple[Callable[[Period], Check], ...]] = {
    "daily": (monitor_requests, prioritise, timely_responses),
    "weekly": (recurring_issues, quality_audits),
    "monthly": (month_kpis, sop_updates),
    "quarterly": (training, workflow_optimisation, escalation_log),
}
"""Each cadence's checklist, in order."""
