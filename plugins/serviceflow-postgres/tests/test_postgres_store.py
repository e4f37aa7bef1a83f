"""What the PostgreSQL store adds to the contract: opening, migrations, SKIP LOCKED, wake-ups."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql
from serviceflow.errors import ConcurrencyConflict, StoreError
from serviceflow.eventlog import FactsRecord, HeadRecord
from serviceflow.testing.records import at, message, timer, write

from postgres_support import with_schema
from serviceflow_postgres import MIGRATIONS, SCHEMA_VERSION, Migration, PostgresStore
from serviceflow_postgres.address import parse_address


@contextmanager
def opened(url: str, **options: Any) -> Iterator[PostgresStore]:
    store = PostgresStore(url, **options)
    try:
        yield store
    finally:
        store.close()


def raw(url: str) -> psycopg.Connection[Any]:
    """A plain connection working in the store's schema."""
    address = parse_address(url)
    conn = psycopg.connect(address.conninfo, autocommit=True)
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(address.schema)))
    return conn


# --- opening -------------------------------------------------------------------------------


def test_an_unreachable_server_is_a_store_error_naming_the_url_without_password() -> None:
    url = "postgresql://app:s3cret@127.0.0.1:1/test?connect_timeout=2"
    with pytest.raises(StoreError) as error:
        PostgresStore(url)
    text = str(error.value)
    assert text.startswith("postgresql://app:***@127.0.0.1:1/test")
    assert "cannot open the PostgreSQL store" in text
    assert "s3cret" not in text


def test_a_missing_database_is_a_store_error(pg_server: str) -> None:
    parts = pg_server.split("?", maxsplit=1)[0].rsplit("/", 1)
    with pytest.raises(StoreError, match="serviceflow_no_such_db"):
        PostgresStore(f"{parts[0]}/serviceflow_no_such_db")


def test_the_schema_is_created_and_migrated_once(pg_url: str) -> None:
    with opened(pg_url) as store:
        assert store.schema_version == SCHEMA_VERSION
    with opened(pg_url) as again:
        assert again.schema_version == SCHEMA_VERSION
    with raw(pg_url) as conn:
        rows = conn.execute("SELECT version, description FROM schema_version").fetchall()
    assert rows == [(m.version, m.description) for m in MIGRATIONS]


def test_a_newer_schema_is_refused_and_left_alone(pg_url: str) -> None:
    with opened(pg_url) as store:
        store.append([write("A", 0)])
    with raw(pg_url) as conn:
        conn.execute("INSERT INTO schema_version (version, description) VALUES (99, 'future')")
    with pytest.raises(StoreError, match="at version 99, newer than this serviceflow-postgres"):
        PostgresStore(pg_url)
    with raw(pg_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone() == (1,)


def test_new_migrations_are_applied_in_order_on_open(pg_url: str) -> None:
    with opened(pg_url, migrations=MIGRATIONS[:1]) as store:
        store.append([write("A", 0)])
    extra = Migration(2, "a test column", ("ALTER TABLE cases ADD COLUMN note TEXT",))
    with opened(pg_url, migrations=(*MIGRATIONS[:1], extra)) as store:
        assert store.schema_version == 2
        assert store.load("A") is not None, "data survives the migration"
    with raw(pg_url) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (2,)
        assert conn.execute("SELECT note FROM cases").fetchall() == [(None,)]


def test_a_schema_at_version_1_gains_the_kept_facts_table(pg_url: str) -> None:
    with opened(pg_url, migrations=MIGRATIONS[:1]) as store:
        store.append([write("A", 0, events=2)])
        history = store.read("A")
    with opened(pg_url, migrations=MIGRATIONS[:2]) as store:
        assert store.schema_version == 2
        assert list(store.histories_or_facts("k")) == [history], "nothing kept yet"
        store.save_facts([FactsRecord("A", 2, "k", '"a"')])
        assert list(store.histories_or_facts("k")) == [FactsRecord("A", 2, "k", '"a"')]
    with raw(pg_url) as conn:
        steps = conn.execute("SELECT version, description FROM schema_version ORDER BY version")
        assert steps.fetchall() == [(m.version, m.description) for m in MIGRATIONS[:2]]
        assert conn.execute("SELECT case_id, version FROM case_facts").fetchall() == [("A", 2)]


def test_numbered_migrations_must_not_have_gaps(pg_url: str) -> None:
    gap = Migration(3, "skips two", ("SELECT 1",))
    with pytest.raises(StoreError, match="numbered 1, 2, 3"):
        PostgresStore(pg_url, migrations=(*MIGRATIONS[:1], gap))


def test_a_failing_migration_leaves_the_schema_at_its_last_good_step(pg_url: str) -> None:
    broken = Migration(2, "broken", ("ALTER TABLE cases ADD COLUMN x TEXT", "SELECT * FROM nope"))
    with pytest.raises(StoreError, match="nope"):
        PostgresStore(pg_url, migrations=(*MIGRATIONS[:1], broken))
    with raw(pg_url) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (1,)
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'cases' AND column_name = 'x'"
        ).fetchall()
    assert columns == [], "the step's first statement was rolled back with it"


