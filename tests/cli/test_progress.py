"""Long work says where it is off a terminal: a progress line on stderr every
``PROGRESS_EVERY`` seconds for ``import`` and ``simulate`` (here: every callback)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow.cli import _progress
from serviceflow.cli._main import cli
from serviceflow.cli._progress import ProgressLines

SCENARIO = """
name = "lines"
description = "a few hours"
start = 2026-03-02T00:00:00Z
duration = "4h"
[arrivals]
per_week = 1000
[mix]
category = { billing = 1.0 }
[[agents]]
name = "a"
count = 2
skills = { billing = 3 }
"""

MAPPING = """
[source]
name = "mine"
timestamp = "%Y-%m-%d %H:%M"
[columns]
case_id = "id"
at = "time"
state = "status"
requester = "who"
[defaults]
channel = "email"
kind = "incident"
category = "billing"
[values.state]
New = "intake"
Done = "closed"
"""


@pytest.fixture
def every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A progress line at every callback."""
    monkeypatch.setattr(_progress, "PROGRESS_EVERY", 0.0)


def _lines(stderr: str, command: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"{command}: ")]


@pytest.mark.usefixtures("every_time")
def test_simulate_prints_progress_lines_to_stderr(tmp_path: Path) -> None:
    source = tmp_path / "lines.toml"
    source.write_text(SCENARIO)
    args = ["simulate", str(source), "--db", "memory://", "--html", ""]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = _lines(result.stderr, "simulate")
    assert lines, result.stderr
    shape = r"simulate: [\d.]+ of 4\.0 h simulated \(\d+%\), [\d,]+ cases, [\d,]+ commands, \d+ s"
    assert all(re.fullmatch(shape, line) for line in lines), lines
    assert not _lines(result.stdout, "simulate"), "progress stays off stdout"


@pytest.mark.usefixtures("every_time")
def test_simulate_quiet_prints_no_progress(tmp_path: Path) -> None:
    source = tmp_path / "lines.toml"
    source.write_text(SCENARIO)
    args = ["simulate", str(source), "--db", "memory://", "--html", "", "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert not _lines(result.stderr, "simulate")


@pytest.mark.usefixtures("every_time")
def test_import_prints_progress_lines_to_stderr(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.toml"
    mapping.write_text(MAPPING)
    log = tmp_path / "log.csv"
    rows = [f"A-{n},2026-03-02 09:{n:02},New,ann" for n in range(6)]
    log.write_text("id,time,status,who\n" + "\n".join(rows) + "\n")
    args = ["--db", str(tmp_path / "d.db"), "import", str(log), "--mapping", str(mapping)]
    result = CliRunner().invoke(cli, [*args, "--batch", "2", "--json"])
    assert result.exit_code == 0, result.output
    lines = _lines(result.stderr, "import")
    assert "import: 2 rows, " in lines[0], lines
    shape = r"import: [\d,]+ rows, [\d.]+ \w?B of [\d.]+ \w?B read \(\d+%\), \d+ s"
    assert all(re.fullmatch(shape, line) for line in lines), lines
    assert result.stdout.lstrip().startswith("{"), "stdout holds the JSON alone"


def test_lines_wait_for_the_interval(capsys: pytest.CaptureFixture[str]) -> None:
    lines = ProgressLines("work", lambda done, total: f"{done:.0f} of {total:.0f}", every=3600)
    lines(1, 10)
    assert capsys.readouterr().err == ""
    eager = ProgressLines("work", lambda done, total: f"{done:.0f} of {total:.0f}", every=0)
    eager(3, 10)
    assert capsys.readouterr().err == "work: 3 of 10, 0 s\n"
