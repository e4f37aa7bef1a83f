"""Events as stored: each record linked to the one before it by its chain hash."""

from __future__ import annotations

from collections.abc import Sequence

from serviceflow.serialization import chain_hash
from serviceflow.store import EventRecord


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
