"""The service desk: commands in, events decided, stored in one transaction, hooks told.

This is the only layer that does I/O for cases: it loads the current projection, asks
``decide`` for events, folds them with ``evolve``, chains their hashes, appends them with
the expected stream version, then calls observers and notifiers (whose failures are
logged, never raised: the change is already committed).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, cast

import attrs
import pluggy
from attrs import frozen

from serviceflow.clock import Clock, SystemClock, require_aware
from serviceflow.core import _arguments as arguments
from serviceflow.core import _retry as retry
from serviceflow.core._ids import new_case_id
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.desk._dispatch import Dispatching
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._messages import Classification
from serviceflow.domain._serialization import (
    GENESIS,
    chain_hash,
    decode_case,
    decode_event,
    encode_event,
    iso,
)
from serviceflow.domain.policy._escalation import PLUGIN, SLA_BREACH, SLA_WARNING
from serviceflow.domain.policy._policy import Policy, check_policy, default_policy
from serviceflow.domain.policy._sla import RESOLUTION
from serviceflow.errors import (
    ConcurrencyConflict,
    GuardrailViolation,
    IntegrityError,
    InvalidTransition,
    NotAuthorized,
    NotFound,
    ServiceflowError,
    StoreError,
    ValidationError,
)
from serviceflow.eventlog import _audit as audit
from serviceflow.eventlog import _checkpointing as checkpointing
from serviceflow.eventlog import _policy_log as policy_log
from serviceflow.eventlog._chain import case_row, chain_records
from serviceflow.eventlog._checkpoint import CHAIN
from serviceflow.eventlog._firing import Firing
from serviceflow.eventlog._outbox import (
    DEFAULT_LEASE,
    DeliveryReport,
    Outbox,
    check_lease,
    lease_end,
    outbox_records,
)
from serviceflow.eventlog._store import (
    INDEXED_COLUMNS,
    CaseQuery,
    CaseRow,
    CheckpointRecord,
    EventRecord,
    OutboxRecord,
    Store,
    StreamWrite,
    TimerRecord,
)
from serviceflow.plugins._manager import implemented, plugin_manager
from serviceflow.rules._authority import acting, authorize
from serviceflow.rules._communication import render_for
from serviceflow.rules._decide import (
    HISTORY_READS,
    check_case_guardrails,
    check_shape,
    decide_checked,
    decide_merge,
)
from serviceflow.rules._evolve import BOOKKEEPING_TYPES, caught_up, evolve, fold
from serviceflow.rules._lifecycle import (
    CLASSIFIED,
    INTAKE,
    OPEN_STATES,
    PRIORITIZED,
    RESOLVED,
    STATES,
    VALIDATED,
)
from serviceflow.rules._notices import notifications, survey_notification
from serviceflow.rules._priority import PriorityExplanation, decide_priority, explain_priority
from serviceflow.rules._sla import SlaReport
from serviceflow.rules._sla import report as sla_report
from serviceflow.rules._sla import timers as sla_timers
from serviceflow.rules._survey import OFFER_READS, may_offer, survey_offer
from serviceflow.rules.escalation._audit import EscalationAudit, audit_escalations
from serviceflow.rules.escalation._clocks import TierClock, escalation_clocks, escalation_timers
from serviceflow.rules.escalation._governance import SYSTEM as ESCALATOR
from serviceflow.rules.escalation._governance import may_trigger, rule_for

log = logging.getLogger("serviceflow.desk")

_MOST = 1_000_000
"""The most timers or messages one ``tick`` or ``deliver`` takes on."""
_TICK_BATCH = 500
_RECOMPUTE = object()
_CACHE_SIZE = 2048
_AUTO_CONFIRM = "system:auto-confirm"
_FREES_CAPACITY = (cmd.Resolve, cmd.Cancel, cmd.Merge)
"""Commands after which an agent may hold fewer cases, so waiting cases are offered."""


@frozen
class RecordedEvent:
    """An event as stored: its position in the stream and its link in the hash chain."""

    case_id: str
    seq: int
    event: ev.Event
    hash: str
    prev: str


@frozen
class Verification:
    """The outcome of checking a case's stream: chain, order, replay and projection."""

    case_id: str
    events: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was wrong."""
        return not self.problems


class ServiceDesk(Dispatching):
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
        self.policy = self._policy_to_use(policy)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.plugins = plugins if plugins is not None else plugin_manager()
        self._new_id = new_id
        self._cache: OrderedDict[str, tuple[Case, str]] = OrderedDict()
        self._histories: OrderedDict[str, tuple[int, tuple[ev.Event, ...]]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._pending: OrderedDict[tuple[str, int], list[ev.Event]] = OrderedDict()
        self.deliver_at_once = deliver_at_once
        """Deliver a command's messages right after its commit (``False``: leave them to
        ``deliver`` or ``tick``, e.g. in a worker process)."""
        self.lease = check_lease(lease)
        """How long ``tick`` and ``deliver`` keep the timers and messages they claim, and this
        desk the messages it sends right after a commit (``docs/workers.md``)."""
        self.outbox = Outbox(self.store, self.plugins, self.policy.delivery)
        """What is pending, delivered or failed; ``desk.outbox.retry(key)`` for a dead letter."""
        self._keep_policy(given=policy is not None)

    def _policy_to_use(self, policy: Policy | None) -> Policy:
        """The given policy, else the one in force in the store; in a store written before
        that was recorded, the newest its cases name; the default only in an empty store."""
        in_force = policy_log.version_in_force(self.store)
        if policy is None:
            if in_force:
                return policy_log.stored_policy(self.store, in_force)
            if next(iter(self.store.streams()), None) is None:
                return default_policy()
            found = policy_log.newest_named(self.store)
            log.warning(
                "no policy is recorded in force in %s; this desk uses %s (open it once with "
                "the policy it runs to record it)",
                self.store.url,
                f"policy {found.version}, the newest its cases name" if found else "the default",
            )
            return found or default_policy()
        chosen = check_policy(policy)
        if in_force is not None and chosen.version != in_force:
            log.warning(
                "policy %s is in force in %s (desk.reapply_policy); this desk uses %s, as given",
                in_force,
                self.store.url,
                chosen.version,
            )
        return chosen

    def _keep_policy(self, *, given: bool) -> None:
        """On open: a given policy (or the default, in an empty store) is stored, and put in
        force if none is (its first use). A desk that took the store's policy writes nothing."""
        if not given and next(iter(self.store.streams()), None) is not None:
            return
        self._store_policy(warn=True)
        if policy_log.version_in_force(self.store) is None:
            version = self.policy.version
            first = ev.PolicyApplied(
                version=version,
                previous="",
                reason="first use: the policy of the first desk opened with one",
                at=self._now(),
                by="system:policy",
                policy=version,
            )
            policy_log.record_first(self.store, first)

    def _store_policy(self, *, warn: bool) -> None:
        """Keep the desk's policy in the store; on open, say if stored timers predate it."""
        new = self.store.load_policy(self.policy.version) is None
        if warn and new and self.store.due_timers("9999-12-31", 1):
            log.warning(
                "policy %s is new to %s: stored SLA timers keep their old due dates until "
                "desk.reapply_policy(policy) is called",
                self.policy.version,
                self.store.url,
            )
        self.store.save_policy(self.policy.version, self.policy.document(), iso(self._now()))

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
        return self._automate(case)

    def classify(
        self,
        case_id: str,
        *,
        by: str,
        category: str | None = None,
        kind: str | None = None,
        confidence: float | None = None,
        tags: Sequence[str] = (),
        reason: str | None = None,
    ) -> Case:
        """Set category and kind (from intake data where not given), with tags and why."""
        command = cmd.Classify(
            case_id=case_id,
            by=by,
            category=category,
            kind=kind,
            confidence=confidence,
            tags=tuple(tags) if isinstance(tags, list | tuple) else cast("tuple[str, ...]", tags),
            reason=reason,
        )
        return self.execute(command)

    def prioritize(
        self,
        case_id: str,
        *,
        by: str,
        impact: str | None = None,
        urgency: str | None = None,
        priority: str | None = None,
        reason: str | None = None,
    ) -> Case:
        """Prioritize by the matrix (impact × urgency), or set ``priority`` with a ``reason``."""
        command = cmd.Prioritize(
            case_id=case_id, by=by, impact=impact, urgency=urgency, priority=priority, reason=reason
        )
        return self.execute(command)

    def assign(self, case_id: str, *, to: str, by: str) -> Case:
        """Route to an owner, or transfer to another."""
        return self.execute(cmd.Assign(case_id=case_id, by=by, to=to))

    def acknowledge(
        self, case_id: str, *, by: str, message: str = "", template: str | None = None
    ) -> Case:
        """Send the first public reply (``message``, or a ``template`` with it as
        ``$message``); work starts."""
        return self.execute(
            cmd.Acknowledge(case_id=case_id, by=by, message=message, template=template)
        )

    def reply(
        self, case_id: str, *, by: str, message: str = "", template: str | None = None
    ) -> Case:
        """Send a later public reply (an update), in words or from a template."""
        return self.execute(cmd.Reply(case_id=case_id, by=by, message=message, template=template))

    def request_info(
        self, case_id: str, *, by: str, message: str = "", template: str | None = None
    ) -> Case:
        """Ask the client to clarify (in words or from a template); the case waits on them."""
        return self.execute(
            cmd.RequestInfo(case_id=case_id, by=by, message=message, template=template)
        )

    def client_replied(self, case_id: str, *, message: str, by: str | None = None) -> Case:
        """Record the client's message (``by``: the requester by default); resumes waiting."""
        return self.execute(cmd.ClientReply(case_id=case_id, by=by or "", message=message))

    def resolve(
        self, case_id: str, *, by: str, resolution: str = "", template: str | None = None
    ) -> Case:
        """Deliver the resolution (only after the case was acknowledged), in words or from a
        template."""
        return self.execute(
            cmd.Resolve(case_id=case_id, by=by, resolution=resolution, template=template)
        )

    def validate(self, case_id: str, *, by: str, note: str = "") -> Case:
        """Pass the quality check; closes the case if the client already confirmed."""
        return self.execute(cmd.Validate(case_id=case_id, by=by, note=note))

    def reject(self, case_id: str, *, by: str, reason: str) -> Case:
        """Fail the quality check; the case goes back to work."""
        return self.execute(cmd.Reject(case_id=case_id, by=by, reason=reason))

    def confirm(self, case_id: str, *, by: str | None = None, comment: str = "") -> Case:
        """The client (``by`` defaults to the requester) confirms; closes a validated case."""
        return self.execute(cmd.Confirm(case_id=case_id, by=by or "", comment=comment))

    def close_case(self, case_id: str, *, by: str = "system") -> Case:
        """Close a validated case that is confirmed or past its auto-confirm window."""
        return self.execute(cmd.Close(case_id=case_id, by=by))

    def reopen(self, case_id: str, *, by: str, reason: str) -> Case:
        """Reopen after resolution, or after closure within the reopen window."""
        return self.execute(cmd.Reopen(case_id=case_id, by=by, reason=reason))

    def cancel(self, case_id: str, *, by: str, reason: str) -> Case:
        """Cancel an unresolved case."""
        return self.execute(cmd.Cancel(case_id=case_id, by=by, reason=reason))

    def merge(self, case_id: str, *, into: str, by: str) -> Case:
        """Merge duplicate ``case_id`` into ``into``; both streams change in one transaction."""
        return self.execute(cmd.Merge(case_id=case_id, by=by, into=into))

    def escalate(self, case_id: str, *, by: str = "", reason: str, to: str = "next") -> Case:
        """Ask for the case to go to another tier (``next`` up, a tier's name, or the RACI's
        ``responsible`` tier); ``by`` defaults to the requester, who may ask too."""
        return self.execute(cmd.Escalate(case_id=case_id, by=by, reason=reason, to=to))

    def accept_escalation(self, case_id: str, *, by: str, timeline: datetime) -> Case:
        """Own an escalation as a member of its target tier, committing to resolve by
        ``timeline`` (which the desk then tracks, with the tier's update clock)."""
        return self.execute(cmd.AcceptEscalation(case_id=case_id, by=by, timeline=timeline))

    def deescalate(self, case_id: str, *, by: str, reason: str, to: str = "previous") -> Case:
        """Return the case to a lower tier (``previous``: the one it came from)."""
        return self.execute(cmd.Deescalate(case_id=case_id, by=by, reason=reason, to=to))

    def escalation_clocks(self, case_id: str, *, at: datetime | None = None) -> list[TierClock]:
        """Every escalation clock of the case (acceptance, updates, timeline, hand-off) at
        ``at``, each with the tier it is charged to."""
        moment = require_aware(at, "escalation_clocks(at)") if at is not None else self._now()
        history = [r.event for r in self.history(case_id) if r.event.at <= moment]
        return escalation_clocks(history, self.policy, moment)

    def escalation_audit(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> EscalationAudit:
        """Late acknowledgements, missed updates, unowned escalations, ping-pong cases, time
        held and breaches per tier, for escalation activity between ``start`` and ``end``."""
        until = require_aware(end, "escalation_audit(end)") if end is not None else self._now()
        since = (
            require_aware(start, "escalation_audit(start)")
            if start is not None
            else until - timedelta(days=7)
        )
        histories = (
            self._decoded_history(stream)
            for stream in self.store.streams()
            if not stream.startswith(ev.DESK_STREAMS)
        )
        return audit_escalations(histories, self.policy, since, until)

    def note(self, case_id: str, *, by: str, text: str) -> Case:
        """Add an internal note."""
        return self.execute(cmd.AddNote(case_id=case_id, by=by, text=text))

    def record_survey(
        self, case_id: str, *, survey: str, score: int, comment: str = "", by: str | None = None
    ) -> Case:
        """Record the client's answer to a survey (``csat`` 1–5, ``nps`` 0–10, ``ces`` 1–7),
        once per survey per case, after resolution; ``by`` defaults to the requester."""
        return self.execute(
            cmd.RecordSurvey(
                case_id=case_id, by=by or "", survey=survey, score=score, comment=comment
            )
        )

    def review_quality(
        self,
        case_id: str,
        *,
        by: str,
        rubric: str,
        scores: Mapping[str, int],
        agent: str | None = None,
        session: str | None = None,
        comment: str = "",
    ) -> Case:
        """Score the handling of the case against a QA rubric of the policy (points per
        criterion); ``agent`` defaults to who resolved it, else its assignee; ``session``
        names a calibration session. Nobody reviews their own work."""
        return self.execute(
            cmd.ReviewQuality(
                case_id=case_id,
                by=by,
                rubric=rubric,
                scores=ReadOnlyMap(scores) if isinstance(scores, Mapping) else scores,
                agent=agent,
                session=session,
                comment=comment,
            )
        )

    def auto_confirm(self) -> list[Case]:
        """Close every validated case whose client stayed silent past the auto-confirm window.

        The window counts from the resolution; cases that changed meanwhile are skipped.
        """
        now = self._now()
        window = self.policy.lifecycle.auto_confirm_after
        due = [
            case.id
            for case in self.cases(state=VALIDATED)
            if case.confirmed_at is None
            and case.resolved_at is not None
            and now - case.resolved_at >= window
            and self._may_close(case)
        ]
        closed = []
        for case_id in due:
            try:
                closed.append(self.execute(cmd.Close(case_id=case_id, by=_AUTO_CONFIRM)))
            except (InvalidTransition, ConcurrencyConflict, ValidationError, GuardrailViolation):
                log.warning("auto-confirm skipped case %s: it changed meanwhile", case_id)
        return closed

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
        at = require_aware(now, "tick(now)") if now is not None else self._now()
        limit = arguments.whole_number(limit, "tick(limit)", high=_MOST)
        deliver = arguments.flag(deliver, "tick(deliver)")
        by_case: dict[str, list[TimerRecord]] = {}
        for timer in self.store.claim_timers(iso(at), limit, lease_end(at, self.lease)):
            by_case.setdefault(timer.case_id, []).append(timer)
        firing = Firing(at, self.policy.version)
        fired: list[RecordedEvent] = []
        ids = list(by_case)
        for start in range(0, len(ids), _TICK_BATCH):
            rows = self.store.load_many(ids[start : start + _TICK_BATCH])
            batch = [self._fire_timers(row, by_case[row.id], firing) for row in rows.values()]
            fired += self._commit_fired(batch, firing)
        if self.policy.escalation.rules:
            self._escalate_fired(fired)
        self._offer_waiting()  # shifts may have started: waiting cases are offered again
        self.plugins.hook.tick(desk=self, now=at)  # e.g. knowledge articles due for review
        self._checkpoint_if_due(at)
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
        return checkpointing.write(self.store, iso(self._now()))

    def _checkpoint_if_due(self, at: datetime) -> None:
        """Write a checkpoint from ``tick`` when the newest is ``checkpoint_every`` old; another
        process's checkpoint wins a race, and damage is logged (``verify`` reports it)."""
        every = self.checkpoint_every
        if every is None:
            return
        newest = self.store.last_checkpoint()
        if newest is not None and at - datetime.fromisoformat(newest.at) < every:
            return
        try:
            checkpointing.write(self.store, iso(at))
        except ConcurrencyConflict:
            log.debug("another process wrote the checkpoint after %s", newest)
        except IntegrityError as exc:
            log.error("no checkpoint written: %s", exc)

    def deliver(self, now: datetime | None = None, *, limit: int = 1000) -> DeliveryReport:
        """Deliver the outbox's due messages (new ones, and retries whose backoff has passed)
        to every notifier; a failing notifier is retried later and never undoes a change.
        The messages are claimed for ``lease``, so concurrent deliverers never share one."""
        at = require_aware(now, "deliver(now)") if now is not None else self._now()
        limit = arguments.whole_number(limit, "deliver(limit)", high=_MOST)
        return self.outbox.deliver(at, limit=limit, lease=self.lease)

    def _lease_to_sender(
        self, writes: list[tuple[Case, Sequence[ev.Event], StreamWrite]]
    ) -> tuple[list[tuple[Case, Sequence[ev.Event], StreamWrite]], list[OutboxRecord]]:
        """The writes with their messages due at once stored leased to this desk, which sends
        them right after the commit, and those messages. A worker's claim cannot take them
        meanwhile; if this process dies first, they are claimable when the lease ends."""
        at_once = [r for _, _, write in writes for r in write.outbox if r.due <= r.created]
        if not (at_once and self.deliver_at_once and implemented(self.plugins.hook.notify)):
            return writes, at_once
        leased = {
            r.key: attrs.evolve(r, due=lease_end(datetime.fromisoformat(r.created), self.lease))
            for r in at_once
        }

        def lease(write: StreamWrite) -> StreamWrite:
            return attrs.evolve(write, outbox=tuple(leased.get(r.key, r) for r in write.outbox))

        leased_writes = [(after, events, lease(write)) for after, events, write in writes]
        return leased_writes, list(leased.values())

    def _send(self, records: Sequence[OutboxRecord]) -> None:
        """Deliver just-committed messages at once (stored leased to this desk, so no worker
        sends them too); what fails stays in the outbox for later."""
        try:
            self.outbox.send(records, self._now())
        except ServiceflowError:
            log.exception("delivery after commit failed; the outbox keeps the messages")

    def _escalate_fired(self, fired: Sequence[RecordedEvent]) -> None:
        """Escalate the cases whose recorded warnings or breaches a policy rule names.

        Each is its own command after the tick's write (so the tick never waits on it);
        a case that cannot go further (top tier, flagged, ended) is logged and left.
        """
        policy = self.policy
        candidates: dict[str, list[ev.SlaWarned | ev.SlaBreached]] = {}
        for recorded in fired:
            event = recorded.event
            if not isinstance(event, ev.SlaWarned | ev.SlaBreached):
                continue
            on = SLA_BREACH if isinstance(event, ev.SlaBreached) else SLA_WARNING
            if may_trigger(policy, on, event.metric):
                candidates.setdefault(recorded.case_id, []).append(event)
        for case_id, events in candidates.items():
            case = self.case(case_id)
            for event in events:
                on, threshold = SLA_BREACH, None
                if isinstance(event, ev.SlaWarned):
                    on, threshold = SLA_WARNING, event.threshold
                rule = rule_for(policy, on, case, metric=event.metric, threshold=threshold)
                if rule is None:
                    continue
                what = "breached its target" if threshold is None else f"reached {threshold:.0%}"
                self._escalate_quietly(
                    case_id, rule.to, f"{on}:{event.metric}", f"the {event.metric} clock {what}"
                )
                break

    def _escalate_quietly(self, case_id: str, to: str, trigger: str, reason: str) -> None:
        """An escalation a rule asked for; one that cannot happen is logged, never raised."""
        command = cmd.Escalate(case_id=case_id, by=ESCALATOR, reason=reason, to=to, trigger=trigger)
        try:
            self.execute(command)
        except ServiceflowError as exc:
            log.info("escalation of case %s (%s) did not happen: %s", case_id, trigger, exc)

    def _fire_timers(self, row: CaseRow, timers: list[TimerRecord], firing: Firing) -> _Fired:
        """The write that records a case's due timers after its stored row.

        Whether the timers are still current is checked by the store in the append: a
        timer replaced meanwhile makes it a conflict, and the case is skipped.
        """
        if row.updated_at > iso(firing.at):  # this desk's clock lags the case's last event
            firing = Firing(datetime.fromisoformat(row.updated_at), firing.policy)
        live, events, records = firing.fire(row.id, row.version, row.head, timers)
        head = records[-1].hash
        after = None
        if self.store.keeps_objects:
            after = fold(events, self._decode(row))
            assert after is not None
            stored = case_row(after, head, keep=True)
        else:
            stored = row.moved(records[-1].seq, head, records[-1].at)
        write = StreamWrite(row.id, row.version, records, stored, frozenset(), None, live)
        return _Fired(row, events, write, after)

    def _commit_fired(self, batch: list[_Fired], firing: Firing) -> list[RecordedEvent]:
        """Append a batch in one transaction; on a conflict, case by case, skipping stale ones."""
        if not batch:
            return []
        try:
            self.store.append([item.write for item in batch])
            done = batch
        except ConcurrencyConflict:
            done = [alone for item in batch if (alone := self._fire_alone(item, firing))]
        told = implemented(self.plugins.hook.observe)
        recorded: list[RecordedEvent] = []
        for item in done:
            self._caught_up(item, told=told)
            recorded += [
                RecordedEvent(r.stream, r.seq, e, r.hash, r.prev)
                for e, r in zip(item.events, item.write.events, strict=True)
            ]
        return recorded

    def _fire_alone(self, item: _Fired, firing: Firing) -> _Fired | None:
        """Append one case's firing. If the case moved on but still holds the claimed timers
        as read (another worker fired its other timers), fire them after its new head; if
        they were replaced or fired meanwhile, skip the case. Tries wait as ``retry.TICK`` says."""
        tries = retry.TICK.start()
        while True:
            try:
                self.store.append([item.write])
            except ConcurrencyConflict:
                if not tries.wait():
                    break
                case_id, claimed = item.row.id, item.write.fired
                stored = self.store.case_timers([case_id]).get(case_id, [])
                row = self.store.load(case_id)
                if row is None or not set(claimed) <= set(stored):
                    break
                item = self._fire_timers(row, list(claimed), firing)
            else:
                return item
        log.info("tick skipped case %s: it changed meanwhile", item.row.id)
        return None

    def _caught_up(self, item: _Fired, *, told: bool) -> None:
        """After a tick's write: keep caches current and tell the plugins (who need the case)."""
        row, write = item.row, item.write
        with self._cache_lock:
            cached = self._cache.pop(row.id, None)
            history = self._histories.get(row.id)
        if history is not None and history[0] == row.version:
            self._remember_history(row.id, write.events[-1].seq, (*history[1], *item.events))
        after = item.after
        if after is None:
            before = cached[0] if cached is not None and cached[1] == row.head else None
            if before is None and told:
                before = self._decode(row)
            if before is None:
                return
            after = fold(item.events, before)
            assert after is not None
            self._remember(after, write.events[-1].hash)
        if told:
            self._published(after, item.events)

    def _may_close(self, case: Case) -> bool:
        """Would the policy's guardrails let auto-confirm close ``case``? (Checked quietly:
        a case that must wait for its client is not a refusal to audit at every run.)"""
        try:
            check_case_guardrails(case, cmd.Close(case_id=case.id, by=_AUTO_CONFIRM), self.policy)
        except GuardrailViolation:
            return False
        return True

    @arguments.checked
    def reapply_policy(
        self, policy: Policy, *, by: str = "system:policy", reason: str = ""
    ) -> list[Case]:
        """Make ``policy`` the desk's policy, in force for every desk opened on the store
        from now on (``policy_log``), and apply its service levels to open cases.

        Every open (or resolved, not yet closed) case records the level now in force as an
        event, and its due dates are recomputed from its ledger in the same transaction.
        Returns the cases it touched.
        """
        old = self.policy.version
        self.policy = check_policy(policy)
        self._store_policy(warn=False)
        applied = ev.PolicyApplied(
            version=self.policy.version,
            previous=old,
            reason=reason,
            at=self._now(),
            by=by,
            policy=self.policy.version,
        )
        policy_log.record(self.store, applied)
        live = (*OPEN_STATES, RESOLVED, VALIDATED)
        ids = [c.id for c in self.cases(state=live) if c.sla is not None or self.policy.sla]
        reason = f"policy {old} replaced by {self.policy.version}"
        touched = []
        for case_id in ids:
            try:
                touched.append(
                    self.execute(cmd.ApplyServiceLevel(case_id=case_id, by=by, reason=reason))
                )
            except (InvalidTransition, ConcurrencyConflict, ValidationError):
                log.warning("reapply_policy skipped case %s: it changed meanwhile", case_id)
        return touched

    def sla(self, case_id: str, *, at: datetime | None = None) -> SlaReport:
        """Every SLA clock of the case: target, consumed, remaining, due, and the segments."""
        moment = require_aware(at, "sla(at)") if at is not None else self._now()
        history = [r.event for r in self.history(case_id) if r.event.at <= moment]
        return sla_report(case_id, history, self.policy, moment, explain=True)

    def _decoded_history(self, case_id: str, version: int | None = None) -> list[ev.Event]:
        """The case's events up to ``version`` (all of them for ``None``); from the bounded
        cache when it holds exactly that version. Another process may have appended since the
        desk decided: its events are left out here, and the append then conflicts."""
        with self._cache_lock:
            cached = self._histories.get(case_id)
        if cached is not None and cached[0] == version:
            return list(cached[1])
        return [
            decode_event(r.data)
            for r in self.store.read(case_id)
            if version is None or r.seq <= version
        ]

    def _remember_history(self, case_id: str, version: int, events: Sequence[ev.Event]) -> None:
        with self._cache_lock:
            self._histories[case_id] = (version, tuple(events))
            self._histories.move_to_end(case_id)
            if len(self._histories) > _CACHE_SIZE:
                self._histories.popitem(last=False)

    def _timers(
        self, case_id: str, history: Sequence[ev.Event], now: datetime, version: int
    ) -> tuple[TimerRecord, ...]:
        """The SLA timers of a case whose events are ``history``, as the store keeps them."""
        report = sla_report(case_id, history, self.policy, now)
        due = [*sla_timers(report, self.policy), *escalation_timers(history, self.policy, now)]
        return tuple(
            TimerRecord(iso(t.due), case_id, t.metric, t.cycle, t.kind, version) for t in due
        )

    def execute(self, command: cmd.Command, *, expected_version: int | None = None) -> Case:
        """Run any command; retries on a concurrent write unless ``expected_version`` is given.

        Retries wait a jittered, growing while, within ``retry.WRITE``'s budget of tries and
        seconds. With ``expected_version``, a case that moved on raises ``ConcurrencyConflict``.
        """
        if not isinstance(command, cmd.Command):
            raise ValidationError(
                "cannot execute",
                [f"command: expected a command (serviceflow.commands), got {command!r:.60}"],
            )
        cmd.check_case_id(command.case_id)
        if isinstance(command, cmd.Merge):
            cmd.check_case_id(command.into, "into")
        tries, fresh = retry.WRITE.start(), False
        while True:
            try:
                case = self._attempt(command, expected_version, fresh=fresh)
                if isinstance(command, _FREES_CAPACITY):
                    self._offer_waiting()
                return case
            except _Stale:
                fresh = True
            except ConcurrencyConflict:
                self._forget(command)
                submit = isinstance(command, cmd.Submit)
                if expected_version is not None or submit or not tries.wait():
                    raise  # (a plain command tries again after a jittered, growing wait)
                fresh = True

    def _attempt(self, command: cmd.Command, expected_version: int | None, *, fresh: bool) -> Case:
        """Decide on the latest known state and append; raise ``_Stale`` to decide again."""
        now = self._now()
        case, head, cached = self._latest(command.case_id, fresh=fresh)
        try:
            _expect(command.case_id, case, expected_version)
            writes = self._admitted(case, head, command, now, fresh=fresh)
        except ServiceflowError as error:
            if cached and self._stale(command, case):
                raise _Stale from None
            self._audited(case, command, error, now)
            raise
        self._commit(writes)
        return writes[0][0]

    def _admitted(
        self, case: Case | None, head: str, command: cmd.Command, now: datetime, *, fresh: bool
    ) -> list[tuple[Case, Sequence[ev.Event], StreamWrite]]:
        """The writes of ``command``, once its shape, its actor's authority and the
        guardrail plugins have let it through, decided on ``case``."""
        check_shape(command)
        if case is None and not isinstance(command, cmd.Submit):
            raise NotFound("case", command.case_id)
        authorize(case, command, self.policy.roles, self.policy.canned)
        if case is not None and getattr(command, "template", None):
            command = self._rendered(case, command)
        self._plugin_guardrails(case, command)
        if isinstance(command, cmd.Merge):
            return self._decide_merge(command, case, head, now, fresh=fresh)
        reads = HISTORY_READS.get(type(command))
        history = self._past_events(case, reads) if reads and case is not None else None
        events = decide_checked(case, command, self.policy, now, history=history)
        return [self._prepare(command.case_id, case, head, events)]

    def _rendered(self, case: Case, command: cmd.Command) -> cmd.Command:
        """The command with its template rendered for the case: the client's locale and
        time zone, the resolution due time and any escalation timeline; the writer's own
        text becomes ``$message``."""
        name: str = getattr(command, "template", None) or ""
        field = "resolution" if isinstance(command, cmd.Resolve) else "message"
        escalation = case.escalation
        rendered = render_for(
            case,
            self.policy,
            name,
            due=self._resolution_due(case),
            timeline=escalation.timeline if escalation is not None else None,
            escalation_tier=escalation.tier if escalation is not None else None,
            message=getattr(command, field),
        )
        return attrs.evolve(command, **{field: rendered.text})

    def _resolution_due(self, case: Case) -> datetime | None:
        """When the case's resolution clock is due, if it runs."""
        if case.sla is None:
            return None
        history = self._decoded_history(case.id, case.version)
        clock = sla_report(case.id, history, self.policy, self._now()).current(RESOLUTION)
        return clock.due if clock is not None and clock.active else None

    def _audited(
        self, case: Case | None, command: cmd.Command, error: ServiceflowError, now: datetime
    ) -> None:
        """Record a refusal (authority or guardrail) in the audit; other errors are not
        refusals. A failing audit is logged and never hides the refusal itself."""
        if not isinstance(error, NotAuthorized | GuardrailViolation):
            return
        event = audit.refusal(command, acting(case, command), error, now, self.policy.version)
        try:
            audit.record(self.store, event)
        except ServiceflowError:
            log.exception("could not audit the refusal of %s on %s", command.NAME, command.case_id)

    def _commit(
        self,
        writes: list[tuple[Case, Sequence[ev.Event], StreamWrite]],
        extra: Sequence[StreamWrite] = (),
    ) -> None:
        """Append the writes (and ``extra`` desk-stream writes) at once; then cache, tell."""
        # a message due later (a survey's delay) waits for deliver() or tick()
        writes, messages = self._lease_to_sender(writes)
        self.store.append([write for _, _, write in writes] + list(extra))
        for after, _, write in writes:
            assert write.row is not None
            self._remember(after, write.row.head)
            self._keep_history(after.id, after.version)
        for after, published, _ in writes:
            self._published(after, published)
        if messages and self.deliver_at_once:
            self._send(messages)
        if self.policy.escalation.rules and implemented(self.plugins.hook.escalate):
            for after, published, _ in writes:
                self._plugin_escalation(after, published)

    def _plugin_escalation(self, case: Case, events: Sequence[ev.Event]) -> None:
        """Ask the ``escalate`` plugins about committed events; the policy's ``plugin`` rule
        says where a case they name goes. Escalations never trigger another round."""
        if any(e.by == ESCALATOR for e in events):
            return
        rule = rule_for(self.policy, PLUGIN, case)
        if rule is None:
            return
        reason = self.plugins.hook.escalate(case=case, events=tuple(events), policy=self.policy)
        if reason:
            self._escalate_quietly(case.id, rule.to, PLUGIN, str(reason))

    def _plugin_guardrails(self, case: Case | None, command: cmd.Command) -> None:
        """Ask the ``guardrail`` plugins; the first objection refuses the command.

        A guardrail that fails refuses too (the built-in wrapper in ``isolation``).
        """
        hook = self.plugins.hook.guardrail
        if case is None or not implemented(hook):
            return
        objection = hook(case=case, command=command, policy=self.policy)
        if objection:
            raise GuardrailViolation(PLUGIN, f"{command.NAME} case {case.id}", str(objection))

    def _decide_merge(
        self, command: cmd.Merge, source: Case | None, head: str, now: datetime, *, fresh: bool
    ) -> list[tuple[Case, Sequence[ev.Event], StreamWrite]]:
        """The writes of a merge: the duplicate's stream and the target's, in one append."""
        if source is None:
            raise NotFound("case", command.case_id)
        target, target_head = self._current(command.into)  # always fresh: no stale refusals
        if target is not None:  # the target's topic must be the actor's to engage too
            authorize(target, command, self.policy.roles, self.policy.canned)
        source_events, target_events = decide_merge(source, target, command, self.policy, now)
        assert target is not None
        return [
            self._prepare(source.id, source, head, source_events),
            self._prepare(target.id, target, target_head, target_events),
        ]

    def _stale(self, command: cmd.Command, case: Case | None) -> bool:
        """Was a refusal decided on cached state that the store has since moved past?"""
        return self._moved_on(command.case_id, case)

    def _keep_history(self, case_id: str, version: int) -> None:
        """After a successful append, cache the history ``_prepare`` built for its timers."""
        with self._cache_lock:
            history = self._pending.pop((case_id, version), None)
        if history is not None:
            self._remember_history(case_id, version, history)

    def _forget(self, command: cmd.Command) -> None:
        with self._cache_lock:
            self._cache.pop(command.case_id, None)
            if isinstance(command, cmd.Merge):
                self._cache.pop(command.into, None)

    def _automate(self, case: Case) -> Case:
        """Classify → prioritize → route as far as the policy allows, each its own event.

        The case is already committed: a stage that needs a person, or a plugin that
        fails or answers nonsense, stops automation (logged) but never fails the submit.
        """
        auto = self.policy.automation
        impact, urgency = case.impact, case.urgency
        try:
            if auto.classify and case.state == INTAKE:
                best = self._best_classification(case)
                if best is None:
                    return case
                impact, urgency = best.impact or impact, best.urgency or urgency
                case = self.classify(
                    case.id,
                    by=f"automation:{best.source}",
                    category=best.category,
                    kind=best.kind,
                    confidence=best.confidence,
                    tags=best.tags,
                    reason=best.reason or None,
                )
            if auto.prioritize and case.state == CLASSIFIED:
                try:
                    decide_priority(
                        self.policy,
                        impact=impact,
                        urgency=urgency,
                        category=case.category,
                        tier=case.tier,
                    )
                except ValidationError:
                    return case
                case = self.prioritize(
                    case.id, by="automation:matrix", impact=impact, urgency=urgency
                )
            if auto.route and case.state == PRIORITIZED and not self._batched(case):
                case = self._routed(case)
        except Exception:
            log.exception("automation stopped for case %s; it waits for a person", case.id)
        return case

    def _best_classification(self, case: Case) -> Classification | None:
        """The most confident proposal above the threshold; intake data counts if trusted."""
        auto = self.policy.automation
        proposals = [
            p
            for p in self.plugins.hook.classify(case=case, policy=self.policy)
            if isinstance(p, Classification)
        ]
        if auto.trust_intake and case.category is not None and case.kind is not None:
            proposals.append(
                Classification(
                    category=case.category, kind=case.kind, confidence=1.0, source="intake"
                )
            )
        best = max(proposals, key=lambda p: p.confidence, default=None)
        if best is None or best.confidence < auto.confidence_threshold:
            return None
        return best

    # --- reading -----------------------------------------------------------------------

    def case(self, case_id: str) -> Case:
        """The case as it stands now."""
        cmd.check_case_id(case_id)
        case, _ = self._current(case_id)
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
        query = _query(
            state=state,
            priority=priority,
            category=category,
            assignee=assignee,
            requester=requester,
            channel=channel,
            limit=limit,
        )
        return (self._decode(row) for row in self.store.query(query))

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
        query = _query(
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
            RecordedEvent(case_id, r.seq, decode_event(r.data), r.hash, r.prev) for r in records
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
        on = arguments.day(day, "audit(day)") if day is not None else self._now().date()
        return audit.read(self.store, on)

    def verify(self, case_id: str) -> Verification:
        """Check the stream: contiguous order, hash chain, readable events, projection match.

        Detects edited, deleted, reordered or relinked events and a projection (document or
        indexed columns) that disagrees with its events. It cannot detect a stream rewritten
        whole with a recomputed chain: the chain guards against accidents and casual edits,
        not against someone who rewrites the file with the same algorithm.
        """
        cmd.check_case_id(case_id)
        records = self.store.read(case_id)
        if case_id.startswith(ev.DESK_STREAMS):
            return Verification(case_id, len(records), tuple(_chain_problems(case_id, records)))
        if not records:
            if self.store.load(case_id) is None:
                raise NotFound("case", case_id)
            return Verification(case_id, 0, ("the case has a projection row but no events",))
        problems = list(_chain_problems(case_id, records))
        row = self.store.load(case_id)
        if row is None:
            problems.append("the case has events but no projection row")
        else:
            last = records[-1]
            if row.version != len(records) or row.version != last.seq:
                problems.append(
                    f"projection is at version {row.version} but the stream holds "
                    f"{len(records)} events (last seq {last.seq}): events deleted or lost"
                )
            if row.head != last.hash:
                problems.append("projection head hash does not match the last event")
            if not problems:
                problems.extend(self._projection_problems(case_id, row, records))
        return Verification(case_id, len(records), tuple(problems))

    def verify_all(self, *, anchor: str | None = None) -> Iterator[Verification]:
        """Verify every stream, and every projection row even if its events are gone; then
        the checkpoints: each stream the newest one (and the one ``anchor`` names) covers
        must still hold its recorded head, and the chain must hold (a last result named
        ``checkpoint.CHAIN`` when there are checkpoints or an anchor; ``docs/verify.md``)."""
        found = checkpointing.check(self.store, anchor)
        lost = dict(found.streams)
        seen: set[str] = set()
        for stream in self.store.streams():
            seen.add(stream)
            yield _with(self.verify(stream), lost.pop(stream, ()))
        for row in self.store.query(CaseQuery()):
            if row.id not in seen:
                yield _with(self.verify(row.id), lost.pop(row.id, ()))
        for stream, problems in sorted(lost.items()):
            yield Verification(stream, 0, problems)
        if found.count or anchor is not None:
            yield Verification(CHAIN, found.count, found.problems)

    def last_checkpoint(self) -> CheckpointRecord | None:
        """The newest checkpoint, whose hash is the anchor to keep outside the store."""
        return self.store.last_checkpoint()

    def _projection_problems(
        self, case_id: str, row: CaseRow, records: Sequence[EventRecord]
    ) -> list[str]:
        """Replay the events and compare with the stored document and its indexed columns.

        A document may lag behind the row by bookkeeping events only; any other event after
        the document's version means the document was not rewritten when it should have been.
        """
        problems = []
        try:
            replayed = self.replay(case_id)
            if isinstance(row.snapshot, Case):
                stored = row.snapshot
            else:
                written = decode_case(row.data or "").version
                missed = [r for r in records[written:] if r.type not in BOOKKEEPING_TYPES]
                if missed:
                    problems.append(
                        f"the stored document is at version {written}, but event "
                        f"{missed[0].seq} ({missed[0].type}) changed the case after it"
                    )
                stored = _stored_case(row)
        except ServiceflowError as exc:
            return [f"replay failed: {exc}"]
        if replayed != stored:
            problems.append("replaying the events does not give the stored projection")
        expected = case_row(replayed, row.head, keep=False)
        columns = [
            name
            for name in (*INDEXED_COLUMNS, "requester", "channel", "submitted_at", "updated_at")
            if getattr(expected, name) != getattr(row, name)
        ]
        if columns:
            problems.append(f"indexed columns disagree with the events: {', '.join(columns)}")
        return problems

    # --- internals ---------------------------------------------------------------------

    def _now(self) -> datetime:
        """The clock's time, checked: aware, and in UTC (text order must be time order)."""
        return require_aware(self.clock.now(), f"{type(self.clock).__name__}.now()")

    def _current(self, case_id: str) -> tuple[Case | None, str]:
        """The case as the store holds it now."""
        row = self.store.load(case_id)
        if row is None:
            return None, GENESIS
        return self._decode(row), row.head

    def _latest(self, case_id: str, *, fresh: bool) -> tuple[Case | None, str, bool]:
        """The case to decide on, its head hash, and whether it came from our cache.

        Deciding on the version we wrote last saves a read. It is safe: if another writer
        moved the stream on, the append collides on ``(stream, seq)``, and a refusal is
        re-checked against the store (``_moved_on``) before it is raised.
        """
        if not fresh:
            with self._cache_lock:
                cached = self._cache.get(case_id)
            if cached is not None:
                return cached[0], cached[1], True
        case, head = self._current(case_id)
        return case, head, False

    def _moved_on(self, case_id: str, case: Case | None) -> bool:
        """True if the store holds a newer version than the cached ``case``."""
        row = self.store.load(case_id)
        stale = row is not None and (case is None or row.version != case.version)
        if stale:
            with self._cache_lock:
                self._cache.pop(case_id, None)
        return stale

    def _decode(self, row: CaseRow) -> Case:
        if isinstance(row.snapshot, Case):
            return row.snapshot
        with self._cache_lock:
            cached = self._cache.get(row.id)
        if cached is not None and cached[0].version == row.version and cached[1] == row.head:
            return cached[0]
        return _stored_case(row)

    def _remember(self, case: Case, head: str) -> None:
        """Keep the last versions we wrote (bounded LRU) so the next command skips a read."""
        if self.store.keeps_objects:
            return
        with self._cache_lock:
            cache = self._cache
            cache[case.id] = (case, head)
            cache.move_to_end(case.id)
            if len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)

    def _prepare(
        self,
        stream: str,
        case: Case | None,
        head: str,
        events: Sequence[ev.Event],
        *,
        timers: tuple[TimerRecord, ...] | object | None = _RECOMPUTE,
        fired: tuple[TimerRecord, ...] = (),
    ) -> tuple[Case, Sequence[ev.Event], StreamWrite]:
        """Fold, encode and chain ``events``; the timers are recomputed unless given."""
        expected = case.version if case is not None else 0
        after = fold(events, case)
        assert after is not None
        items = [(e.TYPE, iso(e.at), encode_event(e)) for e in events]
        records = chain_records(stream, expected, head, items)
        row = case_row(after, records[-1].hash if records else head, keep=self.store.keeps_objects)
        changed = INDEXED_COLUMNS if self.store.keeps_objects else _changed(case, after)
        new_timers: tuple[TimerRecord, ...] | None = None
        if timers is not _RECOMPUTE:
            new_timers = cast("tuple[TimerRecord, ...] | None", timers)
        elif (
            self.policy.sla
            or (case is not None and case.sla is not None)
            or self.policy.escalation.tiers
        ):
            past = self._decoded_history(stream, case.version) if case is not None else []
            history = [*past, *events]
            new_timers = self._timers(stream, history, events[-1].at, after.version)
            with self._cache_lock:
                self._pending[(stream, after.version)] = history
                if len(self._pending) > _CACHE_SIZE:
                    self._pending.popitem(last=False)
        outbox = self._messages(case, after, events, records)
        write = StreamWrite(
            stream, expected, tuple(records), row, changed, new_timers, fired, outbox
        )
        return after, events, write

    def _messages(
        self,
        before: Case | None,
        case: Case,
        events: Sequence[ev.Event],
        records: Sequence[EventRecord],
    ) -> tuple[OutboxRecord, ...]:
        """The outbox rows of a write: every client-facing and internal message it makes,
        and the survey offer of a closure (or resolution), due after the policy's delay."""
        notices = [
            notice
            for event, record in zip(events, records, strict=True)
            for notice in notifications(case, event, record.seq, self.policy)
        ]
        rows = outbox_records(notices, events[-1].at) if notices else ()
        if not may_offer(events, self.policy):
            return rows
        past = self._past_events(before, OFFER_READS) if before is not None else []
        offer = survey_offer(case, past, events, self.policy)
        if offer is None:
            return rows
        (row,) = outbox_records([survey_notification(case, offer, self.policy)], offer.at)
        return (*rows, attrs.evolve(row, due=iso(offer.due)))

    def _past_events(self, case: Case, types: frozenset[str]) -> list[ev.Event]:
        """The case's events of ``types`` up to its version: from the history cache when it
        holds that version, else from the store, decoding only events of those types."""
        with self._cache_lock:
            cached = self._histories.get(case.id)
        if cached is not None and cached[0] == case.version:
            return [e for e in cached[1] if e.TYPE in types]
        records = self.store.read(case.id)[: case.version]
        return [decode_event(r.data) for r in records if r.type in types]

    def _published(self, case: Case, events: Sequence[ev.Event]) -> None:
        """Tell the observers; client and internal messages go through the outbox instead."""
        hook = self.plugins.hook.observe
        if implemented(hook):
            hook(case=case, events=tuple(events))


def _stored_case(row: CaseRow) -> Case:
    """The case a row holds: its document, caught up with the row's version and time."""
    if row.data is None:
        raise StoreError(f"case {row.id}: the store returned neither a document nor a snapshot")
    case = decode_case(row.data)
    if case.version == row.version:
        return case
    return caught_up(case, row.version, datetime.fromisoformat(row.updated_at))


def _changed(before: Case | None, after: Case) -> frozenset[str]:
    if before is None:
        return INDEXED_COLUMNS
    return frozenset(c for c in INDEXED_COLUMNS if getattr(before, c) != getattr(after, c))


@frozen
class _Fired:
    """A tick's write for one case, with the row it follows and the events it records."""

    row: CaseRow
    events: Sequence[ev.Event]
    write: StreamWrite
    after: Case | None = None
    """The case after the write, when the store keeps objects (and so needed it)."""


class _Stale(Exception):  # noqa: N818 - internal signal, never escapes execute
    """A refusal was decided on cached state that the store has moved past."""


def _query(
    *,
    state: str | Iterable[str] | None,
    priority: str | None,
    category: str | None,
    assignee: str | None,
    requester: str | None,
    channel: str | None,
    limit: int | None = None,
) -> CaseQuery:
    """A store query from the desk's filters, refusing states and limits that cannot match."""
    states: tuple[str, ...] | None
    if state is None or isinstance(state, str):
        states = None if state is None else (state,)
    elif isinstance(state, Iterable) and not isinstance(state, Mapping | bytes):
        states = tuple(state)
    else:
        raise ValidationError("cannot query cases", [f"state: expected text, got {state!r:.60}"])
    problems = [
        f"state: expected one of {', '.join(STATES)}, got {s!r}"
        for s in states or ()
        if s not in STATES
    ]
    filters = {
        "priority": priority,
        "category": category,
        "assignee": assignee,
        "requester": requester,
        "channel": channel,
    }
    problems += [
        problem
        for name, value in filters.items()
        if value is not None
        for problem in arguments.text_problems(name, value)
    ]
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        problems.append(f"limit: expected a whole number ≥ 0, got {limit!r}")
    if problems:
        raise ValidationError("cannot query cases", problems)
    return CaseQuery(states=states, limit=limit, **filters)


def _expect(case_id: str, case: Case | None, expected: int | None) -> None:
    if expected is not None:
        actual = case.version if case is not None else 0
        if actual != expected:
            raise ConcurrencyConflict(case_id, expected, actual)


def _with(result: Verification, problems: Sequence[str]) -> Verification:
    """``result`` with the checkpoints' findings about its stream added."""
    return attrs.evolve(result, problems=(*result.problems, *problems)) if problems else result


def _chain_problems(case_id: str, records: Sequence[EventRecord]) -> Iterator[str]:
    prev = GENESIS
    for expected_seq, record in enumerate(records, start=1):
        if record.seq != expected_seq:
            yield f"event {expected_seq} is missing (found seq {record.seq} next): deleted or lost"
            return
        if record.prev != prev:
            yield f"event {record.seq}: link to the previous event is broken"
        if chain_hash(record.prev, case_id, record.seq, record.data) != record.hash:
            yield f"event {record.seq}: content does not match its hash (edited)"
        try:
            event = decode_event(record.data)
            if record.type != event.TYPE or iso(event.at) != record.at:
                yield f"event {record.seq}: type or time column differs from its content"
        except IntegrityError as exc:
            yield f"event {record.seq}: unreadable ({exc})"
        prev = record.hash
