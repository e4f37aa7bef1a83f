"""What every ``serviceflow`` command shares: the consoles and the desk of ``--db`` (tables:
``_tables``).

Needs the ``cli`` extra (click and rich); ``serviceflow.cli`` and the command groups of
their own modules (``cli_improve``, ``cli_knowledge``, ``cli_problems``) import it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.markup import escape

from serviceflow.analytics._kpi_set import KpiReport
from serviceflow.analytics._kpi_tables import headline
from serviceflow.analytics._report import tables
from serviceflow.analytics._table import Table as KpiTable
from serviceflow.analytics._table import format_cell
from serviceflow.cli._consoles import console
from serviceflow.cli._tables import Col, Listing
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain.policy._policy import Policy, load_policy
from serviceflow.errors import PolicyError, ServiceflowError

# Sentences wrap at spaces to the width (a line that names a path or a command to copy is
# printed with soft_wrap=True: whole, however long); tables go through ``_tables.Listing``.


def store_url(db: str) -> str:
    """A ``--db`` value as a store URL: URLs pass through, paths become SQLite files."""
    return db if "://" in db else f"sqlite:///{db}"


def open_desk(ctx: click.Context, *, existing: bool = True, quiet: bool = True) -> ServiceDesk:
    """The desk of ``--db``. Commands that only read refuse to create a new file and stay
    quiet about a policy change (they write nothing it could affect)."""
    if quiet:
        logging.getLogger("serviceflow.desk").setLevel(logging.ERROR)
    db = ctx.find_root().params["db"]
    if existing and "://" not in db and not Path(db).exists():
        raise click.BadParameter(
            f"no database at {db} (run `serviceflow demo` or pass --db)", param_hint="'--db'"
        )
    policy = root_policy(ctx)
    with refused_as_usage("--db"):
        return ServiceDesk.open(store_url(db), policy=policy)


def root_policy(ctx: click.Context) -> Policy | None:
    """The root ``--policy`` file, loaded (None: the default policy); a file that does not
    parse or validate is a usage error naming the option."""
    path = ctx.find_root().params["policy"]
    if not path:
        return None
    with refused_as_usage("--policy"):
        return load_policy(Path(path))


@contextmanager
def refused_as_usage(option: str) -> Iterator[None]:
    """Turn a refusal of an option's value (a store that cannot open, a file that does not
    parse) into click's usage error naming the option: ``Error: ...``, exit status 2."""
    try:
        yield
    except PolicyError as exc:
        raise click.BadParameter(str(exc), param_hint="'--policy'") from None
    except (ServiceflowError, OSError, sqlite3.Error) as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None


def print_kpis(found: KpiReport, policy: Policy, *, empty: str | None = None) -> None:
    """A KPI report as ``serviceflow report`` prints it: the period, the headline numbers,
    then every table that has rows (``empty``: a line that says why the period is quiet,
    printed last instead of the default one)."""
    sliced = f", by {found.by}" if found.by else ""
    since = f"{found.start:%Y-%m-%d %H:%M}" if found.start is not None else "the first case"
    console.print(f"[bold]KPIs[/] {since} to {found.end:%Y-%m-%d %H:%M} UTC{escape(sliced)}")
    console.print(
        " · ".join(
            f"{f.label} [bold]{escape(f.text())}[/] ({escape(f.detail)})"
            for f in headline(found.overall)
        )
    )
    for shown in tables(found, policy):
        if shown.rows and shown.name != "volume":
            _print_kpi_table(shown)
        elif shown.name == "slices":  # no row: its note says why (a log without the value)
            console.print(f"[bold]{escape(shown.title)}[/]: —. {escape(shown.note)}")
    if empty is not None:
        console.print(escape(empty), soft_wrap=True)
    elif not found.overall.cases:
        console.print("No case in this period; pass --from to look further back.")


def _print_kpi_table(shown: KpiTable) -> None:
    """A KPI table with numbers right-aligned, durations and rates readable."""
    out = Listing(
        *(Col(c.label, "left" if c.kind == "text" else "right") for c in shown.columns),
        title=shown.title,
    )
    for row in shown.rows:
        cells = zip(row, shown.columns, strict=True)
        out.add_row(*(format_cell(value, c.kind) for value, c in cells))
    out.print()
    if shown.note:
        console.print(f"[dim]{escape(shown.note)}[/]")
