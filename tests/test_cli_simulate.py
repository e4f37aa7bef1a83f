"""``serviceflow simulate`` through click: a tiny scenario, its KPIs, its dashboard."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow.cli import cli

SCENARIO = """
name = "cli"
description = "a few hours"
start = 2026-03-02T00:00:00Z
duration = "8h"
[arrivals]
per_week = 1000
[mix]
category = { billing = 1.0 }
[[agents]]
name = "a"
count = 2
skills = { billing = 3 }
[policy]
sla = [{ name = "all", targets = { first_response = { within = "30m" } } }]
"""


def test_simulate_a_scenario_file(tmp_path: Path) -> None:
    source = tmp_path / "cli.toml"
    source.write_text(SCENARIO)
    db, html = tmp_path / "sim.db", tmp_path / "sim.html"
    db.write_bytes(b"SQLite format 3\x00 old simulation")
    args = ["simulate", str(source), "--db", str(db), "--html", str(html), "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "KPIs" in result.output
    assert "desk commands" in result.output
    assert "Digest" in result.output
    assert db.stat().st_size > 1000
    assert html.read_text().startswith("<!DOCTYPE html>") or "<html" in html.read_text()


def test_compare_prints_deltas(tmp_path: Path) -> None:
    source = tmp_path / "cli.toml"
    source.write_text(SCENARIO)
    other = tmp_path / "other.toml"
    other.write_text(SCENARIO.replace("count = 2", "count = 4").replace('"cli"', '"more"'))
    args = ["simulate", str(source), "--db", "memory://", "--html", "", "--quiet"]
    result = CliRunner().invoke(cli, [*args, "--compare", str(other), "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert "What-if" in result.output
    assert "delta" in result.output


def test_refuses_to_replace_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    keep = tmp_path / "notes.txt"
    keep.write_text("precious")
    result = CliRunner().invoke(cli, ["simulate", "erlang", "--db", str(keep), "--quiet"])
    assert result.exit_code != 0
    assert "not a SQLite file" in result.output
    assert keep.read_text() == "precious"


def test_bad_scenario_is_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "bad.toml"
    source.write_text(SCENARIO.replace("per_week = 1000", "per_week = -1"))
    result = CliRunner().invoke(cli, ["simulate", str(source), "--db", "memory://", "--quiet"])
    assert result.exit_code == 1
    assert "$.arrivals.per_week: must not be negative" in result.output


def test_without_the_simulation_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "simpy", None)
    result = CliRunner().invoke(cli, ["simulate", "--quiet"])
    assert result.exit_code == 1
    assert "needs the 'simulation' extra" in result.output


def test_the_main_job_needs_only_the_extras_the_readme_installs() -> None:
    """The README's first command installs cli, reports and simulation: not holidays."""
    import subprocess

    script = (
        "import sys; sys.modules['holidays'] = None\n"
        "from serviceflow.scenario import load_scenario\n"
        "from serviceflow.simulation import simulate\n"
        "week = load_scenario('week')\n"
        "print(len(week.desk_policy().calendar_map))\n"
        "short = week.with_overrides(seed=1)\n"
        "import attrs, datetime\n"
        "short = attrs.evolve(short, duration=datetime.timedelta(hours=6))\n"
        "print(simulate(short, 'memory://').cases > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "True"
