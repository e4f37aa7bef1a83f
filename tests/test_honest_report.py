"""A report on a log that has no SLA, requesters or channels: every figure it cannot support
is "—" with its reason, in the terminal, JSON, CSV and the dashboard alike; nothing is
guessed. End to end through the command line, on a log of the shape a real export has.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from serviceflow.cli._main import cli

LOG = """\
id,time,status,cat,imp,urg,agent,team,product
A1,2026-03-02 09:00,Active,billing,high,high,kim,L1,app
A1,2026-03-02 11:00,Resolved,billing,high,high,kim,L1,web
A2,2026-03-03 09:00,Active,billing,low,low,ola,L2,app
A2,2026-03-03 10:00,Resolved,billing,low,low,ola,L2,app
A3,2026-03-04 09:00,Active,access,medium,high,kim,L1,api
"""
MAPPING = """\
[source]
name = "desk"
timestamp = "%Y-%m-%d %H:%M"

[columns]
case_id = "id"
at = "time"
state = "status"
category = "cat"
impact = "imp"
urgency = "urg"
assignee = "agent"
team = "team"

[columns.fields]
product = "product"

[defaults]
kind = "incident"

[actors]
assignee = "agent:"

[values.state]
Active = "in_progress"
Resolved = "resolved"
"""
PERIOD = ["--from", "2026-03-01", "--to", "2026-03-31"]
NO_REQUESTER = "the log names no requester"
NO_LEVEL = "no service level applies"
NO_ESCALATIONS = "imported cases record no escalations"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("honest")
    (folder / "log.csv").write_text(LOG, encoding="utf-8")
    (folder / "map.toml").write_text(MAPPING, encoding="utf-8")
    db = folder / "desk.db"
    done = run(
        ["--db", str(db), "import", str(folder / "log.csv"), "--mapping", str(folder / "map.toml")]
    )
    assert "cases created" in done.output
    return db


def run(args: list[str]) -> Result:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result


def test_the_terminal_says_why_instead_of_a_number(imported: Path) -> None:
    out = run(["--db", str(imported), "report", *PERIOD]).output
    words = " ".join(out.replace("│", " ").split())  # however the table wraps its cells
    assert f"SLA compliance — ({NO_LEVEL})" in words
    assert f"repeat issue 0 0 — submitted cases with a requester: {NO_REQUESTER}" in words
    assert f"escalated 0 0 — submitted cases: {NO_ESCALATIONS}" in words
    assert "first response time is not measured" in words, "answered in a first row"
    assert "100.0%" not in words.split("Summary")[1].split("first-contact")[0]


def test_json_holds_no_value_and_the_reason(imported: Path) -> None:
    data = json.loads(run(["--db", str(imported), "report", *PERIOD, "--json"]).output)
    overall = data["overall"]
    for key, why in (
        ("repeat", NO_REQUESTER),
        ("sla_all", NO_LEVEL),
        ("escalated", NO_ESCALATIONS),
    ):
        assert (overall[key]["value"], overall[key]["reason"]) == (None, why)
    assert overall["first_response"]["calendar"]["count"] == 0
    assert overall["first_response"]["unmeasured"] == 3


@pytest.mark.parametrize(
    ("by", "why"), [("channel", "the log names no channel"), ("group", NO_REQUESTER)]
)
def test_slices_the_log_cannot_fill_are_empty_and_say_so(imported: Path, by: str, why: str) -> None:
    data = json.loads(run(["--db", str(imported), "report", *PERIOD, "--by", by, "--json"]).output)
    assert (data["slices"], data["unsliced"]) == ({}, {why: 3})
    out = run(["--db", str(imported), "report", *PERIOD, "--by", by]).output
    assert f"3 cases are in no row: {why}." in " ".join(out.split())


def test_a_field_slice_uses_the_value_in_force_at_the_end(imported: Path) -> None:
    data = json.loads(
        run(["--db", str(imported), "report", *PERIOD, "--by", "field:product", "--json"]).output
    )
    assert {name: k["cases"] for name, k in data["slices"].items()} == {
        "web": 1,
        "app": 1,
        "api": 1,
    }


def test_csv_and_the_dashboard_carry_the_reasons(imported: Path, tmp_path: Path) -> None:
    html = tmp_path / "board.html"
    run(
        [
            "--db",
            str(imported),
            "report",
            *PERIOD,
            "--export",
            str(tmp_path / "out"),
            "--html",
            str(html),
        ]
    )
    with (tmp_path / "out" / "summary.csv").open(encoding="utf-8") as table:
        rows = {row["kpi"]: row for row in csv.DictReader(table)}
    assert rows["repeat issue"]["rate"] == ""
    assert rows["repeat issue"]["denominator"].endswith(NO_REQUESTER)
    assert rows["SLA compliance (all clocks)"]["denominator"].endswith(NO_LEVEL)
    page = html.read_text(encoding="utf-8")
    for why in (NO_REQUESTER, NO_LEVEL, NO_ESCALATIONS):
        assert why in page
