"""The service desk: commands in, events decided, stored in one transaction, hooks told.

This is the only layer that does I/O for cases: it loads the current projection, asks
``decide`` for events, folds them with ``evolve``, chains their hashes, appends them with
the expected stream version, then calls observers and notifiers (whose failures are
logged, never raised: the change is already committed).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import pluggy
from attrs import frozen

from serviceflow import commands as cmd
from serviceflow import events as ev
from serviceflow.case import Case
from serviceflow.clock import Clock, SystemClock
from serviceflow.decide import decide, decide_merge
from serviceflow.errors import (
    ConcurrencyConflict,
    IntegrityError,
    NotFound,
    ServiceflowError,
    StoreError,
    ValidationError,
)
from serviceflow.evolve import evolve
from serviceflow.ids import new_case_id
from serviceflow.lifecycle import CLASSIFIED, INTAKE, PRIORITIZED, STATES, VALIDATED
from serviceflow.messages import Notification
from serviceflow.plugins import plugin_manager
from serviceflow.policy import Policy, default_policy
from serviceflow.priority import decide_priority
from serviceflow.serialization import (
    GENESIS,
    chain_hash,
    decode_case,
    decode_event,
    encode_case,
    encode_event,
    iso,
)
from serviceflow.store import CaseQuery, CaseRow, EventRecord, Store, StreamWrite

log = logging.getLogger("serviceflow.desk")

_RETRIES = 5
_CACHE_SIZE = 2048


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


class ServiceDesk:
    """The application service over one store, one policy, one clock and the plugins."""

    def __init__(
        self,
        store: Store,
        *,
        policy: Policy | None = None,
        clock: Clock | None = None,
        plugins: pluggy.PluginManager | None = None,
        new_id: Callable[[datetime], str] = new_case_id,
    ) -> None:
        self.store = store
        self.policy = policy if policy is not None else default_policy()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.plugins = plugins if plugins is not None else plugin_manager()
        self._new_id = new_id
        self._cache: OrderedDict[str, tuple[Case, str]] = OrderedDict()
        self.store.save_policy(self.policy.version, self.policy.document(), iso(self.clock.now()))

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
    ) -> ServiceDesk:
        """Open a desk on the store named by ``url`` (``memory://``, ``sqlite:///desk.db``, ...).

        The store comes from the first plugin whose ``open_store`` accepts the URL.
        """
        manager = plugin_manager(plugins, entry_points=entry_points)
        store = manager.hook.open_store(url=url)
        if store is None:
            raise StoreError(
                f"no installed plugin opens {url!r}; built in: memory://, sqlite:///path.db"
            )
        return cls(store, policy=policy, clock=clock, plugins=manager, new_id=new_id)

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
        by: str | None = None,
        case_id: str | None = None,
    ) -> Case:
        """Intake a request; then run the automation the policy switches on."""
        fields: dict[str, Any] = {
            "requester": requester,
            "channel": channel,
            "subject": subject,
            "description": description,
            "category": category,
            "kind": kind,
            "impact": impact,
            "urgency": urgency,
            "tier": tier,
            "by": by or _client(requester),
        }
        if case_id is not None:
            case = self.execute(cmd.Submit(case_id=case_id, **fields))
        else:
            for _ in range(_RETRIES):
                try:
                    case = self.execute(
                        cmd.Submit(case_id=self._new_id(self.clock.now()), **fields)
                    )
                    break
                except ConcurrencyConflict:
                    continue
            else:
                raise StoreError("could not allocate a fresh case id")
        return self._automate(case)

    def classify(
        self,
        case_id: str,
        *,
        by: str,
        category: str | None = None,
        kind: str | None = None,
        confidence: float | None = None,
    ) -> Case:
        """Set category and kind (from intake data where not given)."""
        command = cmd.Classify(
            case_id=case_id, by=by, category=category, kind=kind, confidence=confidence
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

    def acknowledge(self, case_id: str, *, by: str, message: str) -> Case:
        """Send the first public reply; work starts."""
        return self.execute(cmd.Acknowledge(case_id=case_id, by=by, message=message))

    def reply(self, case_id: str, *, by: str, message: str) -> Case:
        """Send a later public reply."""
        return self.execute(cmd.Reply(case_id=case_id, by=by, message=message))

    def request_info(self, case_id: str, *, by: str, message: str) -> Case:
        """Ask the client to clarify; the case waits on the client."""
        return self.execute(cmd.RequestInfo(case_id=case_id, by=by, message=message))

    def client_replied(self, case_id: str, *, message: str, by: str | None = None) -> Case:
        """Record the client's message; a waiting case goes back to work."""
        actor = by or _client(self.case(case_id).requester)
        return self.execute(cmd.ClientReply(case_id=case_id, by=actor, message=message))

    def resolve(self, case_id: str, *, by: str, resolution: str) -> Case:
        """Deliver the resolution (only after the case was acknowledged)."""
        return self.execute(cmd.Resolve(case_id=case_id, by=by, resolution=resolution))

    def validate(self, case_id: str, *, by: str, note: str = "") -> Case:
        """Pass the quality check; closes the case if the client already confirmed."""
        return self.execute(cmd.Validate(case_id=case_id, by=by, note=note))

    def reject(self, case_id: str, *, by: str, reason: str) -> Case:
        """Fail the quality check; the case goes back to work."""
        return self.execute(cmd.Reject(case_id=case_id, by=by, reason=reason))

    def confirm(self, case_id: str, *, by: str | None = None, comment: str = "") -> Case:
        """The client confirms; closes the case if it was validated."""
        actor = by or _client(self.case(case_id).requester)
        return self.execute(cmd.Confirm(case_id=case_id, by=actor, comment=comment))

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

    def note(self, case_id: str, *, by: str, text: str) -> Case:
        """Add an internal note."""
        return self.execute(cmd.AddNote(case_id=case_id, by=by, text=text))

    def auto_confirm(self) -> list[Case]:
        """Close every validated case whose client stayed silent past the auto-confirm window."""
        now = self.clock.now()
        window = self.policy.lifecycle.auto_confirm_after
        due = [
            case.id
            for case in self.cases(state=VALIDATED)
            if case.confirmed_at is None
            and case.resolved_at is not None
            and now - case.resolved_at >= window
        ]
        return [
            self.execute(cmd.Close(case_id=case_id, by="system:auto-confirm")) for case_id in due
        ]

    def execute(self, command: cmd.Command, *, expected_version: int | None = None) -> Case:
        """Run any command; retries on a concurrent write unless ``expected_version`` is given.

        With ``expected_version``, a case that moved on raises ``ConcurrencyConflict``.
        """
        if isinstance(command, cmd.Merge):
            return self._merge(command, expected_version)
        attempt, fresh = 0, False
        while True:
            case, head, cached = self._latest(command.case_id, fresh=fresh)
            try:
                _expect(command.case_id, case, expected_version)
                events = decide(case, command, self.policy, self.clock.now())
            except ServiceflowError:
                if cached and self._moved_on(command.case_id, case):
                    fresh = True
                    continue
                raise
            after, write = self._prepare(command.case_id, case, head, events)
            try:
                self.store.append((write,))
            except ConcurrencyConflict:
                self._cache.pop(command.case_id, None)
                attempt += 1
                if expected_version is not None or attempt >= _RETRIES or case is None:
                    raise
                fresh = True
                continue
            self._remember(after, write.row.head)
            self._published(after, events, write.events)
            return after

    def _merge(self, command: cmd.Merge, expected_version: int | None) -> Case:
        source, source_head = self._current(command.case_id)
        if source is None:
            raise NotFound("case", command.case_id)
        _expect(command.case_id, source, expected_version)
        target, target_head = self._current(command.into)
        source_events, target_events = decide_merge(
            source, target, command, self.policy, self.clock.now()
        )
        assert target is not None
        source_after, source_write = self._prepare(source.id, source, source_head, source_events)
        target_after, target_write = self._prepare(target.id, target, target_head, target_events)
        self.store.append((source_write, target_write))
        self._remember(source_after, source_write.row.head)
        self._remember(target_after, target_write.row.head)
        self._published(source_after, source_events, source_write.events)
        self._published(target_after, target_events, target_write.events)
        return source_after

    def _automate(self, case: Case) -> Case:
        """Classify → prioritize → route as far as the policy allows, each its own event."""
        auto = self.policy.automation
        impact, urgency = case.impact, case.urgency
        if auto.classify and case.state == INTAKE:
            proposals = [p for p in self.plugins.hook.classify(case=case, policy=self.policy) if p]
            best = max(proposals, key=lambda p: p.confidence, default=None)
            if best is None or best.confidence < auto.confidence_threshold:
                return case
            impact, urgency = best.impact or impact, best.urgency or urgency
            case = self.classify(
                case.id,
                by=f"automation:{best.source}",
                category=best.category,
                kind=best.kind,
                confidence=best.confidence,
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
            case = self.prioritize(case.id, by="automation:matrix", impact=impact, urgency=urgency)
        if auto.route and case.state == PRIORITIZED:
            owner = self.plugins.hook.route(case=case, policy=self.policy)
            if owner:
                case = self.assign(case.id, to=owner, by="automation:router")
        return case

    # --- reading -----------------------------------------------------------------------

    def case(self, case_id: str) -> Case:
        """The case as it stands now."""
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
        states = None if state is None else ((state,) if isinstance(state, str) else tuple(state))
        unknown = [s for s in states or () if s not in STATES]
        if unknown:
            raise ValidationError(
                "cannot list cases",
                [f"state: expected one of {', '.join(STATES)}, got {unknown[0]!r}"],
            )
        query = CaseQuery(
            states=states,
            priority=priority,
            category=category,
            assignee=assignee,
            requester=requester,
            channel=channel,
            limit=limit,
        )
        return (self._decode(row) for row in self.store.query(query))

    def count(self, *, state: str | Iterable[str] | None = None) -> int:
        """How many cases are in ``state`` (any state when ``None``)."""
        states = None if state is None else ((state,) if isinstance(state, str) else tuple(state))
        return self.store.count(CaseQuery(states=states))

    def history(self, case_id: str) -> list[RecordedEvent]:
        """Every event of the case, in order, with its hash-chain link."""
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

    def verify(self, case_id: str) -> Verification:
        """Check the stream: contiguous order, hash chain, readable events, projection match."""
        records = self.store.read(case_id)
        if not records:
            raise NotFound("case", case_id)
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
                try:
                    if self.replay(case_id) != self._decode(row):
                        problems.append("replaying the events does not give the stored projection")
                except ServiceflowError as exc:
                    problems.append(f"replay failed: {exc}")
        return Verification(case_id, len(records), tuple(problems))

    # --- internals ---------------------------------------------------------------------

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
            self._cache.pop(case_id, None)
        return stale

    def _decode(self, row: CaseRow) -> Case:
        if isinstance(row.snapshot, Case):
            return row.snapshot
        cached = self._cache.get(row.id)
        if cached is not None and cached[0].version == row.version and cached[1] == row.head:
            return cached[0]
        if row.data is None:
            raise StoreError(f"case {row.id}: the store returned neither a document nor a snapshot")
        return decode_case(row.data)

    def _remember(self, case: Case, head: str) -> None:
        """Keep the last versions we wrote (bounded LRU) so the next command skips a read."""
        if self.store.keeps_objects:
            return
        cache = self._cache
        cache[case.id] = (case, head)
        cache.move_to_end(case.id)
        if len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)

    def _prepare(
        self, stream: str, case: Case | None, head: str, events: Sequence[ev.Event]
    ) -> tuple[Case, StreamWrite]:
        expected = case.version if case is not None else 0
        records = []
        prev = head
        after = case
        at = ""
        for event in events:
            after = evolve(after, event)
            data = encode_event(event)
            digest = chain_hash(prev, stream, after.version, data)
            at = iso(event.at)
            records.append(EventRecord(stream, after.version, event.TYPE, at, data, prev, digest))
            prev = digest
        assert after is not None
        keep = self.store.keeps_objects
        row = CaseRow(
            after.id,
            after.state,
            after.version,
            prev,
            after.requester,
            after.channel,
            after.priority,
            after.category,
            after.assignee,
            iso(after.submitted_at) if case is None else "",
            at,
            None if keep else encode_case(after),
            after if keep else None,
        )
        return after, StreamWrite(stream, expected, tuple(records), row, _changed(case, after))

    def _published(
        self, case: Case, events: Sequence[ev.Event], records: Sequence[EventRecord]
    ) -> None:
        hook = self.plugins.hook
        if hook.observe.get_hookimpls():
            _call_each(hook.observe, case=case, events=tuple(events))
        if hook.notify.get_hookimpls():
            for event, record in zip(events, records, strict=True):
                if event.PUBLIC:
                    _call_each(hook.notify, notification=_notification(case, event, record))


_INDEXED = ("state", "priority", "category", "assignee")


def _changed(before: Case | None, after: Case) -> frozenset[str]:
    if before is None:
        return frozenset(_INDEXED)
    return frozenset(c for c in _INDEXED if getattr(before, c) != getattr(after, c))


def _expect(case_id: str, case: Case | None, expected: int | None) -> None:
    if expected is not None:
        actual = case.version if case is not None else 0
        if actual != expected:
            raise ConcurrencyConflict(case_id, expected, actual)


def _client(requester: str) -> str:
    return f"client:{requester.rpartition('/')[2]}"


def _call_each(hook: Any, **kwargs: Any) -> None:
    """Call every implementation on its own, so one failing plugin cannot silence the rest."""
    for impl in hook.get_hookimpls():
        try:
            impl.function(**{name: kwargs[name] for name in impl.argnames})
        except Exception:
            log.exception("plugin %s failed in hook %s", impl.plugin_name, hook.name)


_NOTICE_SUBJECT: dict[type[ev.Event], str] = {
    ev.Acknowledged: "We are on it",
    ev.Replied: "An update on your request",
    ev.InfoRequested: "We need a little more information",
    ev.Resolved: "Your request is resolved",
    ev.Closed: "Your request is closed",
}


def _notification(case: Case, event: ev.Event, record: EventRecord) -> Notification:
    text = str(
        getattr(event, "message", None)
        or getattr(event, "resolution", None)
        or f"Case {case.id} was closed ({getattr(event, 'reason', '')})."
    )
    return Notification(
        key=f"{case.id}/{record.seq}",
        case_id=case.id,
        to=case.requester_address,
        kind=event.TYPE,
        subject=f"[{case.id}] {_NOTICE_SUBJECT.get(type(event), case.subject)}: {case.subject}",
        text=text,
        at=event.at,
    )


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