def test_openers_racing_on_a_fresh_schema_migrate_it_once(pg_url: str) -> None:
    start = threading.Barrier(4)
    versions: list[int] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        start.wait()
        try:
            with opened(pg_url) as store:
                versions.append(store.schema_version)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert versions == [SCHEMA_VERSION] * 4
    with raw(pg_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone() == (len(MIGRATIONS),)


def test_schemas_keep_desks_apart(pg_url: str) -> None:
    other = with_schema(pg_url, pg_url.rsplit("=", 1)[1] + "_other")
    try:
        with opened(pg_url) as one, opened(other) as two:
            one.append([write("A", 0)])
            assert two.read("A") == []
            assert two.load("A") is None
    finally:
        with raw(pg_url) as conn:
            name = parse_address(other).schema
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def test_a_closed_store_is_a_store_error(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    store.close()
    with pytest.raises(StoreError, match="read failed"):
        store.read("A")


# --- claims skip what another transaction holds --------------------------------------------


def test_a_claim_skips_timers_locked_elsewhere_instead_of_waiting(pg_url: str) -> None:
    a, b = timer("A", 10), timer("B", 10)
    with opened(pg_url) as store, raw(pg_url) as other:
        store.append([write("A", 0, timers=(a,)), write("B", 0, timers=(b,))])
        with other.transaction():
            other.execute("SELECT 1 FROM timers WHERE case_id = 'A' FOR UPDATE")
            started = time.monotonic()
            assert store.claim_timers(at(20), 10, at(30)) == [b]
            assert time.monotonic() - started < 2, "skipped, not waited for"
        assert store.claim_timers(at(20), 10, at(30)) == [a], "free once the other commits"


def test_a_claim_skips_messages_locked_elsewhere_instead_of_waiting(pg_url: str) -> None:
    a1, b1 = message("A/1", 10), message("B/1", 10)
    with opened(pg_url) as store, raw(pg_url) as other:
        store.append([write("A", 0, outbox=(a1,)), write("B", 0, outbox=(b1,))])
        with other.transaction():
            other.execute("SELECT 1 FROM outbox WHERE key = 'A/1' FOR UPDATE")
            assert [m.key for m in store.claim_outbox(at(20), 10, at(30))] == ["B/1"]
        assert [m.key for m in store.claim_outbox(at(20), 10, at(30))] == ["A/1"]


def test_a_tick_write_that_loses_its_timer_is_a_conflict_and_writes_nothing(pg_url: str) -> None:
    a1 = timer("A", 10)
    with opened(pg_url) as store:
        store.append([write("A", 0, timers=(a1,))])
        store.append([write("A", 1, timers=(timer("A", 30, version=2),))])
        with pytest.raises(ConcurrencyConflict) as conflict:
            store.append([write("A", 2, fired=(a1,))])
        assert conflict.value.stream == "A"
        assert [e.seq for e in store.read("A")] == [1, 2]
        assert store.case_timers(["A"]) == {"A": [timer("A", 30, version=2)]}


def test_a_row_behind_its_events_is_a_store_error_not_a_conflict(pg_url: str) -> None:
    with opened(pg_url) as store, raw(pg_url) as conn:
        store.append([write("A", 0)])
        conn.execute("UPDATE cases SET version = 7 WHERE id = 'A'")
        with pytest.raises(StoreError, match="disagrees with the events"):
            store.append([write("A", 1)])
        assert [e.seq for e in store.read("A")] == [1], "nothing written"


# --- waking idle workers -------------------------------------------------------------------


def test_commits_with_due_work_wake_a_waiting_worker(pg_url: str) -> None:
    with opened(pg_url) as worker, opened(pg_url) as client:
        assert worker.wait_for_work(5.0) is True, "the first wait starts listening and looks"
        started = time.monotonic()
        assert worker.wait_for_work(0.2) is False, "nothing was committed"
        assert time.monotonic() - started >= 0.15
        client.append([write("A", 0, outbox=(message("A/1", 1),))])
        client.append([write("B", 0, outbox=(message("B/1", 1),))])
        time.sleep(0.3)  # both announcements have arrived
        started = time.monotonic()
        assert worker.wait_for_work(10.0) is True
        assert time.monotonic() - started < 5
        assert worker.wait_for_work(0.2) is False, "both announcements served by one wake-up"


def test_work_due_later_does_not_wake_anyone(pg_url: str) -> None:
    later = message("A/1", 60, created=1)
    with opened(pg_url) as worker, opened(pg_url) as client:
        worker.wait_for_work(0.0)
        client.append([write("A", 0, outbox=(later,), timers=(timer("A", 90),))])
        assert worker.wait_for_work(0.3) is False
        client.append([write("A", 1, timers=(timer("A", 0),))])
        assert worker.wait_for_work(5.0) is True, "a timer already due when written"


def test_a_worker_blocked_waiting_is_woken_from_another_thread(pg_url: str) -> None:
    with opened(pg_url) as worker, opened(pg_url) as client:
        worker.wait_for_work(0.0)
        woke: list[bool] = []
        waiting = threading.Thread(target=lambda: woke.append(worker.wait_for_work(20.0)))
        started = time.monotonic()
        waiting.start()
        time.sleep(0.2)
        client.append([write("A", 0, outbox=(message("A/1"),))])
        waiting.join(timeout=20)
        assert woke == [True]
        assert time.monotonic() - started < 10


def test_a_schema_at_version_2_gains_checkpoints_and_keeps_its_data(pg_url: str) -> None:
    with opened(pg_url, migrations=MIGRATIONS[:2]) as store:
        store.append([write("A", 0, events=2)])
    with opened(pg_url) as store:
        assert store.schema_version == 3
        assert [r.seq for r in store.read("A")] == [1, 2]
        assert store.last_checkpoint() is None
        assert list(store.heads()) == [HeadRecord("A", 2, "A/2")]
