"""``serviceflow staff FORECAST`` through CliRunner: tables, JSON, CSV, errors, no desk."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow.capacity._forecast_files import load_forecast
from serviceflow.capacity._staffing import INTERVAL_COLUMNS, plan_staffing
from serviceflow.cli._consoles import console
from serviceflow.cli._main import cli
from serviceflow.cli._staff import staff

if "staff" not in cli.commands:
    cli.add_command(staff)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as a wide terminal shows them (and, after, the width the console had:
    setting ``console.width`` back would pin it, and ``COLUMNS`` would no longer count)."""
    monkeypatch.setattr(console, "_width", 200)


EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "forecast_week.toml")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["staff", *args], terminal_width=200)
    return result.exit_code, result.output


def test_hourly_table_and_summary_without_a_desk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _run(EXAMPLE)
    assert code == 0, out
    assert list(tmp_path.iterdir()) == []  # no database was created or needed
    assert "Rostered agents per hour" in out
    assert "Mon 2026-03-02 10:00" in out
    assert "74 ← peak" in out
    assert out.count("← peak") == 1
    assert "Summary per queue" in out
    assert "technical (phone)" in out
    assert "90%/30s ASA≤15s" in out
    assert out.count("Sun 2026-03-08") == 24


def test_interval_table() -> None:
    code, out = _run(EXAMPLE, "--interval-table")
    assert code == 0, out
    assert "Rostered agents per interval" in out
    assert "Mon 2026-03-02 10:15" in out
    assert out.count("Sun 2026-03-08") == 96


def test_json_is_the_plan_summary() -> None:
    code, out = _run(EXAMPLE, "--json")
    assert code == 0, out
    data = json.loads(out)
    plan = plan_staffing(load_forecast(EXAMPLE))
    assert data["peak"] == plan.peak == max(data["totals"])
    assert [q["name"] for q in data["queues"]] == ["billing", "technical", "web-chat"]
    assert len(data["queues"][0]["rostered"]) == 672


def test_csv_export_has_every_queue_and_interval(tmp_path: Path) -> None:
    target = tmp_path / "plan.csv"
    code, out = _run(EXAMPLE, "--csv", str(target))
    assert code == 0, out
    assert f"Wrote 2016 rows to {target}" in out
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(INTERVAL_COLUMNS)
    assert len(rows) == 3 * 672
    assert rows[40]["queue"] == "billing"
    assert int(rows[40]["rostered"]) > 0


def test_a_bad_forecast_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[queues]]\nname = "q"\nhandle_seconds = 60\narrivals = [1, -2]\n', encoding="utf-8"
    )
    code, out = _run(str(bad))
    assert code == 1
    assert "$.queues[0].arrivals[1]: expected a finite number ≥ 0" in out
    code, out = _run(str(tmp_path / "missing.csv"))
    assert code == 2, "a missing file is a usage error"
    assert "does not exist" in out


def test_csv_into_a_missing_folder_is_refused_before_planning(tmp_path: Path) -> None:
    code, out = _run(EXAMPLE, "--csv", str(tmp_path / "nodir" / "plan.csv"))
    assert code == 2
    assert "'--csv'" in out
    assert "does not exist" in out
