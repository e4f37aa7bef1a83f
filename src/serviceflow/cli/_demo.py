"""``serviceflow demo``: a scripted day of a small desk, played into ``--db`` and summarised.

Registered by ``_main.py`` (``cli.add_command(demo)``).
"""

from __future__ import annotations

import click
from rich.markup import escape
from rich.text import Text

from serviceflow.cli._support import console, refused_as_usage, store_url
from serviceflow.cli._tables import Col, Listing, say_under
from serviceflow.simulation._demo import DemoStep, demo_desk, run_demo


@click.command()
@click.option("--quiet", is_flag=True, help="Print only the summary.")
@click.pass_context
def demo(ctx: click.Context, quiet: bool) -> None:
    """Play a scripted day of a small desk into the --db file and summarise it."""
    url = store_url(ctx.find_root().params["db"])
    with refused_as_usage("--db"):
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
