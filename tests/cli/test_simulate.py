"""``serviceflow simulate`` through click: a tiny scenario, its KPIs, its dashboard."""

from __future__ import annotations

import re
import sys
import tomllib
from datetime import timedelta
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from attrs import evolve
from click.testing import CliRunner

from serviceflow.cli import _simulate as cli_simulate
from serviceflow.cli._main import cli
from serviceflow.cli._simulate import is_simulation_file
from serviceflow.desk._desk import ServiceDesk
from serviceflow.errors import ValidationError
from serviceflow.simulation import _whatif as sim_whatif
from serviceflow.simulation._desk import simulate
from serviceflow.simulation._result import SimulationResult
from serviceflow.simulation._scenario import Scenario, load_scenario
from serviceflow.simulation._scenario_parts import DAYS, Duration
from serviceflow.simulation._whatif import compare, compare_results, erlang_check, erlang_problems

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


def _digest(output: str) -> str:
    found = re.search(r"\((\d[\d,]*) refused\).*Digest (\w+)\.", output, re.DOTALL)
    assert found is not None, output
    assert found[1] == "0", output  # no command refused (ids did not collide)
    return found[2]


def test_simulate_a_scenario_file(tmp_path: Path) -> None:
    source = tmp_path / "cli.toml"
    source.write_text(SCENARIO)
    db, html = tmp_path / "sim.db", tmp_path / "sim.html"
    args = ["simulate", str(source), "--db", str(db), "--html", str(html), "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "KPIs" in result.output
    assert "desk commands" in result.output
    first = _digest(result.output)
    assert db.stat().st_size > 1000
    assert is_simulation_file(db)
    assert html.read_text().startswith("<!DOCTYPE html>") or "<html" in html.read_text()
    again = CliRunner().invoke(cli, args)  # replaces its own earlier file
    assert again.exit_code == 0, again.output
    assert _digest(again.output) == first


def test_a_sqlite_url_is_replaced_like_a_path(tmp_path: Path) -> None:
    """Regression: ``sqlite:///sim.db`` was used as is, so a second run's ids collided,
    every submit was refused and the first run's KPIs were printed with exit 0."""
    source = tmp_path / "cli.toml"
    source.write_text(SCENARIO)
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    args = ["simulate", str(source), "--db", url, "--html", "", "--quiet"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert _digest(second.output) == _digest(first.output)
    assert is_simulation_file(tmp_path / "sim.db")


def _real_desk(path: Path) -> bytes:
    with ServiceDesk.open(f"sqlite:///{path}") as desk:
        desk.submit(requester="user@client.test", subject="Real case", channel="email")
    return path.read_bytes()


@pytest.mark.parametrize("as_url", [False, True])
def test_refuses_to_replace_a_real_desk(tmp_path: Path, as_url: bool) -> None:
    """Regression: any SQLite file was deleted, a real desk's too."""
    real = tmp_path / "real.db"
    before = _real_desk(real)
    html = tmp_path / "sim.html"
    db = f"sqlite:///{real}" if as_url else str(real)
    args = ["simulate", "erlang", "--db", db, "--html", str(html), "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "holds a desk that is not a simulation; pass another --db" in result.output
    assert real.read_bytes() == before
    assert not html.exists()


def test_refuses_a_store_url_that_already_holds_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy = ServiceDesk.open("memory://")
    busy.submit(requester="user@client.test", subject="Real case", channel="email")
    manager = SimpleNamespace(hook=SimpleNamespace(open_store=lambda url: busy.store))
    monkeypatch.setattr(cli_simulate, "plugin_manager", lambda **_: manager)
    html = tmp_path / "sim.html"
    args = ["simulate", "erlang", "--db", "memory://busy", "--html", str(html), "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "memory://busy already holds a desk" in result.output
    assert not html.exists()


def test_a_url_no_store_opens_is_a_clear_error(tmp_path: Path) -> None:
    args = ["simulate", "erlang", "--db", "nowhere://x", "--html", "", "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "no store opens 'nowhere://x'" in result.output


def test_db_and_html_paths_are_checked_before_the_run(tmp_path: Path) -> None:
    html = tmp_path / "sim.html"
    folder = CliRunner().invoke(
        cli, ["simulate", "erlang", "--db", str(tmp_path), "--html", str(html), "--quiet"]
    )
    assert folder.exit_code == 2, folder.output
    assert "is a folder; name a SQLite file" in folder.output
    assert not isinstance(folder.exception, IsADirectoryError)
    db = tmp_path / "sim.db"
    nodir = tmp_path / "nodir" / "x.html"
    missing = CliRunner().invoke(
        cli, ["simulate", "erlang", "--db", str(db), "--html", str(nodir), "--quiet"]
    )
    assert missing.exit_code == 2, missing.output
    assert "'--html'" in missing.output
    assert "does not exist" in missing.output
    assert not db.exists()  # refused before anything was written
    no_db_dir = CliRunner().invoke(
        cli, ["simulate", "erlang", "--db", str(tmp_path / "no" / "s.db"), "--html", ""]
    )
    assert no_db_dir.exit_code == 2, no_db_dir.output
    assert "'--db'" in no_db_dir.output


def test_compare_prints_deltas_and_runs_the_main_scenario_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "cli.toml"
    source.write_text(SCENARIO)
    other = tmp_path / "other.toml"
    other.write_text(SCENARIO.replace("count = 2", "count = 4").replace('"cli"', '"more"'))
    runs: list[str] = []

    def counted(scenario: Scenario, url: str = "memory://") -> SimulationResult:
        runs.append(scenario.name)
        return simulate(scenario, url)

    monkeypatch.setattr(sim_whatif, "simulate", counted)
    args = ["simulate", str(source), "--db", "memory://", "--html", "", "--quiet"]
    result = CliRunner().invoke(cli, [*args, "--compare", str(other), "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert "What-if" in result.output
    assert "delta" in result.output
    assert runs == ["more"]  # the main run's result is reused, not run again


def test_a_bad_compare_scenario_fails_before_anything_is_written(tmp_path: Path) -> None:
    source = tmp_path / "cli.toml"
    source.write_text(SCENARIO)
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.replace("per_week = 1000", "per_week = -1"))
    db, html = tmp_path / "sim.db", tmp_path / "sim.html"
    args = ["simulate", str(source), "--db", str(db), "--html", str(html), "--quiet"]
    result = CliRunner().invoke(cli, [*args, "--compare", str(bad)])
    assert result.exit_code == 1, result.output
    assert "$.arrivals.per_week: must not be negative" in result.output
    assert not db.exists()
    assert not html.exists()


def test_compare_takes_a_run_already_done() -> None:
    short = load_scenario(tomllib.loads(SCENARIO))
    done = simulate(short)
    found = compare(short, short.with_overrides(staffing=2.0), a_result=done)
    assert found.a is done
    assert found == compare_results(done, found.b)
    with pytest.raises(ValidationError, match="a_result: a run of 'cli' seed 1"):
        compare(short.with_overrides(seed=2), short, a_result=done)


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


# --- Erlang C's assumptions (erlang_check refuses before running) -----------------------


def _erlang(**changes: Any) -> dict[str, Any]:
    text = (
        resources.files("serviceflow.simulation").joinpath("scenarios", "erlang.toml").read_text()
    )
    data: dict[str, Any] = tomllib.loads(text)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[int(key)]
        node[last] = value
    return data


def _erlang_problems(**changes: Any) -> list[str]:
    return erlang_problems(load_scenario(_erlang(**changes)))


def test_the_shipped_erlang_scenario_meets_every_assumption() -> None:
    assert erlang_problems(load_scenario("erlang")) == []
    flat = _erlang_problems(arrivals__weekly=dict.fromkeys(("mon", "tue", "wed"), 1.0))
    assert flat == []


def test_erlang_refuses_a_rate_that_is_not_constant_over_the_week() -> None:
    """Regression: ``{mon = 1.3}`` passed although the days left out weigh 1."""
    assert _erlang_problems(arrivals__weekly={"mon": 1.3}) == [
        "$.arrivals.weekly: Erlang C needs a constant rate over the 7 days "
        "(a day left out weighs 1)"
    ]
    assert _erlang_problems(arrivals__weekly=dict.fromkeys(DAYS, 2.0)) == []
    daily = [1.0] * 23 + [2.0]
    assert _erlang_problems(arrivals__daily=daily) == [
        "$.arrivals.daily: Erlang C needs a constant rate over the 24 hours"
    ]
    with pytest.raises(ValidationError) as caught:
        erlang_check(load_scenario(_erlang(arrivals__weekly={"mon": 1.3})))
    assert "does not meet Erlang C" in str(caught.value)
    assert caught.value.problems[0].startswith("$.arrivals.weekly:")


def test_erlang_refuses_other_handle_times() -> None:
    own = {"howto": {"mean": "12m", "shape": "exponential"}}
    assert _erlang_problems(handle__category=own) == [
        "$.handle.category.howto: Erlang C needs one handle time for every case"
    ]
    same = {"howto": {"mean": "6m", "shape": "exponential"}}
    assert _erlang_problems(handle__category=same) == []
    assert _erlang_problems(handle__default={"mean": "6m", "cv": 0.5}) == [
        "$.handle.default.shape: Erlang C needs exponential handle times, got 'lognormal'"
    ]


def test_erlang_refuses_capacity_shifts_events_and_chances() -> None:
    scenario = load_scenario("erlang")
    group = scenario.agents[0]
    shifted = evolve(
        scenario,
        agents=(evolve(group, capacity={"*": 2}, shift="day"),),
        shifts={"day": {"mon": ("09:00-17:00",)}},
    )
    assert erlang_problems(shifted) == [
        "$.agents[0].capacity: Erlang C needs one case at a time ({ \"*\" = 1 }), got {'*': 2}",
        "$.agents[0].shift: Erlang C needs agents always on shift, got 'day'",
    ]
    chances = _erlang_problems(
        chances={"reopen": 0.1, "needs_info": 0.2, "escalate": 0.05, "confirm": 0.0}
    )
    assert chances == [
        "$.chances.needs_info: Erlang C needs 0, got 0.2",
        "$.chances.escalate: Erlang C needs 0, got 0.05",
        "$.chances.reopen: Erlang C needs 0, got 0.1",
    ]
    burst = [{"at": "mon 10:00", "count": 5, "category": "howto"}]
    assert _erlang_problems(events=burst) == ["$.events: Erlang C has no bursts or absences"]
    business = {"zone": "UTC", "week": {"mon": ["09:00-17:00"]}}
    paused = _erlang_problems(
        policy__calendars={"office": business}, policy__sla__0__calendar="office"
    )
    assert paused == [
        "$.policy.sla[0].calendar: Erlang C counts waiting around the clock: '24/7', got 'office'"
    ]
    assert Duration(mean=timedelta(minutes=6), shape="exponential") == scenario.handle.default
