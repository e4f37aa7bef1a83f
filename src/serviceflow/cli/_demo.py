"""``serviceflow demo``: a scripted day of a small desk, played into ``--db`` and summarised.

Listed in ``_main.COMMANDS``, which imports this module when ``demo`` runs. It refuses a
store that already holds cases (an earlier demo's, or a real desk's): a second run would
add a second set of cases beside them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from rich.markup import escape
from rich.text import Text

from serviceflow.cli._consoles import console
from serviceflow.cli._support import refused_as_usage, store_url
from serviceflow.cli._tables import Col, Listing, say_under
from serviceflow.eventlog._store import CaseQuery
from serviceflow.plugins._manager import plugin_manager
from serviceflow.simulation._demo import DAY, DemoStep, demo_desk, run_demo


@click.command()
@click.option("--quiet", is_flag=True, help="Print only the summary.")
@click.pass_context
def demo(ctx: click.Context, quiet: bool) -> None:
    """Play a scripted day of a small desk into the --db file and summarise it."""
    url = store_url(ctx.find_root().params["db"])
    with refused_as_usage("--db"):
        _refuse_used(url, ctx.find_root().params["db"])
        desk, clock = demo_desk(url)
    if not quiet:
        console.print(f"[bold]A day at the desk[/] — writing to {escape(url)}\n", soft_wrap=True)

    def show(step: DemoStep) -> None:
        if quiet:
            return
        state, style = ("refused", "red") if step.refused else (step.state, "cyan")
        prefix = Text.assemble(
            (f"{step.at:%a %H:%M}", "dim"),
            " ",
            (f"{step.label:>3}", "bold"),
            " ",
            (f"{state:<18}", style),
            " ",
        )
        say_under(prefix, step.text)

    with desk:
        summary = run_demo(desk, clock, show)
    states = Listing("state", Col("cases", "right"), title="Summary", things="cases")
    for state, count in summary.by_state.items():
        states.add_row(state, count)
    console.print()
    states.print()
    outcomes = Listing(
        "SLA clock", "status", Col("cases", "right"), title="Service levels", things="SLA clocks"
    )
    for metric, status, count in summary.sla:
        outcomes.add_row(metric.replace("_", " "), status, count)
    outcomes.print()
    median = summary.median_resolution_hours
    console.print(
        f"{len(summary.cases)} cases, {summary.events} events, "
        f"{summary.refusals} commands refused with an explanation, "
        f"{summary.verified}/{len(summary.cases)} hash chains verified."
    )
    if median is not None:
        console.print(f"Median time to resolution: {median:.1f} h (calendar time).")
    db = escape(ctx.find_root().params["db"])
    console.print("Inspect it:")
    for command in ("cases", "history ID", "sla ID"):  # to copy: whole, however long
        console.print(f"  serviceflow --db {db} {command}", soft_wrap=True)


def _refuse_used(url: str, db: str) -> None:
    """Refuse (a usage error naming ``--db``) a store that holds cases: the demo's from an
    earlier run, or any other desk's. Read from the bare store, before the demo's desk opens
    (that would store the demo's policy in it)."""
    store = plugin_manager().hook.open_store(url=url)
    if store is None:
        return  # ServiceDesk.open says which stores there are
    try:
        held = store.count(CaseQuery())
        first = next(iter(store.query(CaseQuery(limit=1))), None)
    finally:
        store.close()
    if first is None:
        return
    cases = f"{held:,} case" + ("" if held == 1 else "s")
    submitted = datetime.fromisoformat(first.submitted_at)
    if DAY <= submitted < DAY + timedelta(days=7):
        what = f"the demo's cases ({cases})"
    else:
        what = f"{cases} (not the demo's)"
    raise click.BadParameter(
        f"{db} already holds {what}; use another --db or delete the file",
        param_hint="'--db'",
    )
