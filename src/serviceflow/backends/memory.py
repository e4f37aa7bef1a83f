"""The in-memory store: for tests, simulations and throw-away desks (``memory://``)."""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

import attrs
import pluggy

from serviceflow.errors import ConcurrencyConflict, NotFound
from serviceflow.eventlog._store import (
    OUTBOX_STATUSES,
    CaseQuery,
    CaseRow,
    CheckpointRecord,
    EventRecord,
    FactsRecord,
    HeadRecord,
    OutboxRecord,
    Store,
    StreamWrite,
    TimerRecord,
    outbox_clash,
    prefix_end,
)

hookimpl = pluggy.HookimplMarker("serviceflow")


class MemoryStore:
    """Streams, rows and policies in dicts; keeps case objects as they are (no encoding)."""

    keeps_objects = True

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._events: dict[str, list[EventRecord]] = {}
        self._sorted_streams: list[str] = []
        """The ids of ``_events``, sorted; ``streams`` brings it up to date."""
        self._rows: dict[str, CaseRow] = {}
        self._policies: dict[str, str] = {}
        self._facts: dict[str, FactsRecord] = {}
        self._timers: dict[str, frozenset[TimerRecord]] = {}
        self._due: list[tuple[str, str, str, int, str, TimerRecord]] = []
        """A heap of timers in claim order (due, case, metric, cycle, kind), as tuples (which
        compare far faster than records); entries a later write replaced or fired are
        dropped when they come up."""
        self._leases: dict[TimerRecord, str] = {}
        """When each claimed timer's lease ends; dropped with the timer when it is replaced
        or fired."""
        self._outbox: dict[str, OutboxRecord] = {}
        self._outbox_due: list[tuple[str, str]] = []
        """A heap of (due, key) of pending messages; entries a later update outdated are
        dropped when they come up."""
        self._outbox_counts = dict.fromkeys(OUTBOX_STATUSES, 0)
        self._checkpoints: list[CheckpointRecord] = []
        self._deltas: dict[int, list[HeadRecord]] = {}
        """The heads stored with each checkpoint, by stream."""
        self._appended: list[str] = []
        """The stream of every event appended, in order: an event's append position is its
        index plus one."""
        self._recorded: dict[str, list[tuple[int, HeadRecord]]] = {}
        """Each stream's heads as checkpoints stored them: (checkpoint seq, head), in order."""
        self._lock = threading.RLock()
        self._journal: list[Callable[[], None]] | None = None
        """Inside ``transaction``: how to undo each append made so far, in order."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every append until the block ends, all or nothing: the block holds the store's
        lock, and an exception undoes its appends. Delivery state, timer leases and kept
        facts written meanwhile stay (they are bookkeeping, not the log)."""
        with self._lock:
            if self._journal is not None:
                yield  # a block inside a block: one transaction
                return
            self._journal = []
            try:
                yield
            except BaseException:
                for undo in reversed(self._journal):
                    undo()
                raise
            finally:
                self._journal = None

    def _undo_point(self, writes: Sequence[StreamWrite]) -> Callable[[], None]:
        """What restores the streams, rows, timers and messages ``writes`` will change."""
        events, rows, timers = self._events, self._rows, self._timers
        before = {
            s: (len(events[s]) if s in events else None, rows.get(s), timers.get(s))
            for s in {w.stream for w in writes}
        }
        held_now = (t for _, _, held in before.values() for t in held or ())
        leases = {t: self._leases[t] for t in held_now if t in self._leases}
        appended = len(self._appended)
        queued = [r.key for w in writes for r in w.outbox]

        def undo() -> None:
            for stream, (length, row, held) in before.items():
                if length is None:
                    events.pop(stream, None)
                    if stream in self._sorted_streams:
                        self._sorted_streams.remove(stream)
                else:
                    del events[stream][length:]
                if row is None:
                    rows.pop(stream, None)
                else:
                    rows[stream] = row
                self._replace_timers(stream, tuple(held or ()))
            self._leases.update(leases)
            del self._appended[appended:]
            for key in queued:
                record = self._outbox.pop(key, None)
                if record is not None:
                    self._outbox_counts[record.status] -= 1

        return undo

    def append(self, writes: Sequence[StreamWrite]) -> None:
        """Check every expected version first, then apply all writes."""
        with self._lock:
            for write in writes:
                current = len(self._events.get(write.stream, ()))
                if current != write.expected:
                    raise ConcurrencyConflict(write.stream, write.expected, current)
                stored = self._timers.get(write.stream, frozenset())
                if any(timer not in stored for timer in write.fired):
                    raise ConcurrencyConflict(write.stream, write.expected, current)
            queued = [record for write in writes for record in write.outbox]
            clash = outbox_clash(self.url, queued, self._outbox)
            if clash is not None:
                raise clash
            if self._journal is not None:
                self._journal.append(self._undo_point(writes))
            for write in writes:
                self._events.setdefault(write.stream, []).extend(write.events)
                self._appended += [write.stream] * len(write.events)
                if write.row is not None:
                    self._rows[write.stream] = write.row
                if write.timers is not None:
                    self._replace_timers(write.stream, write.timers)
                elif write.fired:
                    left = self._timers.get(write.stream, frozenset()) - set(write.fired)
                    self._replace_timers(write.stream, tuple(left), keep_leases=True)
            for record in queued:
                self._put_outbox(record)

    def append_next(
        self, stream: str, build: Callable[[int, str | None], Sequence[EventRecord]]
    ) -> None:
        """Build and append after the stream's last event, under the store's lock."""
        with self._lock:
            if self._journal is not None:
                self._journal.append(self._undo_point([StreamWrite(stream, 0, (), None)]))
            events = self._events.setdefault(stream, [])
            built = build(len(events), events[-1].hash if events else None)
            events.extend(built)
            self._appended += [stream] * len(built)

    def case_timers(self, case_ids: Sequence[str]) -> dict[str, list[TimerRecord]]:
        """The current timers of each case that has any."""
        with self._lock:
            return {i: sorted(self._timers[i]) for i in case_ids if i in self._timers}

    def _replace_timers(
        self, case_id: str, timers: Sequence[TimerRecord], *, keep_leases: bool = False
    ) -> None:
        """Store ``timers`` as the case's set; leases of the timers that go (all of them,
        unless ``keep_leases``: only a firing's leftovers keep theirs) go with them."""
        current = frozenset(timers)
        old = self._timers.pop(case_id, frozenset())
        if current:
            self._timers[case_id] = current
        for timer in old if not keep_leases else old - current:
            self._leases.pop(timer, None)
        for timer in current - old:
            _push(self._due, timer)

    def due_timers(self, now: str, limit: int) -> list[TimerRecord]:
        """Due timers, leased or not (inspection)."""
        with self._lock:
            return self._take_due(now, limit, lambda _: True)

    def claim_timers(self, now: str, limit: int, until: str) -> list[TimerRecord]:
        """Due timers whose lease ended by ``now``, leased until ``until`` under the lock."""
        with self._lock:
            leases = self._leases
            found = self._take_due(now, limit, lambda timer: leases.get(timer, now) <= now)
            for timer in found:
                leases[timer] = until
            return found

    def _take_due(
        self, now: str, limit: int, wanted: Callable[[TimerRecord], bool]
    ) -> list[TimerRecord]:
        """Up to ``limit`` stored due timers that are ``wanted``, in heap order: outdated
        entries are dropped, the live ones pushed back."""
        found: list[TimerRecord] = []
        passed: list[TimerRecord] = []
        seen: set[TimerRecord] = set()
        while self._due and self._due[0][0] <= now and len(found) < limit:
            timer = heapq.heappop(self._due)[-1]
            if timer in seen or timer not in self._timers.get(timer.case_id, ()):
                continue
            seen.add(timer)
            (found if wanted(timer) else passed).append(timer)
        for timer in (*found, *passed):
            _push(self._due, timer)
        return found

    def _put_outbox(self, record: OutboxRecord) -> None:
        old = self._outbox.get(record.key)
        if old is not None:
            self._outbox_counts[old.status] -= 1
        self._outbox[record.key] = record
        self._outbox_counts[record.status] = self._outbox_counts.get(record.status, 0) + 1
        if record.status == "pending":
            heapq.heappush(self._outbox_due, (record.due, record.key))

    def due_outbox(self, now: str, limit: int) -> list[OutboxRecord]:
        """Pop due heap entries, drop the outdated ones, push the live ones back."""
        with self._lock:
            found = self._pop_due_outbox(now, limit)
            for record in found:
                heapq.heappush(self._outbox_due, (record.due, record.key))
            return found

    def _pop_due_outbox(self, now: str, limit: int) -> list[OutboxRecord]:
        """Pop up to ``limit`` due pending messages off the heap (outdated entries dropped)."""
        found: list[OutboxRecord] = []
        while self._outbox_due and self._outbox_due[0][0] <= now and len(found) < limit:
            due, key = heapq.heappop(self._outbox_due)
            record = self._outbox.get(key)
            if record is None or record.status != "pending" or record.due != due:
                continue
            if not found or found[-1].key != key:
                found.append(record)
        return found

    def claim_outbox(self, now: str, limit: int, until: str) -> list[OutboxRecord]:
        """Due pending messages, moved to ``until`` under the lock and returned as stored."""
        with self._lock:
            found = self._pop_due_outbox(now, limit)
            claimed = [attrs.evolve(record, due=until) for record in found]
            for record in claimed:
                self._put_outbox(record)
            return claimed

    def update_outbox(self, records: Sequence[OutboxRecord]) -> None:
        """Check every key first, then rewrite the delivery columns of each message."""
        with self._lock:
            for record in records:
                if record.key not in self._outbox:
                    raise NotFound("outbox message", record.key)
            for record in records:
                stored = self._outbox[record.key]
                self._put_outbox(
                    OutboxRecord(
                        stored.key,
                        stored.case_id,
                        stored.created,
                        record.due,
                        stored.payload,
                        record.status,
                        record.attempts,
                        tuple(record.delivered_to),
                        record.last_error,
                        record.delivered_at,
                    )
                )

    def outbox(self, status: str | None = None, limit: int | None = None) -> list[OutboxRecord]:
        """Messages of ``status`` (or all) by creation time, then key."""
        with self._lock:
            chosen = [r for r in self._outbox.values() if status is None or r.status == status]
        chosen.sort(key=lambda r: (r.created, r.key))
        return chosen if limit is None else chosen[: max(limit, 0)]

    def outbox_counts(self) -> dict[str, int]:
        """Messages per status, kept as they change."""
        with self._lock:
            return {s: n for s, n in self._outbox_counts.items() if n or s in OUTBOX_STATUSES}

    def read(self, stream: str) -> list[EventRecord]:
        """A copy of the stream's events."""
        return list(self._events.get(stream, ()))

    def load(self, stream: str) -> CaseRow | None:
        """The stored row, or ``None``."""
        return self._rows.get(stream)

    def last(self, stream: str) -> EventRecord | None:
        """The stream's last event, or ``None``."""
        events = self._events.get(stream)
        return events[-1] if events else None

    def load_many(self, streams: Sequence[str]) -> dict[str, CaseRow]:
        """The stored rows among ``streams``."""
        rows = self._rows
        return {s: rows[s] for s in streams if s in rows}

    def query(self, query: CaseQuery) -> Iterator[CaseRow]:
        """Matching rows by submission time, then id (the order every store uses)."""
        with self._lock:
            rows = sorted(self._rows.values(), key=lambda r: (r.submitted_at, r.id))
        found = 0
        for row in rows:
            if query.limit is not None and found >= query.limit:
                return
            if query.matches(row):
                found += 1
                yield row

    def count(self, query: CaseQuery) -> int:
        """Number of matching rows."""
        with self._lock:
            return sum(1 for row in self._rows.values() if query.matches(row))

    def workload(self, states: Sequence[str]) -> dict[tuple[str, str], int]:
        """Assigned cases in ``states`` per (assignee, channel)."""
        held: dict[tuple[str, str], int] = {}
        with self._lock:
            for row in self._rows.values():
                if row.assignee is not None and row.state in states:
                    key = (row.assignee, row.channel)
                    held[key] = held.get(key, 0) + 1
        return held

    def histories(
        self,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord]]:
        """Matching cases' streams in submission order (a copy of each list)."""
        for row in self._matching(submitted_before, updated_since, or_states):
            with self._lock:
                events = list(self._events.get(row.id, ()))
            yield events

    def histories_or_facts(
        self,
        key: str,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord] | FactsRecord]:
        """Matching cases in submission order: kept facts where they hold, else events."""
        for matched in self._matching(submitted_before, updated_since, or_states):
            with self._lock:
                row = self._rows[matched.id]  # as it is now, like its events
                facts = self._facts.get(row.id)
                fresh = (
                    facts is not None
                    and facts.version == row.version
                    and facts.key == key
                    and (submitted_before is None or row.updated_at < submitted_before)
                )
                events = [] if fresh else list(self._events.get(row.id, ()))
            yield facts if fresh and facts is not None else events

    def _matching(
        self, submitted_before: str | None, updated_since: str | None, or_states: Sequence[str]
    ) -> list[CaseRow]:
        with self._lock:
            return sorted(
                (
                    row
                    for row in self._rows.values()
                    if (submitted_before is None or row.submitted_at < submitted_before)
                    and (
                        updated_since is None
                        or row.updated_at >= updated_since
                        or row.state in or_states
                    )
                ),
                key=lambda row: (row.submitted_at, row.id),
            )

    def save_facts(self, records: Sequence[FactsRecord]) -> None:
        """Check every case first, then keep each record unless a newer one is kept."""
        with self._lock:
            for record in records:
                if record.case_id not in self._rows:
                    raise NotFound("case", record.case_id)
            for record in records:
                kept = self._facts.get(record.case_id)
                if kept is None or kept.version <= record.version:
                    self._facts[record.case_id] = record

    def streams(self, prefix: str = "") -> Iterator[str]:
        """Stream ids, sorted (the order every store uses); a prefix reads only its range.

        Streams are never removed and a dict keeps insertion order, so the sorted ids are
        brought up to date from the newest streams alone (not the whole store per call)."""
        with self._lock:
            known = self._sorted_streams
            for stream in islice(reversed(self._events), len(self._events) - len(known)):
                insort(known, stream)
            return iter(known[bisect_left(known, prefix) : bisect_left(known, prefix_end(prefix))])

    def heads(self) -> Iterator[HeadRecord]:
        """Each stream's last event, by stream."""
        with self._lock:
            found = [
                HeadRecord(s, events[-1].seq, events[-1].hash)
                for s, events in self._events.items()
                if events
            ]
        return iter(sorted(found))

    def heads_since(self, position: int) -> tuple[list[HeadRecord], int]:
        """The heads of the streams appended to after ``position`` (an index into the
        append order), by stream."""
        with self._lock:
            moved = set(self._appended[position:])
            found = [
                HeadRecord(s, events[-1].seq, events[-1].hash)
                for s in moved
                if (events := self._events.get(s))
            ]
            return sorted(found), max(position, len(self._appended))

    def save_checkpoint(self, record: CheckpointRecord, heads: Sequence[HeadRecord]) -> None:
        """Append the checkpoint if it comes next, with its changed heads."""
        with self._lock:
            newest = self._checkpoints[-1].seq if self._checkpoints else 0
            if record.seq != newest + 1:
                raise ConcurrencyConflict("checkpoints", record.seq - 1, newest)
            self._checkpoints.append(record)
            self._deltas[record.seq] = sorted(heads)
            for head in heads:
                self._recorded.setdefault(head.stream, []).append((record.seq, head))

    def checkpoints(self) -> Iterator[CheckpointRecord]:
        """The checkpoints by seq (a copy)."""
        with self._lock:
            return iter(list(self._checkpoints))

    def last_checkpoint(self) -> CheckpointRecord | None:
        """The newest checkpoint."""
        with self._lock:
            return self._checkpoints[-1] if self._checkpoints else None

    def checkpoint_heads(
        self, seq: int, streams: Sequence[str] | None = None
    ) -> Iterator[HeadRecord]:
        """Each stream's newest recorded head at or before checkpoint ``seq``, by stream."""
        with self._lock:
            found = []
            wanted = sorted(self._recorded) if streams is None else sorted(set(streams))
            for stream in wanted:
                kept = [head for at, head in self._recorded.get(stream, ()) if at <= seq]
                if kept:
                    found.append(kept[-1])
        return iter(found)

    def checkpoint_delta(self, seq: int) -> Iterator[HeadRecord]:
        """The heads stored with checkpoint ``seq``, by stream."""
        with self._lock:
            return iter(self._deltas.get(seq, []))

    def save_policy(self, version: str, document: str, at: str) -> None:
        """Keep the first document stored under ``version``."""
        self._policies.setdefault(version, document)

    def load_policy(self, version: str) -> str | None:
        """The document stored under ``version``."""
        return self._policies.get(version)

    def close(self) -> None:
        """Nothing to release."""


def _push(heap: list[tuple[str, str, str, int, str, TimerRecord]], timer: TimerRecord) -> None:
    heapq.heappush(heap, (timer.due, timer.case_id, timer.metric, timer.cycle, timer.kind, timer))


@hookimpl
def open_store(url: str) -> Store | None:
    """Open ``memory://`` stores."""
    if url.startswith("memory://"):
        return MemoryStore(url)
    return None
