"""Plain store records for storage tests: rows, writes, timers and outbox messages.

Stores see only these records (never the domain), so a backend's tests build them directly.
Times are ISO UTC text, as the desk writes them; ``at(minutes)`` gives one on a fixed day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from serviceflow.eventlog._store import CaseRow, EventRecord, OutboxRecord, StreamWrite, TimerRecord

DAY = datetime(2026, 1, 1, tzinfo=UTC)
"""The day every record of the conformance suite happens on (midnight UTC)."""


def at(minutes: float) -> str:
    """The ISO UTC text of ``DAY`` plus ``minutes``, as stores keep times."""
    return (DAY + timedelta(minutes=minutes)).isoformat(timespec="microseconds")


def event(stream: str, seq: int, *, data: str = "{}", type: str = "case.note_added") -> EventRecord:
    """An event record at ``seq`` of ``stream`` (the hash chain is not checked by stores)."""
    return EventRecord(stream, seq, type, at(seq), data, f"{stream}/{seq - 1}", f"{stream}/{seq}")


def row(stream: str, version: int, **changes: Any) -> CaseRow:
    """A projection row of ``stream`` at ``version`` with a JSON document; ``changes`` override."""
    base = CaseRow(
        stream,
        "intake",
        version,
        f"{stream}/{version}",
        "acme/jane@acme.test",
        "web",
        None,
        None,
        None,
        at(0),
        at(version),
        f'{{"id": "{stream}", "version": {version}}}',
    )
    return attrs.evolve(base, **changes) if changes else base


def write(stream: str, expected: int, events: int = 1, **changes: Any) -> StreamWrite:
    """``events`` new events after version ``expected`` and the row they lead to."""
    records = tuple(event(stream, expected + i) for i in range(1, events + 1))
    base = StreamWrite(stream, expected, records, row(stream, expected + events))
    return attrs.evolve(base, **changes) if changes else base


def timer(
    case_id: str,
    due: float,
    *,
    metric: str = "resolution",
    cycle: int = 1,
    kind: str = "breach",
    version: int = 1,
) -> TimerRecord:
    """A timer of ``case_id`` due ``due`` minutes into ``DAY``."""
    return TimerRecord(at(due), case_id, metric, cycle, kind, version)


def message(key: str, due: float = 0, *, created: float | None = None) -> OutboxRecord:
    """A pending outbox message keyed ``<case>/<...>``, due ``due`` minutes into ``DAY``."""
    case_id = key.split("/", maxsplit=1)[0]
    made = at(due if created is None else created)
    return OutboxRecord(key, case_id, made, at(due), f'{{"key": "{key}"}}')
