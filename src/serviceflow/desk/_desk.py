"""The service desk: commands in, events decided, stored in one transaction, hooks told.

This is the only layer that does I/O for cases: it loads the current projection, asks
``decide`` for events, folds them with ``evolve``, chains their hashes, appends them with
the expected stream version, then calls observers and notifiers (whose failures are
logged, never raised: the change is already committed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any

import pluggy

from serviceflow.clock import Clock, SystemClock, require_aware
from serviceflow.core import _arguments as arguments
from serviceflow.core import _retry as retry
from serviceflow.core._ids import new_case_id
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.desk import _upkeep as upkeep
from serviceflow.desk._cache import Recent
from serviceflow.desk._commands import CaseCommands
from serviceflow.desk._dispatch import ROUTER, Dispatcher
from serviceflow.desk._intake import Intake
from serviceflow.desk._pipeline import Pipeline
from serviceflow.desk._policies import keep_policy, policy_to_use
from serviceflow.desk._queries import case_query
from serviceflow.desk._tick import (
    RecordedEvent,
    TimerFiring,
    checkpoint_if_due,
    escalations,
)
from serviceflow.desk._verify import Verification, verify_store, verify_stream
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import decode_event, decode_stored, iso
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import (
    ConcurrencyConflict,
    NotFound,
    StoreError,
)
from serviceflow.eventlog import _audit as audit
from serviceflow.eventlog import _checkpointing as checkpointing
from serviceflow.eventlog._firing import Firing
from serviceflow.eventlog._outbox import (
    DEFAULT_LEASE,
    DeliveryReport,
    Outbox,
    check_lease,
)
from serviceflow.eventlog._store import (
    CheckpointRecord,
    Store,
)
from serviceflow.plugins._manager import implemented, plugin_manager
from serviceflow.rules._evolve import evolve
from serviceflow.rules._priority import PriorityExplanation, explain_priority
from serviceflow.rules._routing import Agent, Decision
from serviceflow.rules._sla import SlaReport
from serviceflow.rules._sla import report as sla_report
from serviceflow.rules.escalation._audit import EscalationAudit, audit_escalations
from serviceflow.rules.escalation._clocks import TierClock, escalation_clocks

log = logging.getLogger("serviceflow.desk")

_MOST = 1_000_000
"""The most timers or messages one ``tick`` or ``deliver`` takes on."""
_TICK_BATCH = 500
_CACHE_SIZE = 2048

_FREES_CAPACITY = (cmd.Resolve, cmd.Cancel, cmd.Merge, cmd.Unassign)
"""Commands after which an agent may hold fewer cases (or a case waits again), so waiting
cases are offered."""


class ServiceDesk(CaseCommands):
    """The application service over one store, one policy, one clock and the plugins."""

    checkpoint_every: timedelta | None = timedelta(hours=1)
    """``tick`` writes a checkpoint when the newest is at least this old (or there is none);
    ``None``: only ``checkpoint()`` writes them (``docs/verify.md``)."""

    def __init__(
        self,
        store: Store,
        *,
        policy: Policy | None = None,
        clock: Clock | None = None,
        plugins: pluggy.PluginManager | None = None,
        new_id: Callable[[datetime], str] = new_case_id,
        deliver_at_once: bool = True,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.store = store
        self.policy = policy_to_use(store, policy)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.plugins = plugins if plugins is not None else plugin_manager()
        self._new_id = new_id
        self._recent = Recent(keep_cases=not store.keeps_objects)
        self._pipeline = Pipeline(self, self._recent)
        self._dispatcher = Dispatcher(self, self._pipeline)
        self._intake = Intake(self, self._dispatcher)
        self.deliver_at_once = deliver_at_once
        """Deliver a command's messages right after its commit (``False``: leave them to
        ``deliver`` or ``tick``, e.g. in a worker process)."""
        self.lease = check_lease(lease)
        """How long ``tick`` and ``deliver`` keep the timers and messages they claim, and this
        desk the messages it sends right after a commit (``docs/workers.md``)."""
        self.outbox = Outbox(self.store, self.plugins, self.policy.delivery)
        """What is pending, delivered or failed; ``desk.outbox.retry(key)`` for a dead letter."""
        keep_policy(store, self.policy, self._pipeline.now(), given=policy is not None)

    @classmethod
    def open(
        cls,
        url: str = "memory://",
        *,
        policy: Policy | None = None,
        clock: Clock | None = None,
        plugins: Iterable[object] = (),
        entry_points: bool = True,
        new_id: Callable[[datetime], str] = new_case_id,
        deliver_at_once: bool = True,
        lease: timedelta = DEFAULT_LEASE,
    ) -> ServiceDesk:
        """Open a desk on the store named by ``url`` (``memory://``, ``sqlite:///desk.db``, ...).

        The store comes from the first plugin whose ``open_store`` accepts the URL.
        """
        check_lease(lease)  # before the store is opened: a bad lease leaves nothing open
        manager = plugin_manager(plugins, entry_points=entry_points)
        store = manager.hook.open_store(url=url)
        if store is None:
            raise StoreError(
                f"no installed plugin opens {url!r}; built in: memory://, sqlite:///path.db"
            )
        return cls(
            store,
            policy=policy,
            clock=clock,
            plugins=manager,
            new_id=new_id,
            deliver_at_once=deliver_at_once,
            lease=lease,
        )

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> ServiceDesk:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- commands ------------------------------------------------------------------------

    def submit(
        self,
        *,
        requester: str,
        channel: str,
        subject: str,
        description: str = "",
        category: str | None = None,
        kind: str | None = None,
        impact: str | None = None,
        urgency: str | None = None,
        tier: str | None = None,
        language: str | None = None,
        fields: Mapping[str, str] | None = None,
        by: str | None = None,
        case_id: str | None = None,
    ) -> Case:
        """Intake a request; then run the automation the policy switches on.

        ``fields`` are the request's custom fields (text to text), which classification
        rules can test; ``language`` is what routing matches against agents' languages.
        """
        intake: dict[str, Any] = {
            "requester": requester,
            "channel": channel,
            "subject": subject,
            "description": description,
            "category": category,
            "kind": kind,
            "impact": impact,
            "urgency": urgency,
            "tier": tier,
            "language": language,
            "fields": ReadOnlyMap(fields) if isinstance(fields, Mapping) else fields or {},
            "by": by or "",
        }
        if case_id is not None:
            case = self.execute(cmd.Submit(case_id=case_id, **intake))
        else:
            tries = retry.WRITE.start()
            while True:  # a conflict here means the new id was taken: try another
                try:
                    case = self.execute(
                        cmd.Submit(case_id=self._new_id(self.clock.now()), **intake)
                    )
                    break
                except ConcurrencyConflict:
                    if not tries.wait():
                        raise StoreError("could not allocate a fresh case id") from None
        return self._intake.automate(case)

    # --- reading and periodic work ----------------------------------------------------

    def escalation_clocks(self, case_id: str, *, at: datetime | None = None) -> list[TierClock]:
        """Every escalation clock of the case (acceptance, updates, timeline, hand-off) at
        ``at``, each with the tier it is charged to."""
        moment = (
            require_aware(at, "escalation_clocks(at)") if at is not None else self._pipeline.now()
        )
        history = [r.event for r in self.history(case_id) if r.event.at <= moment]
        return escalation_clocks(history, self.policy, moment)

    def escalation_audit(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> EscalationAudit:
        """Late acknowledgements, missed updates, unowned escalations, ping-pong cases, time
        held and breaches per tier, for escalation activity between ``start`` and ``end``."""
        until = (
            require_aware(end, "escalation_audit(end)") if end is not None else self._pipeline.now()
        )
        since = (
            require_aware(start, "escalation_audit(start)")
            if start is not None
            else until - timedelta(days=7)
        )
        histories = (
            [decode_event(r.data) for r in self.store.read(stream)]
            for stream in self.store.streams()
            if not stream.startswith(ev.DESK_STREAMS)
        )
        return audit_escalations(histories, self.policy, since, until)

    def auto_confirm(self) -> list[Case]:
        """Close every validated case whose client stayed silent past the auto-confirm window.

        The window counts from the resolution; cases that changed meanwhile are skipped.
        """
        return upkeep.auto_confirm(self, self._pipeline)

    def tick(
        self, now: datetime | None = None, *, limit: int = 10_000, deliver: bool = True
    ) -> list[RecordedEvent]:
        """Fire up to ``limit`` SLA warnings and breaches due by ``now`` (default: the clock),
        each once, then deliver the outbox (unless ``deliver`` is false: a worker delivers
        on its own).

        Due timers are claimed from the store's index for the desk's ``lease``, so desks in
        any number of processes tick at once, and the cost grows with what is due, not with
        the number of open cases. A stored timer is exact (it is rewritten by every write
        that changes the clocks), so firing needs no replay, nor even the case: its events
        are bookkeeping, chained after the row's head and appended with the timer's
        removal, a batch of cases per transaction.
        """
        at = require_aware(now, "tick(now)") if now is not None else self._pipeline.now()
        limit = arguments.whole_number(limit, "tick(limit)", high=_MOST)
        deliver = arguments.flag(deliver, "tick(deliver)")
        publish = self._pipeline.published if implemented(self.plugins.hook.observe) else None
        firing = Firing(at, self.policy.version)
        timers = TimerFiring(self.store, self._recent, publish)
        fired = timers.fire_due(firing, limit, self.lease)
        if self.policy.escalation.rules:
            asked = escalations(fired, self.policy, self.case)
            with self._pipeline.batched():
                for case_id, to, trigger, reason in asked:
                    self._pipeline.escalate_quietly(case_id, to, trigger, reason)
        self._dispatcher.offer_waiting()  # shifts may have started: waiting cases are offered again
        try:
            self.plugins.hook.tick(desk=self, now=at)  # e.g. knowledge articles due for review
        except Exception:  # a plugin's own wrapper, outside the built-in one, failed
            log.exception("a tick plugin failed; the tick goes on")
        checkpoint_if_due(self.store, at, self.checkpoint_every)
        if deliver:
            self.deliver(at)
        return fired

    def checkpoint(self) -> CheckpointRecord:
        """Record the heads that moved since the newest checkpoint now, chained to it, and
        return it: print its hash and keep it outside the store (``serviceflow verify
        --anchor``). Costs what changed since the newest checkpoint, not what is stored.

        ``IntegrityError`` when a stream that moved lost or changed events a checkpoint recorded
        (a checkpoint never blesses damage); ``ConcurrencyConflict`` when another process
        wrote the next checkpoint at the same moment."""
        return checkpointing.write(self.store, iso(self._pipeline.now()))

    def deliver(self, now: datetime | None = None, *, limit: int = 1000) -> DeliveryReport:
        """Deliver the outbox's due messages (new ones, and retries whose backoff has passed)
        to every notifier; a failing notifier is retried later and never undoes a change.
        The messages are claimed for ``lease``, so concurrent deliverers never share one."""
        at = require_aware(now, "deliver(now)") if now is not None else self._pipeline.now()
        limit = arguments.whole_number(limit, "deliver(limit)", high=_MOST)
        return self.outbox.deliver(at, limit=limit, lease=self.lease)

    @arguments.checked
    def reapply_policy(
        self,
        policy: Policy,
        *,
        by: str = "system:policy",
        reason: str = "",
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Case]:
        """Make ``policy`` the desk's policy, in force for every desk opened on the store
        from now on (``policy_log``), and apply its service levels to open cases.

        An open (or resolved, not yet closed) case whose clocks the new policy runs
        otherwise (``rules.clock_changes``: its level, the level's targets or calendar, the
        escalation rules) records the level now in force as an event, whose reason names
        both policies, and its due dates are recomputed from its ledger. The others are left
        as they are. Cases are written ``REAPPLY_BATCH`` to a transaction; ``progress`` is
        told ``(done, of)`` after each. Returns the cases it touched.
        """
        return upkeep.reapply_policy(
            self, self._pipeline, policy, by=by, reason=reason, progress=progress
        )

    def sla(self, case_id: str, *, at: datetime | None = None) -> SlaReport:
        """Every SLA clock of the case: target, consumed, remaining, due, and the segments."""
        moment = require_aware(at, "sla(at)") if at is not None else self._pipeline.now()
        history = [r.event for r in self.history(case_id) if r.event.at <= moment]
        return sla_report(case_id, history, self.policy, moment, explain=True)

    # --- routing (``Dispatcher``) ----------------------------------------------------------

    def route(self, case_id: str, *, by: str = ROUTER) -> Decision:
        """Give a prioritized case to an owner, or say why it waits (``Dispatcher.route``)."""
        return self._dispatcher.route(case_id, by=by)

    def route_waiting(self, *, scheduled: bool = False) -> list[Decision]:
        """Offer every waiting case to its queue, most urgent first (``Dispatcher``)."""
        return self._dispatcher.route_waiting(scheduled=scheduled)

    def register_agent(self, agent: Agent) -> Policy:
        """Add or replace an agent on the roster at run time: a new policy version."""
        return self._dispatcher.register_agent(agent)

    def remove_agent(self, agent_id: str) -> Policy:
        """Take an agent off the roster at run time (cases they hold stay theirs)."""
        return self._dispatcher.remove_agent(agent_id)

    def queue(self, name: str) -> list[Case]:
        """The cases waiting in queue ``name``: by priority, then SLA due time, then age."""
        return self._dispatcher.queue(name)

    def triage(self) -> list[Case]:
        """Cases that wait for a person to classify or prioritize them, oldest first."""
        return self._dispatcher.triage()

    # --- reading -----------------------------------------------------------------------

    def batch(self) -> AbstractContextManager[None]:
        """A unit of work: ``with desk.batch(): ...`` runs every command this thread gives
        in the block in one store transaction. All of it is stored when the block ends, none
        of it if the block raises; a refused command raises as usual and the rest stands.
        Each case is still checked against its stored version. Observers, messages and
        plugin escalations are told after the commit. See ``docs/architecture.md``."""
        return self._pipeline.batch()

    def execute(self, command: cmd.Command, *, expected_version: int | None = None) -> Case:
        """Run any command; retries on a concurrent write unless ``expected_version`` is given.

        Retries wait a jittered, growing while, within ``retry.WRITE``'s budget of tries and
        seconds. With ``expected_version``, a case that moved on raises ``ConcurrencyConflict``.
        A command that frees capacity (resolve, cancel, merge, unassign) offers waiting
        cases again.
        """
        case = self._pipeline.execute(command, expected_version=expected_version)
        if isinstance(command, _FREES_CAPACITY):
            self._dispatcher.offer_waiting()
        return case

    def case(self, case_id: str) -> Case:
        """The case as it stands now."""
        cmd.check_case_id(case_id)
        case, _ = self._pipeline.current(case_id)
        if case is None:
            raise NotFound("case", case_id)
        return case

    def cases(
        self,
        *,
        state: str | Iterable[str] | None = None,
        priority: str | None = None,
        category: str | None = None,
        assignee: str | None = None,
        requester: str | None = None,
        channel: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Case]:
        """Cases matching every given filter, oldest first, streamed (memory stays flat)."""
        query = case_query(
            state=state,
            priority=priority,
            category=category,
            assignee=assignee,
            requester=requester,
            channel=channel,
            limit=limit,
        )
        return (self._recent.decode(row) for row in self.store.query(query))

    def count(
        self,
        *,
        state: str | Iterable[str] | None = None,
        priority: str | None = None,
        category: str | None = None,
        assignee: str | None = None,
        requester: str | None = None,
        channel: str | None = None,
    ) -> int:
        """How many cases match every given filter."""
        query = case_query(
            state=state,
            priority=priority,
            category=category,
            assignee=assignee,
            requester=requester,
            channel=channel,
        )
        return self.store.count(query)

    def history(self, case_id: str) -> list[RecordedEvent]:
        """Every event of the case, in order, with its hash-chain link."""
        cmd.check_case_id(case_id)
        records = self.store.read(case_id)
        if not records:
            raise NotFound("case", case_id)
        return [
            RecordedEvent(case_id, r.seq, decode_stored(r.data), r.hash, r.prev) for r in records
        ]

    def replay(self, case_id: str) -> Case:
        """The case rebuilt from its events alone (what the projection must equal)."""
        case: Case | None = None
        for recorded in self.history(case_id):
            case = evolve(case, recorded.event)
        assert case is not None
        return case

    def explain_priority(self, case_id: str) -> PriorityExplanation:
        """Why the case has its priority: each decision, its rule (matrix, category, tier,
        manual) and reason, who made it and when."""
        return explain_priority(case_id, (r.event for r in self.history(case_id)))

    def audit(self, day: date | None = None) -> list[ev.Refused]:
        """The refused commands recorded on ``day`` (UTC; by default today by the clock)."""
        on = arguments.day(day, "audit(day)") if day is not None else self._pipeline.now().date()
        return audit.read(self.store, on)

    def verify(self, case_id: str) -> Verification:
        """Check the stream: contiguous order, hash chain, readable events, projection match.

        Detects edited, deleted, reordered or relinked events and a projection (document or
        indexed columns) that disagrees with its events. It cannot detect a stream rewritten
        whole with a recomputed chain: the chain guards against accidents and casual edits,
        not against someone who rewrites the file with the same algorithm.
        """
        cmd.check_case_id(case_id)
        return verify_stream(self.store, case_id)

    def verify_all(self, *, anchor: str | None = None) -> Iterator[Verification]:
        """Verify every stream, and every projection row even if its events are gone; then
        the checkpoints: each stream the newest one (and the one ``anchor`` names) covers
        must still hold its recorded head, and the chain must hold (a last result named
        ``checkpoint.CHAIN`` when there are checkpoints or an anchor; ``docs/verify.md``)."""
        return verify_store(self.store, anchor)

    def last_checkpoint(self) -> CheckpointRecord | None:
        """The newest checkpoint, whose hash is the anchor to keep outside the store."""
        return self.store.last_checkpoint()
