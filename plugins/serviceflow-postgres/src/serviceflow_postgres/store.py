"""The PostgreSQL store (``postgresql://...``): many processes, one database.

Optimistic concurrency comes from the unique constraint on ``(stream, seq)``: a writer whose
expected version is stale collides with the event another writer already added, and gets a
``ConcurrencyConflict``. Due timers and outbox messages are claimed with
``UPDATE ... WHERE ... IN (SELECT ... FOR UPDATE SKIP LOCKED)``, so any number of workers
share them without waiting on each other. Batches are sent as binary arrays (``unnest``): a
tick of 500 cases costs one statement per kind of row, not one per case; a few rows (a
command's) go as plain parameters, which cost less to send. An append's statements go in
one pipeline, so a command waits for the server about twice (the results, then COMMIT),
not once per statement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg_pool import ConnectionPool
from serviceflow.backends.sql import (
    EVENT_COLUMNS,
    OUTBOX_COLUMNS,
    ROW_COLUMNS,
    TIMER_COLUMNS,
    Dialect,
    Fetch,
    SQLReads,
    row_update,
)
from serviceflow.errors import ConcurrencyConflict, NotFound, ServiceflowError, StoreError
from serviceflow.eventlog import (
    CheckpointRecord,
    EventRecord,
    FactsRecord,
    HeadRecord,
    OutboxRecord,
    StreamWrite,
    TimerRecord,
    outbox_clash,
)

from serviceflow_postgres.address import Address, parse_address
from serviceflow_postgres.migrations import MIGRATIONS, Migration, lock_key, migrate
from serviceflow_postgres.wakeup import Wakeup, channel

Connection = psycopg.Connection[tuple[Any, ...]]
_Counted = tuple[psycopg.Cursor[tuple[Any, ...]], tuple[int, ...]]
"""A statement sent, and the row counts it must answer (what it changed was as read)."""


_Statement = tuple[str, list[Any], tuple[int, ...]]
"""A statement, its parameters, and the row its result must be."""


class _Part(NamedTuple):
    """One data-changing statement of an append."""

    sql: str
    params: list[Any]
    rows: int | None = None
    """How many rows it must change (``None``: any number)."""
    timers: bool = False
    """Whether it deletes timers."""


_INSERT_EVENTS = f"""
INSERT INTO events ({EVENT_COLUMNS})
SELECT * FROM unnest(%b::text[], %b::int[], %b::text[], %b::text[], %b::text[], %b::text[],
                     %b::text[])
"""
_EVENTS_INTO = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES "
_ROWS_INTO = f"INSERT INTO cases ({ROW_COLUMNS}) VALUES "
_TIMERS_INTO = "INSERT INTO timers (due_at, case_id, metric, cycle, kind, version) VALUES "
_OUTBOX_INTO = f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES "
_OUTBOX_ROW = (
    "(%s, %s, %s, %s, %s, %s, %s, ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)), %s, %s)"
)
_FEW = 16
"""Rows sent as plain parameters at most; more go as binary arrays that ``unnest``."""
_INSERT_ROWS = f"""
INSERT INTO cases ({ROW_COLUMNS})
SELECT * FROM unnest(%b::text[], %b::text[], %b::int[], %b::text[], %b::text[], %b::text[],
                     %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[])
"""
_MOVE_ROWS = """
UPDATE cases SET version = m.version, head = m.head, updated_at = m.updated_at
FROM unnest(%b::text[], %b::int[], %b::int[], %b::text[], %b::text[])
     AS m(id, expected, version, head, updated_at)
WHERE cases.id = m.id AND cases.version = m.expected
"""
_INSERT_TIMERS = """
INSERT INTO timers (due_at, case_id, metric, cycle, kind, version)
SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::int[], %b::text[], %b::int[])
"""
_FIRE_TIMERS = """
DELETE FROM timers USING unnest(%b::text[], %b::text[], %b::int[], %b::text[], %b::int[])
     AS f(case_id, metric, cycle, kind, version)
