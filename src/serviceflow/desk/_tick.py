"""Firing due SLA timers: a batch of cases per transaction, each timer once, no replay.

A stored timer is exact (every write that changes the clocks rewrites it), so firing needs
neither a replay nor even the case: its events are bookkeeping, chained after the row's
head and appended with the timer's removal. Timers are claimed for a lease, so desks in any
number of processes tick at once; the cost grows with what is due, not with open cases.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from attrs import frozen

from serviceflow.core import _retry as retry
from serviceflow.desk._cache import Recent
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import iso
from serviceflow.domain.policy._escalation import SLA_BREACH, SLA_WARNING
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ConcurrencyConflict, IntegrityError
from serviceflow.eventlog import _checkpointing as checkpointing
from serviceflow.eventlog._chain import case_row
from serviceflow.eventlog._firing import Firing
from serviceflow.eventlog._outbox import lease_end
from serviceflow.eventlog._store import CaseRow, Store, StreamWrite, TimerRecord
from serviceflow.rules._evolve import fold
from serviceflow.rules.escalation._governance import may_trigger, rule_for

log = logging.getLogger("serviceflow.desk")

BATCH = 500
"""Cases whose timers one transaction records."""

Publish = Callable[[Case, Sequence[ev.Event]], None]
"""Tells the observers about a case after a tick's write."""


@frozen
class RecordedEvent:
    """An event as stored: its position in the stream and its link in the hash chain."""

    case_id: str
    seq: int
    event: ev.Event
    hash: str
    prev: str


@frozen
class Fired:
    """A tick's write for one case, with the row it follows and the events it records."""

    row: CaseRow
    events: Sequence[ev.Event]
    write: StreamWrite
    after: Case | None = None
    """The case after the write, when the store keeps objects (and so needed it)."""


class TimerFiring:
    """Fires a store's due timers for one desk: keeps the desk's memory current, and tells
    ``publish`` (when observers listen) about each case after its write."""

    def __init__(self, store: Store, recent: Recent, publish: Publish | None) -> None:
        self.store = store
        self.recent = recent
        self.publish = publish

    def fire_due(self, firing: Firing, limit: int, lease: timedelta) -> list[RecordedEvent]:
        """Claim up to ``limit`` timers due by ``firing.at`` for ``lease``, and fire them."""
        at = firing.at
        by_case: dict[str, list[TimerRecord]] = {}
        for timer in self.store.claim_timers(iso(at), limit, lease_end(at, lease)):
            by_case.setdefault(timer.case_id, []).append(timer)
        fired: list[RecordedEvent] = []
        ids = list(by_case)
        for start in range(0, len(ids), BATCH):
            rows = self.store.load_many(ids[start : start + BATCH])
            batch = [self.write(row, by_case[row.id], firing) for row in rows.values()]
            fired += self.commit(batch, firing)
        return fired

    def write(self, row: CaseRow, timers: list[TimerRecord], firing: Firing) -> Fired:
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
            after = fold(events, self.recent.decode(row))
            assert after is not None
            stored = case_row(after, head, keep=True)
        else:
            stored = row.moved(records[-1].seq, head, records[-1].at)
        write = StreamWrite(row.id, row.version, records, stored, frozenset(), None, live)
        return Fired(row, events, write, after)

    def commit(self, batch: list[Fired], firing: Firing) -> list[RecordedEvent]:
        """Append a batch in one transaction; on a conflict, case by case, skipping stale ones."""
        if not batch:
            return []
        try:
            self.store.append([item.write for item in batch])
            done = batch
        except ConcurrencyConflict:
            done = [alone for item in batch if (alone := self._alone(item, firing))]
        recorded: list[RecordedEvent] = []
        for item in done:
            self._caught_up(item)
            recorded += [
                RecordedEvent(r.stream, r.seq, e, r.hash, r.prev)
                for e, r in zip(item.events, item.write.events, strict=True)
            ]
        return recorded

    def _alone(self, item: Fired, firing: Firing) -> Fired | None:
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
                item = self.write(row, list(claimed), firing)
            else:
                return item
        log.info("tick skipped case %s: it changed meanwhile", item.row.id)
        return None

    def _caught_up(self, item: Fired) -> None:
        """After a tick's write: keep what is kept current and tell the plugins (who need
        the case)."""
        row, write = item.row, item.write
        kept = self.recent.forget(row.id)
        self.recent.extend_history(row.id, row.version, item.events)
        after = item.after
        if after is None:
            before = kept[0] if kept is not None and kept[1] == row.head else None
            if before is None and self.publish is not None:
                before = self.recent.decode(row)
            if before is None:
                return
            after = fold(item.events, before)
            assert after is not None
            self.recent.remember(after, write.events[-1].hash)
        if self.publish is not None:
            self.publish(after, item.events)


def escalations(
    fired: Sequence[RecordedEvent], policy: Policy, case_of: Callable[[str], Case]
) -> list[tuple[str, str, str, str]]:
    """The escalations the policy's rules ask for after a tick fired ``fired``: per case,
    ``(case_id, to, trigger, reason)`` for the first warning or breach a rule names. The desk
    runs each as its own command after the tick's write (so the tick never waits on it)."""
    asked: list[tuple[str, str, str, str]] = []
    candidates: dict[str, list[ev.SlaWarned | ev.SlaBreached]] = {}
    for recorded in fired:
        event = recorded.event
        if not isinstance(event, ev.SlaWarned | ev.SlaBreached):
            continue
        on = SLA_BREACH if isinstance(event, ev.SlaBreached) else SLA_WARNING
        if may_trigger(policy, on, event.metric):
            candidates.setdefault(recorded.case_id, []).append(event)
    for case_id, events in candidates.items():
        case = case_of(case_id)
        for event in events:
            on, threshold = SLA_BREACH, None
            if isinstance(event, ev.SlaWarned):
                on, threshold = SLA_WARNING, event.threshold
            rule = rule_for(policy, on, case, metric=event.metric, threshold=threshold)
            if rule is None:
                continue
            what = "breached its target" if threshold is None else f"reached {threshold:.0%}"
            reason = f"the {event.metric} clock {what}"
            asked.append((case_id, rule.to, f"{on}:{event.metric}", reason))
            break
    return asked


def checkpoint_if_due(store: Store, at: datetime, every: timedelta | None) -> None:
    """Write a checkpoint from ``tick`` when the newest is ``every`` old (``None``: never); another
    process's checkpoint wins a race, and damage is logged (``verify`` reports it)."""
    if every is None:
        return
    newest = store.last_checkpoint()
    if newest is not None and at - datetime.fromisoformat(newest.at) < every:
        return
    try:
        checkpointing.write(store, iso(at))
    except ConcurrencyConflict:
        log.debug("another process wrote the checkpoint after %s", newest)
    except IntegrityError as exc:
        log.error("no checkpoint written: %s", exc)
