"""Verifying the log: each stream's chain and projection, then the checkpoints over them.

``ServiceDesk.verify`` and ``verify_all`` are these functions over the desk's store; they read
and never write (``docs/verify.md``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs
from attrs import frozen

from serviceflow.desk._cache import stored_case
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import GENESIS, chain_hash, decode_case, decode_event, iso
from serviceflow.errors import IntegrityError, NotFound, ServiceflowError
from serviceflow.eventlog import _checkpointing as checkpointing
from serviceflow.eventlog._chain import case_row
from serviceflow.eventlog._checkpoint import CHAIN
from serviceflow.eventlog._store import INDEXED_COLUMNS, CaseQuery, CaseRow, EventRecord, Store
from serviceflow.rules._evolve import BOOKKEEPING_TYPES, evolve


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


def verify_stream(store: Store, case_id: str) -> Verification:
    """Check the stream: contiguous order, hash chain, readable events, projection match.

    Detects edited, deleted, reordered or relinked events and a projection (document or
    indexed columns) that disagrees with its events. It cannot detect a stream rewritten
    whole with a recomputed chain: the chain guards against accidents and casual edits,
    not against someone who rewrites the file with the same algorithm.
    """
    records = store.read(case_id)
    if case_id.startswith(ev.DESK_STREAMS):
        return Verification(case_id, len(records), tuple(_chain_problems(case_id, records)))
    if not records:
        if store.load(case_id) is None:
            raise NotFound("case", case_id)
        return Verification(case_id, 0, ("the case has a projection row but no events",))
    problems = list(_chain_problems(case_id, records))
    row = store.load(case_id)
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
            problems.extend(_projection_problems(case_id, row, records))
    return Verification(case_id, len(records), tuple(problems))


def verify_store(store: Store, anchor: str | None = None) -> Iterator[Verification]:
    """Verify every stream, and every projection row even if its events are gone; then
    the checkpoints: each stream the newest one (and the one ``anchor`` names) covers
    must still hold its recorded head, and the chain must hold (a last result named
    ``checkpoint.CHAIN`` when there are checkpoints or an anchor; ``docs/verify.md``)."""
    found = checkpointing.check(store, anchor)
    lost = dict(found.streams)
    seen: set[str] = set()
    for stream in store.streams():
        seen.add(stream)
        yield _with(verify_stream(store, stream), lost.pop(stream, ()))
    for row in store.query(CaseQuery()):
        if row.id not in seen:
            yield _with(verify_stream(store, row.id), lost.pop(row.id, ()))
    for stream, problems in sorted(lost.items()):
        yield Verification(stream, 0, problems)
    if found.count or anchor is not None:
        yield Verification(CHAIN, found.count, found.problems)


def _projection_problems(case_id: str, row: CaseRow, records: Sequence[EventRecord]) -> list[str]:
    """Replay the events and compare with the stored document and its indexed columns.

    A document may lag behind the row by bookkeeping events only; any other event after
    the document's version means the document was not rewritten when it should have been.
    """
    problems = []
    try:
        replayed = replay(case_id, records)
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
            stored = stored_case(row)
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


def replay(case_id: str, records: Sequence[EventRecord]) -> Case:
    """The case rebuilt from its stored events alone (what the projection must equal)."""
    case: Case | None = None
    for record in records:
        case = evolve(case, decode_event(record.data))
    if case is None:
        raise NotFound("case", case_id)
    return case


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
