"""Dispatching: the desk's side of routing (loads, round-robin cursors, waiting cases).

``routing.Roster`` decides who takes a case; this part of ``ServiceDesk`` reads what it
needs from the store, makes the assignment a command like any other (authority,
guardrails, the audit of refusals), and offers waiting cases again when capacity frees.
``ServiceDesk`` holds one and offers its public methods; ``Desk`` names what it reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import pluggy
from attrs import evolve as attrs_evolve

from serviceflow.core import _retry as retry
from serviceflow.desk._pipeline import Pipeline
from serviceflow.desk._policies import store_policy
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import decode_event
from serviceflow.domain.policy._policy import Policy, check_policy
from serviceflow.domain.policy._routing import Work
from serviceflow.errors import ConcurrencyConflict, NotFound, ServiceflowError, ValidationError
from serviceflow.eventlog._chain import next_write
from serviceflow.eventlog._store import Store, StreamWrite
from serviceflow.plugins._manager import implemented
from serviceflow.rules._lifecycle import (
    ASSIGNED,
    CLASSIFIED,
    IN_PROGRESS,
    INTAKE,
    PRIORITIZED,
    WAITING_ON_CLIENT,
)
from serviceflow.rules._routing import (
    FALLBACK,
    ROUND_ROBIN,
    Agent,
    roster_of,
    work_of,
)
from serviceflow.rules._routing_decision import PLUGIN, Decision

if TYPE_CHECKING:
    from serviceflow.rules._sla import SlaReport

log = logging.getLogger("serviceflow.desk")

ROUTER = "automation:router"
"""The actor of the desk's own routing."""
HELD = (ASSIGNED, IN_PROGRESS, WAITING_ON_CLIENT)
"""States in which a case counts against its assignee's capacity."""
SCHEDULED = "scheduled"
"""The priority-level response that marks batch (scheduled) processing."""


class Desk(Protocol):
    """What dispatching reads of its desk: the store, the policy (which a roster change
    replaces), the plugins, its cases and their clocks."""

    store: Store
    policy: Policy
    plugins: pluggy.PluginManager

    def cases(self, *, state: str | Iterable[str] | None = None) -> Iterable[Case]: ...
    def sla(self, case_id: str, *, at: datetime | None = None) -> SlaReport: ...


