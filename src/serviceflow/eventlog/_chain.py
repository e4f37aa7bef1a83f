"""Events as stored: each record linked to the one before it by its chain hash."""

from __future__ import annotations

from collections.abc import Sequence

from serviceflow.domain._case import Case
from serviceflow.domain._events import Event
from serviceflow.domain._serialization import GENESIS, chain_hash, encode_case, encode_event, iso
from serviceflow.eventlog._store import CaseRow, EventRecord, StreamWrite


def chain_records(
    stream: str, version: int, head: str, items: Sequence[tuple[str, str, str]]
) -> tuple[EventRecord, ...]:
    """Records for ``(type, at, data)`` items appended after ``version``, linked from ``head``."""
    records = []
    prev = head
    for seq, (kind, at, data) in enumerate(items, start=version + 1):
        digest = chain_hash(prev, stream, seq, data)
        records.append(EventRecord(stream, seq, kind, at, data, prev, digest))
        prev = digest
    return tuple(records)


def next_records(
    stream: str, version: int, head: str | None, event: Event
) -> tuple[EventRecord, ...]:
    """The record of one ``event`` appended after ``version`` (``head``: ``None`` if empty)."""
    item = (event.TYPE, iso(event.at), encode_event(event))
    return chain_records(stream, version, head or GENESIS, [item])


def next_write(stream: str, last: EventRecord | None, event: Event) -> StreamWrite:
    """A desk stream's write of ``event`` after ``last`` (its head as read; no projection)."""
    version, head = (last.seq, last.hash) if last is not None else (0, None)
    return StreamWrite(stream, version, next_records(stream, version, head, event), None)


def case_row(case: Case, head: str, *, keep: bool) -> CaseRow:
    """The stored form of a case: indexed columns plus the object or its JSON document."""
    return CaseRow(
        case.id,
        case.state,
        case.version,
        head,
        case.requester,
        case.channel,
        case.priority,
        case.category,
        case.assignee,
        iso(case.submitted_at),
        iso(case.updated_at),
        None if keep else encode_case(case),
        case if keep else None,
    )
