"""``serviceflow improve``: the history of PDCA improvement cycles (``list``, ``show ID``).

Registered by ``cli.py`` (``cli.add_command(improve)``); it opens the desk of the root
group's ``--db``/``--policy`` the way every other command does.
"""

from __future__ import annotations

import click

from serviceflow.cli._json import emit, json_option
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Listing
from serviceflow.improvement._report import LIST_COLUMNS, list_row, show_rows
from serviceflow.improvement._service import Improvement


@click.group()
def improve() -> None:
    """PDCA improvement cycles: plan, do, check, act (see docs/improvement.md)."""


@improve.command("list")
@json_option("the cycles")
@click.pass_context
def list_cycles(ctx: click.Context, as_json: bool) -> None:
    """Every cycle: KPI, scope, baseline, target, result with its interval, version in force."""
    with open_desk(ctx) as desk:
        cycles = Improvement(desk).all()
    if as_json:
        emit(cycles)
        return
    shown = Listing(*LIST_COLUMNS, title="Improvement cycles", things="improvement cycles")
    for cycle in cycles:
        shown.add_row(*list_row(cycle))
    shown.print()


@improve.command("show")
@click.argument("cycle_id")
@json_option("the cycle")
@click.pass_context
def show_cycle(ctx: click.Context, cycle_id: str, as_json: bool) -> None:
    """One cycle: its plan, dry run, Do, Check (effect, interval, warnings) and decision."""
    with open_desk(ctx) as desk:
        cycle = Improvement(desk).get(cycle_id)
    if as_json:
        emit(cycle)
        return
    shown = Listing("field", "value", title=f"Improvement cycle {cycle.id}", show_header=False)
    for name, value in show_rows(cycle):
        shown.add_row(name, value)
    shown.print()
