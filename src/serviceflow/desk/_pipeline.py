"""The command pipeline of a desk: load, plan (pure), append in one transaction, publish.

A command is decided on the version this desk wrote last when it holds one (a refusal so
decided is checked against the store before it is raised), planned by ``rules.plan`` after
the guardrail plugins were asked, appended with its timers and messages in one transaction,
and then published: observers, messages due at once, the ``escalate`` plugins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

import pluggy

from serviceflow.clock import Clock, require_aware
from serviceflow.core import _retry as retry
from serviceflow.desk._cache import Recent
from serviceflow.desk._writes import Write, stream_write
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._messages import Notification
from serviceflow.domain._serialization import GENESIS, decode_stored
from serviceflow.domain.policy._escalation import PLUGIN
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import (
    ConcurrencyConflict,
    GuardrailViolation,
    NotAuthorized,
    ServiceflowError,
    StoreError,
    ValidationError,
)
from serviceflow.eventlog import _audit as audit
from serviceflow.eventlog._outbox import Outbox
from serviceflow.eventlog._store import OutboxRecord, Store, StreamWrite
from serviceflow.plugins._isolation import COULD_NOT_CHECK
from serviceflow.plugins._manager import implemented
from serviceflow.rules._authority import acting
from serviceflow.rules._plan import admit, needs_history, plan, with_template
from serviceflow.rules._sla import Timer
from serviceflow.rules.escalation._governance import SYSTEM as ESCALATOR
from serviceflow.rules.escalation._governance import rule_for

log = logging.getLogger("serviceflow.desk")


class Shell(Protocol):
    """What the pipeline reads of its desk, each time (a desk's policy may change)."""

    store: Store
    policy: Policy
    plugins: pluggy.PluginManager
    clock: Clock
    deliver_at_once: bool
    lease: timedelta
    outbox: Outbox


class Planned(NamedTuple):
    """A command's writes, and the messages they send by key (to deliver without reading
    them back)."""

    writes: list[Write]
    notices: dict[str, Notification]
    histories: dict[str, tuple[ev.Event, ...] | None]
    """Each stream's history after the write, as the plan read it, for the desk's memory."""
    timers: dict[str, tuple[Timer, ...] | None]
    """Each stream's timers after the write (``None``: no clock runs), for the desk's memory."""
    at_once: list[OutboxRecord]
    """The messages due at once, as stored (leased to this desk when it sends them)."""
    policy: str
    """The version of the policy the plan was worked out under."""


class _Batch:
    """A unit of work in progress: the streams it wrote, and what it tells after its commit
    (its writes' events and messages together, so the messages go out in one delivery)."""

    def __init__(self) -> None:
        self.streams: set[str] = set()
        self.writes: list[Write] = []
        self.messages: list[OutboxRecord] = []
        self.notices: dict[str, Notification] = {}
        self.after: list[Callable[[], None]] = []


class Pipeline:
    """Runs commands for one desk, remembering what it wrote in ``recent``."""

    def __init__(self, desk: Shell, recent: Recent) -> None:
        self.desk = desk
        self.recent = recent
        self._local = threading.local()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every command this thread runs in the block, in one store transaction: all of
        it is committed when the block ends, none of it if the block raises. Observers,
        messages and plugin escalations are told after the commit. A block inside a block
        joins it."""
        if self._batch() is not None:
            yield
            return
        store = self.desk.store
        transaction = getattr(store, "transaction", None)
        if transaction is None:
            raise StoreError(f"{store.url}: this store cannot run a batch (no transaction())")
        pending = self._local.batch = _Batch()
        try:
            with transaction():
                yield
        except BaseException:
            self.recent.forget(*pending.streams)
            raise
        finally:
            self._local.batch = None
        self._tell(pending.writes, pending.messages, pending.notices)
        for tell in pending.after:
            tell()

    def batched(self) -> AbstractContextManager[None]:
        """``batch()`` where the store offers transactions; else each command on its own
        (for the desk's own bulk work, which a store without them must still run)."""
        if getattr(self.desk.store, "transaction", None) is None:
            return nullcontext()
        return self.batch()

    def _batch(self) -> _Batch | None:
        found: _Batch | None = getattr(self._local, "batch", None)
        return found

    def _send(self, records: Sequence[OutboxRecord], notices: Mapping[str, Notification]) -> None:
        """Deliver just-committed messages at once (stored leased to this desk, so no worker
        sends them too); what fails stays in the outbox for later."""
        try:
            self.desk.outbox.send(records, self.now(), notices)
        except Exception:  # committed already: nothing a notifier does may undo or hide that
            log.exception("delivery after commit failed; the outbox keeps the messages")

    def escalate_quietly(self, case_id: str, to: str, trigger: str, reason: str) -> None:
        """An escalation a rule asked for; one that cannot happen is logged, never raised."""
        command = cmd.Escalate(case_id=case_id, by=ESCALATOR, reason=reason, to=to, trigger=trigger)
        try:
            self.execute(command)
        except ServiceflowError as exc:
            log.info("escalation of case %s (%s) did not happen: %s", case_id, trigger, exc)

    def execute(self, command: cmd.Command, *, expected_version: int | None = None) -> Case:
        """Run ``command``; retries on a concurrent write unless ``expected_version`` is given.

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
                return self._attempt(command, expected_version, fresh=fresh)
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
        now = self.now()
        case, head, cached = self._latest(command, fresh=fresh)
        try:
            _expect(command.case_id, case, expected_version)
            planned = self.plan(case, head, command, now)
        except ServiceflowError as error:
            if cached and self._stale(command, case):
                raise _Stale from None
            self.audited(case, command, error, now)
            raise
        try:
            self.commit(planned)
        except ConcurrencyConflict:
            if cached and case is None:  # a submit assumed new: decide it on what is stored
                raise _Stale from None
            raise
        return planned.writes[0][0]

    def plan(self, case: Case | None, head: str, command: cmd.Command, now: datetime) -> Planned:
        """The writes of ``command`` on ``case``: the command admitted, then the case's history
        read once (if the plan needs it), the template filled, the guardrail plugins asked,
        the plan worked out."""
        policy = self.desk.policy
        admit(case, command, policy)
        history = self.history(case) if needs_history(case, command, policy) else None
        admitted = with_template(case, command, policy, now, history=history)
        objection = self._objection(case, admitted)
        target, heads = None, {command.case_id: head}
        if isinstance(admitted, cmd.Merge) and case is not None:
            into, heads[admitted.into] = self.current(admitted.into)  # fresh: no stale refusals
            target = (into, self.history(into) if needs_history(into, admitted, policy) else None)
        known = self.recent.timers(case.id, case.version, policy.version) if case else None
        planned = plan(
            case,
            admitted,
            policy,
            now,
            history=history,
            objection=objection,
            target=target,
            timers=known,
        )
        keep = self.desk.store.keeps_objects
        messages = [m for c in planned.changes for m in c.messages]
        lease = self._lease() if messages else None
        recent = self.recent
        writes = [
            stream_write(
                c,
                heads[c.stream],
                keep=keep,
                lease=lease,
                stored=recent.timers(c.stream, c.before.version if c.before is not None else 0),
            )
            for c in planned.changes
        ]
        histories = {c.stream: c.history for c in planned.changes}
        timers = {c.stream: c.timers for c in planned.changes}
        if not messages:
            return Planned(writes, {}, histories, timers, [], policy.version)
        notices = {m.notification.key: m.notification for m in messages}
        now_keys = {m.notification.key for m in messages if m.at_once}
        at_once = [r for _, _, w in writes for r in w.outbox if r.key in now_keys]
        return Planned(writes, notices, histories, timers, at_once, policy.version)

    def _lease(self) -> timedelta | None:
        """How long this desk holds the messages it sends right after their commit (a
        worker's claim cannot take them meanwhile; if this process dies first, they are
        claimable when the lease ends); ``None`` when it sends none itself."""
        desk = self.desk
        if desk.deliver_at_once and implemented(desk.plugins.hook.notify):
            return desk.lease
        return None

    def audited(
        self, case: Case | None, command: cmd.Command, error: ServiceflowError, now: datetime
    ) -> None:
        """Record a refusal (authority or guardrail) in the audit; other errors are not
        refusals. A failing audit is logged and never hides the refusal itself."""
        if not isinstance(error, NotAuthorized | GuardrailViolation):
            return
        event = audit.refusal(command, acting(case, command), error, now, self.desk.policy.version)
        try:
            audit.record(self.desk.store, event)
        except ServiceflowError:
            log.exception("could not audit the refusal of %s on %s", command.NAME, command.case_id)

    def commit(self, planned: Planned, extra: Sequence[StreamWrite] = ()) -> None:
        """Append the writes (and ``extra`` desk-stream writes) at once; then cache, tell."""
        # a message due later (a survey's delay) waits for deliver() or tick()
        writes, messages = planned.writes, planned.at_once
        self.desk.store.append([write for _, _, write in writes] + list(extra))
        for after, _, write in writes:
            assert write.row is not None
            self.recent.appended(after, write.row.head, planned.histories.get(write.stream))
            timers = planned.timers.get(write.stream)
            if timers is not None:
                self.recent.remember_timers(after.id, after.version, planned.policy, timers)
        pending = self._batch()
        if pending is None:
            self._tell(writes, messages, planned.notices)
            return
        pending.streams.update(write.stream for _, _, write in writes)
        pending.writes += writes
        pending.messages += messages
        pending.notices.update(planned.notices)

    def _tell(
        self,
        writes: Sequence[Write],
        messages: Sequence[OutboxRecord],
        notices: Mapping[str, Notification],
    ) -> None:
        """After a commit: the observers, the messages due at once, the escalate plugins."""
        for after, published, _ in writes:
            self._publish(after, published)
        if messages and self.desk.deliver_at_once:
            self._send(messages, notices)
        if self.desk.policy.escalation.rules and implemented(self.desk.plugins.hook.escalate):
            for after, published, _ in writes:
                self._plugin_escalation(after, published)

    def _plugin_escalation(self, case: Case, events: Sequence[ev.Event]) -> None:
        """Ask the ``escalate`` plugins about committed events; the policy's ``plugin`` rule
        says where a case they name goes. Escalations never trigger another round."""
        if any(e.by == ESCALATOR for e in events):
            return
        rule = rule_for(self.desk.policy, PLUGIN, case)
        if rule is None:
            return
        try:
            answers = self.desk.plugins.hook.escalate(
                case=case, events=tuple(events), policy=self.desk.policy
            )
        except Exception:  # a plugin's own wrapper, outside the built-in one, failed
            log.exception("an escalate plugin failed; no escalation was asked")
            return
        reason = next((str(a) for a in answers if a), None)
        if reason:
            self.escalate_quietly(case.id, rule.to, PLUGIN, reason)

    def _objection(self, case: Case | None, command: cmd.Command) -> str | None:
        """The first objection the ``guardrail`` plugins make to ``command``, in pluggy's
        order, if any. One that fails objects: a line that cannot be checked is not crossed
        (the built-in wrapper in ``plugins._isolation``, and here for a plugin's own wrapper)."""
        hook = self.desk.plugins.hook.guardrail
        if case is None or not implemented(hook):
            return None
        try:
            answers = hook(case=case, command=command, policy=self.desk.policy)
        except Exception:
            log.exception("a guardrail plugin failed; the command is refused")
            return COULD_NOT_CHECK
        return next((str(a) for a in answers if a), None)

    def _stale(self, command: cmd.Command, case: Case | None) -> bool:
        """Was a refusal decided on cached state that the store has since moved past?"""
        return self._moved_on(command.case_id, case)

    def _forget(self, command: cmd.Command) -> None:
        into = [command.into] if isinstance(command, cmd.Merge) else []
        self.recent.forget(command.case_id, *into)

    def now(self) -> datetime:
        """The clock's time, checked: aware, and in UTC (text order must be time order)."""
        return require_aware(self.desk.clock.now(), f"{type(self.desk.clock).__name__}.now()")

    def current(self, case_id: str) -> tuple[Case | None, str]:
        """The case as the store holds it now."""
        row = self.desk.store.load(case_id)
        if row is None:
            return None, GENESIS
        return self.recent.decode(row), row.head

    def _latest(self, command: cmd.Command, *, fresh: bool) -> tuple[Case | None, str, bool]:
        """The case to decide on, its head hash, and whether it was assumed (not read).

        Deciding on the version we wrote last saves a read, and so does deciding a submit
        on no case (a new id is the rule). It is safe: if the stream is not where we assume,
        the append collides on ``(stream, seq)``, and a refusal is re-checked against the
        store (``_moved_on``) before it is raised.
        """
        if not fresh:
            kept = self.recent.case(command.case_id)
            if kept is not None:
                return kept[0], kept[1], True
            if isinstance(command, cmd.Submit):
                return None, GENESIS, True
        case, head = self.current(command.case_id)
        return case, head, False

    def _moved_on(self, case_id: str, case: Case | None) -> bool:
        """True if the store holds a newer version than the cached ``case``."""
        row = self.desk.store.load(case_id)
        stale = row is not None and (case is None or row.version != case.version)
        if stale:
            self.recent.forget(case_id)
        return stale

    def history(self, case: Case | None) -> tuple[ev.Event, ...]:
        """The case's events up to its version, read once per command: from the bounded
        cache when it holds that version, else decoded from the store."""
        if case is None:
            return ()
        kept = self.recent.history(case.id, case.version)
        if kept is not None:
            return kept
        records = self.desk.store.read(case.id)[: case.version]
        return tuple(decode_stored(r.data) for r in records)

    def published(self, case: Case, events: Sequence[ev.Event]) -> None:
        """Tell the observers about committed events (in a batch: once it commits)."""
        pending = self._batch()
        if pending is None:
            self._publish(case, events)
        else:
            pending.streams.add(case.id)
            pending.after.append(lambda: self._publish(case, events))

    def _publish(self, case: Case, events: Sequence[ev.Event]) -> None:
        """Tell the observers; client and internal messages go through the outbox instead."""
        hook = self.desk.plugins.hook.observe
        if not implemented(hook):
            return
        try:
            hook(case=case, events=tuple(events))
        except Exception:  # a plugin's own wrapper, outside the built-in one, failed
            log.exception("an observe plugin failed; the events stay committed")


class _Stale(Exception):  # noqa: N818 - internal signal, never escapes execute
    """A refusal was decided on cached state that the store has moved past."""


def _expect(case_id: str, case: Case | None, expected: int | None) -> None:
    if expected is not None:
        actual = case.version if case is not None else 0
        if actual != expected:
            raise ConcurrencyConflict(case_id, expected, actual)
