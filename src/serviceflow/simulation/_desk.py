"""A discrete-event simulation (simpy) of a desk, where every action is a real desk command.

The simpy environment's time *is* the desk's ``ManualClock``: before every command the clock
is set to ``env.now``. Clients submit (intake automation classifies, prioritizes and routes
by the policy's queues), agents work what the desk assigned to them, first come first
served, and when they resolve, the desk itself offers waiting cases to whoever has capacity.
``desk.tick`` runs every ``tick_every`` of simulated time, so warnings, breaches and
escalation rules fire as in production. Each case draws its behaviour from its own seeded
random stream, so a seed gives the same run, and two variants of a scenario see the same
demand (common random numbers). See ``docs/simulation.md``.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable
from datetime import datetime, timedelta
from random import Random
from typing import Any

import simpy
from attrs import evolve

from serviceflow.analytics._metrics import kpis
from serviceflow.clock import ManualClock
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain import _events as ev
from serviceflow.domain._case import AWAITING, Case
from serviceflow.errors import ServiceflowError
from serviceflow.plugins.hookspecs import hookimpl
from serviceflow.rules._lifecycle import (
    ASSIGNED,
    CLOSED,
    IN_PROGRESS,
    PRIORITIZED,
    RESOLVED,
    VALIDATED,
    WAITING_ON_CLIENT,
)
from serviceflow.rules._routing import Absence, roster_of
from serviceflow.simulation._result import SimulationResult
from serviceflow.simulation._scenario import Scenario
from serviceflow.simulation._scenario_parts import ScriptedEvent, pick

__all__ = ["QA", "Progress", "Simulation", "simulate"]

QA = "qa:sim"
"""The actor who validates resolutions in a simulation."""

Progress = Callable[[float, float], None]
"""Called with simulated seconds done and in all, after every tick."""

_Step = Generator[simpy.Event, Any, None]
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_WORK, _ACCEPT = "work", "accept"


class _Agent:
    """A simulated agent's desk-side state: what the desk gave them, in arrival order."""

    def __init__(self, agent_id: str) -> None:
        self.id = agent_id
        self.inbox: deque[tuple[str, str]] = deque()
        self.queued: set[tuple[str, str]] = set()
        self.current: str | None = None
        self.wake: simpy.Event | None = None


