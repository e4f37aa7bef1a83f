"""Routing as policy data: agents, queues and what routing reads of a case.

The strategies that pick an owner live in ``routing`` (rules); this module holds the
types the policy is made of and the checks types cannot express, so the policy (domain)
never imports the rules.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime

from attrs import field, frozen

from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain._case import Case
from serviceflow.domain._conditions import CaseCondition, condition_problems

SKILL = "skill"
ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
MANUAL = "manual"
STRATEGIES = (SKILL, ROUND_ROBIN, LEAST_LOADED, MANUAL)
ANY_CHANNEL = "*"
"""The capacity key for every channel an agent's capacity does not name."""
LOWEST_LEVEL, HIGHEST_LEVEL = 1, 5
CONDITIONS = ("priority", "tier", "category", "kind", "channel", "requester_group")


@frozen
class Absence:
    """A time an agent is away (leave, training, sickness), from ``start`` up to ``end``."""

    start: datetime
    end: datetime


@frozen
class Agent:
    """A person who can own cases: what they know and serve, and how many cases they take.

    ``capacity`` maps a channel to the most open cases the agent holds on it at once;
    ``"*"`` stands for every channel not named, and a channel with no entry is one the
    agent does not serve. Empty ``languages`` or ``tiers`` mean all of them. ``calendar``
    names the business calendar of the agent's shift (``None``: always on shift).
    """

    id: str
    name: str = ""
    teams: tuple[str, ...] = ()
    skills: Mapping[str, int] = field(factory=ReadOnlyMap, converter=read_only)
    languages: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    capacity: Mapping[str, int] = field(factory=ReadOnlyMap, converter=read_only)
    calendar: str | None = None
    away: tuple[Absence, ...] = ()
    active: bool = True

    def capacity_on(self, channel: str) -> int | None:
        """The most open cases this agent takes on ``channel`` (``None``: not at all)."""
        limit = self.capacity.get(channel)
        return self.capacity.get(ANY_CHANNEL) if limit is None else limit


@frozen
class Work:
    """What routing needs to know of a case."""

    case_id: str
    channel: str
    priority: str | None
    category: str | None
    kind: str | None
    tier: str
    language: str | None
    requester_group: str | None


@frozen
class Queue:
    """Where matching cases wait, who may take them (``team``) and how one is picked.

    ``skills`` are required minimum levels; left empty, the ``skill`` strategy requires
    the case's category as a skill (any level) when the case has one. ``scheduled``
    marks a queue whose cases the desk routes in batches (low priority: scheduled
    handling); routing itself decides whenever it is asked.
    """

    name: str
    when: CaseCondition = field(factory=CaseCondition)
    strategy: str = SKILL
    team: str | None = None
    skills: Mapping[str, int] = field(factory=ReadOnlyMap, converter=read_only)
    scheduled: bool = False

    def matches(self, work: Work) -> bool:
        """Does ``work`` meet every condition of this queue?"""
        return all(
            not allowed or getattr(work, name) in allowed
            for name, allowed in zip(CONDITIONS, condition_lists(self.when), strict=True)
        )


def work_of(case: Case) -> Work:
    """What routing needs to know of ``case``."""
    return Work(
        case.id,
        case.channel,
        case.priority,
        case.category,
        case.kind,
        case.tier,
        case.language,
        case.requester_group,
    )


def queue_skills(queue: Queue, work: Work) -> Mapping[str, int]:
    """The skill levels ``queue`` asks of whoever takes ``work``: its own, or for a skill
    queue without any, the work's category at the lowest level."""
    if queue.strategy == SKILL and not queue.skills and work.category is not None:
        return {work.category: LOWEST_LEVEL}
    return queue.skills


def condition_lists(when: CaseCondition) -> tuple[tuple[str, ...], ...]:
    """The values a condition accepts for each fact, in ``CONDITIONS`` order."""
    return tuple(getattr(when, name) for name in CONDITIONS)


