"""The SQLite store: URLs, pragmas, schema version, paging, all-or-nothing appends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs
import pytest

from serviceflow import ConcurrencyConflict, ServiceDesk, StoreError
from serviceflow.backends.sqlite import SCHEMA_VERSION, SQLiteStore, open_store, parse_url
from serviceflow.store import CaseQuery, CaseRow, EventRecord, StreamWrite, TimerRecord


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


def _row(stream: str, version: int) -> CaseRow:
    return CaseRow(
        stream,
        "intake",
        version,
        "h",
        "r",
        "web",
        None,
        None,
        None,
        "2026-01-01T00:00:00.000000+00:00",
        "2026-01-01T00:00:00.000000+00:00",
        "{}",
    )


def _write(stream: str, expected: int) -> StreamWrite:
    seq = expected + 1
    event = EventRecord(stream, seq, "case.note_added", "2026", "{}", "p", "h")
    return StreamWrite(stream, expected, (event,), _row(stream, seq))


def test_append_is_all_or_nothing(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.append([_write("A", 0), _write("B", 0)])
    with pytest.raises(
        ConcurrencyConflict, match="stream 'B': expected version 0, found version 1"
    ):
        store.append([_write("A", 1), _write("B", 0)])
    assert [r.seq for r in store.read("A")] == [1]
    assert store.load("A") == _row("A", 1)
    with pytest.raises(ConcurrencyConflict):
        store.append([_write("A", 5)])
    assert not store._db.in_transaction


def test_query_pages_through_many_rows(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"), synchronous="off")
    store.append([_write(f"C{i:04d}", 0) for i in range(1234)])
    ids = [row.id for row in store.query(CaseQuery())]
    assert ids == [f"C{i:04d}" for i in range(1234)]
    assert [row.id for row in store.query(CaseQuery(limit=501))] == ids[:501]
    assert store.count(CaseQuery(states=("intake",))) == 1234
    assert store.count(CaseQuery(states=())) == 0
    assert list(store.streams())[:2] == ["C0000", "C0001"]


def test_policies_are_kept_by_version(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.save_policy("v1", "{}", "2026")
    store.save_policy("v1", "{changed}", "2027")
    assert store.load_policy("v1") == "{}"
    assert store.load_policy("v2") is None


def test_sqlite_failures_are_store_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    store = SQLiteStore(str(path))
    store.append([_write("A", 0)])
    blocker = sqlite3.connect(path, isolation_level=None, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    store._db.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreError, match="append failed: database is locked"):
        store.append([_write("A", 1)])
    blocker.execute("ROLLBACK")
    store.append([_write("A", 1)])
    store.close()
    with pytest.raises(StoreError, match="load failed"):
        store.load("A")


def test_an_orphaned_row_is_a_store_error_not_a_conflict(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.append([_write("A", 0)])
    store._db.execute("DELETE FROM events WHERE stream = 'A'")
    with pytest.raises(StoreError, match="the cases table disagrees with the events"):
        store.append([_write("A", 0)])


def test_streams_page_by_id_over_many_streams(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"), synchronous="off")
    ids = [f"S{i:05d}" for i in range(1203)]
    store.append([_write(i, 0) for i in reversed(ids)])
    assert list(store.streams()) == ids


def test_histories_page_in_submission_order(tmp_path: Path) -> None:
    from .test_backends_memory import _histories_contract

    _histories_contract(SQLiteStore(str(tmp_path / "d.db")))
    many = SQLiteStore(str(tmp_path / "many.db"), synchronous="off")
    many.append([_write(f"C{i:04d}", 0) for i in range(1234)])
    histories = list(many.histories())
    assert [h[0].stream for h in histories] == [f"C{i:04d}" for i in range(1234)]


def test_firing_a_replaced_timer_is_a_conflict(tmp_path: Path) -> None:
    from .test_backends_memory import _fired_timer_contract

    _fired_timer_contract(SQLiteStore(str(tmp_path / "d.db")))


def test_loads_many_rows_at_once(tmp_path: Path) -> None:
    from .test_backends_memory import _load_many_contract

    _load_many_contract(SQLiteStore(str(tmp_path / "d.db"), synchronous="off"))


def test_a_row_without_a_document_keeps_the_stored_one(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    store.append([attrs.evolve(_write("A", 0), row=attrs.evolve(_row("A", 1), data='{"d":1}'))])
    moved = attrs.evolve(_row("A", 2), head="h2", updated_at="t2", data=None, state="ignored")
    store.append([attrs.evolve(_write("A", 1), row=moved)])
    row = store.load("A")
    assert row is not None
    assert (row.version, row.head, row.updated_at, row.data) == (2, "h2", "t2", '{"d":1}')
    assert row.state == "intake", "a row without a document moves only version, head and time"
    with pytest.raises(StoreError, match="a new case row needs its JSON document"):
        store.append([attrs.evolve(_write("B", 0), row=attrs.evolve(_row("B", 1), data=None))])
    stale = attrs.evolve(_write("A", 1), row=moved)
    with pytest.raises(ConcurrencyConflict, match="stream 'A': expected version 1"):
        store.append([stale])
    assert store.load("B") is None
    assert [r.seq for r in store.read("A")] == [1, 2]


def test_a_batch_with_one_replaced_timer_names_its_case_and_writes_nothing(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    timers = {
        i: TimerRecord("2026-01-01T10:00:00.000000+00:00", i, "resolution", 1, "breach", 1)
        for i in ("A", "B", "C")
    }
    store.append([attrs.evolve(_write(i, 0), timers=(t,)) for i, t in timers.items()])
    fired = [attrs.evolve(_write(i, 1), fired=(t,)) for i, t in timers.items()]
    fired[1] = attrs.evolve(fired[1], fired=(attrs.evolve(timers["B"], version=9),))
    with pytest.raises(ConcurrencyConflict, match="stream 'B'"):
        store.append(fired)
    assert len(store.due_timers("2026-01-02", 10)) == 3
    assert [len(store.read(i)) for i in timers] == [1, 1, 1]
    assert not store._db.in_transaction


def test_outbox_is_written_with_the_events(tmp_path: Path) -> None:
    from .test_backends_memory import _outbox_contract

    store = SQLiteStore(str(tmp_path / "d.db"))
    _outbox_contract(store)
    assert not store._db.in_transaction
    store.close()
    reopened = SQLiteStore(str(tmp_path / "d.db"))
    assert reopened.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 0}
    assert reopened.outbox("delivered")[0].delivered_to == ("log", "mail")


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
    from .test_backends_memory import _outbox

    path = tmp_path / "v2.db"
    store = SQLiteStore(str(path))
    timer = TimerRecord("2026-01-01T10:00:00.000000+00:00", "A", "resolution", 1, "breach", 1)
    store.append([attrs.evolve(_write("A", 0), timers=(timer,))])
    store.save_policy("v1", "{}", "2026")
    store._db.execute("DROP TABLE outbox")  # what a version 2 file is: all but the outbox
    store._db.execute("PRAGMA user_version = 2")
    store.close()
    v2 = sqlite3.connect(path)
    assert v2.execute("SELECT name FROM sqlite_master WHERE name LIKE 'outbox%'").fetchall() == []
    v2.close()

    upgraded = SQLiteStore(str(path))
    assert upgraded._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert [r.seq for r in upgraded.read("A")] == [1]
    assert upgraded.load("A") == _row("A", 1)
    assert upgraded.due_timers("2026-01-02", 10) == [timer]
    assert upgraded.load_policy("v1") == "{}"
    assert upgraded.outbox_counts() == {"pending": 0, "delivered": 0, "failed": 0}
    record = _outbox("A/2")
    upgraded.append([attrs.evolve(_write("A", 1), outbox=(record,))])
    assert upgraded.due_outbox("2026-01-02", 10) == [record]
    indexes = {r[1] for r in upgraded._db.execute("PRAGMA index_list(outbox)")}
    assert "outbox_due" in indexes
