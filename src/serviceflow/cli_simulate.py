"""``serviceflow simulate [SCENARIO]``: run a simulated desk, print its KPIs, write the dashboard.

Registered by ``cli.py`` (``cli.add_command(simulate)``). It writes to its own store,
``--db`` (``simulation.db`` by default, replaced every run), never to the root ``--db``:
a simulation must not mix its invented cases into a real desk's file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from serviceflow.cli_support import add_row, console, err, print_kpis, store_url, table
from serviceflow.metrics import kpis
from serviceflow.report import format_cell
from serviceflow.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from serviceflow.sim_whatif import Comparison
    from serviceflow.simulation import Simulation, SimulationResult

DEFAULT_SCENARIO = "week"
DEFAULT_DB = "simulation.db"
DEFAULT_HTML = "simulation.html"
_SQLITE_HEADER = b"SQLite format 3\x00"


@click.command()
@click.argument("scenario", required=False, default=DEFAULT_SCENARIO, metavar="[SCENARIO]")
@click.option(
    "--db",
    "db",
    default=DEFAULT_DB,
    show_default=True,
    metavar="PATH|URL",
    help="Where the simulated desk is written: a SQLite file (replaced each run) or a "
    "store URL such as memory://.",
)
@click.option("--seed", type=int, help="Override the scenario's seed.")
@click.option(
    "--html",
    "html_path",
    default=DEFAULT_HTML,
    show_default=True,
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="Write the KPI dashboard here ('' for none).",
)
@click.option(
    "--compare",
    "other",
    metavar="SCENARIO",
    help="Also run this scenario (same seed, in memory) and print both KPIs side by side.",
)
@click.option("--quiet", is_flag=True, help="No progress bar; only the summary and the KPIs.")
def simulate(  # noqa: PLR0917 - click passes the options by position
    scenario: str, db: str, seed: int | None, html_path: str, other: str | None, quiet: bool
) -> None:
    """Simulate a desk: the shipped week of a mid-size desk by default, or a built-in
    scenario (week, erlang, friday_outage) or a scenario TOML file."""
    try:
        import simpy  # noqa: F401, PLC0415 - the simulation extra
    except ImportError:
        raise click.ClickException(
            "serviceflow simulate needs the 'simulation' extra (simpy): "
            "pip install 'serviceflow[simulation]'"
        ) from None
    from serviceflow.sim_whatif import compare  # noqa: PLC0415 - needs simpy

    chosen = load_scenario(scenario)
    if seed is not None:
        chosen = chosen.with_overrides(seed=seed, name=chosen.name)
    url = _fresh_store(db)
    result = _run(chosen, url, html_path, quiet)
    _print_summary(result)
    if other is not None:
        variant = load_scenario(other)
        if not quiet:
            console.print(f"Comparing with [bold]{escape(variant.name)}[/] (same seed) …")
        _print_comparison(compare(chosen, variant))


def _fresh_store(db: str) -> str:
    """The store URL for ``--db``; a SQLite file there is replaced (only a SQLite file)."""
    if "://" in db:
        return db
    path = Path(db)
    if path.exists():
        with path.open("rb") as f:
            if f.read(16) != _SQLITE_HEADER:
                raise click.ClickException(
                    f"{db} exists and is not a SQLite file; not replacing it"
                )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return store_url(db)


def _run(scenario: Scenario, url: str, html_path: str, quiet: bool) -> SimulationResult:
    """Run with a progress bar, print the KPI tables, write the dashboard."""

    if not quiet:
        console.print(
            f"[bold]Simulating[/] {escape(scenario.name)} ({escape(scenario.description)}), "
            f"seed {scenario.seed}, into {escape(url)}"
        )
    from serviceflow.simulation import Simulation  # noqa: PLC0415 - needs simpy

    sim = Simulation(scenario, url)
    try:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=err,
            disable=quiet,
            transient=True,
        ) as bar:
            task = bar.add_task("simulated time", total=scenario.duration.total_seconds())
            result = sim.run(lambda done, _total: bar.update(task, completed=done))
        print_kpis(result.kpis, sim.desk.policy)
        if html_path:
            _dashboard(sim, result, html_path)
    finally:
        sim.close()
    return result


def _dashboard(sim: Simulation, result: SimulationResult, html_path: str) -> None:
    """The same dashboard ``serviceflow report --html`` writes (needs the reports extra)."""
    from serviceflow.dashboard import write_dashboard  # noqa: PLC0415 - optional extra

    priorities = kpis(sim.desk, start=result.start, end=result.end, by="priority")
    try:
        write_dashboard(
            html_path,
            result.kpis,
            generated_at=result.end,
            priorities=priorities,
            policy=sim.desk.policy,
            title=f"Simulation {result.scenario}: service desk report",
        )
    except ImportError:
        err.print(
            "[dim]no dashboard: it needs the reports extra (pip install 'serviceflow[reports]')[/]"
        )
        return
    console.print(f"wrote {escape(html_path)}")


def _print_summary(result: SimulationResult) -> None:
    refused = sum(result.refused.values())
    console.print(
        f"{result.cases:,} cases, {result.total_commands:,} desk commands "
        f"({refused:,} refused), {result.ticks:,} ticks firing {result.fired:,} SLA events, "
        f"in {result.wall_seconds:.1f} s ({result.commands_per_second:,.0f} commands/s). "
        f"Digest {result.digest[:12]}."
    )


def _print_comparison(found: Comparison) -> None:
    shown = table("KPI", found.a.scenario, found.b.scenario, "delta", title="What-if")
    for row in found.rows:
        delta = row.delta
        sign = "" if delta is None or delta < 0 else "+"
        text = "—" if delta is None else sign + format_cell(delta, row.kind)  # type: ignore[arg-type]
        add_row(
            shown,
            row.label,
            format_cell(row.a, row.kind),  # type: ignore[arg-type]
            format_cell(row.b, row.kind),  # type: ignore[arg-type]
            text,
        )
    console.print(shown)
