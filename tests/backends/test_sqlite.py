"""The SQLite store passes the conformance suite; here: URLs, pragmas, schema, its own errors."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import attrs
import pytest

from serviceflow import ConcurrencyConflict, ServiceDesk, StoreError
from serviceflow.backends.sqlite import SCHEMA_VERSION, SQLiteStore, open_store, parse_url
from serviceflow.eventlog._store import FactsRecord, Store
from serviceflow.testing.conformance import StoreContract
from serviceflow.testing.records import message, row, timer, write

_write = write
"""tests/test_outbox.py imports this name; it can import ``write`` from serviceflow.testing."""


class TestSQLiteStore(StoreContract):
    """The whole store contract on a SQLite file, shared with other processes by its URL."""

    def make_store(self, where: Path) -> Store:
        return SQLiteStore(str(where / "store.db"))

    def process_url(self, where: Path) -> str | None:
        return f"sqlite:///{where / 'store.db'}"

    def stored_bytes(self, where: Path) -> object:
        """Every row of every table, read by a connection of its own."""
        with closing(sqlite3.connect(where / "store.db")) as db:
            return list(db.iterdump())


def test_urls() -> None:
    assert parse_url("sqlite:///desk.db") == ("desk.db", "full")
    assert parse_url("sqlite:////var/lib/desk.db") == ("/var/lib/desk.db", "full")
    assert parse_url("sqlite:///my%20desk.db?synchronous=normal") == ("my desk.db", "normal")
    with pytest.raises(StoreError, match="no database file"):
        parse_url("sqlite://")
    with pytest.raises(StoreError, match=r"write sqlite:///relative.db"):
        parse_url("sqlite://host/desk.db")
    with pytest.raises(StoreError, match="unknown option"):
        parse_url("sqlite:///d.db?journal=off")
    assert open_store("memory://") is None


def test_pragmas(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "a.db"))
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    normal = SQLiteStore(str(tmp_path / "b.db"), synchronous="normal")
    assert normal._db.execute("PRAGMA synchronous").fetchone()[0] == 1
    with pytest.raises(StoreError, match="synchronous='sometimes'"):
        SQLiteStore(str(tmp_path / "c.db"), synchronous="sometimes")


def test_delivery_outcomes_commit_without_waiting_for_the_disk(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "a.db"))
    store.append([write("A", 0, outbox=(message("A/1"),))])
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    store.update_outbox([attrs.evolve(message("A/1"), status="delivered", attempts=1)])
    assert seen == [], "not on the connection that waits for the disk"
    assert store._bookkeeping().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # events: FULL
    with closing(sqlite3.connect(tmp_path / "a.db")) as other:
        assert other.execute("SELECT status FROM outbox").fetchall() == [("delivered",)]
    del seen[:]
    with store.transaction():  # inside a batch: the batch's own connection and transaction
        store.update_outbox([attrs.evolve(message("A/1"), status="delivered", attempts=2)])
    updated = ["BEGIN", "SAVEPOINT", "UPDATE", "RELEASE", "COMMIT"]
    assert [statement.split()[0] for statement in seen] == updated
    normal = SQLiteStore(str(tmp_path / "b.db"), synchronous="normal")
    assert normal._bookkeeping() is normal._db, "nothing to save: one connection"
    for private in (":memory:", ""):  # another connection would open another database
        alone = SQLiteStore(private)
        assert alone._bookkeeping() is alone._db
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.outbox()


def test_refuses_files_it_cannot_use(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open as a serviceflow store"):
        SQLiteStore(str(junk))
    newer = tmp_path / "newer.db"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this serviceflow understands"):
        SQLiteStore(str(newer))
    with pytest.raises(StoreError, match="does not exist"):
        SQLiteStore(str(tmp_path / "no" / "such" / "dir.db"))


def test_reopening_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    with ServiceDesk.open(url, entry_points=False) as desk:
        case = desk.submit(requester="a/b@c.test", channel="web", subject="s")
    with ServiceDesk.open(url, entry_points=False) as desk:
        assert desk.case(case.id) == case
        assert desk.verify(case.id).ok


def test_a_refused_append_leaves_no_transaction_open(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.append([write("A", 0), write("B", 0)])
    with pytest.raises(ConcurrencyConflict):
        store.append([write("A", 1), write("B", 0)])
    with pytest.raises(ConcurrencyConflict):
        store.append([write("A", 5)])
    assert not store._db.in_transaction
    timers = {i: timer(i, 10) for i in ("C", "D")}
    store.append([write(i, 0, timers=(t,)) for i, t in timers.items()])
    with pytest.raises(ConcurrencyConflict, match="stream 'D'"):
        store.append(
            [write("C", 1, fired=(timers["C"],)), write("D", 1, fired=(timer("D", 10, version=9),))]
        )
    assert not store._db.in_transaction


def test_sqlite_failures_are_store_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    store = SQLiteStore(str(path))
    store.append([write("A", 0)])
    blocker = sqlite3.connect(path, isolation_level=None, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    store._db.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreError, match="append failed: database is locked"):
        store.append([write("A", 1)])
    blocker.execute("ROLLBACK")
    store.append([write("A", 1)])
    store.close()
    with pytest.raises(StoreError, match="load failed"):
        store.load("A")


def test_an_orphaned_row_is_a_store_error_not_a_conflict(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.append([write("A", 0)])
    store._db.execute("DELETE FROM events WHERE stream = 'A'")
    with pytest.raises(StoreError, match="the cases table disagrees with the events"):
        store.append([write("A", 0)])


def test_a_write_that_fails_half_done_rolls_its_whole_batch_back(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.append([write("A", 0)])
    store._db.execute("DELETE FROM events WHERE stream = 'A'")

    def half_done() -> None:
        with store.transaction():
            store.append([write("B", 0)])
            with pytest.raises(StoreError, match=r"UNIQUE constraint failed: cases\.id"):
                store.append([write("A", 0)])  # its event is written, then its row clashes

    with pytest.raises(StoreError, match="the batch is rolled back: a write failed half done"):
        half_done()
    assert store.load("B") is None
    assert store.read("A") == []  # the half-done write is undone with its batch
    store.append([write("B", 0)])  # the store goes on
    assert store.load("B") is not None


def test_a_row_without_a_document_moves_only_version_head_and_time(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.append([write("A", 0)])
    moved = row("A", 2, head="h2", updated_at="t2", data=None, state="ignored")
    store.append([write("A", 1, row=moved)])
    loaded = store.load("A")
    assert loaded is not None
    assert (loaded.version, loaded.head, loaded.updated_at) == (2, "h2", "t2")
    assert loaded.data == row("A", 1).data
    assert loaded.state == "intake", "a row without a document moves only version, head and time"
    with pytest.raises(ConcurrencyConflict, match="stream 'A': expected version 1"):
        store.append([write("A", 1, row=moved)])


def test_due_outbox_reads_the_status_due_index(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    plan = " ".join(
        str(row[-1])
        for row in store._db.execute(
            "EXPLAIN QUERY PLAN SELECT key FROM outbox WHERE status = 'pending' AND due <= ? "
            "ORDER BY due, key LIMIT 10",
            ("2026",),
        )
    )
    assert "outbox_due" in plan
    assert "TEMP B-TREE" not in plan, "no sort: the index gives the order"


def test_a_version_2_file_gains_the_outbox_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    store = SQLiteStore(str(path))
    due = timer("A", 10)
    store.append([write("A", 0, timers=(due,))])
    store.save_policy("v1", "{}", "2026")
    store._db.execute("DROP TABLE outbox")  # what a version 2 file is: all but the outbox
    store._db.execute("PRAGMA user_version = 2")
    store.close()
    v2 = sqlite3.connect(path)
    assert v2.execute("SELECT name FROM sqlite_master WHERE name LIKE 'outbox%'").fetchall() == []
    v2.close()

    upgraded = SQLiteStore(str(path))
    assert upgraded._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r.seq for r in upgraded.read("A")] == [1]
    assert upgraded.load("A") == row("A", 1)
    assert upgraded.due_timers("2026-01-02", 10) == [due]
    assert upgraded.load_policy("v1") == "{}"
    assert upgraded.outbox_counts() == {"pending": 0, "delivered": 0, "failed": 0}
    record = message("A/2")
    upgraded.append([write("A", 1, outbox=(record,))])
    assert upgraded.due_outbox("2026-01-02", 10) == [record]
    indexes = {r[1] for r in upgraded._db.execute("PRAGMA index_list(outbox)")}
    assert "outbox_due" in indexes


def test_a_version_5_file_gains_kept_facts_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    store = SQLiteStore(str(path))
    store.append([write("A", 0, events=2)])
    store._db.execute("DROP TABLE case_facts")  # what a version 5 file is: all but kept facts
    store._db.execute("PRAGMA user_version = 5")
    store.close()

    upgraded = SQLiteStore(str(path))
    assert upgraded._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
    assert list(upgraded.histories_or_facts("k")) == [upgraded.read("A")]
    upgraded.save_facts([FactsRecord("A", 2, "k", '"kept"')])
    assert list(upgraded.histories_or_facts("k")) == [FactsRecord("A", 2, "k", '"kept"')]


def test_a_version_6_file_gains_checkpoints_and_keeps_its_data(tmp_path: Path) -> None:
    from serviceflow.eventlog import _checkpointing as checkpointing

    path = tmp_path / "v6.db"
    store = SQLiteStore(str(path))
    store.append([write("A", 0, events=2)])
    store._db.execute("DROP TABLE checkpoints")  # what a version 6 file is: no checkpoints
    store._db.execute("DROP TABLE checkpoint_heads")
    store._db.execute("PRAGMA user_version = 6")
    store.close()

    upgraded = SQLiteStore(str(path))
    try:
        assert upgraded._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        assert [r.seq for r in upgraded.read("A")] == [1, 2]
        assert upgraded.last_checkpoint() is None
        written = checkpointing.write(upgraded, "2026-01-02T00:00:00.000000+00:00")
        assert (written.seq, written.streams, written.events) == (1, 1, 2)
        assert checkpointing.check(upgraded, written.hash).ok
    finally:
        upgraded.close()