WHERE timers.case_id = f.case_id AND timers.metric = f.metric AND timers.cycle = f.cycle
  AND timers.kind = f.kind AND timers.version = f.version
"""
_CLAIM_TIMERS = f"""
UPDATE timers SET leased_until = %(until)s
WHERE (case_id, metric, cycle, kind) IN (
    SELECT case_id, metric, cycle, kind FROM timers
    WHERE due_at <= %(now)s AND (leased_until IS NULL OR leased_until <= %(now)s)
    ORDER BY due_at, case_id, metric, cycle, kind
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
RETURNING {TIMER_COLUMNS}
"""
_INSERT_OUTBOX = f"""
INSERT INTO outbox ({OUTBOX_COLUMNS})
SELECT key, case_id, created, due, payload, status, attempts,
       ARRAY(SELECT jsonb_array_elements_text(delivered_to::jsonb)), last_error, delivered_at
FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::int[],
            %b::text[], %b::text[], %b::text[])
     AS q(key, case_id, created, due, payload, status, attempts, delivered_to, last_error,
          delivered_at)
"""
_UPDATE_OUTBOX = """
UPDATE outbox SET status = u.status, attempts = u.attempts, due = u.due,
       delivered_to = ARRAY(SELECT jsonb_array_elements_text(u.delivered_to::jsonb)),
       last_error = u.last_error, delivered_at = u.delivered_at
FROM unnest(%b::text[], %b::text[], %b::int[], %b::text[], %b::text[], %b::text[], %b::text[])
     AS u(key, status, attempts, due, delivered_to, last_error, delivered_at)
