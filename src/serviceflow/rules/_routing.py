"""Routing: the strategies that pick a case's owner among the policy's agents.

A case goes to the first queue whose conditions match it; the last queue has no
conditions and catches the rest (the fallback). The queue's strategy then picks one of
its eligible agents:

- ``skill``: the best match on the queue's skills (the case's category when the queue
  names none), then the least loaded, then agent id order;
- ``round_robin``: the first eligible agent after the queue's cursor, in agent id order;
- ``least_loaded``: the lowest share of capacity in use on the case's channel, then the
  fewest cases, then agent id order;
- ``manual``: nobody; a person takes the case from the queue.

An agent is eligible for a case when active, on shift (their calendar is open), not away,
in the queue's team, serving the case's tier and language, below capacity on the case's
channel, and at or above the queue's skill levels. When nobody is eligible, the case waits
in its queue and the decision says why the candidates could not take it.

Everything here is pure: loads, the round-robin cursor and the time come in as arguments.
A `Roster` indexes a policy's agents once (each queue's candidates in id order, skill →
agents by level, capacity per channel) and keeps a roll call of who is on duty until the
next shift or absence boundary, so a decision reads only the on-duty candidates its queue
can use. Only ``least_loaded`` must read the load of every such candidate.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from attrs import evolve, frozen

from serviceflow.clock import require_aware
from serviceflow.core._calendar import BusinessCalendar
from serviceflow.domain._case import Case
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._routing import (
    ANY_CHANNEL,
    CONDITIONS,
    FALLBACK,
    HIGHEST_LEVEL,
    LEAST_LOADED,
    LOWEST_LEVEL,
    MANUAL,
    ROUND_ROBIN,
    SKILL,
    STRATEGIES,
    Absence,
    Agent,
    Queue,
    Work,
    condition_lists,
    queue_skills,
    routing_problems,
    work_of,
)
from serviceflow.errors import ValidationError

__all__ = [
    "ANY_CHANNEL",
    "CONDITIONS",
    "FALLBACK",
    "HIGHEST_LEVEL",
    "LEAST_LOADED",
    "LISTED",
    "LOWEST_LEVEL",
    "MANUAL",
    "PLUGIN",
    "ROUND_ROBIN",
    "SKILL",
    "STRATEGIES",
    "Absence",
    "Agent",
    "Decision",
    "Queue",
    "Roster",
    "Work",
    "queue_skills",
    "roster_of",
    "routing_problems",
    "skill_gap",
    "work_of",
]

PLUGIN = "plugin"
"""The strategy named by a decision a ``route`` plugin made (not a queue strategy)."""
LISTED = 5
"""A reason names up to this many candidates one by one; beyond that it counts causes."""
_HORIZON = timedelta(days=1)
"""A roll call of who is on duty holds at most this long."""
_US = timedelta(microseconds=1)


@frozen
class Decision:
    """The outcome of routing one case: its queue and its owner, or why it waits."""

    queue: str
    strategy: str
    agent: str | None
    reason: str
    cursor: str | None = None
    case_id: str = ""


# --- the roster: agents and queues, indexed once -------------------------------------------


class _Member:
    """An agent as routing reads it: plain attributes, absences in UTC, a rank in id order."""

    __slots__ = (
        "active",
        "agent",
        "away",
        "capacity",
        "id",
        "languages",
        "rank",
        "shift",
        "skills",
        "tiers",
    )

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.id = agent.id
        self.rank = 0
        self.active = agent.active
        self.shift = agent.calendar
        self.away = tuple(
            (require_aware(a.start, "absence start"), require_aware(a.end, "absence end"))
            for a in agent.away
        )
        self.tiers = frozenset(agent.tiers) if agent.tiers else None
        self.languages = frozenset(agent.languages) if agent.languages else None
        self.skills = dict(agent.skills)
        self.capacity = dict(agent.capacity)

    def limit(self, channel: str) -> int | None:
        """Like `Agent.capacity_on`, on a plain dict."""
        limit = self.capacity.get(channel)
        return self.capacity.get(ANY_CHANNEL) if limit is None else limit

    def away_at(self, now: datetime) -> datetime | None:
        """The end of the absence covering ``now``, if any."""
        for start, end in self.away:
            if start <= now < end:
                return end
        return None


_Entry = tuple[_Member, tuple[str, str], int, int]
"""A candidate on one channel: the member, its key in ``loads``, its capacity, its score."""


class _Pool:
    """The candidates of a queue for one skill requirement: in id order, or for the skill
    strategy best score first, then id order."""

    __slots__ = ("_channels", "_on_duty", "ranks", "scored", "static")

    def __init__(self, scored: list[tuple[int, _Member]]) -> None:
        self.scored = scored
        self.ranks = frozenset(member.rank for _, member in scored)
        self.static: Counter[str] | None = None
        self._channels: dict[str, _Lane] = {}
        self._on_duty: dict[str, tuple[_Duty, _Lane]] = {}

    def taking(self, channel: str) -> _Lane:
        """The active candidates that take ``channel`` at all."""
        lane = self._channels.get(channel)
        if lane is None:
            entries: list[_Entry] = []
            for score, member in self.scored:
                limit = member.limit(channel)
                if member.active and limit:
                    entries.append((member, (member.id, channel), limit, score))
            # Bounded: the channels of cases are the policy's channels.
            lane = self._channels[channel] = _Lane(tuple(entries))
        return lane

    def on_duty(self, channel: str, duty: _Duty) -> _Lane:
        """The candidates that take ``channel`` and are on duty (kept while ``duty`` lasts)."""
        found = self._on_duty.get(channel)
        if found is None or found[0] is not duty:
            on = duty.on
            lane = _Lane(tuple(e for e in self.taking(channel).entries if e[0].rank in on))
            found = self._on_duty[channel] = (duty, lane)
        return found[1]


class _Lane:
    """Candidates on one channel in pool order, with their ranks and negated scores."""

    __slots__ = ("entries", "ranks", "scores")

    def __init__(self, entries: tuple[_Entry, ...]) -> None:
        self.entries = entries
        self.ranks = [entry[0].rank for entry in entries]
        self.scores = [-entry[3] for entry in entries]


class _Duty:
    """Who is on duty (active, on shift, not away) from ``start`` until ``end``.

    The set changes only at shift and absence boundaries, so every decision in between
    shares it, and candidate lists filtered by it.
    """

    __slots__ = ("end", "on", "start")

    def __init__(self, start: datetime, end: datetime, on: frozenset[int]) -> None:
        self.start = start
        self.end = end
        self.on = on


_EMPTY = _Pool([])


class _Plan:
    """One queue, indexed: its condition checks, its members and its candidate pools."""

    __slots__ = ("active", "by_category", "checks", "members", "pool", "queue")

    def __init__(
        self,
        queue: Queue,
        members: tuple[_Member, ...],
        by_skill: Mapping[str, list[_Member]],
    ) -> None:
        self.queue = queue
        self.checks = tuple(
            (name, frozenset(allowed))
            for name, allowed in zip(CONDITIONS, condition_lists(queue.when), strict=True)
            if allowed
        )
        self.members = members
        self.active = sum(m.active for m in members)
        team = None if queue.team is None else {m.id for m in members}
        by_score = queue.strategy == SKILL
        self.pool = _pool(members, queue.skills, by_skill, team, by_score=by_score)
        self.by_category: dict[str, _Pool] = {}
        if by_score and not queue.skills:
            for skill in by_skill:
                pool = _pool(members, {skill: LOWEST_LEVEL}, by_skill, team, by_score=True)
                if pool.scored:
                    self.by_category[skill] = pool

    def requirement(self, work: Work) -> Mapping[str, int]:
        """The skill levels this queue asks of whoever takes ``work``."""
        return queue_skills(self.queue, work)

    def pool_for(self, work: Work) -> _Pool:
        """The candidates meeting the requirement for ``work``."""
        if self.queue.strategy == SKILL and not self.queue.skills and work.category is not None:
            return self.by_category.get(work.category, _EMPTY)
        return self.pool


def _pool(
    members: tuple[_Member, ...],
    requirement: Mapping[str, int],
    by_skill: Mapping[str, list[_Member]],
    team: set[str] | None,
    *,
    by_score: bool,
) -> _Pool:
    """Members meeting ``requirement``, scored by the sum of their levels on it, in id order
    or (``by_score``) best score first, then id order."""
    if not requirement:
        return _Pool([(0, m) for m in members])
    if min(requirement.values()) >= LOWEST_LEVEL:
        # Only agents holding the rarest required skill can qualify: start from its index.
        rarest = min(requirement, key=lambda skill: len(by_skill.get(skill, ())))
        among: Iterable[_Member] = (
            m for m in by_skill.get(rarest, ()) if team is None or m.id in team
        )
    else:
        among = members
    scored = [
        (sum(m.skills.get(skill, 0) for skill in requirement), m)
        for m in among
        if all(m.skills.get(skill, 0) >= level for skill, level in requirement.items())
    ]
    scored.sort(key=lambda pair: (-pair[0] if by_score else 0, pair[1].rank))
    return _Pool(scored)


def _serves(member: _Member, tier: str, language: str | None) -> bool:
    """Does ``member`` serve this tier and speak this language (or list none)?"""
    if member.tiers is not None and tier not in member.tiers:
        return False
    return language is None or member.languages is None or language in member.languages


def _lacking(member: _Member, needs: tuple[tuple[str, int], ...]) -> str | None:
    """The first required ``skill>=level`` (in skill order) that ``member`` lacks, if any."""
    for skill, level in needs:
        if member.skills.get(skill, 0) < level:
            return f"{skill}>={level}"
    return None


def _shift_at(calendar: BusinessCalendar, now: datetime, end: datetime) -> tuple[bool, datetime]:
    """Is ``calendar`` open at ``now``, and until when (at most ``end``) does that hold?"""
    if not calendar.is_open(now):
        try:
            return False, min(calendar.next_open(now), end)
        except ValidationError:  # never opens again
            return False, end
    span = end - now
    if calendar.between(now, end) == span:
        return True, end
    # Open now, closed before ``end``: the open stretch is the longest fully open prefix.
    low, high = 0, span // _US
    while high - low > 1:
        middle = (low + high) // 2
        step = middle * _US
        if calendar.between(now, now + step) == step:
            low = middle
        else:
            high = middle
    return True, now + low * _US


class Roster:
    """A policy's agents and queues, indexed once so that each decision reads few agents.

    The roster trusts its input: check it with `routing_problems` first. An agent whose
    calendar is unknown is never on shift; the first of two agents (or queues) sharing an
    id (a name) wins.
    """

    def __init__(
        self,
        agents: Iterable[Agent],
        queues: Iterable[Queue],
        calendars: Mapping[str, BusinessCalendar],
    ) -> None:
        self.agents: tuple[Agent, ...] = tuple(agents)
        self.queues: tuple[Queue, ...] = tuple(queues)
        self._calendars = dict(calendars)
        members: dict[str, _Member] = {}
        for agent in self.agents:
            members.setdefault(agent.id, _Member(agent))
        ranked = tuple(sorted(members.values(), key=lambda m: m.id))
        for rank, member in enumerate(ranked):
            member.rank = rank
        self._members = members
        self._ranked = ranked
        by_team: dict[str, list[_Member]] = {}
        by_skill: dict[str, list[_Member]] = {}
        for member in ranked:
            for team in dict.fromkeys(member.agent.teams):
                by_team.setdefault(team, []).append(member)
            for skill in member.skills:
                by_skill.setdefault(skill, []).append(member)
        for skill, holders in by_skill.items():
            holders.sort(key=lambda m: (-m.skills[skill], m.rank))
        self._by_skill = by_skill
        self._teams = {team: tuple(held) for team, held in by_team.items()}
        plans: dict[str, _Plan] = {}
        for queue in self.queues:
            if queue.name not in plans:
                plans[queue.name] = self._plan(queue)
        self._plans = plans
        self._order = tuple(plans[q.name] for q in self.queues if plans[q.name].queue is q)
        self._fallback = self._plan(FALLBACK)
        self._open_at: tuple[datetime, dict[str, bool]] | None = None
        self._duty: _Duty | None = None
        self._shift_names = sorted({m.shift for m in ranked if m.shift is not None})

    def _plan(self, queue: Queue) -> _Plan:
        members = self._ranked if queue.team is None else self._teams.get(queue.team, ())
        return _Plan(queue, members, self._by_skill)

    # --- public questions --------------------------------------------------------------

    def agent(self, agent_id: str) -> Agent | None:
        """The agent with this id, if the roster has one."""
        member = self._members.get(agent_id)
        return None if member is None else member.agent

    def queue_for(self, work: Work) -> Queue | None:
        """The first queue whose conditions match ``work``, in policy order."""
        plan = self._match(work)
        return None if plan is None else plan.queue

    def available(self, agent_id: str, now: datetime) -> bool:
        """Is the agent active, on shift and not away at ``now``?"""
        member = self._members.get(agent_id)
        if member is None or not member.active:
            return False
        now = require_aware(now, "routing time")
        shift = member.shift
        if shift is not None and not self._is_open(shift, now, self._opened(now)):
            return False
        return member.away_at(now) is None

    def refusal(
        self,
        agent_id: str,
        work: Work,
        *,
        loads: Mapping[tuple[str, str], int],
        now: datetime,
        queue: Queue | None = None,
    ) -> str | None:
        """Why this agent cannot take ``work`` now (in its queue), or ``None`` if they can."""
        ask = self._ask(work, loads, now)
        plan = self._plan_of(queue, work)
        member = self._members.get(agent_id)
        if member is None:
            return f"{agent_id} is not an agent"
        team = plan.queue.team
        if team is not None and team not in member.agent.teams:
            return f"{agent_id} is not in team {team}"
        needs = tuple(sorted(plan.requirement(work).items()))
        refused = self._refusal(member, ask, needs, detail=True)
        return None if refused is None else f"{agent_id} {refused[1]}"

    def skill_gap(self, agent_id: str, work: Work) -> str | None:
        """The skill (``billing>=2``) ``agent_id`` lacks for ``work`` in its queue, ``None``
        if they have every skill it asks for; only skills, not shifts or capacity."""
        member = self._members.get(agent_id)
        if member is None:
            return f"{agent_id} is not one of the policy's agents"
        needs = tuple(sorted(self._plan_of(None, work).requirement(work).items()))
        lacking = _lacking(member, needs)
        return None if lacking is None else f"{agent_id} lacks skill {lacking}"

    def decide(
        self,
        work: Work,
        *,
        loads: Mapping[tuple[str, str], int],
        now: datetime,
        cursor: str | None = None,
        queue: Queue | None = None,
    ) -> Decision:
        """Pick the owner of ``work`` in its queue (or in ``queue``), or say why it waits.

        ``loads[(agent_id, channel)]`` is how many open cases the agent holds on that channel;
        ``cursor`` is a round-robin queue's last pick (``Decision.cursor`` is the new one, or
        the same when nobody is picked). A ``queue`` that is not one of the roster's is
        indexed for this call only.
        """
        decision = self._decide(work, loads, now, cursor, queue)
        return evolve(decision, case_id=work.case_id)

    def _decide(
        self,
        work: Work,
        loads: Mapping[tuple[str, str], int],
        now: datetime,
        cursor: str | None,
        queue: Queue | None,
    ) -> Decision:
        """``decide`` without the case id (each outcome is built where it is found)."""
        ask = self._ask(work, loads, now)
        plan = self._plan_of(queue, work)
        name, strategy = plan.queue.name, plan.queue.strategy
        if strategy == MANUAL:
            return Decision(name, strategy, None, f"queue {name} is manual: an agent takes it")
        if strategy not in STRATEGIES:
            return Decision(name, strategy, None, f"unknown strategy {strategy!r}", cursor)
        pool = plan.pool_for(work)
        lane = pool.on_duty(work.channel, self._duty_at(ask.now))
        if strategy == ROUND_ROBIN:
            last = None if cursor is None else self._members.get(cursor)
            start = 0 if last is None else bisect_right(lane.ranks, last.rank)
            picked = self._rotate(lane.entries, start, ask)
        elif strategy == LEAST_LOADED:
            picked = self._least_loaded(lane.entries, ask)
        else:
            picked = self._best_match(lane.entries, ask)
        if picked is None:
            kept = cursor if strategy == ROUND_ROBIN else None
            return Decision(name, strategy, None, self._nobody(plan, pool, ask), kept)
        member, key, limit, score = picked
        load = f"load {loads.get(key, 0)}/{limit} on {work.channel}"
        every = pool.taking(work.channel)
        if strategy == ROUND_ROBIN:
            # Everyone between the cursor and the pick, cyclically, could not take the work.
            after = 0 if last is None else bisect_right(every.ranks, last.rank)
            upto = bisect_left(every.ranks, member.rank)
            passed = upto - after if upto >= after else len(every.ranks) - after + upto
            turn = "from the start" if last is None else f"after {cursor}"
            others = f"; {passed} before them cannot take it now" if passed else ""
            reason = f"{member.id}: next in turn {turn}, {load}{others}"
            return Decision(name, strategy, member.id, reason, member.id)
        if strategy == LEAST_LOADED:
            return Decision(name, strategy, member.id, f"{member.id}: least loaded, {load}")
        requirement = plan.requirement(work)
        if not requirement:
            reason = f"{member.id}: no skill required, least loaded, {load}"
            return Decision(name, strategy, member.id, reason)
        levels = ", ".join(f"{skill} {member.skills[skill]}" for skill in sorted(requirement))
        # Every candidate scored higher could not take the work.
        better = bisect_left(every.scores, -score)
        others = f"; {better} better matched cannot take it now" if better else ""
        reason = f"{member.id}: best skill match ({levels}), {load}{others}"
        return Decision(name, strategy, member.id, reason)

    # --- the strategies: each reads candidates on duty, in pool order ---------------------

    @staticmethod
    def _rotate(entries: tuple[_Entry, ...], start: int, ask: _Ask) -> _Entry | None:
        """The first eligible candidate from position ``start`` on, cyclically."""
        get = ask.loads.get
        tier, language = ask.work.tier, ask.work.language
        count = len(entries)
        for turn in range(count):
            entry = entries[(start + turn) % count]
            if get(entry[1], 0) < entry[2] and _serves(entry[0], tier, language):
                return entry
        return None

    @staticmethod
    def _least_loaded(
        entries: tuple[_Entry, ...], ask: _Ask, *, best_score_only: bool = False
    ) -> _Entry | None:
        """The eligible candidate with the lowest share of capacity in use, then fewest cases;
        with ``best_score_only``, among those with the best score (entries come best first)."""
        get = ask.loads.get
        tier, language = ask.work.tier, ask.work.language
        best: _Entry | None = None
        best_load = best_limit = 0
        for entry in entries:
            if best_score_only and best is not None and entry[3] < best[3]:
                break
            load, limit = get(entry[1], 0), entry[2]
            if load >= limit:
                continue
            if best is not None:
                # load/limit against best_load/best_limit, without division.
                mine, theirs = load * best_limit, best_load * limit
                if mine > theirs or (mine == theirs and load >= best_load):
                    continue
            if _serves(entry[0], tier, language):
                best, best_load, best_limit = entry, load, limit
                if load == 0:
                    break
        return best

    @staticmethod
    def _best_match(entries: tuple[_Entry, ...], ask: _Ask) -> _Entry | None:
        """Among the eligible candidates with the best score, the least loaded."""
        return Roster._least_loaded(entries, ask, best_score_only=True)

    # --- eligibility -------------------------------------------------------------------

    def _refusal(
        self, member: _Member, ask: _Ask, needs: tuple[tuple[str, int], ...], *, detail: bool
    ) -> tuple[str, str] | None:
        """The first rule ``member`` fails for the work, as (cause, detail); lasting causes
        come before passing ones, so a reason names first what waiting would not fix. The
        detail (with numbers and times) is only written when asked for."""
        if not member.active:
            return "inactive", "is inactive"
        lacking = _lacking(member, needs)
        if lacking is not None:
            return f"lacking skill {lacking}", f"lacks skill {lacking}"
        work = ask.work
        if member.tiers is not None and work.tier not in member.tiers:
            return f"not serving tier {work.tier}", f"does not serve tier {work.tier}"
        language = work.language
        if not _serves(member, work.tier, language):
            return f"not speaking {language}", f"does not speak {language}"
        channel = work.channel
        limit = member.limit(channel)
        if limit is None:
            return f"not taking {channel}", f"does not take {channel}"
        back = member.away_at(ask.now)
        if back is not None:
            return "away", f"is away until {back.isoformat()}" if detail else ""
        if member.shift is not None and not self._is_open(member.shift, ask.now, ask.opened):
            return "off shift", "is off shift"
        load = ask.loads.get((member.id, channel), 0)
        if load >= limit:
            return "at capacity", f"is at capacity ({channel} {load}/{limit})" if detail else ""
        return None

    def _nobody(self, plan: _Plan, pool: _Pool, ask: _Ask) -> str:
        """Why no candidate of the queue can take the work: each one, or counts by cause."""
        members = plan.members
        if not members:
            team = plan.queue.team
            return "no candidates: no agents" + ("" if team is None else f" in team {team}")
        needs = tuple(sorted(plan.requirement(ask.work).items()))
        head = f"{len(members)} candidate{'' if len(members) == 1 else 's'}: "
        if len(members) <= LISTED:
            refused = [(m.id, self._refusal(m, ask, needs, detail=True)) for m in members]
            return head + ", ".join(f"{agent} {found[1]}" for agent, found in refused if found)
        # Inactive members and those lacking skills stay so: count them once per pool.
        static = pool.static
        if pool is _EMPTY:  # nobody in the queue has the category's skill
            static = Counter({f"lacking skill {needs[0][0]}>={needs[0][1]}": plan.active})
            static["inactive"] = len(members) - plan.active
        elif static is None:
            static = pool.static = Counter(
                "inactive" if not m.active else f"lacking skill {_lacking(m, needs)}"
                for m in members
                if not m.active or m.rank not in pool.ranks
            )
        causes = static.copy()
        for _, member in pool.scored:
            if member.active:
                found = self._refusal(member, ask, needs, detail=False)
                if found is not None:
                    causes[found[0]] += 1
        ordered = sorted((item for item in causes.items() if item[1]), key=lambda i: (-i[1], i[0]))
        return head + ", ".join(f"{n} {cause}" for cause, n in ordered)

    def _duty_at(self, now: datetime) -> _Duty:
        """Who is on duty at ``now``: the last roll call while it holds, else a new one."""
        duty = self._duty
        if duty is None or not duty.start <= now < duty.end:
            duty = self._duty = self._roll_call(now)
        return duty

    def _roll_call(self, now: datetime) -> _Duty:
        """Who is on duty at ``now``, and until when nobody's shift or absence changes."""
        end = now + _HORIZON
        shifts: dict[str, bool] = {}
        for shift in self._shift_names:
            calendar = self._calendars.get(shift)
            if calendar is None:
                shifts[shift] = False
                continue
            shifts[shift], until = _shift_at(calendar, now, end)
            end = min(end, until)
        on: set[int] = set()
        for member in self._ranked:
            if not member.active or (member.shift is not None and not shifts[member.shift]):
                continue
            present = True
            for start, back in member.away:
                if start <= now < back:
                    present = False
                    end = min(end, back)
                elif now < start:
                    end = min(end, start)
            if present:
                on.add(member.rank)
        return _Duty(now, end, frozenset(on))

    # --- helpers -----------------------------------------------------------------------

    def _ask(self, work: Work, loads: Mapping[tuple[str, str], int], now: datetime) -> _Ask:
        """The question of one decision, with the shifts known at its instant."""
        now = require_aware(now, "routing time")
        return _Ask(work, loads, now, self._opened(now))

    def _opened(self, now: datetime) -> dict[str, bool]:
        """Which shifts are open at ``now``: filled in as candidates need them, kept for one
        instant (the decisions of one tick share it)."""
        last = self._open_at
        if last is None or last[0] != now:
            last = self._open_at = (now, {})
        return last[1]

    def _match(self, work: Work) -> _Plan | None:
        for plan in self._order:
            for name, allowed in plan.checks:
                if getattr(work, name) not in allowed:
                    break
            else:
                return plan
        return None

    def _plan_of(self, queue: Queue | None, work: Work) -> _Plan:
        if queue is None:
            return self._match(work) or self._fallback
        if queue is FALLBACK:
            return self._fallback
        plan = self._plans.get(queue.name)
        if plan is not None and (plan.queue is queue or plan.queue == queue):
            return plan
        return self._plan(queue)

    def _is_open(self, shift: str, now: datetime, opened: dict[str, bool]) -> bool:
        is_open = opened.get(shift)
        if is_open is None:
            calendar = self._calendars.get(shift)
            is_open = opened[shift] = calendar is not None and calendar.is_open(now)
        return is_open


