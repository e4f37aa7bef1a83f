"""``serviceflow simulate [SCENARIO]``: run a simulated desk, print its KPIs, write the dashboard.

Listed in ``_main.COMMANDS``, which imports this module when ``simulate`` runs. It writes to
its own store, ``--db`` (``simulation.db`` by default, replaced every run), never to the
root ``--db``: a simulation must not mix its invented cases into a real desk's file. A
global ``--db`` given on the command line is therefore not used, and a note says so.

A SQLite file (a path or a ``sqlite:///`` URL) is marked as a simulation's before the desk
is written: it gets a table ``serviceflow_simulation`` (the scenario's name and seed).
Only a file holding that table is ever replaced; any other SQLite file is refused, as is
any other store URL that already holds streams. Every input is checked before anything
is written. A file given as a path is written at ``synchronous=normal``: the run is
replayed from its seed, so a power cut need not keep each command (a ``sqlite:///`` URL
keeps the level it names).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from serviceflow.analytics._metrics import kpis
from serviceflow.analytics._table import format_cell
from serviceflow.backends.sqlite import parse_url
from serviceflow.cli._consoles import console, err
from serviceflow.cli._paths import OutputPath, StoreTarget
from serviceflow.cli._progress import reporting
from serviceflow.cli._support import print_kpis
from serviceflow.cli._tables import Col, Listing
from serviceflow.errors import ServiceflowError
from serviceflow.plugins._manager import plugin_manager
from serviceflow.simulation._scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from serviceflow.simulation._desk import Simulation
    from serviceflow.simulation._result import SimulationResult
    from serviceflow.simulation._whatif import Comparison

DEFAULT_SCENARIO = "week"
DEFAULT_DB = "simulation.db"
DEFAULT_HTML = "simulation.html"
_SQLITE_HEADER = b"SQLite format 3\x00"
MARKER_TABLE = "serviceflow_simulation"
"""The table that marks a SQLite file as a simulation's (so a later run may replace it)."""


@click.command()
@click.argument("scenario", required=False, default=DEFAULT_SCENARIO, metavar="[SCENARIO]")
@click.option(
    "--db",
    "db",
    default=DEFAULT_DB,
    show_default=True,
    metavar="PATH|URL",
    type=StoreTarget(),
    help="Where the simulated desk is written (not the global --db): a SQLite file or "
    "sqlite:/// URL (an earlier simulation's file is replaced; any other file is refused) "
    "or an empty store such as memory://.",
)
@click.option("--seed", type=int, help="Override the scenario's seed.")
@click.option(
    "--html",
    "html_path",
    default=DEFAULT_HTML,
    show_default=True,
    metavar="PATH",
    type=OutputPath(),
    help="Write the KPI dashboard here ('' for none).",
)
@click.option(
    "--compare",
    "other",
    metavar="SCENARIO",
    help="Also run this scenario (same seed, in memory) and print both KPIs side by side.",
)
@click.option("--quiet", is_flag=True, help="No progress bar; only the summary and the KPIs.")
@click.pass_context
def simulate(  # noqa: PLR0917 - click passes the options by position
    ctx: click.Context,
    scenario: str,
    db: str,
    seed: int | None,
    html_path: str,
    other: str | None,
    quiet: bool,
) -> None:
    """Simulate a desk: the shipped week of a mid-size desk by default, or a built-in
    scenario (week, erlang, friday_outage) or a scenario TOML file."""
    _note_global_db(ctx, db)
    try:
        import simpy  # noqa: F401, PLC0415 - the simulation extra
    except ImportError:
        raise click.ClickException(
            "serviceflow simulate needs the 'simulation' extra (simpy): "
            "pip install 'serviceflow[simulation]'"
        ) from None
    from serviceflow.simulation._whatif import compare  # noqa: PLC0415 - needs simpy

    chosen = load_scenario(scenario)
    if seed is not None:
        chosen = chosen.with_overrides(seed=seed, name=chosen.name)
    variant = load_scenario(other) if other is not None else None
    target = _target(db)
    url = _fresh_store(target, chosen)
    result = _run(chosen, url, html_path, quiet)
    _print_summary(result)
    if variant is not None:
        if not quiet:
            console.print(f"Comparing with [bold]{escape(variant.name)}[/] (same seed) …")
        _print_comparison(compare(chosen, variant, a_result=result))


def _note_global_db(ctx: click.Context, db: str) -> None:
    """Say so when a global ``--db`` was typed for ``simulate`` without its own: the
    simulation is written to its own ``--db``, not to a desk's store."""
    root = ctx.find_root()
    typed = click.core.ParameterSource.COMMANDLINE
    if root is ctx or root.get_parameter_source("db") is not typed:
        return
    if ctx.get_parameter_source("db") is typed:
        return
    err.print(
        f"note: simulate writes to its own --db ({escape(db)}), not to the global "
        f"--db {escape(root.params['db'])}; pass `serviceflow simulate --db PATH` to choose it",
        soft_wrap=True,
    )


