"""Per-case KPI values for a scope and a window: what an improvement cycle measures.

``metrics`` folds cases into summaries; a before/after comparison needs the values
themselves (one per case, or one per SLA clock cycle) to bootstrap a difference. The
values follow ``docs/metrics.md`` exactly: the same relevant moments, the same business
calendars, the same SLA cycles, so a sample's statistic equals the report's figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from attrs import field, frozen

from serviceflow.analytics._case_facts import DIMENSIONS, CaseFacts
from serviceflow.analytics._case_summary import decoded, summary
from serviceflow.analytics._effect import statistic
from serviceflow.analytics._kept_facts import Clock
from serviceflow.clock import require_aware
from serviceflow.core._calendar import BusinessCalendar
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import iso
from serviceflow.domain._states import OPEN_STATES
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._sla import ALWAYS, FIRST_RESPONSE, METRICS, RESOLUTION
from serviceflow.errors import ValidationError
from serviceflow.rules._sla import status_at

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

TIME_KPIS = ("first_response", "resolution")
"""Durations per case, in seconds: submission → first response, → first resolution."""
RATE_KPIS = ("fcr", "reopened", "sla")
"""0/1 outcomes: first-contact resolution, reopened, SLA cycle met (of ``metric``)."""
KPI_NAMES = TIME_KPIS + RATE_KPIS
TIME_KINDS = ("calendar", "business")
_LOWER_IS_BETTER = frozenset({"first_response", "resolution", "reopened"})


@frozen
class Kpi:
    """What a cycle measures: a KPI name, its statistic, and for times calendar or business
    seconds, for ``sla`` the SLA metric whose compliance counts."""

    name: str
    statistic: str = "p90"
    time: str = "business"
    metric: str | None = None

    @property
    def lower_is_better(self) -> bool:
        """Times and reopens improve downwards; FCR and SLA compliance upwards."""
        return self.name in _LOWER_IS_BETTER

    @property
    def label(self) -> str:
        """How people read it: ``p90 first_response (business s)``, ``sla first_response``."""
        if self.name in TIME_KPIS:
            return f"{self.statistic} {self.name} ({self.time} s)"
        if self.name == "sla":
            return f"sla compliance {self.metric}"
        return f"{self.name} rate"

    def problems(self) -> list[str]:
        """What is wrong with this KPI, each with its field."""
        found = []
        if self.name not in KPI_NAMES:
            found.append(f"kpi.name: {self.name!r} is not one of {', '.join(KPI_NAMES)}")
        elif self.name in TIME_KPIS:
            if self.statistic not in ("mean", "p50", "p90"):
                found.append(f"kpi.statistic: {self.statistic!r} is not one of mean, p50, p90")
            if self.time not in TIME_KINDS:
                found.append(f"kpi.time: {self.time!r} is not one of {', '.join(TIME_KINDS)}")
        elif self.statistic != "rate":
            found.append(f"kpi.statistic: a rate KPI takes 'rate', not {self.statistic!r}")
        if self.name == "sla" and self.metric not in METRICS:
            found.append(f"kpi.metric: {self.metric!r} is not one of {', '.join(METRICS)}")
        if self.name != "sla" and self.metric is not None:
            found.append("kpi.metric: only the sla KPI names a metric")
        return found


def rate_kpi(name: str, metric: str | None = None) -> Kpi:
    """A rate KPI: ``fcr``, ``reopened``, or ``sla`` of ``metric``."""
    return Kpi(name, "rate", "calendar", metric)


def scope_problems(scope: Mapping[str, str]) -> list[str]:
    """Scope keys must be case dimensions (``case_facts.DIMENSIONS``) with text values."""
    return [
        f"scope.{key}: not a dimension ({', '.join(DIMENSIONS)})"
        for key in scope
        if key not in DIMENSIONS
    ] + [
        f"scope.{key}: expected text" for key, value in scope.items() if not isinstance(value, str)
    ]


@frozen
class Sample:
    """The KPI's values in ``[start, end)`` for the cases in scope (``cases``: how many
    cases gave at least one value)."""

    kpi: Kpi
    scope: Mapping[str, str] = field(converter=read_only)
    start: datetime
    end: datetime
    values: tuple[float, ...]
    cases: int

    @property
    def value(self) -> float | None:
        """The KPI's statistic over the values (``None`` when there are none)."""
        return statistic(self.values, self.kpi.statistic)