class _Ask:
    """One routing question: the work, the loads and the instant (UTC), and the shifts open
    then, filled in as candidates need them."""

    __slots__ = ("loads", "now", "opened", "work")

    def __init__(
        self,
        work: Work,
        loads: Mapping[tuple[str, str], int],
        now: datetime,
        opened: dict[str, bool],
    ) -> None:
        self.work = work
        self.loads = loads
        self.now = now
        self.opened = opened


# --- policy checks -------------------------------------------------------------------------


_ROSTERS: OrderedDict[int, tuple[Policy, Roster]] = OrderedDict()
_ROSTERS_LOCK = threading.Lock()
_ROSTERS_KEPT = 8


def roster_of(policy: Policy) -> Roster:
    """The roster of ``policy``'s agents and queues, built once per policy object.

    The latest few are kept, keyed by identity (a policy is frozen, and hashing a whole
    policy on every decision would cost more than the decision).
    """
    key = id(policy)
    with _ROSTERS_LOCK:
        kept = _ROSTERS.get(key)
        if kept is not None and kept[0] is policy:
            _ROSTERS.move_to_end(key)
            return kept[1]
    roster = Roster(policy.agents, policy.queues, policy.calendar_map)
    with _ROSTERS_LOCK:
        _ROSTERS[key] = (policy, roster)
        _ROSTERS.move_to_end(key)
        while len(_ROSTERS) > _ROSTERS_KEPT:
            _ROSTERS.popitem(last=False)
    return roster


def skill_gap(policy: Policy, agent_id: str, case: Case) -> str | None:
    """Why ``agent_id`` lacks the skills ``case`` needs in its queue (``None``: has them);
    the check routing makes. A policy with no agents has nothing to check."""
    return roster_of(policy).skill_gap(agent_id, work_of(case)) if policy.agents else None
