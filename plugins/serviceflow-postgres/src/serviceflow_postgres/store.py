"""The PostgreSQL store (``postgresql://...``): many processes, one database.

Optimistic concurrency comes from the unique constraint on ``(stream, seq)``: a writer whose
expected version is stale collides with the event another writer already added, and gets a
``ConcurrencyConflict``. Due timers and outbox messages are claimed with
``UPDATE ... WHERE ... IN (SELECT ... FOR UPDATE SKIP LOCKED)``, so any number of workers
share them without waiting on each other. Batches are sent as arrays (``unnest``): a tick of
500 cases costs one statement per kind of row, not one per case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg_pool import ConnectionPool
from serviceflow.errors import ConcurrencyConflict, NotFound, ServiceflowError, StoreError
from serviceflow.store import (
    OUTBOX_STATUSES,
    CaseQuery,
    CaseRow,
    CheckpointRecord,
    EventRecord,
    FactsRecord,
    HeadRecord,
    OutboxRecord,
    StreamWrite,
    TimerRecord,
    outbox_clash,
    prefix_end,
)

from serviceflow_postgres.address import Address, parse_address
from serviceflow_postgres.migrations import MIGRATIONS, Migration, lock_key, migrate
from serviceflow_postgres.wakeup import Wakeup, channel

Connection = psycopg.Connection[tuple[Any, ...]]

_EVENT_COLUMNS = "stream, seq, type, at, data, prev, hash"
_INSERT_EVENTS = f"""
INSERT INTO events ({_EVENT_COLUMNS})
SELECT * FROM unnest(%s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::text[],
                     %s::text[])
"""
_ROW_COLUMNS = (
    "id, state, version, head, requester, channel, priority, category, assignee, "
    "submitted_at, updated_at, data"
)
_INSERT_ROWS = f"""
INSERT INTO cases ({_ROW_COLUMNS})
SELECT * FROM unnest(%s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[],
                     %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
"""
_MOVE_ROWS = """
UPDATE cases SET version = m.version, head = m.head, updated_at = m.updated_at
FROM unnest(%s::text[], %s::int[], %s::int[], %s::text[], %s::text[])
     AS m(id, expected, version, head, updated_at)
WHERE cases.id = m.id AND cases.version = m.expected
"""
_TIMER_COLUMNS = "due_at, case_id, metric, cycle, kind, version"
_INSERT_TIMERS = """
INSERT INTO timers (due_at, case_id, metric, cycle, kind, version)
SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::text[], %s::int[])
"""
_FIRE_TIMERS = """
DELETE FROM timers USING unnest(%s::text[], %s::text[], %s::int[], %s::text[], %s::int[])
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
RETURNING {_TIMER_COLUMNS}
"""
_OUTBOX_COLUMNS = (
    "key, case_id, created, due, payload, status, attempts, delivered_to, last_error, delivered_at"
)
_INSERT_OUTBOX = f"""
INSERT INTO outbox ({_OUTBOX_COLUMNS})
SELECT key, case_id, created, due, payload, status, attempts,
       ARRAY(SELECT jsonb_array_elements_text(delivered_to::jsonb)), last_error, delivered_at
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::int[],
            %s::text[], %s::text[], %s::text[])
     AS q(key, case_id, created, due, payload, status, attempts, delivered_to, last_error,
          delivered_at)
"""
_UPDATE_OUTBOX = """
UPDATE outbox SET status = u.status, attempts = u.attempts, due = u.due,
       delivered_to = ARRAY(SELECT jsonb_array_elements_text(u.delivered_to::jsonb)),
       last_error = u.last_error, delivered_at = u.delivered_at
