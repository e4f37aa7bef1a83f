"""The SQL shared by the SQLite store and serviceflow-postgres: one home for their reads.

Both keep the same tables and read them with the same statements, keyset paging and
row-to-record conversion. ``SQLReads`` holds those reads; a store gives its ``Dialect``
(parameter mark, how a list is matched, the newest-head query) and a way to run statements.
Shared statements are written with ``?`` marks; ``Dialect.sql`` puts them in the driver's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

import attrs

from serviceflow.eventlog._store import (
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
    prefix_end,
)

PAGE = 500
"""Rows (or ids) a query reads at a time: memory stays bounded however large the store."""
EVENT_COLUMNS = "stream, seq, type, at, data, prev, hash"
ROW_COLUMNS = (
    "id, state, version, head, requester, channel, priority, category, assignee, "
    "submitted_at, updated_at, data"
)
TIMER_COLUMNS = "due_at, case_id, metric, cycle, kind, version"
OUTBOX_COLUMNS = (
    "key, case_id, created, due, payload, status, attempts, delivered_to, last_error, delivered_at"
)
CHECKPOINT_COLUMNS = "seq, at, prev, position, streams, events, root, hash"
INDEXED = ("state", "priority", "category", "assignee")
"""The row's indexed columns, in the order an update sets those that changed."""
DUE_OUTBOX = (
    f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'pending' AND due <= ? "
    "ORDER BY due, key LIMIT ?"
)
_FILTERED = ("priority", "category", "assignee", "requester", "channel")

Fetch = Callable[[str, Sequence[Any]], list[Any]]
"""Runs one statement with its parameters and returns all its rows."""


@attrs.frozen
class Dialect:
    """What differs between the stores' SQL: the parameter mark, whether a list goes as one
    array parameter, and the query for each stream's newest checkpointed head."""

    mark: str
    arrays: bool
    newest_heads: str
    """``stream, version, hash`` (and maybe more columns) per stream where ``{streams}`` and
    ``checkpoint <= ?`` hold, the newest per stream, ordered by stream; ``?`` marks."""

    def sql(self, statement: str) -> str:
        """``statement`` with its ``?`` marks in this dialect's style."""
        return statement if self.mark == "?" else statement.replace("?", self.mark)

    def among(self, column: str, values: Sequence[object]) -> tuple[str, tuple[object, ...]]:
        """The condition that ``column`` is one of ``values`` (none: false), and its
        parameters: one array where the driver sends arrays, else a mark per value."""
        if self.arrays:
            return f"{column} = ANY(?)", (list(values),)
        return f"{column} IN ({', '.join('?' * len(values))})", tuple(values)


def row_update(write: StreamWrite, row: CaseRow) -> tuple[str, tuple[object, ...]]:
    """The update of a row to its new document if still at the expected version, setting
    only the indexed columns that changed: each one set costs an index rewrite."""
    changed = [c for c in INDEXED if c in write.changed]
    sets = "".join(f", {c} = ?" for c in changed)
    statement = (
        f"UPDATE cases SET version = ?, head = ?, updated_at = ?, data = ?{sets} "
        "WHERE id = ? AND version = ?"
    )
    values = (row.version, row.head, row.updated_at, row.data)
    return statement, (*values, *(getattr(row, c) for c in changed), row.id, write.expected)


