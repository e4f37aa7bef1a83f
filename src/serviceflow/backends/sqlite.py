"""The embedded SQLite store (``sqlite:///path.db``): WAL, one transaction per command.

Optimistic concurrency comes from the primary key ``(stream, seq)``: a writer whose
expected version is stale collides with the row another writer already added. The
projection table has indexed columns for the desk's queries. ``synchronous`` is FULL by
default, so a command that returned survives a power cut, not only a killed process;
``?synchronous=normal`` trades that for speed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import attrs
import pluggy

from serviceflow.backends._sqlite_schema import (
    DIALECT,
    INSERT_EVENT,
    INSERT_OUTBOX,
    INSERT_ROW,
    MIGRATIONS,
    SCHEMA_VERSION,
    UPDATE_OUTBOX,
    UPSERT_FACTS,
)
from serviceflow.backends._sqlite_url import parse_url
from serviceflow.backends.sql import (
    DUE_OUTBOX,
    PAGE,
    Fetch,
    SQLReads,
    row_update,
)
from serviceflow.errors import ConcurrencyConflict, NotFound, ServiceflowError, StoreError
from serviceflow.eventlog._store import (
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
)

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "open_store", "parse_url"]

hookimpl = pluggy.HookimplMarker("serviceflow")

_SYNC_MODES = {"off": "OFF", "normal": "NORMAL", "full": "FULL", "extra": "EXTRA"}


class SQLiteStore(SQLReads):
    """A store in one SQLite file; safe to share between threads and processes."""

    keeps_objects = False
    dialect = DIALECT

    def __init__(self, path: str, *, synchronous: str = "full", url: str | None = None) -> None:
        self.url = url or f"sqlite:///{path}"
        self.path = path
        mode = _SYNC_MODES.get(synchronous.lower())
        if mode is None:
            raise StoreError(
                f"{self.url}: synchronous={synchronous!r} is not one of {', '.join(_SYNC_MODES)}"
            )
        self.synchronous = mode
        if path != ":memory:":
            parent = Path(path).parent
            if not parent.is_dir():
                raise StoreError(f"{self.url}: folder {parent} does not exist")
        self._lock = threading.RLock()
        self._batching = False
        """Inside ``transaction`` (read only by the thread holding the lock)."""
        self._doomed: str | None = None
        """Why the batch in progress must roll back: a write in it failed half done."""
        self._light: sqlite3.Connection | None = None
        """The connection for bookkeeping writes, opened when first needed."""
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._setup()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.url}: cannot open as a serviceflow store: {exc}") from None

    def _setup(self) -> None:
        db = self._db
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {self.synchronous}")
        if self._schema_version() == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = self._schema_version()  # again: another process may have just migrated
            for target, migrate in MIGRATIONS:
                if version < target:
                    migrate(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _bookkeeping(self) -> sqlite3.Connection:
        """The connection for writes whose loss to a power cut costs only a repeat (a
        delivery outcome: the message goes out again, which at-least-once allows). It
        commits without waiting for the disk (``synchronous = NORMAL``, consistent in WAL
        mode); the next full commit syncs its pages too. The main connection where that
        saves nothing, or where another connection would open another database."""
        if self.synchronous not in ("FULL", "EXTRA") or self.path in (":memory:", ""):
            return self._db
        if self._light is None:
            light = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            light.execute("PRAGMA busy_timeout = 30000")
            light.execute("PRAGMA synchronous = NORMAL")
            self._light = light
        return self._light

    def _schema_version(self) -> int:
        """The file's schema version; one newer than this code is a ``StoreError``."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.url}: schema version {version} is newer than this serviceflow "
                f"understands ({SCHEMA_VERSION}); upgrade serviceflow"
            )
        return version

    def append(self, writes: Sequence[StreamWrite]) -> None:
        """All writes in one ``BEGIN IMMEDIATE`` transaction; a stale version rolls back.

        Statements of the same shape go to SQLite together (``executemany``), so a batch of
        a tick's writes costs one call per kind of statement, not one per case.
        """
        events = [
            (e.stream, e.seq, e.type, e.at, e.data, e.prev, e.hash)
            for write in writes
            for e in write.events
        ]
        fired = [t for write in writes for t in write.fired]
        queued = [r.columns() for write in writes for r in write.outbox]
        with self._lock, self._errors("append"):
            try:
                with self._writing(alone=len(writes) == 1 and not fired) as db:
                    if len(events) == 1:
                        db.execute(INSERT_EVENT, events[0])
                    else:
                        db.executemany(INSERT_EVENT, events)
                    self._write_rows(writes)
                    for write in writes:
                        if write.timers is not None:
                            self._write_timers(write.stream, write.timers)
                    if fired and not self._fire_timers(fired):
                        raise _StaleTimers
                    if queued:
                        db.executemany(INSERT_OUTBOX, queued)
            except _StaleTimers:
                raise self._stale_timer(fired) from None
            except sqlite3.IntegrityError as exc:
                raise self._conflict(writes, exc) from None

    def append_next(
        self, stream: str, build: Callable[[int, str | None], Sequence[EventRecord]]
    ) -> None:
        """Read the stream's head and append ``build``'s records in one write transaction."""
        with self._lock, self._errors("append"), self._writing() as db:
            last = db.execute(
                "SELECT seq, hash FROM events WHERE stream = ? ORDER BY seq DESC LIMIT 1",
                (stream,),
            ).fetchone()
            records = build(last[0], last[1]) if last is not None else build(0, None)
            db.executemany(
                INSERT_EVENT,
                [(e.stream, e.seq, e.type, e.at, e.data, e.prev, e.hash) for e in records],
            )

    def _write_rows(self, writes: Sequence[StreamWrite]) -> None:
        """Insert new rows; update the others where they are still at the expected version."""
        db = self._db
        new = [w.row for w in writes if w.expected == 0 and w.row is not None]
        if any(row.data is None for row in new):
            raise StoreError(f"{self.url}: a new case row needs its JSON document")
        if new:
            db.executemany(INSERT_ROW, [row.columns() for row in new])
        moved = [
            (w.row.version, w.row.head, w.row.updated_at, w.row.id, w.expected)
            for w in writes
            if w.expected and w.row is not None and w.row.data is None
        ]
        if moved:
            cursor = db.executemany(
                "UPDATE cases SET version = ?, head = ?, updated_at = ? "
                "WHERE id = ? AND version = ?",
                moved,
            )
            if cursor.rowcount != len(moved):
                raise sqlite3.IntegrityError("a case row is not at its expected version")
        for write in writes:
            if write.expected and write.row is not None and write.row.data is not None:
                self._update_row(write, write.row)

    def _update_row(self, write: StreamWrite, row: CaseRow) -> None:
        """Update a row with its new document, and only the indexed columns that changed."""
        cursor = self._db.execute(*row_update(write, row))
        if cursor.rowcount != 1:
            raise sqlite3.IntegrityError(f"case {row.id} is not at version {write.expected}")

    def _write_timers(self, case_id: str, timers: Sequence[TimerRecord]) -> None:
        self._db.execute("DELETE FROM timers WHERE case_id = ?", (case_id,))
        if timers:
            self._db.executemany(
                "INSERT INTO timers (case_id, metric, cycle, kind, due_at, version) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(t.case_id, t.metric, t.cycle, t.kind, t.due, t.version) for t in timers],
            )

    def _fire_timers(self, fired: Sequence[TimerRecord]) -> bool:
        """Remove fired timers; ``False`` if one is no longer stored as read (its case moved on)."""
        cursor = self._db.executemany(
            "DELETE FROM timers WHERE case_id = ? AND metric = ? AND cycle = ? AND kind = ? "
            "AND version = ?",
            [(t.case_id, t.metric, t.cycle, t.kind, t.version) for t in fired],
        )
        return cursor.rowcount == len(fired)

    def _stale_timer(self, fired: Sequence[TimerRecord]) -> ConcurrencyConflict:
        """The conflict naming a case whose fired timer is gone or was replaced."""
        for timer in fired:
            stored = self._db.execute(
                "SELECT version FROM timers WHERE case_id = ? AND metric = ? AND cycle = ? "
                "AND kind = ?",
                (timer.case_id, timer.metric, timer.cycle, timer.kind),
            ).fetchone()
            if stored is None or stored[0] != timer.version:
                return ConcurrencyConflict(timer.case_id, timer.version)
        return ConcurrencyConflict(fired[0].case_id, fired[0].version)

    def due_timers(self, now: str, limit: int) -> list[TimerRecord]:
        """Due timers from the ``due_at`` index: cost grows with what is due, not with all."""
        with self._lock, self._errors("read timers"):
            rows = self._db.execute(
                "SELECT due_at, case_id, metric, cycle, kind, version FROM timers "
                "WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [TimerRecord(*row) for row in rows]

    def claim_timers(self, now: str, limit: int, until: str) -> list[TimerRecord]:
        """Read the due, unleased timers and lease them in one write transaction, so a
        concurrent claim (another thread or process) waits and then sees the leases."""
        with self._lock, self._errors("claim timers"), self._writing() as db:
            rows = db.execute(
                "SELECT due_at, case_id, metric, cycle, kind, version FROM timers "
                "WHERE due_at <= ? AND (leased_until IS NULL OR leased_until <= ?) "
                "ORDER BY due_at, case_id, metric, cycle, kind LIMIT ?",
                (now, now, max(limit, 0)),
            ).fetchall()
            db.executemany(
                "UPDATE timers SET leased_until = ? "
                "WHERE case_id = ? AND metric = ? AND cycle = ? AND kind = ?",
                [(until, *row[1:5]) for row in rows],
            )
        return [TimerRecord(*row) for row in rows]

    def _conflict(
        self, writes: Sequence[StreamWrite], exc: sqlite3.IntegrityError
    ) -> ServiceflowError:
        """A stream moved on (a conflict), or the file disagrees with itself (a store error)."""
        for write in writes:
            actual = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE stream = ?", (write.stream,)
            ).fetchone()[0]
            if actual != write.expected:
                return ConcurrencyConflict(write.stream, write.expected, actual)
        queued = [r for write in writes for r in write.outbox]
        clash = outbox_clash(
            self.url, queued, self._present("outbox", "key", [r.key for r in queued])
        )
        if clash is not None:
            return clash
        return StoreError(
            f"{self.url}: cannot append to {writes[0].stream!r}: {exc} "
            "(the cases table disagrees with the events; run `serviceflow verify`)"
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every write until the block ends in one transaction: committed when it ends,
        rolled back if it raises. The block holds the store's lock and the file's write
        lock meanwhile (other writers wait), so keep it short."""
        with self._lock, self._errors("batch"):
            if self._batching:
                yield  # a block inside a block: one transaction
                return
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            self._batching, self._doomed = True, None
            try:
                yield
                if self._doomed is not None:
                    raise StoreError(f"{self.url}: the batch is rolled back: {self._doomed}")
            except BaseException:
                self._batching = False
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            self._batching = False
            try:
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @contextmanager
    def _writing(
        self, *, alone: bool = False, bookkeeping: bool = False
    ) -> Iterator[sqlite3.Connection]:
        """One write's transaction (``BEGIN IMMEDIATE`` … ``COMMIT``); inside a batch, a
        savepoint, so a write that fails undoes itself alone and the batch goes on.

        ``alone``: a write whose expected failure (a stream moved on) comes from its first
        statement, before it changed anything, needs no savepoint in a batch. If it fails
        after changing rows (the file disagrees with itself), the whole batch rolls back.
        ``bookkeeping``: outside a batch, on the connection that does not wait for the disk."""
        db, nested = self._db, self._batching
        if bookkeeping and not nested:
            db = self._bookkeeping()
        if nested and alone:
            changes = db.total_changes
            try:
                yield db
            except Exception as exc:
                if db.total_changes == changes:
                    raise
                self._doomed = self._doomed or f"a write failed half done ({exc})"
                raise StoreError(f"{self.url}: {self._doomed}; the batch rolls back") from None
            return
        db.execute("SAVEPOINT write" if nested else "BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if nested:
                db.execute("ROLLBACK TO write")
                db.execute("RELEASE write")
            elif db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("RELEASE write" if nested else "COMMIT")

    @contextmanager
    def _connect(self, doing: str) -> Iterator[Fetch]:
        """The connection, under the store's lock, for ``doing``."""
        with self._lock, self._errors(doing):
            yield lambda statement, params: self._db.execute(statement, params).fetchall()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn sqlite3's own errors (locked, closed, disk full, corrupt) into StoreError."""
        try:
            yield
        except sqlite3.Error as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            raise StoreError(f"{self.url}: {doing} failed: {exc}") from None

    def _present(self, table: str, column: str, values: Sequence[str]) -> set[str]:
        """Which of ``values`` ``table`` holds in its key ``column``, 500 values a query."""
        found: set[str] = set()
        for start in range(0, len(values), PAGE):
            page = tuple(values[start : start + PAGE])
            marks = ", ".join("?" * len(page))
            rows = self._db.execute(
                f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", page
            ).fetchall()
            found.update(row[0] for row in rows)
        return found

    def claim_outbox(self, now: str, limit: int, until: str) -> list[OutboxRecord]:
        """Read the due pending messages and move their ``due`` to ``until`` in one write
        transaction; they are returned as now stored."""
        with self._lock, self._errors("claim outbox"), self._writing() as db:
            rows = db.execute(DUE_OUTBOX, (now, max(limit, 0))).fetchall()
            db.executemany(
                "UPDATE outbox SET due = ? WHERE key = ?", [(until, row[0]) for row in rows]
            )
        return [attrs.evolve(OutboxRecord.from_columns(row), due=until) for row in rows]

    def update_outbox(self, records: Sequence[OutboxRecord]) -> None:
        """Rewrite the delivery columns of every message in one transaction, or none."""
        if not records:
            return
        values = [r.delivery_columns() for r in records]
        with self._lock, self._errors("update outbox"), self._writing(bookkeeping=True) as db:
            cursor = db.executemany(UPDATE_OUTBOX, values)
            if cursor.rowcount != len(values):
                stored = self._present("outbox", "key", [r.key for r in records])
                missing = next(r.key for r in records if r.key not in stored)
                raise NotFound("outbox message", missing)

    def save_facts(self, records: Sequence[FactsRecord]) -> None:
        """One transaction: refuse unknown cases, then upsert unless a newer version is kept."""
        if not records:
            return
        with self._lock, self._errors("save facts"), self._writing() as db:
            known = self._present("cases", "id", sorted({r.case_id for r in records}))
            missing = next((r.case_id for r in records if r.case_id not in known), None)
            if missing is not None:
                raise NotFound("case", missing)
            db.executemany(UPSERT_FACTS, records)

    def heads_since(self, position: int) -> tuple[list[HeadRecord], int]:
        """The last position, then the events after ``position`` up to it: a range of the
        rowid (``NOT INDEXED``: never a walk of the ``(stream, seq)`` index for the
        grouping), the last seq per stream, and one lookup each for its hash. Rowids grow
        in commit order: writers take turns."""
        with self._lock, self._errors("read heads"):
            db = self._db
            last = db.execute("SELECT MAX(position) FROM events").fetchone()[0]
            if last is None or last <= position:
                return [], position
            rows = db.execute(
                "SELECT h.stream, h.seq, e.hash FROM (SELECT stream, MAX(seq) AS seq "
                "FROM events NOT INDEXED WHERE position > ? AND position <= ? GROUP BY stream) h "
                "JOIN events e ON e.stream = h.stream AND e.seq = h.seq ORDER BY h.stream",
                (position, last),
            ).fetchall()
        return [HeadRecord(stream, seq, digest) for stream, seq, digest in rows], int(last)

    def save_checkpoint(self, record: CheckpointRecord, heads: Sequence[HeadRecord]) -> None:
        """One write transaction: the row if its seq comes next, then its changed heads."""
        with self._lock, self._errors("save checkpoint"):
            try:
                with self._writing() as db:
                    newest = int(
                        db.execute("SELECT COALESCE(MAX(seq), 0) FROM checkpoints").fetchone()[0]
                    )
                    if record.seq != newest + 1:
                        raise ConcurrencyConflict("checkpoints", record.seq - 1, newest)
                    db.execute(
                        "INSERT INTO checkpoints (seq, at, prev, position, streams, events, "
                        "root, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        attrs.astuple(record),
                    )
                    db.executemany(
                        "INSERT INTO checkpoint_heads (stream, checkpoint, version, hash) "
                        "VALUES (?, ?, ?, ?)",
                        [(h.stream, record.seq, h.version, h.hash) for h in heads],
                    )
            except sqlite3.IntegrityError as exc:
                raise StoreError(
                    f"{self.url}: cannot save checkpoint {record.seq}: {exc}"
                ) from None

    def save_policy(self, version: str, document: str, at: str) -> None:
        """Keep a policy document (first writer wins)."""
        with self._lock, self._errors("save policy"):
            self._db.execute(
                "INSERT OR IGNORE INTO policies (version, document, stored_at) VALUES (?, ?, ?)",
                (version, document, at),
            )

    def close(self) -> None:
        """Close the connections."""
        with self._lock:
            if self._light is not None:
                self._light.close()
            self._db.close()


class _StaleTimers(Exception):  # noqa: N818 - internal signal, never escapes append
    """A fired timer is no longer stored as read: the append is rolled back, then reported."""


@hookimpl
def open_store(url: str) -> Store | None:
    """Open ``sqlite:///...`` stores."""
    if not url.startswith("sqlite:"):
        return None
    path, synchronous = parse_url(url)
    return SQLiteStore(path, synchronous=synchronous, url=url)
