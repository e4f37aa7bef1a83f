"""What every ``serviceflow`` command shares: the consoles, tables, and the desk of ``--db``.

Needs the ``cli`` extra (click and rich); ``serviceflow.cli`` and the command groups of
their own modules (``cli_improve``, ``cli_knowledge``, ``cli_problems``) import it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from serviceflow.desk import ServiceDesk
from serviceflow.policy import Policy, load_policy

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

_NO_WRAP = frozenset({"id", "state", "priority", "#", "cases"})


def table(*columns: str, title: str | None = None, show_header: bool = True) -> Table:
    """A table whose cells fold rather than truncate: ids and messages stay whole."""
    made = Table(title=escape(title) if title else None, show_header=show_header)
    for column in columns:
        made.add_column(column, overflow="fold", no_wrap=column in _NO_WRAP)
    return made


def add_row(into: Table, *cells: object) -> None:
    """Add user data as plain text: a subject like '[/x]' is text, not markup."""
    into.add_row(*(escape(str(cell)) for cell in cells))


def store_url(db: str) -> str:
    """A ``--db`` value as a store URL: URLs pass through, paths become SQLite files."""
    return db if "://" in db else f"sqlite:///{db}"


def open_desk(ctx: click.Context, *, existing: bool = True, quiet: bool = True) -> ServiceDesk:
    """The desk of ``--db``. Commands that only read refuse to create a new file and stay
    quiet about a policy change (they write nothing it could affect)."""
    if quiet:
        logging.getLogger("serviceflow.desk").setLevel(logging.ERROR)
    options = ctx.find_root().params
    db = options["db"]
    if existing and "://" not in db and not Path(db).exists():
        raise click.ClickException(f"no database at {db} (run `serviceflow demo` or pass --db)")
    path = options["policy"]
    policy: Policy | None = load_policy(Path(path)) if path else None
    return ServiceDesk.open(store_url(db), policy=policy)