class _Observer:
    """The simulation's plugin: hears assignments and escalations as the desk commits them."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    @hookimpl
    def observe(self, case: Case, events: Iterable[ev.Event]) -> None:
        for event in events:
            if isinstance(event, ev.Assigned):
                self.sim.give(event.assignee, case.id, _WORK)
            elif isinstance(event, ev.Escalated):
                self.sim.escalated(case.id, event.to_tier)


class Simulation:
    """One run of ``scenario`` on a desk opened at ``url`` (``memory://`` by default).

    The desk stays open after ``run`` (``desk``) for inspection; ``close`` closes it.
    Plugins given are registered besides the built-ins; entry points are not loaded, so
    an installed plugin cannot change a seeded run.
    """

    def __init__(
        self, scenario: Scenario, url: str = "memory://", *, plugins: Iterable[object] = ()
    ) -> None:
        self.scenario = scenario
        self.url = url
        self.env = simpy.Environment()
        self.clock = ManualClock(scenario.start)
        self._ids = 0
        self.desk = ServiceDesk.open(
            url,
            policy=scenario.desk_policy(),
            clock=self.clock,
            plugins=[_Observer(self), *plugins],
            entry_points=False,
            new_id=self._new_id,
            deliver_at_once=False,
        )
        self.commands: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.cases = 0
        self.ticks = 0
        self.fired = 0
        self._agents = {a: _Agent(a) for a in scenario.agent_ids()}
        self._rngs: dict[str, Random] = {}
        self._clients: dict[str, str] = {}
        self._asked: set[str] = set()
        self._seconds = scenario.duration.total_seconds()

    # --- the run ------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> SimulationResult:
        """Play the whole scenario, then compute the KPIs of the simulated period."""
        began = time.perf_counter()
        self.env.process(self._arrivals())
        for agent in self._agents.values():
            self.env.process(self._agent(agent))
        self.env.process(self._ticker(progress))
        for event in self.scenario.events:
            self.env.process(self._scripted(event))
        self.env.run(until=self._seconds)
        self.clock.set(self.scenario.end)
        self.fired += len(self.desk.tick(deliver=False))
        report = kpis(self.desk, start=self.scenario.start, end=self.scenario.end)
        if progress is not None:
            progress(self._seconds, self._seconds)
        return SimulationResult(
            scenario=self.scenario.name,
            seed=self.scenario.seed,
            url=self.url,
            start=self.scenario.start,
            end=self.scenario.end,
            cases=self.cases,
            commands=dict(sorted(self.commands.items())),
            refused=dict(sorted(self.refused.items())),
            ticks=self.ticks,
            fired=self.fired,
            kpis=report,
            wall_seconds=time.perf_counter() - began,
            digest=self.digest(),
        )

    def close(self) -> None:
        """Close the desk's store."""
        self.desk.close()

    def digest(self) -> str:
        """A hash of every stream's head: two runs wrote the same events iff equal."""
        store = self.desk.store
        sha = hashlib.sha256()
        for stream in store.streams():
            head = store.last(stream)
            sha.update(f"{stream}:{head.hash if head else ''}\n".encode())
        return sha.hexdigest()

    def inbox(self, agent_id: str) -> tuple[tuple[str, str], ...]:
        """What a simulated agent has yet to take up: ``(case id, job)`` pairs in order,
        ``job`` being ``"work"`` or ``"accept"`` (an escalation to accept)."""
        agent = self._agents.get(agent_id)
        return tuple(agent.inbox) if agent is not None else ()

    # --- time and commands ---------------------------------------------------------------

    def now(self) -> datetime:
        """The simulated instant (the desk's clock, moved to ``env.now``)."""
        return self.clock.set(self.scenario.start + timedelta(seconds=self.env.now))

    def _new_id(self, now: datetime) -> str:
        """Case ids as the desk makes them (time, then 32 bits), with a counter for the
        random part: the same run gives the same ids."""
        self._ids += 1
        value = int(now.timestamp() * 1000) << 32 | (self._ids & 0xFFFFFFFF)
        chars = []
        for _ in range(16):
            value, digit = divmod(value, 32)
            chars.append(_ALPHABET[digit])
        return "".join(reversed(chars))

    def _do(self, name: str, command: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one desk command at the simulated now; a refusal is counted, not raised."""
        self.now()
        self.commands[name] += 1
        try:
            return command(*args, **kwargs)
        except ServiceflowError:
            self.refused[name] += 1
            return None

    # --- what the desk tells us -----------------------------------------------------------

    def give(self, agent_id: str, case_id: str, job: str) -> None:
        """Put a job on a case in a simulated agent's inbox (once per case and kind of job),
        waking them if idle.

        A ``work`` job on the case in hand is dropped (the agent is already working it); an
        ``accept`` job never is: an agent who escalates the case in hand may be the member
        of the target tier chosen to accept it, and takes it up once done with the escalate.
        """
        agent = self._agents.get(agent_id)
        key = (case_id, job)
        if agent is None or key in agent.queued:
            return
        if job == _WORK and case_id == agent.current:
            return
        agent.inbox.append(key)
        agent.queued.add(key)
        if agent.wake is not None and not agent.wake.triggered:
            agent.wake.succeed()

    def escalated(self, case_id: str, tier_name: str) -> None:
        """An escalation awaits acceptance: the member of the tier with the shortest inbox
        (on duty first) takes it up."""
        tier = next((t for t in self.desk.policy.escalation.tiers if t.name == tier_name), None)
        if tier is None:
            return
        roster = roster_of(self.desk.policy)
        members = []
        for agent_id, agent in self._agents.items():
            known = roster.agent(agent_id)
            if known is not None and (not tier.teams or set(tier.teams) & set(known.teams)):
                members.append(
                    (not roster.available(agent_id, self.now()), len(agent.inbox), agent)
                )
        if members:
            chosen = min(members, key=lambda m: (m[0], m[1]))[2]
            self.give(chosen.id, case_id, _ACCEPT)

    # --- processes -----------------------------------------------------------------------

    def _arrivals(self) -> _Step:
        """Poisson arrivals, piecewise constant per hour of the weekly and daily profiles."""
        rng = Random(f"{self.scenario.seed}:arrivals")
        at, n = 0.0, 0
        while at < self._seconds:
            hour_start = at - at % 3600
            hour_end = min(hour_start + 3600, self._seconds)
            local = (self.scenario.start + timedelta(seconds=hour_start)).astimezone(
                self.scenario.tz
            )
            rate = self.scenario.arrivals.rate(local)
            gap = rng.expovariate(rate) if rate > 0 else float("inf")
            if at + gap >= hour_end:
                at = hour_end
                continue
            at += gap
            yield self.env.timeout(at - self.env.now)
            n += 1
            self._submit(f"case:{n}", None)

    def _submit(self, key: str, burst: ScriptedEvent | None) -> None:
        """Submit one case, drawing what it is and how it will go from its own stream."""
        rng = Random(f"{self.scenario.seed}:{key}")
        mix = self.scenario.mix
        who = rng.randrange(mix.requesters)
        group = f"client{who // 10}"
        if burst is None:
            category = pick(rng, mix.category)
            intake = {
                "channel": pick(rng, mix.channel),
                "category": category,
                "kind": pick(rng, mix.kind),
                "impact": pick(rng, mix.impact),
                "urgency": pick(rng, mix.urgency),
                "tier": pick(rng, mix.tier),
                "subject": f"{(category or 'request').capitalize()} request",
            }
        else:
            intake = {
                "channel": burst.channel,
                "category": burst.category,
                "kind": burst.case_kind,
                "impact": burst.impact,
                "urgency": burst.urgency,
                "tier": burst.tier,
                "subject": burst.subject,
            }
        case = self._do(
            "submit", self.desk.submit, requester=f"{group}/user{who}@{group}.test", **intake
        )
        if case is not None:
            self.cases += 1
            self._rngs[case.id] = rng
            self._clients[case.id] = f"client:user{who}@{group}.test"

    def _agent(self, agent: _Agent) -> _Step:
        """Take the oldest case in the inbox, when on duty; work it; repeat."""
        while True:
            while not agent.inbox:
                agent.wake = self.env.event()
                yield agent.wake
                agent.wake = None
            yield from self._until_on_duty(agent.id)
            case_id, job = agent.inbox.popleft()
            agent.queued.discard((case_id, job))
            agent.current = case_id
            yield from self._work(agent.id, case_id, job)
            agent.current = None

    def _until_on_duty(self, agent_id: str) -> _Step:
        """Wait for the agent's shift and the end of any absence (as the roster says)."""
        while True:
            now = self.now()
            policy = self.desk.policy
            roster = roster_of(policy)
            if roster.available(agent_id, now):
                return
            agent = roster.agent(agent_id)
            resume = now + self.scenario.tick_every
            if agent is not None and agent.active:
                later = [a.end for a in agent.away if a.start <= now < a.end]
                if agent.calendar is not None:
                    calendar = policy.calendar_map[agent.calendar]
                    if not calendar.is_open(now):
                        later.append(calendar.next_open(now))
                if later:
                    resume = max(later)
            yield self.env.timeout(max((resume - now).total_seconds(), 1.0))

    def _work(self, agent_id: str, case_id: str, job: str) -> _Step:
        """Pick up (acknowledge), work for a handle time, then ask, escalate or resolve."""
        desk = self.desk
        case = desk.case(case_id)
        if job == _ACCEPT:
            if case.escalation is None or case.escalation.status != AWAITING:
                return
            timeline = self.now() + self.scenario.handle.timeline
            case = self._do(
                "accept_escalation",
                desk.accept_escalation,
                case_id,
                by=agent_id,
                timeline=timeline,
            )
            if case is not None and case.state == PRIORITIZED:
                case = self._do("assign", desk.assign, case_id, to=agent_id, by=agent_id)
            if case is None:
                return
        elif not self._mine(case, agent_id):
            return
        if case.state == ASSIGNED:  # the pick-up is the first response
            self._do("acknowledge", desk.acknowledge, case_id, by=agent_id, message="On it.")
        rng = self._rngs.get(case_id) or Random(f"{self.scenario.seed}:{case_id}")
        handle = self.scenario.handle.of(case.category).sample(rng)
        yield self.env.timeout(handle)
        case = desk.case(case_id)
        if not self._mine(case, agent_id) or case.state != IN_PROGRESS:
            return
        chances = self.scenario.chances
        ask, escalate = rng.random(), rng.random()
        if case_id not in self._asked and ask < chances.needs_info:
            self._asked.add(case_id)
            self._do("request_info", desk.request_info, case_id, by=agent_id, message="Details?")
            self.env.process(self._client_reply(case_id, rng))
            return
        tiers = desk.policy.escalation.tiers
        if tiers and case.escalation is None and escalate < chances.escalate:
            self._do("escalate", desk.escalate, case_id, by=agent_id, reason="Needs the next tier")
            return
        if self._do("resolve", desk.resolve, case_id, by=agent_id, resolution="Fixed"):
            self.env.process(self._after_resolution(case_id, rng))

    @staticmethod
    def _mine(case: Case, agent_id: str) -> bool:
        """Is the case this agent's to work now (not awaiting another tier's acceptance)?"""
        awaiting = case.escalation is not None and case.escalation.status == AWAITING
        return case.assignee == agent_id and case.state in (ASSIGNED, IN_PROGRESS) and not awaiting

    def _client_reply(self, case_id: str, rng: Random) -> _Step:
        """The client answers the question after a while; the case goes back to its owner."""
        yield self.env.timeout(self.scenario.client.reply_after.sample(rng))
        if self.desk.case(case_id).state != WAITING_ON_CLIENT:
            return
        case = self._do("client_replied", self.desk.client_replied, case_id, message="Here.")
        if case is not None and case.assignee is not None:
            self.give(case.assignee, case_id, _WORK)

    def _after_resolution(self, case_id: str, rng: Random) -> _Step:
        """Quality validates; the client reopens, confirms or stays silent; maybe a survey."""
        s, desk = self.scenario, self.desk
        if s.chances.validate:
            self._do("validate", desk.validate, case_id, by=QA)
        reopen, confirm, survey = rng.random(), rng.random(), rng.random()
        if reopen < s.chances.reopen:
            yield self.env.timeout(s.client.reopen_after.sample(rng))
            if desk.case(case_id).state not in (RESOLVED, VALIDATED, CLOSED):
                return
            by = self._clients.get(case_id, "client:unknown")
            case = self._do("reopen", desk.reopen, case_id, by=by, reason="Still broken")
            if case is not None and case.assignee is not None:
                self.give(case.assignee, case_id, _WORK)
            return
        if confirm < s.chances.confirm:
            yield self.env.timeout(s.client.confirm_after.sample(rng))
            if desk.case(case_id).state in (RESOLVED, VALIDATED):
                self._do("confirm", desk.confirm, case_id)
        if survey < s.chances.survey:
            yield self.env.timeout(s.client.survey_after.sample(rng))
            score = int(pick(rng, s.chances.csat) or "5")
            self._do("record_survey", desk.record_survey, case_id, survey="csat", score=score)

    def _ticker(self, progress: Progress | None) -> _Step:
        """``desk.tick`` every ``tick_every``; the auto-confirm sweep every hour."""
        step = self.scenario.tick_every.total_seconds()
        next_sweep = 3600.0
        while self.env.now + step <= self._seconds:
            yield self.env.timeout(step)
            self.now()
            self.ticks += 1
            self.fired += len(self.desk.tick(deliver=False))
            if self.env.now >= next_sweep:
                next_sweep += 3600.0
                closed = self.desk.auto_confirm()
                self.commands["close"] += len(closed)
            if progress is not None:
                progress(self.env.now, self._seconds)

    def _scripted(self, event: ScriptedEvent) -> _Step:
        """A training event at its time: a burst of cases, or an agent away."""
        at = (self.scenario.instant(event) - self.scenario.start).total_seconds()
        yield self.env.timeout(at)
        if event.kind == "absent" and event.agent is not None:
            agent = roster_of(self.desk.policy).agent(event.agent)
            if agent is not None:
                now = self.now()
                away = Absence(start=now, end=now + event.duration)
                self._do(
                    "register_agent",
                    self.desk.register_agent,
                    evolve(agent, away=(*agent.away, away)),
                )
            return
        gap = event.spread.total_seconds() / event.count
        for n in range(event.count):
            if n and gap:
                yield self.env.timeout(gap)
            self._submit(f"burst:{event.at}:{n}", event)


def simulate(
    scenario: Scenario, url: str = "memory://", *, progress: Progress | None = None
) -> SimulationResult:
    """Run ``scenario`` on a fresh desk at ``url`` and return the result (the desk is
    closed afterwards; the store keeps what it wrote)."""
    sim = Simulation(scenario, url)
    try:
        return sim.run(progress)
    finally:
        sim.close()
