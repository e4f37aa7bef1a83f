"""The ``problem`` commands: list, show and candidates, through the serviceflow command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow import ServiceDesk
from serviceflow.cli._main import cli
from serviceflow.cli._problems import problem
from serviceflow.problems._service import Problems

cli.add_command(problem)  # as serviceflow.cli registers it


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "240"})


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A desk file with three printer jams and an unrelated case (submitted now)."""
    path = str(tmp_path / "desk.db")
    with ServiceDesk.open(f"sqlite:///{path}", entry_points=False) as desk:
        for subject in ("Printer jams", "printer jammed again", "paper jam in printer"):
            desk.submit(
                requester="acme/jane@acme.test",
                channel="email",
                subject=subject,
                category="functional",
                fields={"ci": "PRN-3F"},
            )
        desk.submit(requester="acme/bob@acme.test", channel="email", subject="VPN drops")
    return path


def test_candidates_then_list_and_show(runner: CliRunner, db: str) -> None:
    found = runner.invoke(cli, ["--db", db, "problem", "candidates"])
    assert found.exit_code == 0, found.output
    assert "prn-3f" in found.output
    assert "jam printer" in found.output
    none = runner.invoke(cli, ["--db", db, "problem", "candidates", "--min-cases", "4"])
    assert "No recurring incidents." in none.output

    with ServiceDesk.open(f"sqlite:///{db}", entry_points=False) as desk:
        problems = Problems(desk)
        (candidate,) = problems.candidates()
        problems.define("Printer 3F jams", "Jams daily", case_ids=candidate.case_ids, by="a:b")
        problems.known_error("PRB-1", error="Worn fuser", workaround="Use 2F", by="a:b")
        problems.define("Old", "Gone", by="a:b")

    listed = runner.invoke(cli, ["--db", db, "problem", "list"])
    assert listed.exit_code == 0, listed.output
    assert "PRB-1" in listed.output
    assert "Printer 3F jams" in listed.output
    shown = runner.invoke(cli, ["--db", db, "problem", "show", "PRB-1"])
    assert shown.exit_code == 0, shown.output
    assert "workaround: Use 2F" in shown.output
    assert "known_error" in shown.output
    assert candidate.case_ids[0] in shown.output


def test_candidates_send_incidents_of_an_open_problem_to_it(runner: CliRunner, db: str) -> None:
    with ServiceDesk.open(f"sqlite:///{db}", entry_points=False) as desk:
        problems = Problems(desk)
        (candidate,) = problems.candidates()
        problems.define("Printer 3F jams", "Jams daily", case_ids=candidate.case_ids, by="a:b")
        again = desk.submit(
            requester="acme/jane@acme.test",
            channel="email",
            subject="printer jams again",
            category="functional",
            fields={"ci": "PRN-3F"},
        ).id
    found = runner.invoke(cli, ["--db", db, "problem", "candidates"])
    assert found.exit_code == 0, found.output
    assert "No recurring incidents." in found.output
    assert (
        f"1 incident(s) match open problem PRB-1: link them to it (Printer 3F jams): {again}"
        in (found.output)
    )


def test_an_unknown_problem_is_a_clear_error(runner: CliRunner, db: str) -> None:
    result = runner.invoke(cli, ["--db", db, "problem", "show", "PRB-9"])
    assert result.exit_code == 1
    assert "problem 'PRB-9' does not exist" in result.output


def test_a_missing_database_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "problem", "list"])
    assert result.exit_code != 0
    assert "no database" in result.output
