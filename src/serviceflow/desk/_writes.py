"""A plan's changes in the store's terms: chained records, the row, timers and outbox rows.

Pure, like the plan: the desk appends what these functions return in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import encode_event, iso
from serviceflow.eventlog._chain import case_row, chain_records
from serviceflow.eventlog._outbox import encode_notification, lease_end
from serviceflow.eventlog._store import INDEXED_COLUMNS, OutboxRecord, StreamWrite, TimerRecord
from serviceflow.rules._plan import Change, Message
from serviceflow.rules._sla import Timer

Write = tuple[Case, Sequence[ev.Event], StreamWrite]
"""A case after a change, the events that made it, and the write that stores them."""


def stream_write(
    change: Change,
    head: str,
    *,
    keep: bool,
    lease: timedelta | None = None,
    stored: tuple[Timer, ...] | None = None,
) -> Write:
    """The write of ``change`` after the stream's ``head``; ``keep``: the store keeps the
    case object itself (no JSON, every indexed column written). With ``lease``, a message
    due at once is stored leased to the writer until the lease ends (it sends it right
    after the commit; a worker may take it once the lease has run out). ``stored``: the
    case's timers as stored before the change, when known; the same timers are not
    written again (they keep the version they were stored with)."""
    before, after = change.before, change.after
    expected = before.version if before is not None else 0
    items = [(e.TYPE, iso(e.at), encode_event(e)) for e in change.events]
    records = chain_records(change.stream, expected, head, items)
    row = case_row(after, records[-1].hash if records else head, keep=keep)
    changed = INDEXED_COLUMNS if keep else changed_columns(before, after)
    timers = None
    if change.timers is not None and change.timers != stored:
        version = after.version
        timers = tuple(
            [
                TimerRecord(iso(t.due), change.stream, t.metric, t.cycle, t.kind, version)
                for t in change.timers
            ]
        )
    outbox = tuple([outbox_record(m, lease) for m in change.messages])
    write = StreamWrite(change.stream, expected, records, row, changed, timers, (), outbox)
    return after, change.events, write


def changed_columns(before: Case | None, after: Case) -> frozenset[str]:
    """The indexed columns a write changes (all of them for a new case)."""
    if before is None:
        return INDEXED_COLUMNS
    return frozenset(c for c in INDEXED_COLUMNS if getattr(before, c) != getattr(after, c))


def outbox_record(message: Message, lease: timedelta | None = None) -> OutboxRecord:
    """A pending outbox row for ``message``, appended with the events that send it (one
    due at once leased to the writer for ``lease``, if given)."""
    n = message.notification
    payload = encode_notification(n)
    due = (
        lease_end(message.created, lease)
        if lease is not None and message.at_once
        else iso(message.due)
    )
    return OutboxRecord(
        key=n.key,
        case_id=n.case_id,
        created=iso(message.created),
        due=due,
        payload=payload,
    )
