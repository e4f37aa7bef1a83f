"""The parts a scenario is made of (demand, work, client behaviour, agent groups, scripted
events), the checks each part passes on its own, and the draw from a table of weights.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from attrs import evolve, field, fields, frozen

from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.errors import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHAPES = ("lognormal", "exponential", "fixed")
EVENT_KINDS = ("burst", "absent")
EVENT_KEYS: Mapping[str, tuple[str, ...]] = {
    "burst": (
        "at",
        "kind",
        "count",
        "spread",
        "category",
        "case_kind",
        "channel",
        "impact",
        "urgency",
        "tier",
        "subject",
    ),
    "absent": ("at", "kind", "agent", "duration"),
}
"""The keys each kind of scripted event takes; any other is refused."""
_AT = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+(\d{1,2}):(\d{2})$", re.IGNORECASE)


@frozen(kw_only=True)
class Duration:
    """A random positive duration: ``lognormal`` (``mean`` and coefficient of variation
    ``cv``), ``exponential`` (``cv`` is 1 by definition) or ``fixed``."""

    mean: timedelta
    cv: float = 1.0
    shape: str = "lognormal"

    def sample(self, rng: Random) -> float:
        """One draw, in seconds."""
        mean = self.mean.total_seconds()
        if self.shape == "fixed" or mean == 0:
            return mean
        if self.shape == "exponential":
            return rng.expovariate(1.0 / mean)
        sigma2 = math.log1p(self.cv * self.cv)
        return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


@frozen(kw_only=True)
class Arrivals:
    """Poisson arrivals: ``per_week`` cases on average, spread over the week by ``weekly``
    (relative weights per weekday) and over the day by ``daily`` (24 relative weights, one
    per local hour). Missing weights are 1: a flat profile."""

    per_week: float
    weekly: Mapping[str, float] = field(factory=ReadOnlyMap, converter=read_only)
    daily: tuple[float, ...] = ()

    def rate(self, local: datetime) -> float:
        """Expected arrivals per second in the local hour starting at ``local``."""
        days = [self.weekly.get(d, 1.0) for d in DAYS]
        hours = list(self.daily) or [1.0] * 24
        day_share = days[local.weekday()] / (sum(days) or 1.0)
        hour_share = hours[local.hour] / (sum(hours) or 1.0)
        return self.per_week * day_share * hour_share / 3600.0


@frozen(kw_only=True)
class Mix:
    """Relative weights of what arrives (names as in the policy). An empty table leaves
    the field out of the submission (the category's or the policy's default applies)."""

    channel: Mapping[str, float] = field(
        factory=lambda: ReadOnlyMap({"email": 1.0}), converter=read_only
    )
    category: Mapping[str, float] = field(factory=ReadOnlyMap, converter=read_only)
    kind: Mapping[str, float] = field(
        factory=lambda: ReadOnlyMap({"incident": 1.0}), converter=read_only
    )
    impact: Mapping[str, float] = field(
        factory=lambda: ReadOnlyMap({"medium": 1.0}), converter=read_only
    )
    urgency: Mapping[str, float] = field(
        factory=lambda: ReadOnlyMap({"medium": 1.0}), converter=read_only
    )
    tier: Mapping[str, float] = field(factory=ReadOnlyMap, converter=read_only)
    requesters: int = 200
    """How many distinct requesters (in groups of ten) the cases come from."""


def pick(rng: Random, weights: Any) -> str | None:
    """One key of ``weights`` drawn by weight (``None`` for an empty table). Always draws
    once, so a case's later draws do not depend on which tables are empty."""
    u = rng.random()
    if not weights:
        return None
    total = sum(weights.values())
    acc = 0.0
    for key, weight in weights.items():
        acc += weight / total
        if u < acc:
            return str(key)
    return str(next(reversed(list(weights))))


@frozen(kw_only=True)
class HandleTimes:
    """Agent work per case: ``default``, or a category's own distribution; ``timeline`` is
    the resolution time an agent commits to when accepting an escalation."""

    default: Duration = field(factory=lambda: Duration(mean=timedelta(minutes=20), cv=0.8))
    category: Mapping[str, Duration] = field(factory=ReadOnlyMap, converter=read_only)
    timeline: timedelta = timedelta(hours=4)

    def of(self, category: str | None) -> Duration:
        """The distribution for a case of ``category``."""
        return self.category.get(category or "", self.default)


@frozen(kw_only=True)
class ClientBehaviour:
    """How long clients take: to answer a question, to confirm, to reopen, to answer a
    survey."""

    reply_after: Duration = field(factory=lambda: Duration(mean=timedelta(hours=2)))
    confirm_after: Duration = field(factory=lambda: Duration(mean=timedelta(hours=4)))
    reopen_after: Duration = field(factory=lambda: Duration(mean=timedelta(hours=12)))
    survey_after: Duration = field(factory=lambda: Duration(mean=timedelta(hours=1)))


@frozen(kw_only=True)
class Chances:
    """Probabilities of what happens to a case (each between 0 and 1)."""

    needs_info: float = 0.0
    """The agent asks the client a question (once per case) before resolving."""
    escalate: float = 0.0
    """The agent escalates to the next tier instead of resolving (needs policy tiers)."""
    reopen: float = 0.0
    """The client reopens a resolution (each resolution, independently)."""
    confirm: float = 1.0
    """The client confirms the resolution; the others close by the auto-confirm window."""
    validate: bool = True
    """Quality validates every resolution (``qa:sim``), which closing needs."""
    survey: float = 0.0
    """A closed case's client answers the CSAT survey."""
    csat: Mapping[str, float] = field(
        factory=lambda: ReadOnlyMap({"1": 0.05, "2": 0.05, "3": 0.15, "4": 0.35, "5": 0.4}),
        converter=read_only,
    )
    """Weights of the CSAT scores 1 to 5."""


