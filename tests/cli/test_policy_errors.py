"""``serviceflow policy check`` on a file with the natural mistakes: every one listed, in
words, with its path, and the verdict as the exit status, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow.cli._main import cli

MISTAKES = """\
name = "acme"
kinds = "incident"                  # a list written as one text

[priority]
levels = ["high"]                   # a level as text, not a table
impacts = ["high"]
urgencies = ["high"]
matrix = { high = { high = "critical" } }

[categories]                        # [categories] where [[categories]] belongs
name = "outage"

[[tiers]]
name = "standard"
raise_priority = "3h"

[automation]
classify = "yes"

[lifecycle]
reopen_window = true

[[sla]]
name = "all"
[sla.targets.resolution]
within = "3 fortnights"

[[sla]]
name = 7
targets = "fast"
"""
EXPECTED = (
    "$.kinds: expected a list of texts, got the text 'incident'",
    "$.categories: expected a list of tables, got a table",
    "$.priority.levels[0]: expected a table (name, description, response), got the text 'high'",
    "$.tiers[0].raise_priority: expected a whole number, got '3h'",
    "$.lifecycle.reopen_window: expected a duration like '45m', '4h', '1d 2h', 'PT30M' "
    "or a number of seconds, got true",
    "$.automation.classify: expected true or false, got 'yes'",
    "$.sla[0].targets['resolution'].within: cannot read '3 fortnights'",
    "$.sla[1].name: expected text, got 7",
    "$.sla[1].targets: expected a table, got the text 'fast'",
)
LEAKS = ("Traceback", "unknown error", "object has no attribute", "<class", "NoneType")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "400"})


def check(runner: CliRunner, path: Path, text: str) -> tuple[int, str]:
    """The exit status and the output of ``serviceflow policy check`` on ``text``."""
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["policy", "check", str(path)])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, " ".join(result.output.split())


def test_every_natural_mistake_is_listed_in_words(runner: CliRunner, tmp_path: Path) -> None:
    status, output = check(runner, tmp_path / "bad.toml", MISTAKES)
    assert status == 1
    assert "bad.toml is invalid:" in output
    for problem in EXPECTED:
        assert problem in output, (problem, output)
    for leak in LEAKS:
        assert leak not in output


def test_a_bad_level_does_not_hide_a_bad_service_level(runner: CliRunner, tmp_path: Path) -> None:
    text = (
        "[priority]\n"
        'impacts = ["high"]\n'
        'urgencies = ["high"]\n'
        'matrix = { high = { high = "p1" } }\n'
        '[[priority.levels]]\nname = "p1"\n'
        "[[priority.levels]]\nname = 2\n"
        '[[sla]]\nname = "all"\ntargets = { resolution = { within = "soon" } }\n'
    )
    status, output = check(runner, tmp_path / "two.toml", text)
    assert status == 1
    assert "$.priority.levels[1].name: expected text, got 2" in output
    assert "$.sla[0].targets['resolution'].within: cannot read 'soon'" in output


def test_a_sound_file_still_passes(runner: CliRunner, tmp_path: Path) -> None:
    status, output = check(runner, tmp_path / "good.toml", 'name = "fine"\n')
    assert status == 0
    assert output.startswith("ok ")