FROM unnest(%s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::text[])
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
SELECT u.id FROM unnest(%s::text[]) WITH ORDINALITY AS u(id, n)
WHERE NOT EXISTS (SELECT 1 FROM cases WHERE cases.id = u.id)
ORDER BY u.n LIMIT 1
"""
_UPSERT_FACTS = """
INSERT INTO case_facts (case_id, version, key, data)
SELECT * FROM unnest(%s::text[], %s::int[], %s::text[], %s::text[])
ON CONFLICT (case_id) DO UPDATE
SET version = excluded.version, key = excluded.key, data = excluded.data
WHERE excluded.version >= case_facts.version
"""
_CASES = """
SELECT c.submitted_at, c.id, c.version, {facts} FROM cases c {joined}
WHERE (c.submitted_at, c.id) > (%(after_at)s, %(after_id)s)
  AND (%(before)s::text IS NULL OR c.submitted_at < %(before)s)
  AND (%(since)s::text IS NULL OR c.updated_at >= %(since)s OR c.state = ANY(%(states)s))
ORDER BY c.submitted_at, c.id LIMIT %(page)s
"""
_JOIN_FACTS = """
LEFT JOIN case_facts f ON f.case_id = c.id AND f.version = c.version AND f.key = %(key)s
     AND (%(before)s::text IS NULL OR c.updated_at < %(before)s)