class Dispatcher:
    """Routing, waiting queues and the run-time roster of a desk: a collaborator that runs
    its assignments through the desk's pipeline, like any other command."""

    def __init__(self, desk: Desk, pipeline: Pipeline) -> None:
        self.desk = desk
        self.pipeline = pipeline
        self._overdue: dict[str, tuple[int, str, datetime | None]] = {}
        """The due time worked out from the ledger of each waiting case without a breach
        timer, with the case and policy versions it holds for (a waiting case runs no pause,
        so it stays right until the case changes)."""

    def route(self, case_id: str, *, by: str = ROUTER) -> Decision:
        """Give a prioritized case to an owner, or say why it waits.

        A ``route`` plugin that names an owner decides; otherwise the case's queue does, by
        its strategy, with each agent's load read from the store. A round-robin queue's
        cursor is the last ``queue.turn_taken`` event of its stream, appended with the
        assignment in one transaction, so a restarted or second desk continues the same
        rotation. The assignment is a command like any other: authority, guardrails and
        the audit apply.
        """
        cmd.check_case_id(case_id)
        return self._route(case_id, by, None)[0]

    def _route(
        self, case_id: str, by: str, loads: dict[tuple[str, str], int] | None
    ) -> tuple[Decision, Case]:
        """``route``, with the loads of a pass over many cases kept current in ``loads``;
        also returns the case as it stands after the decision."""
        version, tries = 0, retry.WRITE.start()
        while True:
            case, head = self.pipeline.current(case_id)
            if case is None:
                raise NotFound("case", case_id)
            version = case.version
            if case.state != PRIORITIZED:
                raise ValidationError(
                    f"cannot route case {case_id}",
                    [f"state: only prioritized cases wait to be routed; this one is {case.state}"],
                )
            now = self.pipeline.now()
            decision, turn = self._decision(case, now, by, loads)
            if decision.agent is None:
                return decision, case
            command = cmd.Assign(
                case_id=case.id,
                by=by,
                to=decision.agent,
                queue=decision.queue or None,
                reason=decision.reason,
            )
            try:
                planned = self.pipeline.plan(case, head, command, now)
            except ServiceflowError as error:
                self.pipeline.audited(case, command, error, now)
                raise
            try:
                self.pipeline.commit(planned, [turn] if turn is not None else [])
            except ConcurrencyConflict:
                if not tries.wait():  # the case, or the queue's turn, kept moving on
                    raise ConcurrencyConflict(case_id, version) from None
                continue
            if loads is not None:
                key = (decision.agent, case.channel)
                loads[key] = loads.get(key, 0) + 1
            return decision, planned.writes[0][0]

    def _decision(
        self, case: Case, now: datetime, by: str, loads: dict[tuple[str, str], int] | None
    ) -> tuple[Decision, StreamWrite | None]:
        """Who takes ``case`` (a route plugin, else its queue), and a round-robin queue's turn."""
        owner = self.desk.plugins.hook.route(case=case, policy=self.desk.policy)
        if owner:
            reason = f"{owner}: chosen by a route plugin"
            return Decision("", PLUGIN, owner, reason, case_id=case.id), None
        if not self.desk.policy.agents:
            reason = "no route plugin answered and the policy lists no agents"
            return Decision("", PLUGIN, None, reason, case_id=case.id), None
        roster = roster_of(self.desk.policy)
        work = work_of(case)
        queue = roster.queue_for(work) or FALLBACK
        stream = ev.QUEUE + queue.name
        last = self.desk.store.last(stream) if queue.strategy == ROUND_ROBIN else None
        turn = decode_event(last.data) if last is not None else None
        cursor = turn.agent if isinstance(turn, ev.TurnTaken) else None
        held = loads if loads is not None else self.desk.store.workload(HELD)
        decision = roster.decide(work, loads=held, now=now, cursor=cursor, queue=queue)
        if decision.agent is None or queue.strategy != ROUND_ROBIN:
            return decision, None
        taken = ev.TurnTaken(
            queue=queue.name,
            agent=decision.agent,
            case_id=case.id,
            at=now,
            by=by,
            policy=self.desk.policy.version,
        )
        return decision, next_write(stream, last, taken)

    def register_agent(self, agent: Agent) -> Policy:
        """Add ``agent`` to the desk's roster (or replace the agent with its id) at run time.

        Agents are policy data, so this makes a new policy version (checked, and stored like
        any other): events record which roster was in force. Waiting cases are offered to
        the new roster when the desk routes on its own. Returns the new policy.
        """
        agents = (*(a for a in self.desk.policy.agents if a.id != agent.id), agent)
        return self._with_agents(agents)

    def remove_agent(self, agent_id: str) -> Policy:
        """Take an agent off the roster at run time (cases they hold stay theirs)."""
        if roster_of(self.desk.policy).agent(agent_id) is None:
            raise NotFound("agent", agent_id)
        return self._with_agents(tuple(a for a in self.desk.policy.agents if a.id != agent_id))

    def _with_agents(self, agents: tuple[Agent, ...]) -> Policy:
        self.desk.policy = check_policy(attrs_evolve(self.desk.policy, agents=agents))
        store_policy(self.desk.store, self.desk.policy, self.pipeline.now(), warn=False)
        self.offer_waiting()
        return self.desk.policy

    def route_waiting(self, *, scheduled: bool = False) -> list[Decision]:
        """Offer every waiting (prioritized) case to its queue, most urgent first.

        Cases of a ``scheduled`` queue whose priority level responds ``scheduled`` wait
        for a run with ``scheduled=True`` (batch processing, e.g. twice a day). The loads
        are read once and kept current as the pass assigns cases; loads only grow within a
        pass, so once a case finds nobody, a later case that routing cannot tell from it
        (same channel, category, priority, tier, ...) gets the same answer without being
        tried again (unless a route plugin decides: it may look at anything).
        """
        loads = self.desk.store.workload(HELD)
        decisions = []
        plugins = implemented(self.desk.plugins.hook.route)
        nobody: dict[Work, Decision] = {}
        for case in self._waiting():
            if self.batched(case) and not scheduled:
                continue
            like = None if plugins else attrs_evolve(work_of(case), case_id="")
            known = nobody.get(like) if like is not None else None
            if known is not None:
                decisions.append(attrs_evolve(known, case_id=case.id))
                continue
            try:
                decision = self._route(case.id, ROUTER, loads)[0]
            except ServiceflowError as exc:
                log.info("routing skipped case %s: %s", case.id, exc)
                continue
            except Exception:  # a failing route plugin must not stop the pass
                log.exception("routing failed for case %s; it keeps waiting", case.id)
                continue
            decisions.append(decision)
            if decision.agent is None and like is not None:
                nobody[like] = decision
        return decisions

    def offer_waiting(self) -> None:
        """After a change that is already committed: offer waiting cases, never raising."""
        if not self.routes_itself():
            return
        try:
            self.route_waiting()
        except Exception:
            log.exception("offering waiting cases failed; they wait for the next offer")

    def queue(self, name: str) -> list[Case]:
        """The cases waiting in queue ``name``: by priority, then SLA due time, then age."""
        roster = roster_of(self.desk.policy)
        known = [q.name for q in roster.queues] or [FALLBACK.name]
        if name not in known:
            raise NotFound("queue", name)
        return [
            c for c in self._waiting() if (roster.queue_for(work_of(c)) or FALLBACK).name == name
        ]

    def triage(self) -> list[Case]:
        """Cases that wait for a person to classify or prioritize them, oldest first."""
        return list(self.desk.cases(state=(INTAKE, CLASSIFIED)))

    def _waiting(self) -> list[Case]:
        """Prioritized cases, most urgent first: priority, then SLA due time, then age."""
        rank = self.desk.policy.priority.rank
        names = self.desk.policy.priority.names
        far = datetime.max.replace(tzinfo=UTC)
        cases = list(self.desk.cases(state=PRIORITIZED))
        dues = self._dues(cases)

        def key(case: Case) -> tuple[int, datetime, datetime, str]:
            priority = rank(case.priority) if case.priority in names else len(names)
            return (priority, dues.get(case.id) or far, case.submitted_at, case.id)

        return sorted(cases, key=key)

    def _dues(self, cases: Sequence[Case]) -> dict[str, datetime | None]:
        """The earliest SLA due time of each case with a service level.

        The stored breach timers give it in one query; only a case without one (overdue,
        or no clock running) is asked of its ledger, where a clock already past its target
        counts by its due instant: an overdue case goes first, not last.
        """
        levelled = [c for c in cases if c.sla is not None]
        timers = self.desk.store.case_timers([c.id for c in levelled])
        dues: dict[str, datetime | None] = {}
        overdue: dict[str, tuple[int, str, datetime | None]] = {}
        policy = self.desk.policy.version
        for case in levelled:
            breaches = [t.due for t in timers.get(case.id, ()) if t.kind == "breach"]
            if breaches:
                dues[case.id] = datetime.fromisoformat(min(breaches))
                continue
            kept = self._overdue.get(case.id)
            if kept is None or kept[:2] != (case.version, policy):
                clocks = self.desk.sla(case.id).clocks
                live = [c.due for c in clocks if c.active and c.due is not None]
                kept = (case.version, policy, min(live, default=None))
            overdue[case.id] = kept
            dues[case.id] = kept[2]
        self._overdue = overdue  # only the cases still waiting
        return dues

    def routed(self, case: Case) -> Case:
        """``case`` after routing offered it to its owner or its queue."""
        return self._route(case.id, ROUTER, None)[1]

    def routes_itself(self) -> bool:
        """Does the desk route waiting cases on its own (automation on, agents known)?"""
        routers = self.desk.policy.agents or implemented(self.desk.plugins.hook.route)
        return self.desk.policy.automation.route and bool(routers)

    def batched(self, case: Case) -> bool:
        """Does ``case`` wait for scheduled (batch) processing in its queue?"""
        queue = roster_of(self.desk.policy).queue_for(work_of(case))
        if queue is None or not queue.scheduled or case.priority is None:
            return False
        level = next(
            (lv for lv in self.desk.policy.priority.levels if lv.name == case.priority), None
        )
        return level is not None and level.response == SCHEDULED
