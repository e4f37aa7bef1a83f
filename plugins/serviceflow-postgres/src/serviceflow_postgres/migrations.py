"""The store's schema as numbered migrations, applied in order under an advisory lock.

``schema_version`` records each applied step. Opening a store applies the missing steps, one
transaction per step, each holding a transaction-level advisory lock on the schema's name,
so processes that open a fresh database at the same moment apply every step once. A schema
newer than this code knows is refused, not guessed at.

Text columns that are compared or sorted (ids, ISO times) use the ``"C"`` collation: the store
contract orders by code point, whatever the database's locale.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
from attrs import frozen
from psycopg import sql
from serviceflow.errors import StoreError


@frozen
class Migration:
    """One numbered step: statements run together in one transaction."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "events, cases, SLA timers with leases, policies, outbox",
        (
            """
            CREATE TABLE events (
                position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                stream TEXT COLLATE "C" NOT NULL,
                seq INTEGER NOT NULL,
                type TEXT NOT NULL,
                at TEXT COLLATE "C" NOT NULL,
                data TEXT NOT NULL,
                prev TEXT NOT NULL,
                hash TEXT NOT NULL,
                CONSTRAINT events_stream_seq UNIQUE (stream, seq)
            )
            """,
            """
            CREATE TABLE cases (
                id TEXT COLLATE "C" PRIMARY KEY,
                state TEXT COLLATE "C" NOT NULL,
                version INTEGER NOT NULL,
                head TEXT NOT NULL,
                requester TEXT COLLATE "C" NOT NULL,
                channel TEXT COLLATE "C" NOT NULL,
                priority TEXT COLLATE "C",
                category TEXT COLLATE "C",
                assignee TEXT COLLATE "C",
                submitted_at TEXT COLLATE "C" NOT NULL,
                updated_at TEXT COLLATE "C" NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cases_state ON cases (state, submitted_at)",
            "CREATE INDEX cases_assignee ON cases (assignee, state)",
            "CREATE INDEX cases_priority ON cases (priority, state)",
            "CREATE INDEX cases_category ON cases (category, state)",
            "CREATE INDEX cases_requester ON cases (requester, submitted_at)",
            "CREATE INDEX cases_submitted ON cases (submitted_at, id)",
            """
            CREATE TABLE timers (
                case_id TEXT COLLATE "C" NOT NULL,
                metric TEXT COLLATE "C" NOT NULL,
                cycle INTEGER NOT NULL,
                kind TEXT COLLATE "C" NOT NULL,
                due_at TEXT COLLATE "C" NOT NULL,
                version INTEGER NOT NULL DEFAULT 0,
                leased_until TEXT COLLATE "C",
                PRIMARY KEY (case_id, metric, cycle, kind)
            )
            """,
            "CREATE INDEX timers_due ON timers (due_at, case_id, metric, cycle, kind)",
            """
            CREATE TABLE policies (
                version TEXT COLLATE "C" PRIMARY KEY,
                document TEXT NOT NULL,
                stored_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE outbox (
                key TEXT COLLATE "C" PRIMARY KEY,
                case_id TEXT COLLATE "C" NOT NULL,
                created TEXT COLLATE "C" NOT NULL,
                due TEXT COLLATE "C" NOT NULL,
                payload TEXT NOT NULL,
                status TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                delivered_to TEXT[] NOT NULL DEFAULT '{}',
                last_error TEXT NOT NULL DEFAULT '',
                delivered_at TEXT
            )
            """,
            "CREATE INDEX outbox_due ON outbox (status, due, key)",
            "CREATE INDEX outbox_created ON outbox (created, key)",
        ),
    ),
    Migration(
        2,
        "kept KPI facts per case",
        (
            """
            CREATE TABLE case_facts (
                case_id TEXT COLLATE "C" PRIMARY KEY,
                version INTEGER NOT NULL,
                key TEXT NOT NULL,
                data TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        3,
        "checkpoints over the stream heads",
        (
            """
            CREATE TABLE checkpoints (
                seq INTEGER PRIMARY KEY,
                at TEXT COLLATE "C" NOT NULL,
                prev TEXT NOT NULL,
                position BIGINT NOT NULL,
                streams BIGINT NOT NULL,
                events BIGINT NOT NULL,
                root TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE checkpoint_heads (
                stream TEXT COLLATE "C" NOT NULL,
                checkpoint INTEGER NOT NULL,
                version INTEGER NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (stream, checkpoint)
            )
            """,
            "CREATE INDEX checkpoint_heads_delta ON checkpoint_heads (checkpoint, stream)",
        ),
    ),
)
"""Every step, in order; append new ones, never edit an applied one."""

SCHEMA_VERSION = MIGRATIONS[-1].version

_VERSIONS = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name`` (stable across processes and runs)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def migrate(
    conn: psycopg.Connection[tuple[Any, ...]],
    schema: str,
    url: str,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> int:
    """Bring ``schema`` up to the last of ``migrations``; return the version it is now at.

    ``conn`` must be in autocommit mode: each step is its own transaction.
    """
    if [step.version for step in migrations] != list(range(1, len(migrations) + 1)):
        raise StoreError(f"{url}: migrations must be numbered 1, 2, 3 ... without gaps")
    known = migrations[-1].version
    name = sql.Identifier(schema)
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(f"migrate:{schema}"),))
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
            conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(name))
            conn.execute(_VERSIONS)
            row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
            current = int(row[0]) if row is not None else 0
            if current > known:
                raise StoreError(
                    f"{url}: schema {schema!r} is at version {current}, newer than this "
                    f"serviceflow-postgres understands ({known}); upgrade serviceflow-postgres"
                )
            if current == known:
                return current
            step = migrations[current]
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                (step.version, step.description),
            )
