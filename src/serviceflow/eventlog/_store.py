"""The store contract every backend fulfils, in plain records (backends never import the domain).

A store keeps event streams with optimistic concurrency (``expected`` version per stream),
one projection row per case with indexed columns for queries, policy documents by version,
and an outbox of client messages. ``append`` writes every stream of a command, and its
outbox messages, or none of them, in one transaction.

Workers share a store through two claims. ``claim_timers`` and ``claim_outbox`` lease due
work to one caller until a given time, in one atomic step, so concurrent workers never take
the same timer or message while its lease runs; a worker that dies just lets the lease run
out. ``due_timers`` and ``due_outbox`` are for inspection and ignore leases.

KPI passes keep what they work out per case (``FactsRecord``) with ``save_facts``, and
read it back with ``histories_or_facts`` while the case and the key are unchanged, so a
report over a large log does not decode every event every time.

A store may also offer ``wait_for_work(timeout: float) -> bool``, outside the protocol: it
blocks up to ``timeout`` seconds and returns ``True`` early when another process committed
timers or outbox messages (PostgreSQL: LISTEN/NOTIFY). ``serviceflow.worker`` uses it for
its idle wait when present, and sleeps its poll interval otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterator, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from attrs import frozen

from serviceflow.errors import StoreError


class EventRecord(NamedTuple):
    """One stored event: its place in the stream, its canonical JSON and its chain hash.

    A named tuple, not an attrs class: stores build one per event read, and whole-log
    passes read millions, so construction cost matters (a tuple is several times cheaper).
    """

    stream: str
    seq: int
    type: str
    at: str
    data: str
    prev: str
    hash: str


class HeadRecord(NamedTuple):
    """A stream's head: the seq of its last event (its version, the event count of an intact
    stream) and that event's chain hash. Checkpoints record one per stream."""

    stream: str
    version: int
    hash: str


@frozen
class CheckpointRecord:
    """A stored checkpoint (``serviceflow.checkpoint`` says what is hashed): its place in
    the checkpoint chain, its time, the previous checkpoint's hash, the store's append
    position it covers events up to, how many streams and events it covers in all, the
    digest of the heads that moved since the previous one (its delta), and its own hash."""

    seq: int
    at: str
    prev: str
    position: int
    streams: int
    events: int
    root: str
    hash: str


class FactsRecord(NamedTuple):
    """A case's KPI facts, worked out from its whole stream at ``version``.

    ``key`` names everything besides the events they depend on (their format and the
    policy version); ``data`` is their JSON. Stores keep one per case and never read it.
    """

    case_id: str
    version: int
    key: str
    data: str


@frozen
class CaseRow:
    """A case projection as stored: query columns, the chain head, and the case itself.

    ``data`` is the JSON document; ``snapshot`` the live object. Stores whose
    ``keeps_objects`` is true receive and return ``snapshot`` and may leave ``data`` unset;
    others receive ``data``. A document may lag behind the row's ``version`` and
    ``updated_at`` by bookkeeping events (SLA warnings and breaches change nothing else), so
    a write of only such events updates the row without a document (``data`` is ``None``).
    """

    id: str
    state: str
    version: int
    head: str
    requester: str
    channel: str
    priority: str | None
    category: str | None
    assignee: str | None
    submitted_at: str
    updated_at: str
    data: str | None = None
    snapshot: object | None = None

    def columns(self) -> tuple[object, ...]:
        """The row's stored values in the order SQL stores keep them (``id`` … ``data``)."""
        return (
            self.id,
            self.state,
            self.version,
            self.head,
            self.requester,
            self.channel,
            self.priority,
            self.category,
            self.assignee,
            self.submitted_at,
            self.updated_at,
            self.data,
        )

    def moved(self, version: int, head: str, updated_at: str) -> CaseRow:
        """This row after bookkeeping events: only version, head and time move; no document."""
        return CaseRow(
            self.id,
            self.state,
            version,
            head,
            self.requester,
            self.channel,
            self.priority,
            self.category,
            self.assignee,
            self.submitted_at,
            updated_at,
        )


