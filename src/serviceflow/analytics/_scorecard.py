"""Agent and team scorecards: each one's key KPIs and quality scores on one line.

A scorecard is a view of a KPI report sliced by agent or team (see ``metrics``): the
same definitions and denominators, so a scorecard never disagrees with the report.
Quality reviews count for the agent reviewed, whoever holds the case now.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import frozen

from serviceflow.analytics._kpi_set import KpiReport, KpiSet, Rate
from serviceflow.analytics._metrics import kpis
from serviceflow.errors import ValidationError

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

KINDS = ("agent", "team")
"""What a scorecard can be about."""


@frozen
class Scorecard:
    """One agent's or team's period: volume, speed and its spread, quality of outcome.

    Times are business seconds (the case's service-level calendar); ``sla`` is met over
    met plus breached across every SLA metric.
    """

    name: str
    kind: str
    cases: int
    resolved: int
    fcr: Rate
    reopened: Rate
    first_response_p50: float | None
    first_response_p90: float | None
    resolution_p50: float | None
    resolution_p90: float | None
    resolution_cv: float | None
    sla: Rate
    csat: Rate
    reviews: int
    quality: float | None
    """The mean review total, out of 100."""
    criteria: Mapping[str, float]
    """Each criterion's mean share of its maximum points."""

    def as_dict(self) -> dict[str, Any]:
        """Plain data, rates as their values."""
        plain: dict[str, Any] = {}
        for name in self.__attrs_attrs__:
            value = getattr(self, name.name)
            plain[name.name] = value.value if isinstance(value, Rate) else value
        plain["criteria"] = dict(self.criteria)
        return plain


def scorecards(report: KpiReport) -> list[Scorecard]:
    """The scorecards of a report sliced by ``agent`` or ``team``, busiest first."""
    if report.by not in KINDS:
        raise ValidationError(
            "scorecards", [f"by: the report is sliced by {report.by!r}, not agent or team"]
        )
    cards = [_card(name, report.by, kpi) for name, kpi in report.slices.items()]
    return sorted(cards, key=lambda card: (-card.cases, card.name))


def desk_scorecards(
    desk: ServiceDesk,
    *,
    by: str = "agent",
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Scorecard]:
    """The desk's scorecards for ``[start, end)`` by agent or team."""
    if by not in KINDS:
        raise ValidationError("scorecards", [f"by: {by!r} is not one of {', '.join(KINDS)}"])
    return scorecards(kpis(desk, start=start, end=end, by=by))


def _card(name: str, kind: str, kpi: KpiSet) -> Scorecard:
    first, resolution = kpi.first_response.business, kpi.resolution.business
    return Scorecard(
        name=name,
        kind=kind,
        cases=kpi.cases,
        resolved=kpi.resolved,
        fcr=kpi.fcr,
        reopened=kpi.reopened,
        first_response_p50=first.p50,
        first_response_p90=first.p90,
        resolution_p50=resolution.p50,
        resolution_p90=resolution.p90,
        resolution_cv=resolution.cv,
        sla=kpi.sla_all,
        csat=kpi.surveys.csat,
        reviews=kpi.quality.reviews,
        quality=kpi.quality.total.mean,
        criteria=kpi.quality.criteria,
    )
