"""``serviceflow demo``: a scripted day of a small desk, played into ``--db`` and summarised.

Registered by ``_main.py`` (``cli.add_command(demo)``).
"""

from __future__ import annotations

import click
from rich.markup import escape

from serviceflow.cli._support import add_row, console, refused_as_usage, store_url, table
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
        console.print(f"[bold]A day at the desk[/] — writing to {escape(url)}\n")

    def show(step: DemoStep) -> None:
        if quiet:
            return
        mark = f"[red]{'refused':<18}[/]" if step.refused else f"[cyan]{step.state:<18}[/]"
        console.print(
            f"[dim]{step.at:%a %H:%M}[/] [bold]{step.label:>3}[/] {mark} {escape(step.text)}",
            soft_wrap=True,
        )

    with desk:
        summary = run_demo(desk, clock, show)
    states = table("state", "cases", title="Summary")
    for state, count in summary.by_state.items():
        add_row(states, state, count)
    console.print()
    console.print(states)
    if summary.sla:
        outcomes = table("SLA clock", "status", "cases", title="Service levels")
        for metric, status, count in summary.sla:
            add_row(outcomes, metric.replace("_", " "), status, count)
        console.print(outcomes)
    median = summary.median_resolution_hours
    console.print(
        f"{len(summary.cases)} cases, {summary.events} events, "
        f"{summary.refusals} commands refused with an explanation, "
        f"{summary.verified}/{len(summary.cases)} hash chains verified."
    )
    if median is not None:
        console.print(f"Median time to resolution: {median:.1f} h (calendar time).")
    db = escape(ctx.find_root().params["db"])
    console.print(
        f"Inspect: serviceflow --db {db} cases; serviceflow --db {db} history ID; "
        f"serviceflow --db {db} sla ID"
    )