@frozen(order=True)
class TimerRecord:
    """A moment when a case's SLA clock crosses a warning threshold or its target.

    ``version`` is the case version the timer set was written at: a write that changes
    the clocks replaces the whole set (one that leaves them as they were writes none), so
    a timer still stored with its version is valid.
    """

    due: str
    case_id: str
    metric: str
    cycle: int
    kind: str
    version: int = 0


OUTBOX_STATUSES = ("pending", "delivered", "failed")
"""The states of an outbox message: waiting for (another) attempt, done, or dead-lettered."""


@frozen
class OutboxRecord:
    """A client message waiting in the outbox, written in the same transaction as its events.

    ``key`` is the notification's idempotency key; ``delivered_to`` names the notifiers that
    already took it, so a retry never sends to them again. Times are ISO UTC text.
    """

    key: str
    case_id: str
    created: str
    due: str
    payload: str
    status: str = "pending"
    attempts: int = 0
    delivered_to: tuple[str, ...] = ()
    last_error: str = ""
    delivered_at: str | None = None

    def columns(self) -> tuple[object, ...]:
        """The stored values in the order SQL stores keep them, ``delivered_to`` as JSON."""
        return (
            self.key,
            self.case_id,
            self.created,
            self.due,
            self.payload,
            self.status,
            self.attempts,
            json.dumps(list(self.delivered_to)),
            self.last_error,
            self.delivered_at,
        )

    def delivery_columns(self) -> tuple[object, ...]:
        """The key, then what a delivery attempt rewrites (``update_outbox``): status,
        attempts, due, ``delivered_to`` as JSON, last error and delivery time."""
        return (
            self.key,
            self.status,
            self.attempts,
            self.due,
            json.dumps(list(self.delivered_to)),
            self.last_error,
            self.delivered_at,
        )

    @classmethod
    def from_columns(cls, row: Sequence[Any]) -> OutboxRecord:
        """A record from stored values in ``columns`` order (``delivered_to`` as JSON text,
        or already a list where the database decodes JSON itself)."""
        key, case_id, created, due, payload, status, attempts, delivered_to, error, at = row
        names = json.loads(delivered_to) if isinstance(delivered_to, str) else delivered_to
        return cls(key, case_id, created, due, payload, status, attempts, tuple(names), error, at)


def outbox_clash(
    url: str, queued: Sequence[OutboxRecord], stored: Container[str]
) -> StoreError | None:
    """The error for an outbox key queued twice or already stored, else ``None``."""
    seen: set[str] = set()
    for record in queued:
        if record.key in seen or record.key in stored:
            where = "twice in one append" if record.key in seen else "already stored"
            return StoreError(
                f"{url}: outbox message {record.key!r} is {where}; "
                "an idempotency key is queued once"
            )
        seen.add(record.key)
    return None


def prefix_end(prefix: str) -> str:
    """The least text above every id that starts with ``prefix`` (ids are printable
    ASCII), so ``prefix <= id < prefix_end(prefix)`` is an index range."""
    return prefix + "\U0010ffff"


INDEXED_COLUMNS = frozenset({"state", "priority", "category", "assignee"})
"""Projection columns that carry an index; a store may rewrite only those that changed."""


@frozen
class StreamWrite:
    """Events to append to one stream whose current version must be ``expected``.

    ``changed`` names the indexed row columns (state, priority, category, assignee) whose
    values differ from the stored row, so a store can leave the other indexes alone.
    """

    stream: str
    expected: int
    events: tuple[EventRecord, ...]
    row: CaseRow | None
    """The case's new projection row; ``None`` for the desk's own streams (audit, queues)."""
    changed: frozenset[str] = INDEXED_COLUMNS
    timers: tuple[TimerRecord, ...] | None = None
    """The case's SLA timers after this write; ``None`` leaves the stored ones as they are."""
    fired: tuple[TimerRecord, ...] = ()
    """Timers this write fires: each must still be stored as given, and is removed; if one is
    gone (the case's timers were replaced meanwhile), the append is a conflict."""
    outbox: tuple[OutboxRecord, ...] = ()
    """Client messages to queue with these events; a key already stored is a ``StoreError``."""


