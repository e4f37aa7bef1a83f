"""``serviceflow improve list / show`` on a desk with cycles, through CliRunner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from click.testing import CliRunner

from serviceflow import ManualClock, ServiceDesk
from serviceflow.analytics._kpi_sample import Kpi
from serviceflow.cli._improve import improve
from serviceflow.improvement._service import Improvement

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@click.group()
@click.option("--db", default="serviceflow.db")
@click.option("--policy", default=None)
def root(db: str, policy: str | None) -> None:
    """The root group as cli.py builds it (same options)."""


root.add_command(improve)


def _desk_with_cycles(path: Path) -> None:
    clock = ManualClock(T0)
    with ServiceDesk.open(f"sqlite:///{path}", clock=clock, entry_points=False) as desk:
        case = desk.submit(requester="c@x.test", channel="email", subject="s")
        desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(case.id, impact="low", urgency="low", by="agent:kim")
        desk.assign(case.id, to="agent:kim", by="lead:ana")
        clock.advance(timedelta(hours=2))
        desk.acknowledge(case.id, by="agent:kim", message="On it")
        clock.advance(timedelta(minutes=1))
        improvement = Improvement(desk)
        cycle = improvement.plan(
            kpi=Kpi("first_response", "p90", "calendar"),
            scope={"channel": "email"},
            baseline=(T0, clock.now()),
            target=3600,
            patch={"lifecycle": {"reopen_window": "7d"}},
            hypothesis="h",
            note="staffing: one more agent mornings",
            by="lead:ana",
        )
        improvement.do(cycle.id, by="lead:ana")
        clock.advance(timedelta(hours=1))
        improvement.check(cycle.id, by="lead:ana")
        improvement.roll_back(cycle.id, by="lead:ana", reason="no change")


def test_list_and_show(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _desk_with_cycles(db)
    runner = CliRunner(env={"COLUMNS": "250"})
    listed = runner.invoke(root, ["--db", str(db), "improve", "list"])
    assert listed.exit_code == 0, listed.output
    assert "PDCA-1" in listed.output
    assert "rolled_back" in listed.output
    assert "channel=email" in listed.output
    shown = runner.invoke(root, ["--db", str(db), "improve", "show", "PDCA-1"])
    assert shown.exit_code == 0, shown.output
    for text in ("baseline", "target", "rank test", "decision", "no change", "staffing"):
        assert text in shown.output


def test_no_cycles_and_an_unknown_cycle(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    ServiceDesk.open(f"sqlite:///{db}", entry_points=False).close()
    runner = CliRunner(env={"COLUMNS": "250"})
    listed = runner.invoke(root, ["--db", str(db), "improve", "list"])
    assert listed.exit_code == 0
    assert "No improvement cycles" in listed.output
    missing = runner.invoke(root, ["--db", str(db), "improve", "show", "PDCA-7"])
    assert missing.exit_code != 0