def sample(
    histories: Iterable[Sequence[ev.Event]],
    policy: Policy,
    kpi: Kpi,
    *,
    start: datetime,
    end: datetime,
    scope: Mapping[str, str] | None = None,
) -> Sample:
    """The KPI's values for ``histories`` (each a case's events) in ``[start, end)``, read
    under ``policy`` (its service levels' targets and calendars); the case belongs to the
    scope by its dimensions at the end of the window."""
    start, end = require_aware(start, "window start"), require_aware(end, "window end")
    problems = kpi.problems() + scope_problems(scope or {})
    if start >= end:
        problems.append(f"window: start {iso(start)} is not before end {iso(end)}")
    if problems:
        raise ValidationError("KPI sample", problems)
    wanted = dict(scope or {})
    values: list[float] = []
    cases = 0
    for events in histories:
        found = summary(events, policy, end) if events else None
        if found is None:
            continue
        facts, clocks = found
        if any(facts.dimension(key) != value for key, value in wanted.items()):
            continue
        got = case_values(facts, clocks, kpi, policy=policy, start=start, end=end)
        cases += bool(got)
        values.extend(got)
    return Sample(kpi, ReadOnlyMap(wanted), start, end, tuple(values), cases)


def desk_sample(
    desk: ServiceDesk,
    kpi: Kpi,
    *,
    start: datetime,
    end: datetime,
    scope: Mapping[str, str] | None = None,
    policy: Policy | None = None,
) -> Sample:
    """``sample`` over the desk's log: only cases submitted before ``end`` and touched
    since ``start`` (or still open) are read; ``policy`` defaults to the desk's."""
    records = desk.store.histories(
        submitted_before=iso(require_aware(end, "window end")),
        updated_since=iso(require_aware(start, "window start")),
        or_states=OPEN_STATES,
    )
    return sample(decoded(records), policy or desk.policy, kpi, start=start, end=end, scope=scope)


def case_values(
    facts: CaseFacts,
    clocks: list[Clock] | None,
    kpi: Kpi,
    *,
    policy: Policy,
    start: datetime,
    end: datetime,
) -> list[float]:
    """One case's values of the KPI in ``[start, end)`` (none, one, or one per SLA cycle)."""

    def within(at: datetime | None) -> bool:
        return at is not None and start <= at < end

    if kpi.name in TIME_KPIS:
        stop = facts.first_response_at if kpi.name == "first_response" else facts.first_resolved_at
        if stop is None or not within(stop):
            return []
        if kpi.time == "calendar":
            return [(stop - facts.submitted_at).total_seconds()]
        return [_calendar(facts, policy).between(facts.submitted_at, stop).total_seconds()]
    if kpi.name in ("fcr", "reopened"):
        if not within(facts.first_resolved_at):
            return []
        if kpi.name == "reopened":
            return [float(facts.reopens > 0)]
        clean = not (facts.reopens or facts.transfers or facts.escalations or facts.follow_up)
        return [float(clean)]
    return _compliance(facts, clocks, kpi.metric, end, within)


def _calendar(facts: CaseFacts, policy: Policy) -> BusinessCalendar:
    calendars = policy.calendar_map
    level = policy.level_named(facts.level) if facts.level else None
    default = policy.sla[0].calendar if policy.sla else ALWAYS
    name = level.calendar if level is not None else default
    return calendars.get(name, calendars[ALWAYS])


def _compliance(
    facts: CaseFacts,
    clocks: list[Clock] | None,
    metric: str | None,
    end: datetime,
    within: Callable[[datetime | None], bool],
) -> list[float]:
    """Met (1) or breached (0) cycles of ``metric`` in the window, as ``metrics`` counts
    them: met when stopped in it, breached when due in it; open cycles are undecided."""
    if clocks is not None:
        found = []
        for name, kept, due, stopped in clocks:
            if name != metric:
                continue
            status = status_at(kept, due, end)
            if status == "met" and within(stopped):
                found.append(1.0)
            elif status == "breached" and within(due):
                found.append(0.0)
        return found
    if metric not in (FIRST_RESPONSE, RESOLUTION):
        return []
    breached = dict(facts.breaches)
    stop = facts.first_response_at if metric == FIRST_RESPONSE else facts.first_resolved_at
    if metric in breached:
        return [0.0] if within(breached[metric]) else []
    return [1.0] if stop is not None and within(stop) else []