@frozen
class CaseQuery:
    """Filters on the projection's indexed columns; ``None`` means any."""

    states: tuple[str, ...] | None = None
    priority: str | None = None
    category: str | None = None
    assignee: str | None = None
    requester: str | None = None
    channel: str | None = None
    limit: int | None = None

    def matches(self, row: CaseRow) -> bool:
        """Does ``row`` pass every filter (``limit`` aside)? For stores that filter rows
        themselves."""
        return (
            (self.states is None or row.state in self.states)
            and (self.priority is None or row.priority == self.priority)
            and (self.category is None or row.category == self.category)
            and (self.assignee is None or row.assignee == self.assignee)
            and (self.requester is None or row.requester == self.requester)
            and (self.channel is None or row.channel == self.channel)
        )


@runtime_checkable
class Store(Protocol):
    """What the desk needs from storage. See ``serviceflow.backends`` for the built-ins."""

    url: str
    keeps_objects: bool

    def append(self, writes: Sequence[StreamWrite]) -> None:
        """Append all writes in one transaction, or raise ``ConcurrencyConflict`` and write none."""
        ...

    def append_next(
        self, stream: str, build: Callable[[int, str | None], Sequence[EventRecord]]
    ) -> None:
        """Append to the end of a desk stream (audit) whatever its version: ``build(version,
        head)`` makes the records inside the store's write lock, so writers never collide."""
        ...

    def read(self, stream: str) -> list[EventRecord]:
        """The stream's events in order (empty if the stream does not exist)."""
        ...

    def case_timers(self, case_ids: Sequence[str]) -> dict[str, list[TimerRecord]]:
        """The stored SLA timers of each of ``case_ids`` that has any."""
        ...

    def load(self, stream: str) -> CaseRow | None:
        """The projection row of a case, or ``None``."""
        ...

    def last(self, stream: str) -> EventRecord | None:
        """The stream's last event (its head), or ``None`` if it has none."""
        ...

    def load_many(self, streams: Sequence[str]) -> dict[str, CaseRow]:
        """The rows of the cases that exist among ``streams``, by id."""
        ...

    def query(self, query: CaseQuery) -> Iterator[CaseRow]:
        """Rows matching ``query``, oldest submission first, streamed in pages."""
        ...

    def count(self, query: CaseQuery) -> int:
        """How many rows match ``query`` (ignoring its limit)."""
        ...

    def workload(self, states: Sequence[str]) -> dict[tuple[str, str], int]:
        """How many cases in ``states`` each assignee holds, per channel."""
        ...

    def streams(self, prefix: str = "") -> Iterator[str]:
        """Every stream that has events (those whose id starts with ``prefix``), sorted by id."""
        ...

    def histories(
        self,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord]]:
        """Each case's whole stream, case after case in submission order (then id), paged.

        Only cases submitted before ``submitted_before`` whose row was updated at or after
        ``updated_since`` or whose state is one of ``or_states`` (``None``: no bound)."""
        ...

    def histories_or_facts(
        self,
        key: str,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord] | FactsRecord]:
        """The cases ``histories`` gives for the same filters, in the same order, each as its
        stored facts when they were saved under ``key`` at the case's current version and the
        case was last updated before ``submitted_before`` (if given); else as its history."""
        ...

    def save_facts(self, records: Sequence[FactsRecord]) -> None:
        """Keep each case's facts in one transaction, replacing stored facts of the same or
        an older version (facts of a newer version stay). A case that does not exist is
        ``NotFound``, and nothing is written."""
        ...

    def due_timers(self, now: str, limit: int) -> list[TimerRecord]:
        """Up to ``limit`` timers due at or before ``now``, earliest first (not removed, leased or
        not: for inspection; workers use ``claim_timers``)."""
        ...

    def claim_timers(self, now: str, limit: int, until: str) -> list[TimerRecord]:
        """Lease up to ``limit`` due timers to the caller until ``until``.

        Timers due at or before ``now`` whose lease (if any) ended at or before ``now``,
        earliest due first (then case_id, metric, cycle, kind). Claiming and leasing are one
        atomic step, so two claims never return the same timer while its lease runs. Firing
        (``StreamWrite.fired``) matches a timer leased or not; a write that replaces a case's
        timers drops their leases with them."""
        ...

    def due_outbox(self, now: str, limit: int) -> list[OutboxRecord]:
        """Up to ``limit`` pending outbox messages due at or before ``now``, by due, then key."""
        ...

    def claim_outbox(self, now: str, limit: int, until: str) -> list[OutboxRecord]:
        """Lease up to ``limit`` pending messages due at or before ``now`` (by due, then key).

        In the same atomic step each one's ``due`` becomes ``until``, and they are returned as
        now stored (``due == until``), so no other claim returns them before ``until``. The
        dispatcher then writes the outcome with ``update_outbox``."""
        ...

    def update_outbox(self, records: Sequence[OutboxRecord]) -> None:
        """Rewrite status, attempts, due, delivered_to, last_error and delivered_at by key, in
        one transaction; an unknown key is ``NotFound`` and nothing is written."""
        ...

    def outbox(self, status: str | None = None, limit: int | None = None) -> list[OutboxRecord]:
        """Outbox messages (of one status, or all), oldest first (by created, then key)."""
        ...

    def outbox_counts(self) -> dict[str, int]:
        """How many outbox messages are in each status (every status of ``OUTBOX_STATUSES``)."""
        ...

    def heads(self) -> Iterator[HeadRecord]:
        """Every stream's head (last seq and its hash), sorted by stream, read from the events
        in pages: one pass over the ``(stream, seq)`` index, whatever the projection says."""
        ...

    def heads_since(self, position: int) -> tuple[list[HeadRecord], int]:
        """The head of every stream with an event appended after append ``position`` (0:
        every stream), sorted by stream, and the position of the last event appended
        (``position`` itself when none was). Positions grow in commit order; this reads only
        the events after ``position`` (a range of the position index), not every stream."""
        ...

    def save_checkpoint(self, record: CheckpointRecord, heads: Sequence[HeadRecord]) -> None:
        """Store checkpoint ``record`` with the ``heads`` that changed since the previous one,
        in one transaction. ``record.seq`` must be the newest seq plus one (1 for the first),
        else ``ConcurrencyConflict`` (another process checkpointed first) and nothing is
        written. Stored checkpoints and heads are never rewritten."""
        ...

    def checkpoints(self) -> Iterator[CheckpointRecord]:
        """Every stored checkpoint, by seq."""
        ...

    def last_checkpoint(self) -> CheckpointRecord | None:
        """The newest checkpoint (highest seq), or ``None``."""
        ...

    def checkpoint_heads(
        self, seq: int, streams: Sequence[str] | None = None
    ) -> Iterator[HeadRecord]:
        """The heads checkpoint ``seq`` covers: for each stream, the head stored with the
        newest checkpoint at or before ``seq`` that recorded it; sorted by stream, paged.
        ``streams``: only those (looked up by key, however many streams there are)."""
        ...

    def checkpoint_delta(self, seq: int) -> Iterator[HeadRecord]:
        """The heads stored with checkpoint ``seq`` itself (those that moved since the one
        before it), sorted by stream."""
        ...

    def save_policy(self, version: str, document: str, at: str) -> None:
        """Keep a policy document under its version (idempotent)."""
        ...

    def load_policy(self, version: str) -> str | None:
        """A stored policy document, or ``None``."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