@frozen(kw_only=True)
class AgentGroup:
    """Agents alike: ``count`` of them (ids ``agent:<name>-1`` ...) or the given ``ids``,
    with their teams, skills, capacity per channel and shift (a calendar of the policy or
    of the scenario's ``shifts``; none: always on)."""

    name: str
    count: int = 0
    ids: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    skills: Mapping[str, int] = field(factory=ReadOnlyMap, converter=read_only)
    languages: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    capacity: Mapping[str, int] = field(factory=lambda: ReadOnlyMap({"*": 3}), converter=read_only)
    shift: str | None = None

    def agent_ids(self) -> tuple[str, ...]:
        """The ids of this group's agents."""
        return self.ids or tuple(f"agent:{self.name}-{n}" for n in range(1, self.count + 1))


def staffed(groups: Sequence[AgentGroup], staffing: float) -> tuple[AgentGroup, ...]:
    """``groups`` with their agents times ``staffing`` (see ``Scenario.with_overrides``)."""
    if not (math.isfinite(staffing) and staffing > 0):
        raise ValidationError("what-if", [f"$.staffing: must be above 0, got {staffing}"])
    changed, problems = [], []
    for i, group in enumerate(groups):
        size = len(group.agent_ids())
        wanted = max(1, math.floor(size * staffing + 0.5)) if size else 0
        if not group.ids:
            changed.append(evolve(group, count=wanted))
        elif wanted <= len(group.ids):
            changed.append(evolve(group, ids=group.ids[:wanted]))
        else:
            problems.append(
                f"$.agents[{i}].ids: staffing ×{staffing:g} would need {wanted} agents in "
                f"group {group.name!r}, which names {len(group.ids)} by id; give it a count "
                "instead, or a factor that does not grow it"
            )
    if problems:
        raise ValidationError("what-if", problems)
    return tuple(changed)


@frozen(kw_only=True)
class ScriptedEvent:
    """Something that happens at a set time, for training: a ``burst`` of ``count`` cases
    (optionally ``spread`` over a duration), or an agent ``absent`` for ``duration``.

    ``at`` is an ISO date-time or ``"fri 16:55"``: that weekday's first occurrence in the
    run, local time of the scenario's zone."""

    at: str
    kind: str = "burst"
    count: int = 1
    spread: timedelta = timedelta(0)
    category: str | None = None
    case_kind: str = "incident"
    channel: str = "phone"
    impact: str = "high"
    urgency: str = "high"
    tier: str | None = None
    subject: str = "Scripted case"
    agent: str | None = None
    duration: timedelta = timedelta(hours=4)


def instant_of(text: str, start: datetime, zone: ZoneInfo) -> datetime:
    found = _AT.match(text.strip())
    if found is None:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(UTC)
    day, hour, minute = DAYS.index(found[1].lower()), int(found[2]), int(found[3])
    local = start.astimezone(zone)
    ahead = (day - local.weekday()) % 7
    when = datetime.combine(
        local.date() + timedelta(days=ahead), time(hour, minute), tzinfo=zone
    ).astimezone(UTC)
    return when if when >= start else when + timedelta(days=7)


def weight_problems(
    path: str, weights: Mapping[str, float], *, required: bool = False
) -> Iterator[str]:
    """Each weight a finite number, not negative; the table (when given, or ``required``)
    adds up to more than 0, so a draw from it is defined."""
    for key, weight in weights.items():
        if not math.isfinite(weight) or weight < 0:
            yield f"{path}.{key}: a weight must be a finite number, not negative, got {weight}"
    if (weights or required) and not sum(weights.values()) > 0:
        yield f"{path}: the weights add up to 0; at least one must be above 0"


def arrival_problems(arrivals: Arrivals) -> Iterator[str]:
    if not (math.isfinite(arrivals.per_week) and arrivals.per_week >= 0):
        yield f"$.arrivals.per_week: must not be negative, got {arrivals.per_week}"
    for day in arrivals.weekly:
        if day not in DAYS:
            yield f"$.arrivals.weekly.{day}: unknown day; expected one of {', '.join(DAYS)}"
    week = {d: arrivals.weekly.get(d, 1.0) for d in DAYS}  # a missing day weighs 1
    yield from weight_problems("$.arrivals.weekly", week)
    if arrivals.daily and len(arrivals.daily) != 24:
        yield f"$.arrivals.daily: expected 24 hourly weights, got {len(arrivals.daily)}"
    if any(not math.isfinite(w) or w < 0 for w in arrivals.daily):
        yield "$.arrivals.daily: a weight must be a finite number, not negative"
    elif arrivals.daily and not sum(arrivals.daily) > 0:
        yield "$.arrivals.daily: the weights add up to 0; at least one must be above 0"


def duration_problems(path: str, dist: Duration) -> Iterator[str]:
    if dist.shape not in SHAPES:
        yield f"{path}.shape: expected one of {', '.join(SHAPES)}, got {dist.shape!r}"
    if dist.cv < 0:
        yield f"{path}.cv: must not be negative, got {dist.cv}"


def set_fields(event: ScriptedEvent) -> tuple[str, ...]:
    """The fields of an event built in code that differ from their defaults."""
    return tuple(f.name for f in fields(ScriptedEvent) if getattr(event, f.name) != f.default)
