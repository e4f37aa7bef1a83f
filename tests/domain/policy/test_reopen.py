"""A reopened desk runs the policy in force in its store; the default only in an empty one."""

from __future__ import annotations

import logging
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow import ServiceDesk, load_policy
from serviceflow.cli._main import cli
from serviceflow.domain.policy._policy import default_policy
from serviceflow.eventlog._policy_log import history, version_in_force

FAST = load_policy({"sla": [{"name": "all", "targets": {"first_response": {"within": "1h"}}}]})
SLOW = load_policy({"sla": [{"name": "all", "targets": {"first_response": {"within": "4h"}}}]})

SCENARIO = """
name = "reopen"
description = "a few hours on a business calendar"
start = 2026-03-02T06:00:00Z
duration = "10h"
[arrivals]
per_week = 1500
[mix]
category = { billing = 1.0 }
[[agents]]
name = "a"
count = 2
skills = { billing = 3 }
[policy]
[[policy.sla]]
name = "all"
calendar = "office"
targets = { first_response = { within = "30m" }, resolution = { within = "2h", warnings = [0.5] } }
[policy.calendars.office.week]
mon = ["08:00-12:00", "13:00-17:00"]
"""


def _written(path: Path) -> tuple[int, int, int]:
    """Stored policies, events and the policy log's events of a SQLite file."""
    with closing(sqlite3.connect(path)) as db:
        policies = db.execute("SELECT COUNT(*) FROM policies").fetchone()[0]
        events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        stream = ("policy:in-force",)
        log = db.execute("SELECT COUNT(*) FROM events WHERE stream = ?", stream).fetchone()[0]
    return int(policies), int(events), int(log)


def test_the_first_desk_given_a_policy_records_it_and_later_desks_run_it(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    with ServiceDesk.open(f"sqlite:///{path}", policy=FAST, entry_points=False) as desk:
        assert version_in_force(desk.store) == FAST.version
        desk.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice")
        [first] = history(desk.store)
        assert (first.version, first.previous) == (FAST.version, "")
    with ServiceDesk.open(f"sqlite:///{path}", policy=SLOW, entry_points=False) as desk:
        assert desk.policy == SLOW, "a given policy is used as given"
        assert version_in_force(desk.store) == FAST.version, "but not recorded over another"
    before = _written(path)
    with ServiceDesk.open(f"sqlite:///{path}", entry_points=False) as desk:
        assert desk.policy == FAST
    assert _written(path) == before, "opening without a policy writes nothing"


def test_an_empty_store_opened_without_a_policy_runs_the_default_and_keeps_it(
    store_url: str,
) -> None:
    with ServiceDesk.open(store_url, entry_points=False) as desk:
        assert desk.policy == default_policy()
        assert desk.store.load_policy(default_policy().version) is not None
        assert version_in_force(desk.store) == default_policy().version
        again = ServiceDesk(desk.store, policy=FAST)
        assert again.policy == FAST, "used as given"
        assert version_in_force(desk.store) == default_policy().version, "not put in force"
        assert ServiceDesk(desk.store).policy == default_policy()


def test_a_store_written_before_the_record_runs_its_newest_policy_not_the_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.db"
    with ServiceDesk.open(f"sqlite:///{path}", policy=FAST, entry_points=False) as desk:
        desk.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice")
    with closing(sqlite3.connect(path)) as db, db:  # as files were before the record
        db.execute("DELETE FROM events WHERE stream = 'policy:in-force'")
    before = _written(path)
    with caplog.at_level(logging.WARNING, logger="serviceflow.desk"):
        desk = ServiceDesk.open(f"sqlite:///{path}", entry_points=False)
    with desk:
        assert desk.policy == FAST
        assert desk.store.load_policy(default_policy().version) is None
    assert "no policy is recorded in force" in caplog.text
    assert _written(path) == before


def test_report_on_a_simulation_file_agrees_with_the_simulation_to_the_digit(
    tmp_path: Path,
) -> None:
    pytest.importorskip("simpy")
    source, db = tmp_path / "reopen.toml", tmp_path / "sim.db"
    source.write_text(SCENARIO)
    runner = CliRunner()
    html = str(tmp_path / "sim.html")
    simulated = runner.invoke(cli, ["simulate", str(source), "--db", str(db), "--html", html])
    assert simulated.exit_code == 0, simulated.output
    before = _written(db)
    period = ["--from", "2026-03-02T06:00:00Z", "--to", "2026-03-02T16:00:00Z"]
    reported = runner.invoke(cli, ["--db", str(db), "report", *period])
    assert reported.exit_code == 0, reported.output
    assert _written(db) == before, "reading the report wrote nothing (no default policy)"
    assert re.search(r"SLA compliance", reported.output), reported.output
    assert reported.output.startswith("KPIs 2026-03-02 06:00 to 2026-03-02 16:00 UTC")
    assert reported.output in simulated.output, "the same KPI tables, to the digit"
