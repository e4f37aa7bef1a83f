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

The roster composes its parts: members and matching (``_agent_match``), who is on duty
(``_on_duty``), candidate pools (``_candidates``), the strategies (``_queue_strategies``),
and the decision with its reason (``_routing_decision``). ``__all__`` keeps every name the
0.1 path ``serviceflow.routing`` (this module, see ``serviceflow._moved``) gave.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime

from attrs import evolve

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
    queue_skills,
    routing_problems,
    work_of,
)
from serviceflow.rules._agent_match import Member, lacking
from serviceflow.rules._candidates import Plan
from serviceflow.rules._on_duty import Shifts
from serviceflow.rules._queue_strategies import Ask, best_match, least_loaded, rotate
from serviceflow.rules._routing_decision import (
    LISTED,
    PLUGIN,
    Decision,
    decision_for,
    nobody,
    refusal_of,
)

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
        members: dict[str, Member] = {}
        for agent in self.agents:
            members.setdefault(agent.id, Member(agent))
        ranked = tuple(sorted(members.values(), key=lambda m: m.id))
        for rank, member in enumerate(ranked):
            member.rank = rank
        self._members = members
        self._ranked = ranked
        by_team: dict[str, list[Member]] = {}
        by_skill: dict[str, list[Member]] = {}
        for member in ranked:
            for team in dict.fromkeys(member.agent.teams):
                by_team.setdefault(team, []).append(member)
            for skill in member.skills:
                by_skill.setdefault(skill, []).append(member)
        for skill, holders in by_skill.items():
            holders.sort(key=lambda m: (-m.skills[skill], m.rank))
        self._by_skill = by_skill
        self._teams = {team: tuple(held) for team, held in by_team.items()}
        plans: dict[str, Plan] = {}
        for queue in self.queues:
            if queue.name not in plans:
                plans[queue.name] = self._plan(queue)
        self._plans = plans
        self._order = tuple(plans[q.name] for q in self.queues if plans[q.name].queue is q)
        self._fallback = self._plan(FALLBACK)
        self._shifts = Shifts(calendars, ranked)

    def _plan(self, queue: Queue) -> Plan:
        members = self._ranked if queue.team is None else self._teams.get(queue.team, ())
        return Plan(queue, members, self._by_skill)

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
        if shift is not None and not self._shifts.is_open(shift, now, self._shifts.opened(now)):
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
        refused = refusal_of(member, ask, needs, self._shifts, detail=True)
        return None if refused is None else f"{agent_id} {refused[1]}"

    def skill_gap(self, agent_id: str, work: Work) -> str | None:
        """The skill (``billing>=2``) ``agent_id`` lacks for ``work`` in its queue, ``None``
        if they have every skill it asks for; only skills, not shifts or capacity."""
        member = self._members.get(agent_id)
        if member is None:
            return f"{agent_id} is not one of the policy's agents"
        needs = tuple(sorted(self._plan_of(None, work).requirement(work).items()))
        lacks = lacking(member, needs)
        return None if lacks is None else f"{agent_id} lacks skill {lacks}"

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
        lane = pool.on_duty(work.channel, self._shifts.duty_at(ask.now))
        last: Member | None = None
        if strategy == ROUND_ROBIN:
            last = None if cursor is None else self._members.get(cursor)
            start = 0 if last is None else bisect_right(lane.ranks, last.rank)
            picked = rotate(lane.entries, start, ask)
        elif strategy == LEAST_LOADED:
            picked = least_loaded(lane.entries, ask)
        else:
            picked = best_match(lane.entries, ask)
        if picked is None:
            kept = cursor if strategy == ROUND_ROBIN else None
            return Decision(name, strategy, None, nobody(plan, pool, ask, self._shifts), kept)
        return decision_for(plan, pool, ask, picked, cursor=cursor, last=last)

    # --- helpers -----------------------------------------------------------------------

    def _ask(self, work: Work, loads: Mapping[tuple[str, str], int], now: datetime) -> Ask:
        """The question of one decision, with the shifts known at its instant."""
        now = require_aware(now, "routing time")
        return Ask(work, loads, now, self._shifts.opened(now))

    def _match(self, work: Work) -> Plan | None:
        for plan in self._order:
            for name, allowed in plan.checks:
                if getattr(work, name) not in allowed:
                    break
            else:
                return plan
        return None

    def _plan_of(self, queue: Queue | None, work: Work) -> Plan:
        if queue is None:
            return self._match(work) or self._fallback
        if queue is FALLBACK:
            return self._fallback
        plan = self._plans.get(queue.name)
        if plan is not None and (plan.queue is queue or plan.queue == queue):
            return plan
        return self._plan(queue)


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