def _target(db: str) -> tuple[str, Path | None]:
    """``--db`` as (store URL, SQLite file or None): a path or ``sqlite:///`` URL is a file,
    checked here (a file that is not a simulation's is refused; ``StoreTarget`` refused a
    folder or a missing folder); another URL must name a store that holds no streams yet."""
    if "://" in db and not db.startswith("sqlite:"):
        _check_empty_store(db)
        return db, None
    if db.startswith("sqlite:"):
        try:
            raw, _sync = parse_url(db)
        except ServiceflowError as exc:
            raise click.BadParameter(str(exc), param_hint="'--db'") from None
        url, path = db, Path(raw)
    else:  # rebuilt from its seed every run: no fsync per command (a URL keeps its own)
        url, path = f"sqlite:///{db}?synchronous=normal", Path(db)
    if path.exists():
        with path.open("rb") as f:
            if f.read(16) != _SQLITE_HEADER:
                raise click.ClickException(
                    f"{db} exists and is not a SQLite file; not replacing it"
                )
        if not is_simulation_file(path):
            raise click.ClickException(
                f"{db} holds a desk that is not a simulation; pass another --db "
                "(only a file an earlier `serviceflow simulate` made is replaced)"
            )
    return url, path


def is_simulation_file(path: Path) -> bool:
    """Whether the SQLite file at ``path`` carries the simulation marker table."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
            ).fetchone()
    except sqlite3.DatabaseError:
        return False
    return found is not None


def _check_empty_store(url: str) -> None:
    """A store URL other than SQLite: refuse it if it already holds streams."""
    try:
        store = plugin_manager(entry_points=False).hook.open_store(url=url)
    except ServiceflowError as exc:
        raise click.BadParameter(str(exc), param_hint="'--db'") from None
    if store is None:
        raise click.BadParameter(
            f"no store opens {url!r}; built in: memory://, sqlite:///path.db",
            param_hint="'--db'",
        )
    try:
        used = next(iter(store.streams()), None) is not None
    finally:
        store.close()
    if used:
        raise click.ClickException(
            f"{url} already holds a desk; a simulation needs an empty store: pass another --db"
        )


def _fresh_store(target: tuple[str, Path | None], scenario: Scenario) -> str:
    """Replace an earlier simulation's SQLite file and mark the new one; the store URL."""
    url, path = target
    if path is None:
        return url
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(f"CREATE TABLE {MARKER_TABLE} (scenario TEXT NOT NULL, seed INTEGER)")
            db.execute(f"INSERT INTO {MARKER_TABLE} VALUES (?, ?)", (scenario.name, scenario.seed))
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot create {path}: {exc}") from None
    return url


def _run(scenario: Scenario, url: str, html_path: str, quiet: bool) -> SimulationResult:
    """Run with a progress bar, print the KPI tables, write the dashboard."""

    if not quiet:
        console.print(
            f"[bold]Simulating[/] {escape(scenario.name)} ({escape(scenario.description)}), "
            f"seed {scenario.seed}, into {escape(url)}"
        )
    from serviceflow.simulation._desk import Simulation  # noqa: PLC0415 - needs simpy

    sim = Simulation(scenario, url)

    def where(done: float, total: float) -> str:
        unit, size = ("days", 86400.0) if total >= 2 * 86400 else ("h", 3600.0)
        share = f" ({done / total:.0%})" if total else ""
        return (
            f"{done / size:,.1f} of {total / size:,.1f} {unit} simulated{share}, "
            f"{sim.cases:,} cases, {sum(sim.commands.values()):,} commands"
        )

    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    total = scenario.duration.total_seconds()
    try:
        with reporting(
            "simulate", where, bar, task="simulated time", total=total, quiet=quiet
        ) as moved:
            result = sim.run(moved)
        print_kpis(result.kpis, sim.desk.policy)
        if html_path:
            _dashboard(sim, result, html_path)
    finally:
        sim.close()
    return result


def _dashboard(sim: Simulation, result: SimulationResult, html_path: str) -> None:
    """The same dashboard ``serviceflow report --html`` writes (needs the reports extra)."""
    from serviceflow.analytics._dashboard import write_dashboard  # noqa: PLC0415 - optional extra

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
    console.print(f"wrote {escape(html_path)}", soft_wrap=True)


def _print_summary(result: SimulationResult) -> None:
    refused = sum(result.refused.values())
    console.print(
        f"{result.cases:,} cases, {result.total_commands:,} desk commands "
        f"({refused:,} refused), {result.ticks:,} ticks firing {result.fired:,} SLA events, "
        f"in {result.wall_seconds:.1f} s ({result.commands_per_second:,.0f} commands/s). "
        f"Digest {result.digest[:12]}."
    )


def _print_comparison(found: Comparison) -> None:
    shown = Listing(
        "KPI",
        Col(found.a.scenario, "right"),
        Col(found.b.scenario, "right"),
        Col("delta", "right"),
        title="What-if",
    )
    for row in found.rows:
        shown.add_row(
            row.label,
            format_cell(row.a, row.kind),  # type: ignore[arg-type]
            format_cell(row.b, row.kind),  # type: ignore[arg-type]
            _delta(row.delta, row.kind),
        )
    shown.print()


def _delta(delta: float | None, kind: str) -> str:
    """A what-if delta: signed; a change of a rate in percentage points (``+3.2 pp``), since
    a percentage would read as relative to the first rate."""
    if delta is None:
        return "—"
    sign = "" if delta < 0 else "+"
    if kind == "share":
        return f"{sign}{delta * 100:.1f} pp"
    return sign + format_cell(delta, kind)  # type: ignore[arg-type]