FALLBACK = Queue(name="default")
"""Where a case goes when no queue matches (only a roster without queues lets that happen)."""


def routing_problems(
    agents: Sequence[Agent],
    queues: Sequence[Queue],
    calendar_names: Collection[str],
    allowed: Mapping[str, tuple[str, ...]],
    *,
    root: str = "$",
) -> Iterator[str]:
    """Problems types cannot express, each with its path; ``allowed`` names known values.

    ``allowed`` may name ``priority``, ``tier``, ``category``, ``kind`` and ``channel``; a
    missing or empty list is not checked. When any queue is defined, the last one must have
    no conditions (the fallback) and no other may lack them.
    """
    tiers = allowed.get("tier", ())
    channels = allowed.get("channel", ())
    seen: set[str] = set()
    for i, agent in enumerate(agents):
        path = f"{root}.agents[{i}]"
        if not agent.id.strip():
            yield f"{path}.id: must not be blank"
        elif agent.id in seen:
            yield f"{path}.id: {agent.id!r} is listed twice"
        seen.add(agent.id)
        yield from _level_problems(f"{path}.skills", agent.skills)
        for tier in agent.tiers:
            if tiers and tier not in tiers:
                yield f"{path}.tiers: expected one of {', '.join(tiers)}, got {tier!r}"
        for channel, limit in agent.capacity.items():
            if channels and channel != ANY_CHANNEL and channel not in channels:
                options = ", ".join([*channels, ANY_CHANNEL])
                yield f"{path}.capacity.{channel}: unknown channel (channels: {options})"
            if limit < 0:
                yield f"{path}.capacity.{channel}: must be 0 or more, got {limit}"
        if agent.calendar is not None and agent.calendar not in calendar_names:
            yield (
                f"{path}.calendar: unknown calendar {agent.calendar!r} "
                f"(calendars: {', '.join(calendar_names)})"
            )
        for j, absence in enumerate(agent.away):
            yield from _absence_problems(f"{path}.away[{j}]", absence)
    teams = sorted({team for agent in agents for team in agent.teams})
    names: set[str] = set()
    last = len(queues) - 1
    for i, queue in enumerate(queues):
        path = f"{root}.queues[{i}]"
        if queue.name in names:
            yield f"{path}.name: {queue.name!r} is listed twice"
        names.add(queue.name)
        if queue.strategy not in STRATEGIES:
            options = ", ".join(STRATEGIES)
            yield f"{path}.strategy: expected one of {options}, got {queue.strategy!r}"
        if queue.team is not None and queue.team not in teams:
            yield f"{path}.team: unknown team {queue.team!r} (teams: {', '.join(teams) or 'none'})"
        yield from _level_problems(f"{path}.skills", queue.skills)
        known = {condition: allowed.get(condition, ()) for condition in CONDITIONS}
        yield from condition_problems(f"{path}.when", queue.when, known)
        if i == last and not queue.when.is_fallback:
            yield f"{path}: the last queue must have no conditions (the fallback)"
        if i < last and queue.when.is_fallback:
            yield (
                f"{path}: only the last queue may have no conditions "
                "(the queues after it would never be used)"
            )


def _level_problems(path: str, levels: Mapping[str, int]) -> Iterator[str]:
    for skill, level in levels.items():
        if not LOWEST_LEVEL <= level <= HIGHEST_LEVEL:
            yield (
                f"{path}.{skill}: level must be between {LOWEST_LEVEL} and {HIGHEST_LEVEL}, "
                f"got {level}"
            )


def _absence_problems(path: str, absence: Absence) -> Iterator[str]:
    naive = False
    for name in ("start", "end"):
        value: datetime = getattr(absence, name)
        if value.tzinfo is None or value.utcoffset() is None:
            naive = True
            yield f"{path}.{name}: {value.isoformat()} has no time zone (add one, e.g. +00:00)"
    if not naive and absence.end <= absence.start:
        yield (
            f"{path}: ends at or before it starts "
            f"({absence.start.isoformat()} to {absence.end.isoformat()})"
        )
