"""What a KPI report holds: rates with their denominators, time metrics with their spread,
SLA compliance, backlog, surveys and quality per slice, and the report's plain JSON form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from attrs import asdict, field, frozen

from serviceflow.analytics._distribution import Stats

AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("< 1 day", timedelta(days=1)),
    ("1–3 days", timedelta(days=3)),
    ("3–7 days", timedelta(days=7)),
    ("7–30 days", timedelta(days=30)),
    ("> 30 days", None),
)
"""The backlog's age groups (upper bounds; the last is open-ended)."""
NONE = "(none)"
"""The slice of cases that have no value for the dimension."""
NO_SERVICE_LEVEL = "no service level applies"
"""Why a slice has no SLA compliance when none of its cases ran a clock."""


@frozen
class Rate:
    """``numerator`` out of ``denominator``; ``value`` is ``None`` when nothing was counted,
    and ``reason`` then says why (what was never measured)."""

    numerator: int
    denominator: int
    reason: str = ""

    @property
    def value(self) -> float | None:
        """The share, 0–1."""
        return self.numerator / self.denominator if self.denominator else None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``reason`` only when there is no value (else ``None``)."""
        value = self.value
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": value,
            "reason": self.reason if value is None else None,
        }


@frozen
class TimeMetric:
    """A duration per case, in seconds: wall-clock and in the case's business hours."""

    calendar: Stats
    business: Stats
    unmeasured: int = 0
    """Cases whose moment fell in the period but whose time the log cannot tell: imported
    cases already at work in their first row have no first response time."""


@frozen
class Compliance:
    """One SLA metric's clock cycles in the period: met, breached, and still running."""

    metric: str
    met: int
    breached: int
    open: int

    @property
    def rate(self) -> float | None:
        """Met over met plus breached (running clocks are not decided yet)."""
        decided = self.met + self.breached
        return self.met / decided if decided else None


@frozen
class Backlog:
    """Cases still open at the end of the period, and how old they are (seconds)."""

    open: int
    age: Stats
    buckets: tuple[tuple[str, int], ...]


@frozen
class Surveys:
    """Survey answers recorded in the period.

    CSAT: share of 4–5 on 1–5. NPS: % promoters (9–10) minus % detractors (0–6), −100 to
    100. CES: the stated mean on 1–7 (higher is easier). Thresholds: ``survey_policy``.
    """

    csat: Rate
    promoters: int
    passives: int
    detractors: int
    ces: Stats

    @property
    def nps(self) -> float | None:
        """Net promoter score, −100 to 100."""
        answers = self.promoters + self.passives + self.detractors
        return 100 * (self.promoters - self.detractors) / answers if answers else None


@frozen
class Quality:
    """Quality reviews recorded in the period: totals out of 100, and each criterion's
    mean share of its maximum points."""

    reviews: int
    total: Stats
    criteria: Mapping[str, float]


@frozen
class KpiSet:
    """Every KPI for one slice of cases (see ``docs/metrics.md`` for each definition)."""

    cases: int
    submitted: int
    resolved: int
    closed: int
    cancelled: int
    first_response: TimeMetric
    resolution: TimeMetric
    full_resolution: TimeMetric
    fcr: Rate
    reopened: Rate
    sla: tuple[Compliance, ...]
    sla_all: Rate
    """Every decided clock of ``sla``: met out of met plus breached, or why there is none."""
    escalated: Rate
    tier_time: Mapping[str, Stats]
    transfers: Stats
    transferred: Rate
    repeat: Rate
    effort: Stats
    backlog: Backlog
    surveys: Surveys
    quality: Quality

    def compliance(self, metric: str) -> Compliance | None:
        """The SLA compliance of ``metric``, if any clock of it was counted."""
        return next((c for c in self.sla if c.metric == metric), None)


@frozen
class KpiReport:
    """KPIs for ``[start, end)``: overall, per slice of ``by``, and daily volume."""

    start: datetime | None
    end: datetime
    by: str | None
    repeat_window: timedelta
    overall: KpiSet
    slices: Mapping[str, KpiSet]
    volume: tuple[tuple[date, int], ...]
    """Cases submitted per UTC day of the period."""
    unsliced: Mapping[str, int] = field(factory=dict)
    """Cases of the period in no slice because their log holds no value for ``by``, per
    reason (``the log names no channel``): not guessed into a slice of their own."""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, rates with their values."""
        plain: dict[str, Any] = _plain(self)
        return plain


def _plain(value: Any) -> Any:
    """JSON-ready data: attrs objects as dicts (with derived rates), times as ISO text."""
    if isinstance(value, Rate):
        return value.as_dict()
    if isinstance(value, Compliance):
        return {**asdict(value), "rate": value.rate}
    if isinstance(value, Surveys):
        return {
            "csat": _plain(value.csat),
            "nps": value.nps,
            "promoters": value.promoters,
            "passives": value.passives,
            "detractors": value.detractors,
            "ces": _plain(value.ces),
        }
    if isinstance(value, Stats):
        return value.as_dict()
    if hasattr(value, "__attrs_attrs__"):
        return {a.name: _plain(getattr(value, a.name)) for a in value.__attrs_attrs__}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
