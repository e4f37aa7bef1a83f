"""The SQLite store's schema: its tables, the migrations that bring an older file up to
date, and the statements that write to them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from serviceflow.backends.sql import OUTBOX_COLUMNS, Dialect

SCHEMA_VERSION = 7
"""1: events, cases, policies. 2: SLA timers. 3: the outbox. 4: cases by submission time.
5: timer leases (``timers.leased_until``) for worker claims. 6: kept KPI facts
(``case_facts``). 7: checkpoints over the stream heads (``checkpoints``, with the append
position each covers, ``checkpoint_heads``). Events carry their append position
(``events.position``, the rowid) since version 1.

An older file is brought up to date on open, in one transaction, by the steps of
``MIGRATIONS`` above its version. Versions 1 to 4 share one step: every statement of
``SCHEMA_4`` is ``IF NOT EXISTS``, so running it adds only what the file lacks."""

SCHEMA_4 = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (stream, seq)
);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    head TEXT NOT NULL,
    requester TEXT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT,
    category TEXT,
    assignee TEXT,
    submitted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_state ON cases (state, submitted_at);
CREATE INDEX IF NOT EXISTS cases_assignee ON cases (assignee, state);
CREATE INDEX IF NOT EXISTS cases_priority ON cases (priority, state);
CREATE INDEX IF NOT EXISTS cases_category ON cases (category, state);
CREATE INDEX IF NOT EXISTS cases_requester ON cases (requester, submitted_at);
CREATE INDEX IF NOT EXISTS cases_submitted ON cases (submitted_at, id);
CREATE TABLE IF NOT EXISTS timers (
    case_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    kind TEXT NOT NULL,
    due_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (case_id, metric, cycle, kind)
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);
CREATE TABLE IF NOT EXISTS policies (
    version TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    created TEXT NOT NULL,
    due TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_to TEXT NOT NULL DEFAULT '[]',
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, due, key);
"""


def _create_schema_4(db: sqlite3.Connection) -> None:
    """Versions 1 to 4: create whatever tables and indexes the file lacks."""
    for statement in SCHEMA_4.split(";"):
        if statement.strip():
            db.execute(statement)


def _lease_timers(db: sqlite3.Connection) -> None:
    """Version 5: when a claimed timer's lease ends (``NULL``: not leased)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(timers)")}
    if "leased_until" not in columns:
        db.execute("ALTER TABLE timers ADD COLUMN leased_until TEXT")


def _keep_facts(db: sqlite3.Connection) -> None:
    """Version 6: each case's KPI facts, as the last KPI pass worked them out."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS case_facts (case_id TEXT PRIMARY KEY, "
        "version INTEGER NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL)"
    )


def _checkpoints(db: sqlite3.Connection) -> None:
    """Version 7: the checkpoint chain, and the stream heads each checkpoint recorded (only
    those that moved since the one before)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, "
        "prev TEXT NOT NULL, position INTEGER NOT NULL, streams INTEGER NOT NULL, "
        "events INTEGER NOT NULL, root TEXT NOT NULL, hash TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS checkpoint_heads (stream TEXT NOT NULL, "
        "checkpoint INTEGER NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, "
        "PRIMARY KEY (stream, checkpoint))"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS checkpoint_heads_delta ON checkpoint_heads (checkpoint, stream)"
    )


MIGRATIONS: tuple[tuple[int, Callable[[sqlite3.Connection], None]], ...] = (
    (4, _create_schema_4),
    (5, _lease_timers),
    (6, _keep_facts),
    (7, _checkpoints),
)
"""Each step brings a file from the version before it to its own."""

INSERT_EVENT = (
    "INSERT INTO events (stream, seq, type, at, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_ROW = """
INSERT INTO cases (id, state, version, head, requester, channel, priority, category, assignee,
                   submitted_at, updated_at, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_OUTBOX = f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
UPDATE_OUTBOX = (
    "UPDATE outbox SET status = ?2, attempts = ?3, due = ?4, delivered_to = ?5, last_error = ?6, "
    "delivered_at = ?7 WHERE key = ?1"
)
UPSERT_FACTS = (
    "INSERT INTO case_facts (case_id, version, key, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, key = excluded.key, "
    "data = excluded.data WHERE excluded.version >= case_facts.version"
)
DIALECT = Dialect(
    mark="?",
    arrays=False,
    newest_heads="SELECT stream, version, hash, MAX(checkpoint) FROM checkpoint_heads "
    "WHERE {streams} AND checkpoint <= ? GROUP BY stream ORDER BY stream",
)
"""SQLite takes a bare column's value from the row that gave ``MAX``: the newest head."""
