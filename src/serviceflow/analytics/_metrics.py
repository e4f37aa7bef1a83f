"""KPIs from the event log: one streaming pass over case histories, for a period, sliced.

Every number states its denominator, and every time metric its spread (see
``distribution.Stats``): consistency is the point, not the average. The definitions, with
their formulas, are in ``docs/metrics.md``; this module is their single implementation.

Memory stays flat however long the log: cases are read one at a time in submission order,
and only the tallies are kept (distributions are sketches; the repeat-issue lookup
forgets requesters whose last case is older than the repeat window).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from attrs import asdict, define, field, frozen

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

from serviceflow.analytics._case_facts import DIMENSIONS, CaseFacts, before, case_facts
from serviceflow.analytics._distribution import Distribution, Stats
from serviceflow.analytics._kept_facts import Clock, decode_facts, encode_facts, facts_key
from serviceflow.clock import require_aware
from serviceflow.core._calendar import BusinessCalendar
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import decode_stored, iso
from serviceflow.domain._states import OPEN_STATES
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._sla import FIRST_RESPONSE, METRICS, RESOLUTION
from serviceflow.domain.policy._surveys import (
    CES,
    CSAT,
    CSAT_SATISFIED,
    NPS,
    NPS_DETRACTOR,
    NPS_PROMOTER,
)
from serviceflow.errors import ValidationError
from serviceflow.eventlog._store import EventRecord, FactsRecord, Store
from serviceflow.rules._sla import report as sla_report
from serviceflow.rules._sla import status_at

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
_FALLBACK_METRICS = (FIRST_RESPONSE, RESOLUTION)
_INSTANT = timedelta(microseconds=1)


@frozen
class Rate:
    """``numerator`` out of ``denominator``; ``value`` is ``None`` when nothing was counted."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The share, 0–1."""
        return self.numerator / self.denominator if self.denominator else None


