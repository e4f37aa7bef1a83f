"""The first hour with the command: one ``--db``, one name for a period's end, a report that
says where the cases are, a demo that will not run twice, and a start that loads no command.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from serviceflow.cli._main import COMMANDS, DB_HELP, cli
from serviceflow.cli._paths import StoreTarget
from serviceflow.cli._simulate import _delta


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "240", "SERVICEFLOW_DB": None})


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("demo") / "demo.db")
    done = CliRunner().invoke(cli, ["--db", db, "demo", "--quiet"])
    assert done.exit_code == 0, done.output
    return db


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


# --- start-up: the commands load on first use -------------------------------------------


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_load_no_command(option: str) -> None:
    run = (
        "from serviceflow.cli import main\n"
        f"sys.argv = ['serviceflow', {option!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    loaded = _loaded_after(f"import sys\n{run}")
    commands = {f"serviceflow.cli.{module}" for module, _attr, _help in COMMANDS.values()}
    heavy = {"rich", "serviceflow.desk", "serviceflow.analytics", "serviceflow.simulation"}
    assert not loaded & (commands | heavy), sorted(loaded & (commands | heavy))


def test_the_table_names_every_command_with_its_own_short_help() -> None:
    assert sorted(cli.commands) == sorted(COMMANDS)
    for name, (module, attribute, short) in COMMANDS.items():
        command = getattr(importlib.import_module(f"serviceflow.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        assert command.name == name
        assert cli.commands[name] is command
        stand_in = click.Command(name, help=short)
        for limit in (30, 45, 70, 200, 10_000):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_help_lists_every_command_as_click_would() -> None:
    eager = click.Group("serviceflow", params=cli.params, help=cli.help)
    for name in COMMANDS:
        eager.add_command(cli.commands[name], name)
    for width in ("80", "200"):
        env = {"COLUMNS": width}
        lazy = CliRunner(env=env).invoke(cli, ["--help"], prog_name="serviceflow")
        plain = CliRunner(env=env).invoke(eager, ["--help"], prog_name="serviceflow")
        assert lazy.exit_code == 0, lazy.output
        assert lazy.output == plain.output


def test_every_command_runs_its_help(runner: CliRunner) -> None:
    for name in COMMANDS:
        shown = runner.invoke(cli, [name, "--help"])
        assert shown.exit_code == 0, (name, shown.output)
        assert f"Usage: cli {name}" in shown.output
    unknown = runner.invoke(cli, ["reprot"])
    assert unknown.exit_code == 2
    assert "Did you mean 'report'" in unknown.output


def test_python_m_serviceflow_runs_a_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "serviceflow", "--db", str(tmp_path / "x.db"), "cases"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no database at" in done.stderr


# --- one --db ----------------------------------------------------------------------------


def _db_option(command: click.Command) -> click.Option:
    return next(p for p in command.params if isinstance(p, click.Option) and p.name == "db")


def test_report_db_is_the_global_db() -> None:
    ctx = click.Context(cli)
    root, after = _db_option(cli), _db_option(cli.commands["report"])
    assert isinstance(root.type, StoreTarget)
    assert isinstance(after.type, StoreTarget)
    assert root.help == after.help == DB_HELP
    shown, shown_after = root.get_help_record(ctx), after.get_help_record(ctx)
    assert shown is not None
    assert shown == shown_after
    assert "[env var: SERVICEFLOW_DB]" in shown[1]
    assert "(default: serviceflow.db)" in shown[1]


def test_report_db_before_or_after_the_command_reads_the_same_desk(
    runner: CliRunner, demo_db: str, tmp_path: Path
) -> None:
    period = ["--from", "2026-03-02", "--to", "2026-03-06", "--json"]
    before = runner.invoke(cli, ["--db", demo_db, "report", *period])
    after = runner.invoke(cli, ["report", "--db", demo_db, *period])
    overridden = runner.invoke(
        cli, ["--db", str(tmp_path / "other.db"), "report", "--db", demo_db, *period]
    )
    from_env = runner.invoke(cli, ["report", *period], env={"SERVICEFLOW_DB": demo_db})
    for result in (before, after, overridden, from_env):
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["overall"]["cases"] == 12
    assert before.stdout == after.stdout == overridden.stdout == from_env.stdout
    missing = runner.invoke(
        cli, ["report", "--db", str(tmp_path / "none.db")], env={"SERVICEFLOW_DB": demo_db}
    )
    assert missing.exit_code == 2
    assert "Invalid value for '--db': no database at" in missing.output
    folder = runner.invoke(cli, ["report", "--db", str(tmp_path)])
    assert folder.exit_code == 2
    assert "Invalid value for '--db'" in folder.output


# --- one name for a period's end ---------------------------------------------------------


def test_review_ends_its_period_with_to_and_still_takes_at(runner: CliRunner, demo_db: str) -> None:
    to = runner.invoke(cli, ["--db", demo_db, "review", "weekly", "--to", "2026-03-06", "--json"])
    at = runner.invoke(cli, ["--db", demo_db, "review", "weekly", "--at", "2026-03-06", "--json"])
    assert to.exit_code == at.exit_code == 0, (to.output, at.output)
    assert to.stdout == at.stdout
    assert json.loads(to.stdout)["end"].startswith("2026-03-07T00:00")
    assert to.stderr == ""
    assert "'at' is deprecated. Use '--to'" in at.stderr
    both = runner.invoke(
        cli, ["--db", demo_db, "review", "weekly", "--to", "2026-03-06", "--at", "2026-03-06"]
    )
    assert both.exit_code == 2
    assert "pass --to only" in both.output
    helped = runner.invoke(cli, ["review", "--help"])
    assert "--to DATE" in helped.output
    assert "--at" not in helped.output


def test_report_and_review_describe_the_end_alike() -> None:
    def end(command: click.Command) -> click.Option:
        return next(p for p in command.params if isinstance(p, click.Option) and "--to" in p.opts)

    report, review = end(cli.commands["report"]), end(cli.commands["review"])
    assert report.type.end_of_day  # type: ignore[attr-defined]
    assert review.type.end_of_day  # type: ignore[attr-defined]
    for option in (report, review):
        assert "exclusive" in (option.help or "")
        assert "YYYY-MM-DD for the end of" in (option.help or "")


# --- simulate --compare ------------------------------------------------------------------


def test_a_rate_delta_is_in_percentage_points() -> None:
    assert _delta(0.032, "share") == "+3.2 pp"
    assert _delta(-0.05, "share") == "-5.0 pp"
    assert _delta(0.0, "share") == "+0.0 pp"
    assert _delta(3, "count") == "+3"
    assert _delta(None, "share") == "—"


def test_simulate_says_it_does_not_use_the_global_db(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("simpy")
    typed = runner.invoke(cli, ["--db", str(tmp_path / "desk.db"), "simulate", "no-such-scenario"])
    assert "simulate writes to its own --db (simulation.db), not to the global --db" in typed.stderr
    own = runner.invoke(
        cli,
        ["--db", str(tmp_path / "desk.db"), "simulate", "no-such-scenario", "--db", "memory://"],
    )
    assert "not to the global --db" not in own.stderr
    assert not (tmp_path / "desk.db").exists()


# --- report: where the cases are ---------------------------------------------------------


def test_report_after_the_demo_says_where_the_cases_are(runner: CliRunner, demo_db: str) -> None:
    shown = runner.invoke(cli, ["--db", demo_db, "report"])
    assert shown.exit_code == 0, shown.output
    line = shown.output.strip().splitlines()[-1]
    assert line.startswith("No case submitted or resolved in ")
    assert "(4 open from before); the 12 cases run from 2026-03-02 to 2026-03-05: " in line
    assert line.endswith("try --from 2026-03-02 --to 2026-03-05")
    tried = runner.invoke(
        cli, ["--db", demo_db, "report", "--from", "2026-03-02", "--to", "2026-03-05"]
    )
    assert "Cases 12 (12 submitted" in tried.output
    assert "No case" not in tried.output
    as_json = runner.invoke(cli, ["--db", demo_db, "report", "--json"])
    assert as_json.exit_code == 0
    json.loads(as_json.stdout)
    assert "try --from 2026-03-02 --to 2026-03-05" in as_json.stderr


def test_report_on_an_empty_store_says_so(runner: CliRunner) -> None:
    shown = runner.invoke(
        cli, ["--db", "memory://", "report", "--from", "2026-01-01", "--to", "2026-01-31"]
    )
    assert shown.exit_code == 0, shown.output
    assert "No case in 2026-01-01 – 2026-01-31; the store holds no case yet" in shown.output


# --- demo: once per store ----------------------------------------------------------------


def test_demo_refuses_a_store_that_holds_its_cases(runner: CliRunner, demo_db: str) -> None:
    again = runner.invoke(cli, ["--db", demo_db, "demo"])
    assert again.exit_code == 2
    assert (
        f"Error: Invalid value for '--db': {demo_db} already holds the demo's cases (12 cases); "
        "use another --db or delete the file"
    ) in again.output
    assert "A day at the desk" not in again.output
    counted = runner.invoke(cli, ["--db", demo_db, "report", "--from", "2026-03-02", "--json"])
    assert json.loads(counted.stdout)["overall"]["submitted"] == 12, "nothing was added"


def test_demo_refuses_another_desk_and_leaves_it_as_it_was(
    runner: CliRunner, tmp_path: Path
) -> None:
    from serviceflow import ServiceDesk
    from serviceflow.simulation._demo import DEMO_POLICY
    from tests.conftest import walk_to

    db = tmp_path / "desk.db"
    with ServiceDesk.open(f"sqlite:///{db}") as desk:
        walk_to(desk, "closed")
    refused = runner.invoke(cli, ["--db", str(db), "demo", "--quiet"])
    assert refused.exit_code == 2
    assert f"{db} already holds 1 case (not the demo's); use another --db" in refused.output
    with ServiceDesk.open(f"sqlite:///{db}") as desk:
        assert desk.count() == 1
        assert desk.store.load_policy(DEMO_POLICY.version) is None, "the demo's policy not kept"
