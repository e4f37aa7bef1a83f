"""SLA clocks: a pure fold of a case's events into ledgers of running time, and their report.

Each metric is a clock with explicit rules (pauses are the defaults; policies change them):

- first response: starts at submission, stops at the first public reply, never pauses;
- next reply: starts at a client message (when none is pending), stops at the next public
  reply, never pauses;
- periodic update: starts when the priority becomes the policy's most urgent one ("critical"
  in the default policy) and restarts at every public message; stops at resolution or
  when the priority drops; pauses while
  waiting on the client;
- resolution: starts at submission, stops at resolution, pauses while waiting on the client.

Closing, cancelling or merging stops every clock. On reopen the resolution clock (and any
metric with a ``reopen`` rule) resumes its consumed budget, resets it, or starts a new
cycle, whose predecessor keeps its outcome.

A clock stores only *when* it ran (segments of wall time). What those segments are worth
is computed when reported, with the calendar and targets of the service level now in
force, so a policy or calendar change applied and replayed gives the right answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from attrs import frozen

from serviceflow.core._calendar import BusinessCalendar
from serviceflow.domain import _events as ev
from serviceflow.domain._states import CANCELLED, CLOSED, MERGED, RESOLVED, VALIDATED
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._sla import (
    FIRST_RESPONSE,
    METRICS,
    NEXT_REPLY,
    PERIODIC_UPDATE,
    RESOLUTION,
    MetricTarget,
    ServiceLevel,
)
from serviceflow.rules._evolve import next_state

_TICK = timedelta(microseconds=1)
"""A breach happens just after the due instant; exactly at it, the clock is on time."""
_AGENT_REPLIES = (ev.Acknowledged, ev.Replied, ev.InfoRequested, ev.Resolved)
_ENDS = (ev.Closed, ev.Cancelled, ev.Merged)
_DONE_STATES = frozenset({RESOLVED, VALIDATED, CLOSED, CANCELLED, MERGED})


@frozen
class Segment:
    """A stretch during which the clock ran, what it counted for, and the holidays inside it
    that counted nothing (listed in explanations only)."""

    start: datetime
    end: datetime | None
    counted: timedelta
    holidays: tuple[date, ...] = ()


@frozen
class Pause:
    """A stretch during which the clock stood still, and the state that held it."""

    start: datetime
    end: datetime | None
    state: str


@frozen
class ClockReport:
    """One cycle of one metric: its target, what it consumed, when it is due, and why."""

    metric: str
    cycle: int
    status: str
    target: timedelta
    time: str
    consumed: timedelta
    remaining: timedelta
    due: datetime | None
    started_at: datetime
    stopped_at: datetime | None
    warned: tuple[float, ...]
    breach_recorded: bool
    segments: tuple[Segment, ...]
    pauses: tuple[Pause, ...]

    @property
    def active(self) -> bool:
        """Running or paused (not yet met, breached-and-stopped or ended)."""
        return self.stopped_at is None

    def status_at(self, later: datetime) -> str:
        """The status at ``later`` (at or after this report's instant) if no event of the
        case happens in between."""
        return status_at(self.status, self.due, later)


def status_at(status: str, due: datetime | None, later: datetime) -> str:
    """A clock's status at ``later``, given its ``status`` and ``due`` at an earlier instant
    with no event of the case in between: only a running clock changes, breaching once it
    counts past its due instant (met, breached and paused clocks stay as they are)."""
    if status == "running" and due is not None and later > due:
        return "breached"
    return status


@frozen
class SlaReport:
    """Every clock of a case at ``at``, under its service level (``None`` without SLAs)."""

    case_id: str
    level: str | None
    calendar: str | None
    at: datetime
    clocks: tuple[ClockReport, ...]
    note: str = ""

    def current(self, metric: str) -> ClockReport | None:
        """The latest cycle of ``metric``."""
        cycles = [c for c in self.clocks if c.metric == metric]
        return cycles[-1] if cycles else None


@frozen
class Timer:
    """A moment at which a clock crosses a warning threshold or its target."""

    metric: str
    cycle: int
    kind: str
    due: datetime


class Cycle:
    """The mutable ledger of one cycle of a clock while folding (never leaves the rules)."""

    __slots__ = ("breached", "cycle", "pauses", "segments", "started", "stopped", "warned")

    def __init__(self, cycle: int, at: datetime) -> None:
        self.cycle = cycle
        self.started = at
        self.segments: list[list[datetime | None]] = [[at, None]]
        self.pauses: list[list[datetime | str | None]] = []
        self.stopped: datetime | None = None
        self.warned: set[float] = set()
        self.breached = False

    @property
    def running(self) -> bool:
        return self.stopped is None and self.segments[-1][1] is None if self.segments else False

    def pause(self, at: datetime, state: str) -> None:
        if self.running:
            self.segments[-1][1] = at
            self.pauses.append([at, None, state])

    def resume(self, at: datetime) -> None:
        if self.stopped is None and not self.running:
            if self.pauses and self.pauses[-1][1] is None:
                self.pauses[-1][1] = at
            self.segments.append([at, None])

    def stop(self, at: datetime) -> None:
        if self.stopped is not None:
            return
        if self.running:
            self.segments[-1][1] = at
        elif self.pauses and self.pauses[-1][1] is None:
            self.pauses[-1][1] = at
        self.stopped = at


def ledgers(
    events: Iterable[ev.Event], level: ServiceLevel, urgent: str = "critical"
) -> dict[str, list[Cycle]]:
    """Fold ``events`` into clock cycles for the metrics ``level`` has targets for.

    ``urgent`` is the priority that runs the periodic-update clock (the most urgent one).
    """
    ledger = _Ledger(level.targets, urgent)
    for event in events:
        ledger.apply(event)
    return ledger.clocks


class _Ledger:
    """The clocks of one case while its events are folded."""

    def __init__(self, targets: Mapping[str, MetricTarget], urgent: str) -> None:
        self.targets = targets
        self.urgent = urgent
        self.clocks: dict[str, list[Cycle]] = {m: [] for m in METRICS if m in targets}
        self.state: str | None = None
        self.priority: str | None = None

    def apply(self, event: ev.Event) -> None:
        before = self.state
        state = self.state = next_state(before, event)
        if isinstance(event, ev.Prioritized):
            self.priority = event.priority
        at, critical = event.at, self.priority == self.urgent
        live = state not in _DONE_STATES
        if isinstance(event, ev.Submitted):
            self.start(FIRST_RESPONSE, at, state)
            self.start(RESOLUTION, at, state)
        elif isinstance(event, _AGENT_REPLIES):
            for metric in (FIRST_RESPONSE, NEXT_REPLY, PERIODIC_UPDATE):
                self.stop(metric, at)
            if critical and live:
                self.start(PERIODIC_UPDATE, at, state)
            if isinstance(event, ev.Resolved):
                self.stop(RESOLUTION, at)
        elif isinstance(event, ev.ClientReplied) and live:
            self.start(NEXT_REPLY, at, state)
        elif isinstance(event, ev.Prioritized):
            if critical and live:
                self.start(PERIODIC_UPDATE, at, state)
            elif not critical:
                self.stop(PERIODIC_UPDATE, at)
        elif isinstance(event, ev.Reopened | ev.ValidationRejected):
            _reopen(self.clocks, self.targets, at)
            if critical:
                self.start(PERIODIC_UPDATE, at, state)
        elif isinstance(event, _ENDS):
            for metric in self.clocks:
                self.stop(metric, at)
        elif isinstance(event, ev.SlaWarned | ev.SlaBreached):
            _mark(self.clocks, event)
        if state != before:
            self.state_changed(at, state)

    def start(self, metric: str, at: datetime, state: str) -> None:
        cycles = self.clocks.get(metric)
        if cycles is None or (cycles and cycles[-1].stopped is None):
            return
        cycle = Cycle(cycles[-1].cycle + 1 if cycles else 1, at)
        cycles.append(cycle)
        if state in self.targets[metric].pauses(metric):
            cycle.pause(at, state)

    def stop(self, metric: str, at: datetime) -> None:
        cycles = self.clocks.get(metric)
        if cycles:
            cycles[-1].stop(at)

    def state_changed(self, at: datetime, state: str) -> None:
        for metric, cycles in self.clocks.items():
            if cycles and cycles[-1].stopped is None:
                if state in self.targets[metric].pauses(metric):
                    cycles[-1].pause(at, state)
                else:
                    cycles[-1].resume(at)


def _reopen(
    clocks: dict[str, list[Cycle]], targets: Mapping[str, MetricTarget], at: datetime
) -> None:
    """Apply each metric's reopen rule to its last cycle (``ignore`` leaves it alone)."""
    for metric, cycles in clocks.items():
        mode = targets[metric].on_reopen(metric)
        if not cycles or mode == "ignore":
            continue
        last = cycles[-1]
        if mode == "new_cycle":
            last.stop(at)
            cycles.append(Cycle(last.cycle + 1, at))
        elif mode == "reset":
            cycles[-1] = Cycle(last.cycle + 1, at)  # a fresh number: its warnings fire anew
        else:
            last.stopped = None
            last.segments.append([at, None])


def _mark(clocks: dict[str, list[Cycle]], event: ev.SlaWarned | ev.SlaBreached) -> None:
    for cycle in clocks.get(event.metric, ()):
        if cycle.cycle == event.cycle:
            if isinstance(event, ev.SlaWarned):
                cycle.warned.add(event.threshold)
            else:
                cycle.breached = True


def report(
    case_id: str,
    events: Sequence[ev.Event],
    policy: Policy,
    now: datetime,
    *,
    explain: bool = False,
) -> SlaReport:
    """Every clock of the case at ``now``, with the segments and pauses that made it.

    With ``explain``, each business-time segment also lists the holidays it skipped.
    """
    name = _level_name(events)
    level = policy.level_named(name)
    if level is None:
        note = f"service level {name!r} is not in the policy" if name else "no service level"
        return SlaReport(case_id, name, None, now, (), note)
    calendar = policy.calendar_map[level.calendar]
    clocks = []
    for metric, cycles in ledgers(events, level, policy.priority.names[0]).items():
        target = level.targets[metric]
        for cycle in cycles:
            clocks.append(clock_report(metric, cycle, target, calendar, now, explain=explain))
    return SlaReport(case_id, level.name, level.calendar, now, tuple(clocks))


def timers(sla: SlaReport, policy: Policy) -> list[Timer]:
    """The warning and breach moments still to record, so that ``tick`` records them once.

    - A running clock gets every moment ahead of it (past ones too, if it is overdue).
    - A paused clock gets the moments it had already reached, due at the pause.
    - A stopped clock gets only a breach it has not recorded (it stopped after its due
      instant before anyone ticked), due then.
    A breach is due just after the instant the target is reached: a reply at that very
    instant is on time.
    """
    level = policy.level_named(sla.level)
    if level is None:
        return []
    calendar = policy.calendar_map[level.calendar]
    return [
        timer
        for clock in sla.clocks
        for timer in clock_timers(clock, level.targets[clock.metric], calendar)
    ]


def clock_timers(
    clock: ClockReport, target: MetricTarget, calendar: BusinessCalendar
) -> list[Timer]:
    """The warning and breach moments of one clock cycle still to record (see ``timers``)."""
    if not clock.segments:
        return []
    due: list[Timer] = []
    if clock.stopped_at is None:
        for threshold in target.warnings:
            at = _moment(clock, target.within * threshold, target, calendar)
            if threshold not in clock.warned and at is not None:
                due.append(Timer(clock.metric, clock.cycle, f"warning:{threshold!r}", at))
    if clock.breach_recorded or clock.due is None:
        return due
    running = clock.stopped_at is None and clock.segments[-1].end is None
    if running or clock.status == "breached":
        due.append(Timer(clock.metric, clock.cycle, "breach", clock.due + _TICK))
    return due


def decide_sla(
    events: Sequence[ev.Event], policy: Policy, now: datetime, by: str = "system:sla"
) -> list[ev.Event]:
    """The warnings and breaches due at ``now`` and not yet recorded (the history-based
    reference for what ``tick`` records from timers): warnings of active clocks, breaches
    of any clock past its due instant."""
    case_id = _case_id(events)
    sla = report(case_id, events, policy, now)
    level = policy.level_named(sla.level)
    if level is None:
        return []
    out: list[ev.Event] = []
    meta: dict[str, Any] = {"at": now, "by": by, "policy": policy.version}
    for clock in sla.clocks:
        target = level.targets[clock.metric]
        if clock.stopped_at is None:
            for threshold in target.warnings:
                if threshold not in clock.warned and clock.consumed >= target.within * threshold:
                    out.append(
                        ev.SlaWarned(
                            metric=clock.metric, cycle=clock.cycle, threshold=threshold, **meta
                        )
                    )
        if not clock.breach_recorded and clock.status == "breached":
            out.append(ev.SlaBreached(metric=clock.metric, cycle=clock.cycle, **meta))
    return out


def clock_report(
    metric: str,
    cycle: Cycle,
    target: MetricTarget,
    calendar: BusinessCalendar,
    now: datetime,
    *,
    explain: bool,
) -> ClockReport:
    segments = []
    consumed = timedelta(0)
    for start, end in cycle.segments:
        assert isinstance(start, datetime)
        stop = end if isinstance(end, datetime) else now
        counted = _measure(target, calendar, start, min(stop, now)) if start < now else timedelta(0)
        consumed += counted
        skipped = (
            calendar.closed_days(start, min(stop, now))
            if explain and target.time == "business" and start < now
            else ()
        )
        segments.append(
            Segment(start, end if isinstance(end, datetime) else None, counted, skipped)
        )
    pauses = tuple(
        Pause(p[0], p[1] if isinstance(p[1], datetime) else None, str(p[2]))  # type: ignore[arg-type]
        for p in cycle.pauses
    )
    remaining = target.within - consumed
    running = cycle.stopped is None and bool(cycle.segments) and cycle.segments[-1][1] is None
    due = _crossing(segments, target, calendar) if consumed >= target.within else None
    if running and due is None:
        open_start = segments[-1].start
        before = consumed - segments[-1].counted
        due = _advance(target, calendar, open_start, target.within - before)
    # A clock breaches when it counts past its due instant: a stopped one by when it
    # stopped, a running one by now, a paused one by when its last segment ended (paused
    # exactly at the target it has not breached, and breaches only if it resumes).
    counted_until = now
    if cycle.stopped is not None:
        counted_until = cycle.stopped
    elif not running and segments and segments[-1].end is not None:
        counted_until = min(segments[-1].end, now)
    breached = due is not None and counted_until > due
    if cycle.stopped is not None:
        status = "breached" if breached else "met"
    elif breached:
        status = "breached"
    else:
        status = "running" if running else "paused"
    return ClockReport(
        metric=metric,
        cycle=cycle.cycle,
        status=status,
        target=target.within,
        time=target.time,
        consumed=consumed,
        remaining=remaining,
        due=due,
        started_at=cycle.started,
        stopped_at=cycle.stopped,
        warned=tuple(sorted(cycle.warned)),
        breach_recorded=cycle.breached,
        segments=tuple(segments),
        pauses=pauses,
    )


def _crossing(
    segments: Sequence[Segment], target: MetricTarget, calendar: BusinessCalendar
) -> datetime | None:
    """The instant the clock's consumed time first reached its target, or ``None``."""
    before = timedelta(0)
    for segment in segments:
        if before + segment.counted >= target.within:
            return _advance(target, calendar, segment.start, target.within - before)
        before += segment.counted
    return None


def _measure(
    target: MetricTarget, calendar: BusinessCalendar, a: datetime, b: datetime
) -> timedelta:
    return calendar.between(a, b) if target.time == "business" else b - a


def _advance(
    target: MetricTarget, calendar: BusinessCalendar, start: datetime, amount: timedelta
) -> datetime:
    if amount <= timedelta(0):
        return start
    return calendar.add(start, amount) if target.time == "business" else start + amount


def _moment(
    clock: ClockReport, amount: timedelta, target: MetricTarget, calendar: BusinessCalendar
) -> datetime | None:
    """When ``clock`` reaches ``amount`` consumed: ahead if running; if paused, the pause
    (only if it already had); ``None`` if a paused clock has not reached it yet."""
    last = clock.segments[-1]
    if last.end is None:
        before = clock.consumed - last.counted
        return _advance(target, calendar, last.start, amount - before)
    return last.end if clock.consumed >= amount else None


def _level_name(events: Iterable[ev.Event]) -> str | None:
    name = None
    for event in events:
        if isinstance(event, ev.SlaApplied):
            name = event.level
    return name


def _case_id(events: Sequence[ev.Event]) -> str:
    first = events[0]
    assert isinstance(first, ev.Submitted)
    return first.case_id
