"""KPIs from the event log: one streaming pass over case histories, for a period, sliced.

Every number states its denominator, and every time metric its spread (see
``distribution.Stats``): consistency is the point, not the average. The definitions, with
their formulas, are in ``docs/metrics.md``; this module is their single implementation.

Memory stays flat however long the log: cases are read one at a time in submission order,
and only the tallies are kept (distributions are sketches; the repeat-issue lookup
forgets requesters whose last case is older than the repeat window).

This module folds the cases into the report; what the report holds is in ``_kpi_set``,
each case's summary in ``_case_summary`` and a slice's counting in ``_tally``. ``__all__``
keeps every name the 0.1 path ``serviceflow.metrics`` (this module) gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

from serviceflow.analytics._case_facts import slicing_problem
from serviceflow.analytics._case_summary import Reader, Summary, decoded, summary
from serviceflow.analytics._kept_facts import facts_key
from serviceflow.analytics._kpi_set import (
    AGE_BUCKETS,
    NONE,
    Backlog,
    Compliance,
    KpiReport,
    KpiSet,
    Quality,
    Rate,
    Surveys,
    TimeMetric,
)
from serviceflow.analytics._tally import (
    Durations,
    Repeats,
    Tally,
    Window,
    count_case,
    count_review,
    logged_verdicts,
)
from serviceflow.clock import require_aware
from serviceflow.core._calendar import BusinessCalendar
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import iso
from serviceflow.domain._states import OPEN_STATES
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ValidationError

__all__ = [
    "AGE_BUCKETS",
    "NONE",
    "Backlog",
    "Compliance",
    "KpiReport",
    "KpiSet",
    "Quality",
    "Rate",
    "Summary",
    "Surveys",
    "TimeMetric",
    "compute_kpis",
    "decoded",
    "kpis",
    "summary",
]

_INSTANT = timedelta(microseconds=1)


def kpis(
    desk: ServiceDesk,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
    repeat_window: timedelta = timedelta(days=7),
    calendar: str | None = None,
    remember: bool = True,
) -> KpiReport:
    """The desk's KPIs for ``[start, end)`` read from its store (no ``end``: up to and
    including now, so what happened at this very instant counts).

    Only cases that can matter are read: submitted before ``end``, and still open or
    touched since ``start`` less the repeat window. A case unchanged since an earlier pass
    under the same policy is read from the facts that pass kept (``kept_facts``), not from
    its events; with ``remember`` (the default) this pass keeps the facts it works out.
    """
    end = require_aware(end) if end is not None else desk.clock.now() + _INSTANT
    since = require_aware(start) - repeat_window if start is not None else None
    key = facts_key(desk.policy)
    items = desk.store.histories_or_facts(
        key,
        submitted_before=iso(end),
        updated_since=iso(since) if since is not None else None,
        or_states=OPEN_STATES,
    )
    return _report(
        Reader(desk.store, desk.policy, key, end, remember).summaries(items),
        desk.policy,
        start=start,
        end=end,
        by=by,
        repeat_window=repeat_window,
        calendar=calendar,
        max_criteria=None,
    )


def compute_kpis(
    histories: Iterable[Sequence[ev.Event]],
    policy: Policy,
    *,
    end: datetime,
    start: datetime | None = None,
    by: str | None = None,
    repeat_window: timedelta = timedelta(days=7),
    calendar: str | None = None,
    max_criteria: Mapping[str, Mapping[str, int]] | None = None,
) -> KpiReport:
    """The KPIs of ``histories`` (each a case's events, in submission order) for the period.

    ``calendar`` names the business calendar for cases without a service level (default:
    the first service level's calendar, else 24/7). ``max_criteria`` gives each rubric's
    criterion maxima (default: the policy's rubrics, if it has any; else points are taken
    as they are).
    """
    end = require_aware(end)
    summaries = (summary(events, policy, end) for events in histories if events)
    return _report(
        (found for found in summaries if found is not None),
        policy,
        start=start,
        end=end,
        by=by,
        repeat_window=repeat_window,
        calendar=calendar,
        max_criteria=max_criteria,
    )


def _report(
    summaries: Iterable[Summary],
    policy: Policy,
    *,
    end: datetime,
    start: datetime | None,
    by: str | None,
    repeat_window: timedelta,
    calendar: str | None,
    max_criteria: Mapping[str, Mapping[str, int]] | None,
) -> KpiReport:
    """Fold the cases' summaries into the report (the arguments are checked first)."""
    end = require_aware(end)
    if start is not None and require_aware(start) >= end:
        raise ValidationError("KPI period", [f"start {start} is not before end {end}"])
    wrong = slicing_problem(by) if by is not None else None
    if wrong is not None:
        raise ValidationError("KPI slicing", [f"by: {wrong}"])
    window = Window(start, end)
    calendars = dict(policy.calendar_map)
    default = calendars[_default_calendar(policy, calendar, calendars)]
    overall = Tally()
    slices: dict[str, Tally] = {}
    unsliced: dict[str, int] = {}
    volume: dict[date, int] = {}
    repeats = Repeats(repeat_window)
    maxima = _rubric_maxima(policy) if max_criteria is None else max_criteria
    for facts, clocks in summaries:
        if facts.submitted_at in window:
            volume[facts.submitted_at.date()] = volume.get(facts.submitted_at.date(), 0) + 1
        repeated = repeats.seen(facts)
        level = policy.level_named(facts.level) if facts.level else None
        business = calendars.get(level.calendar, default) if level is not None else default
        durations = Durations(facts.submitted_at, business)
        tallies = [overall]
        unknown = facts.unknown(by) if by is not None else None
        if by is not None and unknown is None:
            tallies.append(_slice(slices, facts.dimension(by)))
        for tally in tallies:
            counted = count_case(
                tally,
                facts,
                window=window,
                durations=durations,
                clocks=clocks,
                repeated=repeated,
            )
            reviewed = tally is overall or by != "agent"
            for review in facts.reviews if reviewed else ():
                counted |= count_review(tally, review, window, maxima)
            tally.cases += counted
            if counted and unknown is not None and tally is overall:
                unsliced[unknown] = unsliced.get(unknown, 0) + 1
        if by == "agent":
            for review in facts.reviews:
                count_review(_slice(slices, review.agent), review, window, maxima)
    verdicts = logged_verdicts(overall)
    return KpiReport(
        start=start,
        end=end,
        by=by,
        repeat_window=repeat_window,
        overall=overall.result(verdicts),
        slices={key: tally.result(verdicts) for key, tally in sorted(slices.items())},
        volume=tuple(sorted(volume.items())),
        unsliced=unsliced,
    )


def _slice(slices: dict[str, Tally], key: str | None) -> Tally:
    found = slices.get(key or NONE)
    if found is None:
        found = slices[key or NONE] = Tally()
    return found


def _default_calendar(
    policy: Policy, name: str | None, calendars: Mapping[str, BusinessCalendar]
) -> str:
    if name is not None:
        if name not in calendars:
            raise ValidationError(
                "KPI calendar", [f"calendar: {name!r} is not one of {', '.join(calendars)}"]
            )
        return name
    return policy.sla[0].calendar if policy.sla else "24/7"


def _rubric_maxima(policy: Policy) -> Mapping[str, Mapping[str, int]]:
    return {r.name: {c.name: c.max for c in r.criteria} for r in policy.quality.rubrics}
