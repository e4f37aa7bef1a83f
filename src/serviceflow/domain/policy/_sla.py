"""The SLA part of a policy: calendars by name, and an ordered list of service levels.

The first service level whose conditions match a case applies; the last one must have no
conditions (the fallback). Each gives targets per metric, in business time of a named
calendar or in calendar time, with warning thresholds, the states that pause the clock,
and what a reopen does to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta

from attrs import field, frozen

from serviceflow.core._calendar import BusinessCalendar, always_open, business_calendar
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain._conditions import CaseCondition, condition_problems
from serviceflow.domain._states import STATES, WAITING_ON_CLIENT
from serviceflow.errors import ValidationError

FIRST_RESPONSE = "first_response"
NEXT_REPLY = "next_reply"
PERIODIC_UPDATE = "periodic_update"
RESOLUTION = "resolution"
METRICS = (FIRST_RESPONSE, NEXT_REPLY, PERIODIC_UPDATE, RESOLUTION)
REOPEN_MODES = ("resume", "reset", "new_cycle", "ignore")
TIME_KINDS = ("business", "calendar")
ALWAYS = "24/7"
"""The built-in calendar name: always open, UTC."""

DEFAULT_REOPEN: Mapping[str, str] = ReadOnlyMap(
    {
        FIRST_RESPONSE: "ignore",
        NEXT_REPLY: "ignore",
        PERIODIC_UPDATE: "ignore",
        RESOLUTION: "resume",
    }
)
"""What a reopen does to each clock unless the policy says otherwise."""

DEFAULT_PAUSES: Mapping[str, tuple[str, ...]] = ReadOnlyMap(
    {
        FIRST_RESPONSE: (),
        NEXT_REPLY: (),
        PERIODIC_UPDATE: (WAITING_ON_CLIENT,),
        RESOLUTION: (WAITING_ON_CLIENT,),
    }
)


@frozen
class CalendarSpec:
    """A calendar as written in a policy (see ``serviceflow.calendar``)."""

    zone: str = "UTC"
    week: Mapping[str, tuple[str, ...]] = field(factory=ReadOnlyMap, converter=read_only)
    holidays: tuple[date, ...] = ()
    special: Mapping[str, tuple[str, ...]] = field(factory=ReadOnlyMap, converter=read_only)
    country: str | None = None
    subdivision: str | None = None

    def build(self, name: str) -> BusinessCalendar:
        """The calendar, or ``ValidationError`` listing what is wrong."""
        return business_calendar(
            name,
            self.zone,
            self.week,
            holidays=self.holidays,
            special=self.special,
            country=self.country,
            subdivision=self.subdivision,
        )


@frozen
class MetricTarget:
    """One clock's promise: ``within`` this much time, warned at these fractions."""

    within: timedelta
    time: str = "business"
    warnings: tuple[float, ...] = (0.5, 0.75, 0.9)
    pause_in: tuple[str, ...] | None = None
    reopen: str | None = None

    def pauses(self, metric: str) -> tuple[str, ...]:
        """The states that pause this clock (the metric's default unless set)."""
        return self.pause_in if self.pause_in is not None else DEFAULT_PAUSES[metric]

    def on_reopen(self, metric: str) -> str:
        """What a reopen does to this clock (the metric's default unless set)."""
        return self.reopen if self.reopen is not None else DEFAULT_REOPEN[metric]


@frozen
class ServiceLevel:
    """A named set of targets for the cases its condition matches."""

    name: str
    targets: Mapping[str, MetricTarget] = field(converter=read_only)
    when: CaseCondition = field(factory=CaseCondition)
    calendar: str = ALWAYS


def calendars_of(specs: Mapping[str, CalendarSpec]) -> dict[str, BusinessCalendar]:
    """Build every named calendar, plus the built-in ``24/7``."""
    built = {ALWAYS: always_open(name=ALWAYS)}
    for name, spec in specs.items():
        built[name] = spec.build(name)
    return built


def sla_problems(
    levels: tuple[ServiceLevel, ...],
    calendars: Mapping[str, CalendarSpec],
    known: Mapping[str, tuple[str, ...]],
) -> Iterator[str]:
    """Problems with the SLA section, each with its path; ``known`` names allowed values."""
    for name, spec in calendars.items():
        try:
            spec.build(name)
        except ValidationError as exc:
            yield from (f"$.calendars.{name}.{problem}" for problem in exc.problems)
    if levels and not levels[-1].when.is_fallback:
        last = len(levels) - 1
        yield f"$.sla[{last}]: the last service level must have no conditions (the fallback)"
    seen: set[str] = set()
    for i, level in enumerate(levels):
        path = f"$.sla[{i}]"
        if level.name in seen:
            yield f"{path}.name: {level.name!r} is listed twice"
        seen.add(level.name)
        if level.calendar != ALWAYS and level.calendar not in calendars:
            options = ", ".join([ALWAYS, *calendars])
            yield f"{path}.calendar: expected one of {options}, got {level.calendar!r}"
        yield from condition_problems(f"{path}.when", level.when, known)
        if not level.targets:
            yield f"{path}.targets: at least one metric is required ({', '.join(METRICS)})"
        for metric, target in level.targets.items():
            yield from _target_problems(f"{path}.targets.{metric}", metric, target)


def _target_problems(path: str, metric: str, target: MetricTarget) -> Iterator[str]:
    if metric not in METRICS:
        yield f"{path}: unknown metric (metrics: {', '.join(METRICS)})"
    if target.within <= timedelta(0):
        yield f"{path}.within: must be longer than zero"
    if target.time not in TIME_KINDS:
        yield f"{path}.time: expected one of {', '.join(TIME_KINDS)}, got {target.time!r}"
    if target.reopen is not None and target.reopen not in REOPEN_MODES:
        yield f"{path}.reopen: expected one of {', '.join(REOPEN_MODES)}, got {target.reopen!r}"
    if list(target.warnings) != sorted(set(target.warnings)) or any(
        not 0 < w < 1 for w in target.warnings
    ):
        yield f"{path}.warnings: fractions between 0 and 1, ascending, no repeats"
    for state in target.pause_in or ():
        if state not in STATES:
            yield f"{path}.pause_in: expected states among {', '.join(STATES)}, got {state!r}"