class SQLReads(ABC):
    """The ``Store`` reads the SQLite and PostgreSQL stores make alike: the same statements,
    keyset paging by ``PAGE`` and records built from rows."""

    dialect: ClassVar[Dialect]

    @abstractmethod
    def _connect(self, doing: str) -> AbstractContextManager[Fetch]:
        """A way to run statements on one connection for ``doing``; the driver's own errors
        become ``StoreError`` naming the store and ``doing``."""

    @contextmanager
    def _reading(self, doing: str) -> Iterator[Fetch]:
        """Like ``_connect``, for statements with ``?`` marks."""
        with self._connect(doing) as fetch:
            yield lambda statement, params: fetch(self.dialect.sql(statement), params)

    def _rows(self, doing: str, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of one statement with ``?`` marks."""
        with self._reading(doing) as fetch:
            return fetch(statement, params)

    def _keyset(
        self, what: str, sql: str, params: Callable[[Any], Sequence[Any]], start: Any = ""
    ) -> Iterator[Any]:
        """The rows of ``sql`` a page at a time, each page after the first column of the
        last row of the one before (``params(after)`` binds it)."""
        after = start
        while True:
            rows = self._rows(what, sql, params(after))
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def _chunks(
        self, what: str, sql: str, column: str, keys: Sequence[object], more: Sequence[Any] = ()
    ) -> Iterator[Any]:
        """The rows of ``sql`` for ``PAGE`` of ``keys`` at a time, matched by ``column`` where
        ``sql`` has ``{keys}``; ``more`` binds the marks after it."""
        for start in range(0, len(keys), PAGE):
            condition, params = self.dialect.among(column, keys[start : start + PAGE])
            yield from self._rows(what, sql.format(keys=condition), (*params, *more))

    def read(self, stream: str) -> list[EventRecord]:
        """The stream's events in order."""
        rows = self._rows(
            "read", f"SELECT {EVENT_COLUMNS} FROM events WHERE stream = ? ORDER BY seq", (stream,)
        )
        return [EventRecord(*row) for row in rows]

    def last(self, stream: str) -> EventRecord | None:
        """The stream's last event, from the ``(stream, seq)`` index."""
        rows = self._rows(
            "read",
            f"SELECT {EVENT_COLUMNS} FROM events WHERE stream = ? ORDER BY seq DESC LIMIT 1",
            (stream,),
        )
        return EventRecord(*rows[0]) if rows else None

    def load(self, stream: str) -> CaseRow | None:
        """The case's row, or ``None``."""
        rows = self._rows("load", f"SELECT {ROW_COLUMNS} FROM cases WHERE id = ?", (stream,))
        return CaseRow(*rows[0]) if rows else None

    def load_many(self, streams: Sequence[str]) -> dict[str, CaseRow]:
        """The rows among ``streams``, a page of ids per query."""
        rows = self._chunks(
            "load", f"SELECT {ROW_COLUMNS} FROM cases WHERE {{keys}}", "id", streams
        )
        return {row[0]: CaseRow(*row) for row in rows}

    def case_timers(self, case_ids: Sequence[str]) -> dict[str, list[TimerRecord]]:
        """The timers of each case, from the primary key (case id first), 500 ids a query."""
        found: dict[str, list[TimerRecord]] = {}
        statement = (
            f"SELECT {TIMER_COLUMNS} FROM timers WHERE {{keys}} "
            "ORDER BY due_at, case_id, metric, cycle, kind"
        )
        for row in self._chunks("read timers", statement, "case_id", case_ids):
            found.setdefault(row[1], []).append(TimerRecord(*row))
        return found

    def query(self, query: CaseQuery) -> Iterator[CaseRow]:
        """Matching rows by submission time, fetched a page at a time (bounded memory)."""
        where, params = self._where(query)
        statement = (
            f"SELECT {ROW_COLUMNS} FROM cases WHERE "
            f"{' AND '.join([*where, '(submitted_at, id) > (?, ?)'])} "
            "ORDER BY submitted_at, id LIMIT ?"
        )
        remaining = query.limit
        after: tuple[str, str] = ("", "")
        while remaining is None or remaining > 0:
            page = PAGE if remaining is None else min(PAGE, remaining)
            rows = self._rows("query", statement, (*params, *after, page))
            for row in rows:
                yield CaseRow(*row)
            if len(rows) < page:
                return
            after = (rows[-1][9], rows[-1][0])
            if remaining is not None:
                remaining -= len(rows)

    def count(self, query: CaseQuery) -> int:
        """Number of matching rows."""
        where, params = self._where(query)
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        return int(self._rows("count", f"SELECT COUNT(*) FROM cases{condition}", params)[0][0])

    def _where(self, q: CaseQuery) -> tuple[list[str], tuple[object, ...]]:
        """The conditions of a ``CaseQuery`` on the indexed columns, and their parameters."""
        where: list[str] = []
        params: list[object] = []
        if q.states is not None:
            condition, states = self.dialect.among("state", q.states)
            where.append(condition)
            params.extend(states)
        for column in _FILTERED:
            value = getattr(q, column)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        return where, tuple(params)

    def workload(self, states: Sequence[str]) -> dict[tuple[str, str], int]:
        """Assigned cases in ``states`` per (assignee, channel), from the state index."""
        condition, params = self.dialect.among("state", states)
        rows = self._rows(
            "workload",
            f"SELECT assignee, channel, COUNT(*) FROM cases WHERE {condition} "
            "AND assignee IS NOT NULL GROUP BY assignee, channel",
            params,
        )
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
        statement, params = self._cases_page(key, submitted_before, updated_since, or_states)
        after = ("", "")
        while True:
            with self._reading("read histories") as fetch:
                page = fetch(statement, (*params, *after, PAGE))
                ids = [row[1] for row in page if row[3] is None]
                condition, streams = self.dialect.among("stream", ids)
                rows = (
                    fetch(
                        f"SELECT {EVENT_COLUMNS} FROM events WHERE {condition} "
                        "ORDER BY stream, seq",
                        streams,
                    )
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
            if len(page) < PAGE:
                return
            after = (page[-1][0], page[-1][1])

    def _cases_page(
        self,
        key: str | None,
        submitted_before: str | None,
        updated_since: str | None,
        or_states: Sequence[str],
    ) -> tuple[str, tuple[object, ...]]:
        """The page query of ``_cases`` and its parameters but the page's start and size:
        ``submitted_at, id, version`` and the fresh facts (else ``NULL``) of each case."""
        facts, joined = "CAST(NULL AS TEXT)", ""
        params: list[object] = []
        if key is not None:
            facts = "f.data"
            joined = (
                "LEFT JOIN case_facts f ON f.case_id = c.id AND f.version = c.version AND f.key = ?"
            )
            params.append(key)
            if submitted_before is not None:
                joined += " AND c.updated_at < ?"
                params.append(submitted_before)
        where: list[str] = []
        if submitted_before is not None:
            where.append("c.submitted_at < ?")
            params.append(submitted_before)
        if updated_since is not None:
            params.append(updated_since)
            if or_states:
                states, in_states = self.dialect.among("c.state", or_states)
                where.append(f"(c.updated_at >= ? OR {states})")
                params.extend(in_states)
            else:
                where.append("c.updated_at >= ?")
        where.append("(c.submitted_at, c.id) > (?, ?)")
        statement = (
            f"SELECT c.submitted_at, c.id, c.version, {facts} FROM cases c {joined} "
            f"WHERE {' AND '.join(where)} ORDER BY c.submitted_at, c.id LIMIT ?"
        )
        return statement, tuple(params)

    def streams(self, prefix: str = "") -> Iterator[str]:
        """Every stream that has events (even one whose row was lost), by id, paged; a
        prefix reads only its range of the ``(stream, seq)`` index (one lower bound: SQLite
        seeks by a single one, so two would start the range at the index's beginning)."""
        below, bound = prefix_end(prefix), prefix
        query = "SELECT DISTINCT stream FROM events WHERE stream >= ? AND stream < ? "
        while True:
            rows = self._rows(
                "list streams", query + "ORDER BY stream LIMIT ?", (bound, below, PAGE)
            )
            for (stream,) in rows:
                yield str(stream)
            if len(rows) < PAGE:
                return
            query = "SELECT DISTINCT stream FROM events WHERE stream > ? AND stream < ? "
            bound = rows[-1][0]

    def heads(self) -> Iterator[HeadRecord]:
        """Each stream's last seq and hash, a page of streams per query: the ``(stream, seq)``
        index gives the last seq per stream, then one lookup each for its hash."""
        rows = self._keyset(
            "read heads",
            "SELECT h.stream, h.seq, e.hash FROM (SELECT stream, MAX(seq) AS seq "
            "FROM events WHERE stream > ? GROUP BY stream ORDER BY stream LIMIT ?) h "
            "JOIN events e ON e.stream = h.stream AND e.seq = h.seq ORDER BY h.stream",
            lambda after: (after, PAGE),
        )
        return (HeadRecord(*row) for row in rows)

    def checkpoints(self) -> Iterator[CheckpointRecord]:
        """The checkpoints by seq, a page at a time."""
        rows = self._keyset(
            "read checkpoints",
            f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT ?",
            lambda after: (after, PAGE),
            start=0,
        )
        return (CheckpointRecord(*row) for row in rows)

    def last_checkpoint(self) -> CheckpointRecord | None:
        """The checkpoint with the highest seq."""
        rows = self._rows(
            "read checkpoints",
            f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY seq DESC LIMIT 1",
        )
        return CheckpointRecord(*rows[0]) if rows else None

    def checkpoint_heads(
        self, seq: int, streams: Sequence[str] | None = None
    ) -> Iterator[HeadRecord]:
        """Each stream's newest head recorded at or before ``seq`` (``Dialect.newest_heads``),
        a page at a time; ``streams``: 500 of them a query, each looked up by key."""
        newest = self.dialect.newest_heads
        if streams is None:
            rows = self._keyset(
                "read checkpoint heads",
                newest.format(streams="stream > ?") + " LIMIT ?",
                lambda after: (after, seq, PAGE),
            )
        else:
            rows = self._chunks(
                "read checkpoint heads",
                newest.format(streams="{keys}"),
                "stream",
                sorted(set(streams)),
                (seq,),
            )
        for row in rows:
            yield HeadRecord(row[0], row[1], row[2])

    def checkpoint_delta(self, seq: int) -> Iterator[HeadRecord]:
        """The heads stored with checkpoint ``seq``, paged along ``(checkpoint, stream)``."""
        rows = self._keyset(
            "read checkpoint heads",
            "SELECT stream, version, hash FROM checkpoint_heads "
            "WHERE checkpoint = ? AND stream > ? ORDER BY stream LIMIT ?",
            lambda after: (seq, after, PAGE),
        )
        return (HeadRecord(*row) for row in rows)

    def due_outbox(self, now: str, limit: int) -> list[OutboxRecord]:
        """Pending messages due by ``now`` from the ``(status, due, key)`` index."""
        rows = self._rows("read outbox", DUE_OUTBOX, (now, max(limit, 0)))
        return [OutboxRecord.from_columns(row) for row in rows]

    def outbox(self, status: str | None = None, limit: int | None = None) -> list[OutboxRecord]:
        """Messages of ``status`` (or all) by creation time, then key."""
        where = "" if status is None else " WHERE status = ?"
        bounded = "" if limit is None else " LIMIT ?"
        params: list[object] = [] if status is None else [status]
        if limit is not None:
            params.append(max(limit, 0))
        rows = self._rows(
            "read outbox",
            f"SELECT {OUTBOX_COLUMNS} FROM outbox{where} ORDER BY created, key{bounded}",
            params,
        )
        return [OutboxRecord.from_columns(row) for row in rows]

    def outbox_counts(self) -> dict[str, int]:
        """Messages per status, counted on the ``(status, due, key)`` index."""
        rows = self._rows("count outbox", "SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return dict.fromkeys(OUTBOX_STATUSES, 0) | {str(s): int(n) for s, n in rows}

    def load_policy(self, version: str) -> str | None:
        """A stored policy document."""
        rows = self._rows(
            "load policy", "SELECT document FROM policies WHERE version = ?", (version,)
        )
        return str(rows[0][0]) if rows else None