WHERE outbox.key = u.key
"""
_CLAIM_OUTBOX = """
WITH picked AS (
    SELECT key, due FROM outbox
    WHERE status = 'pending' AND due <= %(now)s
    ORDER BY due, key
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
UPDATE outbox SET due = %(until)s FROM picked WHERE outbox.key = picked.key
RETURNING picked.due, outbox.key, outbox.case_id, outbox.created, outbox.due, outbox.payload,
          outbox.status, outbox.attempts, outbox.delivered_to, outbox.last_error,
          outbox.delivered_at
"""
_MISSING_CASE = """
SELECT u.id FROM unnest(%b::text[]) WITH ORDINALITY AS u(id, n)
WHERE NOT EXISTS (SELECT 1 FROM cases WHERE cases.id = u.id)
ORDER BY u.n LIMIT 1
"""
_UPSERT_FACTS = """
INSERT INTO case_facts (case_id, version, key, data)
SELECT * FROM unnest(%b::text[], %b::int[], %b::text[], %b::text[])
ON CONFLICT (case_id) DO UPDATE
SET version = excluded.version, key = excluded.key, data = excluded.data
WHERE excluded.version >= case_facts.version
"""
_DIALECT = Dialect(
    mark="%s",
    arrays=True,
    newest_heads="SELECT DISTINCT ON (stream) stream, version, hash FROM checkpoint_heads "
    "WHERE {streams} AND checkpoint <= ? ORDER BY stream, checkpoint DESC",
)
"""psycopg sends a list as one array parameter; ``DISTINCT ON`` keeps each stream's newest."""


class _Stale(Exception):  # noqa: N818 - internal signal, never raised to callers
    """A row or timer was not at the version the write expected; the transaction rolls back."""


class PostgresStore(SQLReads):
    """A store in one PostgreSQL schema, shared by any number of processes and threads."""

    keeps_objects = False
    dialect = _DIALECT

    def __init__(self, url: str, *, migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
        address = parse_address(url)
        self.address: Address = address
        self.url = address.url
        self.schema = address.schema
        self._channel = channel(address.schema)
        try:
            with psycopg.connect(address.conninfo, autocommit=True) as conn:
                self.schema_version = migrate(conn, address.schema, self.url, migrations)
        except psycopg.Error as exc:
            raise StoreError(f"{self.url}: cannot open the PostgreSQL store: {exc}") from None
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            address.conninfo,
            min_size=address.pool_min,
            max_size=address.pool_max,
            kwargs={"autocommit": True},
            configure=self._configure,
            name=f"serviceflow:{address.schema}",
            open=True,
        )
        self._wakeup = Wakeup(address.conninfo, address.schema, self.url)
        self._local = threading.local()
        """``conn``: the connection a batch of this thread holds (``transaction``)."""

    def _configure(self, conn: Connection) -> None:
        """Every pooled connection works in the store's schema."""
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every write this thread makes until the block ends in one transaction, on one
        connection kept for the block: committed when it ends, rolled back if it raises.
        Each write inside is a savepoint; other connections see nothing until the commit."""
        if getattr(self._local, "conn", None) is not None:
            yield  # a block inside a block: one transaction
            return
        with self._connection("batch") as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def _connection(self, doing: str) -> Iterator[Connection]:
        """A pooled connection (the batch's, inside ``transaction``); the driver's own
        errors (server gone, timeouts) become ``StoreError`` naming the store and what was
        being done."""
        pinned: Connection | None = getattr(self._local, "conn", None)
        try:
            if pinned is not None:
                yield pinned
                return
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"{self.url}: {doing} failed: {exc}") from None

    @contextmanager
    def _connect(self, doing: str) -> Iterator[Fetch]:
        """A pooled connection for ``doing``."""
        with self._connection(doing) as conn:
            yield lambda statement, params: conn.execute(statement, params).fetchall()

    # --- writing ---------------------------------------------------------------------------

    def append(self, writes: Sequence[StreamWrite]) -> None:
        """All writes in one transaction; a stale version rolls everything back.

        The writes' statements go as one where they are few (``_joined``), with the new
        timers after them (they must see the old ones deleted) and any wake-up, all in one
        pipeline: the client waits for the server twice (the results, then COMMIT)."""
        if not writes:
            return
        new = [w.row for w in writes if w.expected == 0 and w.row is not None]
        if any(row.data is None for row in new):
            raise StoreError(f"{self.url}: a new case row needs its JSON document")
        parts = self._parts(writes)
        timers = [_timer_values(t) for w in writes for t in w.timers or ()]
        with self._connection("append") as conn:
            try:
                with conn.transaction():
                    with conn.pipeline():
                        alone = len({w.stream for w in writes}) == len(writes)
                        counted = [_send(conn, part) for part in _joined(parts, alone=alone)]
                        if timers:
                            conn.execute(*_insert(_TIMERS_INTO, _INSERT_TIMERS, timers))
                        if _brings_work(writes):
                            conn.execute("SELECT pg_notify(%s, '')", (self._channel,))
                    if any(cursor.fetchone() != counts for cursor, counts in counted):
                        raise _Stale
            except (pg_errors.UniqueViolation, _Stale):
                raise self._conflict(conn, writes) from None

    def _parts(self, writes: Sequence[StreamWrite]) -> list[_Part]:
        """Each data-changing statement of ``writes``, with the rows it must change where
        that says whether what it changes was still as read."""
        parts: list[_Part] = []
        events = [_event_values(e) for write in writes for e in write.events]
        if events:
            parts.append(_Part(*_insert(_EVENTS_INTO, _INSERT_EVENTS, events)))
        new = [w.row.columns() for w in writes if w.expected == 0 and w.row is not None]
        if new:
            parts.append(_Part(*_insert(_ROWS_INTO, _INSERT_ROWS, new)))
        moved = [
            (w.row.id, w.expected, w.row.version, w.row.head, w.row.updated_at)
            for w in writes
            if w.expected and w.row is not None and w.row.data is None
        ]
        if moved:
            parts.append(_Part(_MOVE_ROWS, _columns(moved, 5), len(moved)))
        for write in writes:
            if write.expected and write.row is not None and write.row.data is not None:
                statement, params = row_update(write, write.row)
                parts.append(_Part(self.dialect.sql(statement), list(params), 1))
        replaced = [w.stream for w in writes if w.timers is not None]
        if replaced:
            parts.append(
                _Part("DELETE FROM timers WHERE case_id = ANY(%b)", [replaced], timers=True)
            )
        fired = [(t.case_id, t.metric, t.cycle, t.kind, t.version) for w in writes for t in w.fired]
        if fired:
            parts.append(_Part(_FIRE_TIMERS, _columns(fired, 5), len(fired), timers=True))
        queued = [r.columns() for write in writes for r in write.outbox]
        if queued:
            parts.append(_Part(*_insert(_OUTBOX_INTO, _INSERT_OUTBOX, queued, row=_OUTBOX_ROW)))
        return parts

    def _conflict(self, conn: Connection, writes: Sequence[StreamWrite]) -> ServiceflowError:
        """After a rolled-back append: which stream moved on, which fired timer is gone, or
        which outbox key clashed; else the tables disagree with each other."""
        for write in writes:
            actual = self._version(conn, write.stream)
            if actual != write.expected:
                return ConcurrencyConflict(write.stream, write.expected, actual)
        for timer in (t for write in writes for t in write.fired):
            stored = conn.execute(
                "SELECT version FROM timers WHERE case_id = %s AND metric = %s AND cycle = %s "
                "AND kind = %s",
                (timer.case_id, timer.metric, timer.cycle, timer.kind),
            ).fetchone()
            if stored is None or stored[0] != timer.version:
                return ConcurrencyConflict(timer.case_id, timer.version)
        queued = [r for write in writes for r in write.outbox]
        clash = outbox_clash(self.url, queued, self._stored_keys(conn, [r.key for r in queued]))
        if clash is not None:
            return clash
        return StoreError(
            f"{self.url}: cannot append to {writes[0].stream!r}: the cases table disagrees "
            "with the events (run `serviceflow verify`)"
        )

    @staticmethod
    def _version(conn: Connection, stream: str) -> int:
        row = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE stream = %s", (stream,)
        ).fetchone()
        return int(row[0]) if row is not None else 0

    @staticmethod
    def _stored_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
        rows = conn.execute("SELECT key FROM outbox WHERE key = ANY(%s)", (list(keys),))
        return {str(row[0]) for row in rows.fetchall()}

    def append_next(
        self, stream: str, build: Callable[[int, str | None], Sequence[EventRecord]]
    ) -> None:
        """Read the stream's head and append ``build``'s records in one transaction, holding
        an advisory lock on the stream so concurrent writers of it take turns."""
        with self._connection("append") as conn:
            try:
                with conn.transaction():
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(%s)",
                        (lock_key(f"stream:{self.schema}:{stream}"),),
                    )
                    last = conn.execute(
                        "SELECT seq, hash FROM events WHERE stream = %s ORDER BY seq DESC LIMIT 1",
                        (stream,),
                    ).fetchone()
                    records = build(last[0], last[1]) if last is not None else build(0, None)
                    if records:
                        values = _columns((_event_values(e) for e in records), 7)
                        conn.execute(_INSERT_EVENTS, values)
            except pg_errors.UniqueViolation:
                seq = last[0] if last is not None else 0
                raise ConcurrencyConflict(stream, seq, self._version(conn, stream)) from None

    def update_outbox(self, records: Sequence[OutboxRecord]) -> None:
        """Rewrite the delivery columns of every message in one transaction, or none."""
        if not records:
            return
        values = [r.delivery_columns() for r in records]
        with self._connection("update outbox") as conn, conn.transaction():
            if conn.execute(_UPDATE_OUTBOX, _columns(values, 7)).rowcount != len(values):
                stored = self._stored_keys(conn, [r.key for r in records])
                missing = next(r.key for r in records if r.key not in stored)
                raise NotFound("outbox message", missing)

    def save_facts(self, records: Sequence[FactsRecord]) -> None:
        """One transaction: refuse an unknown case, then upsert every case's facts as one
        array unless a newer version is kept."""
        if not records:
            return
        latest: dict[str, FactsRecord] = {}
        for record in records:  # one row per case, as if the records were kept in turn
            kept = latest.get(record.case_id)
            if kept is None or kept.version <= record.version:
                latest[record.case_id] = record
        with self._connection("save facts") as conn, conn.transaction():
            missing = conn.execute(_MISSING_CASE, ([r.case_id for r in records],)).fetchone()
            if missing is not None:
                raise NotFound("case", missing[0])
            conn.execute(_UPSERT_FACTS, _columns(latest.values(), 4))

    def save_policy(self, version: str, document: str, at: str) -> None:
        """Keep a policy document (first writer wins)."""
        with self._connection("save policy") as conn:
            conn.execute(
                "INSERT INTO policies (version, document, stored_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (version) DO NOTHING",
                (version, document, at),
            )

    # --- timers and outbox -------------------------------------------------------------------

    def due_timers(self, now: str, limit: int) -> list[TimerRecord]:
        """Due timers from the ``timers_due`` index, leased or not (for inspection)."""
        with self._connection("read timers") as conn:
            rows = conn.execute(
                f"SELECT {TIMER_COLUMNS} FROM timers WHERE due_at <= %s "
                "ORDER BY due_at, case_id, metric, cycle, kind LIMIT %s",
                (now, max(limit, 0)),
            ).fetchall()
        return [TimerRecord(*row) for row in rows]

    def claim_timers(self, now: str, limit: int, until: str) -> list[TimerRecord]:
        """Lease up to ``limit`` due, unleased timers until ``until``, skipping rows another
        claimer holds locked, in one statement; earliest due first."""
        with self._connection("claim timers") as conn:
            rows = conn.execute(
                _CLAIM_TIMERS, {"now": now, "limit": max(limit, 0), "until": until}
            ).fetchall()
        return sorted(TimerRecord(*row) for row in rows)

    def claim_outbox(self, now: str, limit: int, until: str) -> list[OutboxRecord]:
        """Lease up to ``limit`` due pending messages by moving their ``due`` to ``until``,
        skipping rows another claimer holds locked; returned as stored, by former due."""
        with self._connection("claim outbox") as conn:
            rows = conn.execute(
                _CLAIM_OUTBOX, {"now": now, "limit": max(limit, 0), "until": until}
            ).fetchall()
        rows.sort(key=lambda row: (row[0], row[1]))
        return [OutboxRecord.from_columns(row[1:]) for row in rows]

    def wait_for_work(self, timeout: float) -> bool:
        """Block until a commit announces due work (LISTEN/NOTIFY) or ``timeout`` seconds
        pass; ``True`` if work may be waiting. The worker's idle wait."""
        return self._wakeup.wait(timeout)

    # --- reading -----------------------------------------------------------------------------

    def heads_since(self, position: int) -> tuple[list[HeadRecord], int]:
        """The events after ``position`` up to the last committed one: a range of the
        ``position`` primary key, the newest event per stream (``DISTINCT ON``).

        Identity values are taken at insert, not at commit, so a transaction that took a
        lower position may commit after one that took a higher. The last position is read
        under ``LOCK TABLE events IN EXCLUSIVE MODE``: it waits for every transaction that
        is inserting events (they hold ``ROW EXCLUSIVE`` until they end) and holds new ones
        back for the one ``MAX``; every position up to it is then committed or gone."""
        with self._connection("read heads") as conn:
            with conn.transaction():
                conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                row = conn.execute("SELECT MAX(position) FROM events").fetchone()
            last = row[0] if row is not None else None
            if last is None or last <= position:
                return [], position
            rows = conn.execute(
                "SELECT DISTINCT ON (stream) stream, seq, hash FROM events "
                "WHERE position > %s AND position <= %s ORDER BY stream, seq DESC",
                (position, last),
            ).fetchall()
        return [HeadRecord(stream, seq, digest) for stream, seq, digest in rows], int(last)

    def save_checkpoint(self, record: CheckpointRecord, heads: Sequence[HeadRecord]) -> None:
        """One transaction: the row if its seq comes next (the primary key settles a race),
        then its changed heads sent as arrays."""
        with self._connection("save checkpoint") as conn:
            try:
                with conn.transaction():
                    row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM checkpoints").fetchone()
                    newest = int(row[0]) if row is not None else 0
                    if record.seq != newest + 1:
                        raise ConcurrencyConflict("checkpoints", record.seq - 1, newest)
                    conn.execute(
                        "INSERT INTO checkpoints (seq, at, prev, position, streams, events, "
                        "root, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        attrs.astuple(record),
                    )
                    if heads:
                        conn.execute(
                            "INSERT INTO checkpoint_heads (stream, checkpoint, version, hash) "
                            "SELECT s, %s::int, v, h "
                            "FROM unnest(%b::text[], %b::int[], %b::text[]) AS u(s, v, h)",
                            (record.seq, *_columns(heads, 3)),
                        )
            except pg_errors.UniqueViolation:
                raise ConcurrencyConflict("checkpoints", record.seq - 1) from None

    def close(self) -> None:
        """Stop listening and close every pooled connection."""
        self._wakeup.close()
        self._pool.close()


def _brings_work(writes: Sequence[StreamWrite]) -> bool:
    """Does this commit queue a message or a timer already due when written (by the write's
    own clock, its last event's time)? Only then is an idle worker worth waking."""
    for write in writes:
        if any(r.due <= r.created for r in write.outbox):
            return True
        if write.timers and write.events:
            written = max(e.at for e in write.events)
            if any(t.due <= written for t in write.timers):
                return True
    return False


def _insert(
    into: str, many: str, rows: Sequence[Sequence[object]], *, row: str | None = None
) -> tuple[str, list[Any]]:
    """The insert of ``rows``: a few as plain parameters (``into`` then a ``row`` of marks
    each), more as binary arrays that ``unnest`` (``many``): an array costs more to send
    than the values of a row or two, and one statement serves any number."""
    if len(rows) > _FEW:
        return many, list(_columns(rows, len(rows[0])))
    marks = row or f"({', '.join(['%s'] * len(rows[0]))})"
    return into + ", ".join([marks] * len(rows)), [v for values in rows for v in values]


def _joined(parts: Sequence[_Part], *, alone: bool) -> list[_Statement]:
    """``parts`` as one statement when they are few, so the client prepares and sends one.

    Parts joined share one snapshot, so they stay apart when two delete timers or two
    writes are of one stream (``alone`` is false), and when there are more than ``_FEW``
    (a statement has at most 1,664 result columns and 65,535 parameters)."""
    deletes = sum(1 for part in parts if part.timers)
    if len(parts) > _FEW or deletes > 1 or not alone:
        return [_statement([part]) for part in parts]
    return [_statement(parts)] if parts else []


def _statement(parts: Sequence[_Part]) -> _Statement:
    """``WITH`` each part, then ``SELECT`` the row counts the checked ones must answer."""
    ctes, params, counts, expected = [], [], [], []
    for n, part in enumerate(parts):
        returning = "" if part.rows is None else " RETURNING 1"
        ctes.append(f"w{n} AS ({part.sql}{returning})")
        params += part.params
        if part.rows is not None:
            counts.append(f"(SELECT count(*) FROM w{n})")
            expected.append(part.rows)
    sql = f"WITH {', '.join(ctes)} SELECT {', '.join(counts) or '0'}"
    return sql, params, tuple(expected) or (0,)


def _send(conn: Connection, statement: _Statement) -> _Counted:
    """Send one statement; the row its result must be."""
    sql, params, expected = statement
    return conn.execute(sql, params), expected


def _columns(rows: Any, width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists, the shape ``unnest`` takes."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def _event_values(e: EventRecord) -> tuple[object, ...]:
    return (e.stream, e.seq, e.type, e.at, e.data, e.prev, e.hash)


def _timer_values(t: TimerRecord) -> tuple[object, ...]:
    return (t.due, t.case_id, t.metric, t.cycle, t.kind, t.version)