"""
_INDEXED = ("state", "priority", "category", "assignee")
_PAGE = 500


class _Stale(Exception):  # noqa: N818 - internal signal, never raised to callers
    """A row or timer was not at the version the write expected; the transaction rolls back."""


class PostgresStore:
    """A store in one PostgreSQL schema, shared by any number of processes and threads."""

    keeps_objects = False

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

    def _configure(self, conn: Connection) -> None:
        """Every pooled connection works in the store's schema."""
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))

    @contextmanager
    def _connection(self, doing: str) -> Iterator[Connection]:
        """A pooled connection; the driver's own errors (server gone, timeouts) become
        ``StoreError`` naming the store and what was being done."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"{self.url}: {doing} failed: {exc}") from None

    # --- writing ---------------------------------------------------------------------------

    def append(self, writes: Sequence[StreamWrite]) -> None:
        """All writes in one transaction; a stale version rolls everything back."""
        if not writes:
            return
        new = [w.row for w in writes if w.expected == 0 and w.row is not None]
        if any(row.data is None for row in new):
            raise StoreError(f"{self.url}: a new case row needs its JSON document")
        with self._connection("append") as conn:
            try:
                with conn.transaction():
                    self._write(conn, writes)
            except (pg_errors.UniqueViolation, _Stale):
                raise self._conflict(conn, writes) from None

    def _write(self, conn: Connection, writes: Sequence[StreamWrite]) -> None:
        events = [e for write in writes for e in write.events]
        if events:
            conn.execute(_INSERT_EVENTS, _columns((_event_values(e) for e in events), 7))
        self._write_rows(conn, writes)
        replaced = [w for w in writes if w.timers is not None]
        if replaced:
            conn.execute(
                "DELETE FROM timers WHERE case_id = ANY(%s)", ([w.stream for w in replaced],)
            )
            timers = [t for w in replaced for t in w.timers or ()]
            if timers:
                conn.execute(_INSERT_TIMERS, _columns((_timer_values(t) for t in timers), 6))
        fired = [t for write in writes for t in write.fired]
        if fired:
            values = [(t.case_id, t.metric, t.cycle, t.kind, t.version) for t in fired]
            if conn.execute(_FIRE_TIMERS, _columns(values, 5)).rowcount != len(fired):
                raise _Stale
        queued = [r for write in writes for r in write.outbox]
        if queued:
            conn.execute(_INSERT_OUTBOX, _columns((r.columns() for r in queued), 10))
        if _brings_work(writes):
            conn.execute("SELECT pg_notify(%s, '')", (self._channel,))

    def _write_rows(self, conn: Connection, writes: Sequence[StreamWrite]) -> None:
        """Insert new rows; update the others where they are still at the expected version."""
        new = [w.row for w in writes if w.expected == 0 and w.row is not None]
        if new:
            conn.execute(_INSERT_ROWS, _columns((row.columns() for row in new), 12))
        moved = [
            (w.row.id, w.expected, w.row.version, w.row.head, w.row.updated_at)
            for w in writes
            if w.expected and w.row is not None and w.row.data is None
        ]
        if moved and conn.execute(_MOVE_ROWS, _columns(moved, 5)).rowcount != len(moved):
            raise _Stale
        for write in writes:
            if write.expected and write.row is not None and write.row.data is not None:
                self._update_row(conn, write, write.row)

    def _update_row(self, conn: Connection, write: StreamWrite, row: CaseRow) -> None:
        """Update a row with its new document, and only the indexed columns that changed."""
        changed = [c for c in _INDEXED if c in write.changed]
        sets = sql.SQL("").join(
            sql.SQL(", {} = %s").format(sql.Identifier(column)) for column in changed
        )
        statement = sql.SQL(
            "UPDATE cases SET version = %s, head = %s, updated_at = %s, data = %s{} "
            "WHERE id = %s AND version = %s"
        ).format(sets)
        params = (
            row.version,
            row.head,
            row.updated_at,
            row.data,
            *(getattr(row, c) for c in changed),
            row.id,
            write.expected,
        )
        if conn.execute(statement, params).rowcount != 1:
            raise _Stale

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

    def case_timers(self, case_ids: Sequence[str]) -> dict[str, list[TimerRecord]]:
        """The timers of each case, from the primary key (case id first), 500 ids a query."""
        found: dict[str, list[TimerRecord]] = {}
        for start in range(0, len(case_ids), _PAGE):
            page = list(case_ids[start : start + _PAGE])
            with self._connection("read timers") as conn:
                rows = conn.execute(
                    f"SELECT {_TIMER_COLUMNS} FROM timers WHERE case_id = ANY(%s) "
                    "ORDER BY due_at, case_id, metric, cycle, kind",
                    (page,),
                ).fetchall()
            for row in rows:
                found.setdefault(row[1], []).append(TimerRecord(*row))
        return found

    def due_timers(self, now: str, limit: int) -> list[TimerRecord]:
        """Due timers from the ``timers_due`` index, leased or not (for inspection)."""
        with self._connection("read timers") as conn:
            rows = conn.execute(
                f"SELECT {_TIMER_COLUMNS} FROM timers WHERE due_at <= %s "
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

    def due_outbox(self, now: str, limit: int) -> list[OutboxRecord]:
        """Pending messages due by ``now`` from the ``(status, due, key)`` index."""
        with self._connection("read outbox") as conn:
            rows = conn.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE status = 'pending' AND due <= %s "
                "ORDER BY due, key LIMIT %s",
                (now, max(limit, 0)),
            ).fetchall()
        return [OutboxRecord.from_columns(row) for row in rows]

    def claim_outbox(self, now: str, limit: int, until: str) -> list[OutboxRecord]:
        """Lease up to ``limit`` due pending messages by moving their ``due`` to ``until``,
        skipping rows another claimer holds locked; returned as stored, by former due."""
        with self._connection("claim outbox") as conn:
            rows = conn.execute(
                _CLAIM_OUTBOX, {"now": now, "limit": max(limit, 0), "until": until}
            ).fetchall()
        rows.sort(key=lambda row: (row[0], row[1]))
        return [OutboxRecord.from_columns(row[1:]) for row in rows]

    def outbox(self, status: str | None = None, limit: int | None = None) -> list[OutboxRecord]:
        """Messages of ``status`` (or all) by creation time, then key."""
        bound = None if limit is None else max(limit, 0)
        with self._connection("read outbox") as conn:
            rows = conn.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox "
                "WHERE (%(status)s::text IS NULL OR status = %(status)s) "
                "ORDER BY created, key LIMIT %(limit)s",
                {"status": status, "limit": bound},
            ).fetchall()
        return [OutboxRecord.from_columns(row) for row in rows]

    def outbox_counts(self) -> dict[str, int]:
        """Messages per status, counted on the ``(status, due, key)`` index."""
        with self._connection("count outbox") as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        return dict.fromkeys(OUTBOX_STATUSES, 0) | {str(s): int(n) for s, n in rows}

    def wait_for_work(self, timeout: float) -> bool:
        """Block until a commit announces due work (LISTEN/NOTIFY) or ``timeout`` seconds
        pass; ``True`` if work may be waiting. The worker's idle wait."""
        return self._wakeup.wait(timeout)

    # --- reading -----------------------------------------------------------------------------

    def read(self, stream: str) -> list[EventRecord]:
        """The stream's events in order."""
        with self._connection("read") as conn:
            rows = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE stream = %s ORDER BY seq", (stream,)
            ).fetchall()
        return [EventRecord(*row) for row in rows]

    def load(self, stream: str) -> CaseRow | None:
        """The case's row, or ``None``."""
        with self._connection("load") as conn:
            row = conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM cases WHERE id = %s", (stream,)
            ).fetchone()
        return CaseRow(*row) if row is not None else None

    def last(self, stream: str) -> EventRecord | None:
        """The stream's last event, from the ``(stream, seq)`` index."""
        with self._connection("read") as conn:
            row = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE stream = %s ORDER BY seq DESC LIMIT 1",
                (stream,),
            ).fetchone()
        return EventRecord(*row) if row is not None else None

    def load_many(self, streams: Sequence[str]) -> dict[str, CaseRow]:
        """The rows among ``streams``, a page of ids per query."""
        found: dict[str, CaseRow] = {}
        for start in range(0, len(streams), _PAGE):
            page = list(streams[start : start + _PAGE])
            with self._connection("load") as conn:
                rows = conn.execute(
                    f"SELECT {_ROW_COLUMNS} FROM cases WHERE id = ANY(%s)", (page,)
                ).fetchall()
            for row in rows:
                found[row[0]] = CaseRow(*row)
        return found

    def query(self, query: CaseQuery) -> Iterator[CaseRow]:
        """Matching rows by submission time, fetched a page at a time (bounded memory)."""
        where, params = _where(query)
        statement = sql.SQL(
            "SELECT {} FROM cases WHERE {} AND (submitted_at, id) > (%s, %s) "
            "ORDER BY submitted_at, id LIMIT %s"
        ).format(sql.SQL(_ROW_COLUMNS), where)
        remaining = query.limit
        after: tuple[str, str] = ("", "")
        while remaining is None or remaining > 0:
            page = _PAGE if remaining is None else min(_PAGE, remaining)
            with self._connection("query") as conn:
                rows = conn.execute(statement, (*params, *after, page)).fetchall()
            for row in rows:
                yield CaseRow(*row)
            if len(rows) < page:
                return
            after = (rows[-1][9], rows[-1][0])
            if remaining is not None:
                remaining -= len(rows)

    def count(self, query: CaseQuery) -> int:
        """Number of matching rows."""
        where, params = _where(query)
        statement = sql.SQL("SELECT COUNT(*) FROM cases WHERE {}").format(where)
        with self._connection("count") as conn:
            row = conn.execute(statement, params).fetchone()
        return int(row[0]) if row is not None else 0

    def workload(self, states: Sequence[str]) -> dict[tuple[str, str], int]:
        """Assigned cases in ``states`` per (assignee, channel), from the state index."""
        with self._connection("workload") as conn:
            rows = conn.execute(
                "SELECT assignee, channel, COUNT(*) FROM cases WHERE state = ANY(%s) "
                "AND assignee IS NOT NULL GROUP BY assignee, channel",
                (list(states),),
            ).fetchall()
        return {(assignee, channel): int(count) for assignee, channel, count in rows}

    def histories(
        self,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord]]:
        """Pages of matching case ids by submission time, then their events in one query."""
        for item in self._cases(None, submitted_before, updated_since, or_states):
            assert isinstance(item, list)
            yield item

    def histories_or_facts(
        self,
        key: str,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord] | FactsRecord]:
        """Like ``histories``, joining each page to the kept facts; events only for the rest."""
        return self._cases(key, submitted_before, updated_since, or_states)

    def _cases(
        self,
        key: str | None,
        submitted_before: str | None,
        updated_since: str | None,
        or_states: Sequence[str],
    ) -> Iterator[list[EventRecord] | FactsRecord]:
        """Pages of matching cases by submission time, each with its facts when ``key`` is
        given and they are fresh, then the events of the others in one query."""
        if key is None:
            facts, joined = sql.SQL("NULL::text"), sql.SQL("")
        else:
            facts, joined = sql.SQL("f.data"), sql.SQL(_JOIN_FACTS)
        statement = sql.SQL(_CASES).format(facts=facts, joined=joined)
        params: dict[str, object] = {
            "key": key,
            "before": submitted_before,
            "since": updated_since,
            "states": list(or_states),
            "page": _PAGE,
        }
        after = ("", "")
        while True:
            with self._connection("read histories") as conn:
                page = conn.execute(
                    statement, {**params, "after_at": after[0], "after_id": after[1]}
                ).fetchall()
                ids = [row[1] for row in page if row[3] is None]
                rows = (
                    conn.execute(
                        f"SELECT {_EVENT_COLUMNS} FROM events WHERE stream = ANY(%s) "
                        "ORDER BY stream, seq",
                        (ids,),
                    ).fetchall()
                    if ids
                    else []
                )
            by_stream: dict[str, list[EventRecord]] = {case_id: [] for case_id in ids}
            for row in rows:
                by_stream[row[0]].append(EventRecord(*row))
            for _, case_id, version, data in page:
                if data is None:
                    yield by_stream[case_id]
                else:
                    assert key is not None
                    yield FactsRecord(case_id, version, key, data)
            if len(page) < _PAGE:
                return
            after = (page[-1][0], page[-1][1])

    def streams(self, prefix: str = "") -> Iterator[str]:
        """Every stream that has events (even one whose row was lost), by id, paged; a
        prefix reads only its range of the ``(stream, seq)`` index, from a single lower bound."""
        below, bound = prefix_end(prefix), prefix
        query = "SELECT DISTINCT stream FROM events WHERE stream >= %s AND stream < %s "
        while True:
            with self._connection("list streams") as conn:
                rows = conn.execute(
                    query + "ORDER BY stream LIMIT %s", (bound, below, _PAGE)
                ).fetchall()
            for (stream,) in rows:
                yield str(stream)
            if len(rows) < _PAGE:
                return
            query = "SELECT DISTINCT stream FROM events WHERE stream > %s AND stream < %s "
            bound = rows[-1][0]

    def heads(self) -> Iterator[HeadRecord]:
        """Each stream's last seq and hash, a page of streams per query: the ``(stream, seq)``
        index gives the last seq per stream, then one index lookup each for its hash."""
        rows = self._keyset(
            "read heads",
            "SELECT h.stream, h.seq, e.hash FROM (SELECT stream, MAX(seq) AS seq "
            "FROM events WHERE stream > %s GROUP BY stream ORDER BY stream LIMIT %s) h "
            "JOIN events e ON e.stream = h.stream AND e.seq = h.seq ORDER BY h.stream",
            lambda after: (after, _PAGE),
        )
        return (HeadRecord(*row) for row in rows)

    def _keyset(
        self, what: str, sql: str, params: Callable[[Any], Sequence[Any]], start: Any = ""
    ) -> Iterator[Any]:
        """The rows of ``sql`` a page at a time, each page after the first column of the
        last row of the one before (``params(after)`` binds it)."""
        after = start
        while True:
            with self._connection(what) as conn:
                rows = conn.execute(sql, params(after)).fetchall()
            yield from rows
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

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
                            "FROM unnest(%s::text[], %s::int[], %s::text[]) AS u(s, v, h)",
                            (record.seq, *_columns(heads, 3)),
                        )
            except pg_errors.UniqueViolation:
                raise ConcurrencyConflict("checkpoints", record.seq - 1) from None

    def checkpoints(self) -> Iterator[CheckpointRecord]:
        """The checkpoints by seq, a page at a time."""
        rows = self._keyset(
            "read checkpoints",
            "SELECT seq, at, prev, position, streams, events, root, hash FROM checkpoints "
            "WHERE seq > %s ORDER BY seq LIMIT %s",
            lambda after: (after, _PAGE),
            start=0,
        )
        return (CheckpointRecord(*row) for row in rows)

    def last_checkpoint(self) -> CheckpointRecord | None:
        """The checkpoint with the highest seq."""
        with self._connection("read checkpoints") as conn:
            row = conn.execute(
                "SELECT seq, at, prev, position, streams, events, root, hash FROM checkpoints "
                "ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return CheckpointRecord(*row) if row is not None else None

    def checkpoint_heads(
        self, seq: int, streams: Sequence[str] | None = None
    ) -> Iterator[HeadRecord]:
        """Each stream's newest head recorded at or before ``seq`` (``DISTINCT ON`` over the
        primary key), a page at a time; ``streams``: 500 of them a query, by key."""
        if streams is not None:
            wanted = sorted(set(streams))
            for start in range(0, len(wanted), _PAGE):
                with self._connection("read checkpoint heads") as conn:
                    rows = conn.execute(
                        "SELECT DISTINCT ON (stream) stream, version, hash FROM checkpoint_heads "
                        "WHERE stream = ANY(%s) AND checkpoint <= %s "
                        "ORDER BY stream, checkpoint DESC",
                        (wanted[start : start + _PAGE], seq),
                    ).fetchall()
                for stream, version, digest in rows:
                    yield HeadRecord(stream, version, digest)
            return
        paged = self._keyset(
            "read checkpoint heads",
            "SELECT DISTINCT ON (stream) stream, version, hash FROM checkpoint_heads "
            "WHERE stream > %s AND checkpoint <= %s ORDER BY stream, checkpoint DESC LIMIT %s",
            lambda after: (after, seq, _PAGE),
        )
        yield from (HeadRecord(*row) for row in paged)

    def checkpoint_delta(self, seq: int) -> Iterator[HeadRecord]:
        """The heads stored with checkpoint ``seq``, paged along ``(checkpoint, stream)``."""
        rows = self._keyset(
            "read checkpoint heads",
            "SELECT stream, version, hash FROM checkpoint_heads "
            "WHERE checkpoint = %s AND stream > %s ORDER BY stream LIMIT %s",
            lambda after: (seq, after, _PAGE),
        )
        return (HeadRecord(*row) for row in rows)

    def load_policy(self, version: str) -> str | None:
        """A stored policy document."""
        with self._connection("load policy") as conn:
            row = conn.execute(
                "SELECT document FROM policies WHERE version = %s", (version,)
            ).fetchone()
        return None if row is None else str(row[0])

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


def _where(q: CaseQuery) -> tuple[sql.Composable, tuple[object, ...]]:
    clauses: list[sql.Composable] = []
    params: list[object] = []
    if q.states is not None:
        clauses.append(sql.SQL("state = ANY(%s)"))
        params.append(list(q.states))
    for column in ("priority", "category", "assignee", "requester", "channel"):
        value = getattr(q, column)
        if value is not None:
            clauses.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    if not clauses:
        return sql.SQL("TRUE"), ()
    return sql.SQL(" AND ").join(clauses), tuple(params)