@frozen
class TimeMetric:
    """A duration per case, in seconds: wall-clock and in the case's business hours."""

    calendar: Stats
    business: Stats


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

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, rates with their values."""
        plain: dict[str, Any] = _plain(self)
        return plain


@define
class _Tally:
    """The running KPI counts and distributions of one slice."""

    cases: int = 0
    submitted: int = 0
    resolved: int = 0
    closed: int = 0
    cancelled: int = 0
    times: dict[str, Distribution] = field(factory=dict)
    fcr: int = 0
    reopened: int = 0
    sla: dict[str, list[int]] = field(factory=dict)
    escalated: int = 0
    tier_time: dict[str, Distribution] = field(factory=dict)
    transfers: Distribution = field(factory=Distribution)
    transferred: int = 0
    repeat: int = 0
    effort: Distribution = field(factory=Distribution)
    backlog_age: Distribution = field(factory=Distribution)
    buckets: list[int] = field(factory=lambda: [0] * len(AGE_BUCKETS))
    csat: list[int] = field(factory=lambda: [0, 0])
    nps: list[int] = field(factory=lambda: [0, 0, 0])
    ces: Distribution = field(factory=Distribution)
    qa_total: Distribution = field(factory=Distribution)
    qa_criteria: dict[str, list[float]] = field(factory=dict)

    def time(self, name: str) -> Distribution:
        found = self.times.get(name)
        if found is None:
            found = self.times[name] = Distribution()
        return found

    def result(self) -> KpiSet:
        def metric(name: str) -> TimeMetric:
            return TimeMetric(self.time(name).stats(), self.time(f"{name}:business").stats())

        return KpiSet(
            cases=self.cases,
            submitted=self.submitted,
            resolved=self.resolved,
            closed=self.closed,
            cancelled=self.cancelled,
            first_response=metric("first_response"),
            resolution=metric("resolution"),
            full_resolution=metric("full_resolution"),
            fcr=Rate(self.fcr, self.resolved),
            reopened=Rate(self.reopened, self.resolved),
            sla=tuple(
                Compliance(m, *self.sla[m]) for m in _sla_order(self.sla) if sum(self.sla[m])
            ),
            escalated=Rate(self.escalated, self.submitted),
            tier_time={tier: d.stats() for tier, d in sorted(self.tier_time.items())},
            transfers=self.transfers.stats(),
            transferred=Rate(self.transferred, self.resolved),
            repeat=Rate(self.repeat, self.submitted),
            effort=self.effort.stats(),
            backlog=Backlog(
                self.backlog_age.count,
                self.backlog_age.stats(),
                tuple((label, n) for (label, _), n in zip(AGE_BUCKETS, self.buckets, strict=True)),
            ),
            surveys=Surveys(
                Rate(self.csat[0], self.csat[1]),
                self.nps[0],
                self.nps[1],
                self.nps[2],
                self.ces.stats(),
            ),
            quality=Quality(
                self.qa_total.count,
                self.qa_total.stats(),
                {name: total / n for name, (total, n) in sorted(self.qa_criteria.items())},
            ),
        )


def _sla_order(sla: Mapping[str, list[int]]) -> list[str]:
    known = [m for m in METRICS if m in sla]
    return known + sorted(m for m in sla if m not in METRICS)


class _Window:
    """``[start, end)`` membership for instants."""

    __slots__ = ("end", "start")

    def __init__(self, start: datetime | None, end: datetime) -> None:
        self.start = start
        self.end = end

    def __contains__(self, at: datetime | None) -> bool:
        return at is not None and (self.start is None or at >= self.start) and at < self.end


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
        _Reader(desk.store, desk.policy, key, end, remember).summaries(items),
        desk.policy,
        start=start,
        end=end,
        by=by,
        repeat_window=repeat_window,
        calendar=calendar,
        max_criteria=None,
    )


def decoded(histories: Iterable[Sequence[EventRecord]]) -> Iterator[list[ev.Event]]:
    """Each stored history as events (internal notes, which no KPI reads, left out)."""
    for records in histories:
        yield _events(records)


def _events(records: Sequence[EventRecord]) -> list[ev.Event]:
    return [decode_stored(r.data) for r in records if r.type not in _UNREAD]


_UNREAD = frozenset({ev.NoteAdded.TYPE, ev.SlaWarned.TYPE})

Summary = tuple[CaseFacts, list[Clock] | None]
"""What the KPIs read of one case: its facts and its SLA clocks at its last event."""


def summary(events: Sequence[ev.Event], policy: Policy, end: datetime) -> Summary | None:
    """The facts and clocks of the case whose stream is ``events``, from what happened
    before ``end`` (``None`` if nothing did)."""
    history = before(events, end)
    if not history:
        return None
    facts = case_facts(history)
    level = policy.level_named(facts.level) if facts.level else None
    if level is None:
        return facts, None
    latest = max(e.at for e in history)
    sla = sla_report(facts.case_id, history, policy, latest)
    return facts, [(c.metric, c.status, c.due, c.stopped_at) for c in sla.clocks]


class _Reader:
    """Turns what the store gives (kept facts or histories) into summaries, keeping the
    facts it works out from whole histories (``remember``), 500 cases a write."""

    def __init__(
        self, store: Store, policy: Policy, key: str, end: datetime, remember: bool
    ) -> None:
        self.store = store
        self.policy = policy
        self.key = key
        self.end = end
        self.until = iso(end)
        self.remember = remember
        self.pending: list[FactsRecord] = []

    def summaries(self, items: Iterable[list[EventRecord] | FactsRecord]) -> Iterator[Summary]:
        for item in items:
            found = self.kept(item) if isinstance(item, FactsRecord) else self.worked_out(item)
            if found is not None:
                yield found
        self.flush()

    def kept(self, record: FactsRecord) -> Summary | None:
        try:
            return decode_facts(record.data)
        except ValueError:  # damaged: work them out again, and keep them anew
            return self.worked_out(self.store.read(record.case_id))

    def worked_out(self, records: list[EventRecord]) -> Summary | None:
        if not records:
            return None
        found = summary(_events(records), self.policy, self.end)
        last = records[-1].at
        # Kept only when every event came before the end, as the store checks by the
        # case's last event: then the facts are the same for any later end.
        if found is None or not self.remember or last >= self.until:
            return found
        if all(r.at <= last for r in records):
            data = encode_facts(*found)
            self.pending.append(FactsRecord(records[0].stream, records[-1].seq, self.key, data))
            if len(self.pending) >= _KEEP_BATCH:
                self.flush()
        return found

    def flush(self) -> None:
        if self.pending:
            self.store.save_facts(self.pending)
            self.pending = []


_KEEP_BATCH = 500


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
    if by is not None and by not in DIMENSIONS:
        raise ValidationError("KPI slicing", [f"by: {by!r} is not one of {', '.join(DIMENSIONS)}"])
    window = _Window(start, end)
    calendars = dict(policy.calendar_map)
    default = calendars[_default_calendar(policy, calendar, calendars)]
    overall = _Tally()
    slices: dict[str, _Tally] = {}
    volume: dict[date, int] = {}
    repeats = _Repeats(repeat_window)
    maxima = _rubric_maxima(policy) if max_criteria is None else max_criteria
    for facts, clocks in summaries:
        if facts.submitted_at in window:
            volume[facts.submitted_at.date()] = volume.get(facts.submitted_at.date(), 0) + 1
        repeated = repeats.seen(facts)
        level = policy.level_named(facts.level) if facts.level else None
        business = calendars.get(level.calendar, default) if level is not None else default
        durations = _Durations(facts.submitted_at, business)
        tallies = [overall]
        if by is not None:
            tallies.append(_slice(slices, facts.dimension(by)))
        for tally in tallies:
            counted = _count(
                tally,
                facts,
                window=window,
                durations=durations,
                clocks=clocks,
                repeated=repeated,
            )
            reviewed = tally is overall or by != "agent"
            for review in facts.reviews if reviewed else ():
                counted |= _review(tally, review, window, maxima)
            tally.cases += counted
        if by == "agent":
            for review in facts.reviews:
                _review(_slice(slices, review.agent), review, window, maxima)
    return KpiReport(
        start=start,
        end=end,
        by=by,
        repeat_window=repeat_window,
        overall=overall.result(),
        slices={key: tally.result() for key, tally in sorted(slices.items())},
        volume=tuple(sorted(volume.items())),
    )


def _slice(slices: dict[str, _Tally], key: str | None) -> _Tally:
    found = slices.get(key or NONE)
    if found is None:
        found = slices[key or NONE] = _Tally()
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


class _Repeats:
    """Whether a case repeats one from the same requester and category within the window.

    Cases arrive in submission order; entries older than the window are dropped now and
    then, so memory follows the requesters active within one window, not the whole log.
    """

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self.last: dict[tuple[str, str | None], datetime] = {}
        self.added = 0

    def seen(self, facts: CaseFacts) -> bool:
        key = (facts.requester, facts.category)
        at = facts.submitted_at
        previous = self.last.get(key)
        self.last[key] = at
        self.added += 1
        if self.added >= 10_000:
            self.added = 0
            horizon = at - self.window
            self.last = {k: v for k, v in self.last.items() if v >= horizon}
        return previous is not None and at - previous <= self.window


def _count(
    tally: _Tally,
    facts: CaseFacts,
    *,
    window: _Window,
    durations: _Durations,
    clocks: list[Clock] | None,
    repeated: bool,
) -> bool:
    """Add one case's facts to a slice's tally; whether anything of it was in the period."""
    submitted = facts.submitted_at
    counted = False
    if submitted in window:
        counted = True
        tally.submitted += 1
        if facts.escalations:
            tally.escalated += 1
        if repeated:
            tally.repeat += 1
    if facts.first_response_at in window:
        counted = True
        _duration(tally, "first_response", durations, facts.first_response_at)
    if facts.first_resolved_at in window:
        counted = True
        tally.resolved += 1
        _duration(tally, "resolution", durations, facts.first_resolved_at)
        clean = not (facts.reopens or facts.transfers or facts.escalations or facts.follow_up)
        tally.fcr += clean
        tally.reopened += facts.reopens > 0
        tally.transfers.add(facts.transfers)
        tally.transferred += facts.transfers > 0
        tally.effort.add(facts.client_replies)
    if facts.is_resolved and facts.last_resolved_at in window:
        counted = True
        _duration(tally, "full_resolution", durations, facts.last_resolved_at)
    if facts.closed_at in window:
        counted = True
        tally.closed += 1
    if facts.ended_at in window and facts.state == "cancelled":
        counted = True
        tally.cancelled += 1
    if facts.is_open:
        counted = True
        age = window.end - submitted
        tally.backlog_age.add(age.total_seconds())
        tally.buckets[_bucket(age)] += 1
    for stint in facts.stints:
        until = stint.until if stint.until is not None else window.end
        if until in window or (stint.until is None and facts.is_open):
            counted = True
            held = tally.tier_time.get(stint.tier)
            if held is None:
                held = tally.tier_time[stint.tier] = Distribution()
            held.add((until - stint.since).total_seconds())
    counted |= _sla(tally, facts, window, clocks)
    return _surveys(tally, facts, window) or counted


class _Durations:
    """A case's times from submission to an instant, wall-clock and business, each worked
    out once however many slices and metrics count it (business time is the costly one)."""

    __slots__ = ("business", "known", "start")

    def __init__(self, start: datetime, business: BusinessCalendar) -> None:
        self.start = start
        self.business = business
        self.known: dict[datetime, tuple[float, float]] = {}

    def until(self, stop: datetime) -> tuple[float, float]:
        found = self.known.get(stop)
        if found is None:
            calendar = (stop - self.start).total_seconds()
            business = self.business.between(self.start, stop).total_seconds()
            found = self.known[stop] = (calendar, business)
        return found


def _duration(tally: _Tally, name: str, durations: _Durations, stop: datetime | None) -> None:
    assert stop is not None
    calendar, business = durations.until(stop)
    tally.time(name).add(calendar)
    tally.time(f"{name}:business").add(business)


def _bucket(age: timedelta) -> int:
    for index, (_, bound) in enumerate(AGE_BUCKETS):
        if bound is None or age < bound:
            return index
    return len(AGE_BUCKETS) - 1


def _sla(
    tally: _Tally,
    facts: CaseFacts,
    window: _Window,
    clocks: list[Clock] | None,
) -> bool:
    """Count the case's SLA clock cycles that belong to the period.

    With a service level, from the SLA engine: a met cycle belongs to the period it
    stopped in, a breached one to the period of its due instant, and a running or paused
    one is open at the end. Without one (imported logs), from the recorded breaches, for
    first response and resolution.
    """
    counted = False
    if clocks is not None:
        for metric, kept, due, stopped in clocks:
            status = status_at(kept, due, window.end)
            if status == "met":
                hit = 0 if stopped in window else None
            elif status == "breached":
                hit = 1 if due in window else None
            else:
                hit = 2
            if hit is not None:
                tally.sla.setdefault(metric, [0, 0, 0])[hit] += 1
                counted = True
        return counted
    breached = dict(facts.breaches)
    for metric in _FALLBACK_METRICS:
        stop = facts.first_response_at if metric == FIRST_RESPONSE else facts.first_resolved_at
        if metric in breached:
            hit = 1 if breached[metric] in window else None
        elif stop is not None:
            hit = 0 if stop in window else None
        else:
            hit = 2 if facts.is_open else None
        if hit is not None:
            tally.sla.setdefault(metric, [0, 0, 0])[hit] += 1
            counted = True
    return counted


def _surveys(tally: _Tally, facts: CaseFacts, window: _Window) -> bool:
    """Count the survey answers recorded in the period."""
    counted = False
    for survey in facts.surveys:
        if survey.at not in window:
            continue
        counted = True
        if survey.survey == CSAT:
            tally.csat[0] += survey.score >= CSAT_SATISFIED
            tally.csat[1] += 1
        elif survey.survey == NPS:
            promoter, detractor = survey.score >= NPS_PROMOTER, survey.score <= NPS_DETRACTOR
            tally.nps[0 if promoter else 2 if detractor else 1] += 1
        elif survey.survey == CES:
            tally.ces.add(survey.score)
    return counted


def _review(
    tally: _Tally,
    review: ev.QualityReviewed,
    window: _Window,
    maxima: Mapping[str, Mapping[str, int]],
) -> bool:
    """Count a quality review recorded in the period (by agent: the reviewed agent's)."""
    if review.at not in window:
        return False
    tally.qa_total.add(review.total)
    limits = maxima.get(review.rubric, {})
    for name, points in review.scores.items():
        share = points / limits[name] if limits.get(name) else float(points)
        entry = tally.qa_criteria.setdefault(name, [0.0, 0])
        entry[0] += share
        entry[1] += 1
    return True


def _plain(value: Any) -> Any:
    """JSON-ready data: attrs objects as dicts (with derived rates), times as ISO text."""
    if isinstance(value, Rate):
        return {
            "numerator": value.numerator,
            "denominator": value.denominator,
            "value": value.value,
        }
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
