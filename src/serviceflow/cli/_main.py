"""The ``serviceflow`` command: demo, policy check, cases, SLAs, routing, audit, diagram.

Needs the ``cli`` extra (click and rich): ``pip install 'serviceflow[cli]'``. This module
holds the root group and its error handling; each command group lives in its own module,
named in ``COMMANDS`` and imported the first time the command is used: ``serviceflow
--version`` and ``serviceflow --help`` load click and this module, not the desk, the
analytics or rich (``--help`` lists each command with the short help ``COMMANDS`` keeps).

Exit status 2 (click's usage error) means the command line is wrong: an option or argument
value that is malformed, a path that cannot be written (``_paths``), a store that cannot
open, a ``--policy`` that does not parse; all checked before any work. Exit status 1 means
the work was refused: a case that does not exist, an input file whose content does not
validate, a broken hash chain. Either way: one ``Error: ...`` message, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, NoReturn, TypeVar

try:
    import click
    from click.core import ParameterSource
except ImportError as _missing:  # pragma: no cover - exercised only without the extra
    _MISSING: ImportError | None = _missing
else:
    _MISSING = None
    from serviceflow.cli._paths import StoreTarget  # the global --db's check (loads no command)

COMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": (
        "_audit",
        "audit",
        "List the commands refused on DAY (YYYY-MM-DD, UTC; default today), or audit the "
        "escalations (`serviceflow audit escalations --help`).",
    ),
    "case": ("_cases", "case", "Inspect cases."),
    "cases": ("_cases", "cases", "List cases, oldest first."),
    "demo": (
        "_demo",
        "demo",
        "Play a scripted day of a small desk into the --db file and summarise it.",
    ),
    "diagram": (
        "_diagram",
        "diagram",
        "Render a workflow, generated from its state machine itself.",
    ),
    "history": ("_cases", "history", "List the events of a case, in order."),
    "import": (
        "_import",
        "import_log",
        "Import the CSV event log FILE (.csv, or .csv.gz) into the --db store.",
    ),
    "improve": (
        "_improve",
        "improve",
        "PDCA improvement cycles: plan, do, check, act (see docs/improvement.md).",
    ),
    "kb": (
        "_knowledge",
        "kb",
        "The knowledge base: articles, search, effectiveness, what to write next.",
    ),
    "policy": ("_policy", "policy", "Check and inspect policy files."),
    "priority": (
        "_cases",
        "priority",
        "Explain a case's priority: every decision, its rule and its reason.",
    ),
    "problem": (
        "_problems",
        "problem",
        "Problem management: recurring incidents, root causes, known errors.",
    ),
    "quality": (
        "_quality",
        "quality",
        "Quality assurance: how consistently reviewers score cases.",
    ),
    "queue": (
        "_routing",
        "queue",
        "List the cases waiting in a queue (or, without a name, in triage).",
    ),
    "report": (
        "_report",
        "report",
        "KPIs for a period (FCR, SLA compliance, times and their spread, backlog, escalations, "
        "surveys): tables, a dashboard, CSV and JSON.",
    ),
    "review": (
        "_review",
        "governance_review",
        "The governance checklist of a cadence (daily, weekly, monthly, quarterly), answered "
        "from the desk's own figures.",
    ),
    "route": (
        "_routing",
        "route",
        "Offer every waiting case to its queue, most urgent first (say why one waits).",
    ),
    "simulate": (
        "_simulate",
        "simulate",
        "Simulate a desk: the shipped week of a mid-size desk by default, or a built-in "
        "scenario (week, erlang, friday_outage) or a scenario TOML file.",
    ),
    "sla": (
        "_sla",
        "sla",
        "Explain every SLA clock of a case: target, consumed, remaining, due, segments.",
    ),
    "staff": (
        "_staff",
        "staff",
        "Agents needed per interval from a demand forecast (Erlang C; see docs/capacity.md).",
    ),
    "tick": (
        "_worker",
        "tick",
        "Fire the SLA warnings and breaches that are due now (run it from a scheduler).",
    ),
    "verify": (
        "_verify",
        "verify",
        "Check hash chains and projections (every stream when no ID is given: the cases, and "
        "the desk's audit and queue streams), then the checkpoints over their heads.",
    ),
    "worker": (
        "_worker",
        "worker",
        "Fire SLA timers and deliver the outbox until SIGTERM or SIGINT (run any number).",
    ),
}
"""Every command of ``serviceflow``: its name, the module of ``serviceflow.cli`` and the
attribute that hold it, and its short help as ``serviceflow --help`` lists it (a test checks
that it is the command's own)."""

DB_DEFAULT = "serviceflow.db"
DB_ENVVAR = "SERVICEFLOW_DB"
DB_HELP = (
    f"SQLite file, or a store URL (memory://, sqlite:///path.db, ...) (default: {DB_DEFAULT})."
)
"""The help of every ``--db`` that names the desk's store: the global one, and the same
option after a command's name (``db_option``)."""


def main() -> None:
    """Entry point of the console script."""
    if _MISSING is not None:  # pragma: no cover
        sys.stderr.write(
            f"serviceflow's command line needs the 'cli' extra ({_MISSING.name} is missing):\n"
            "    pip install 'serviceflow[cli]'\n"
        )
        raise SystemExit(2)
    cli(prog_name="serviceflow")


if _MISSING is None:
    _F = TypeVar("_F", bound=Callable[..., Any])

    class _Commands(MutableMapping[str, click.Command]):
        """The root group's commands by name: each imported from its module (``COMMANDS``)
        the first time it is looked up, so listing the names imports nothing."""

        def __init__(self) -> None:
            self._loaded: dict[str, click.Command] = {}
            self._known = set(COMMANDS)

        def __getitem__(self, name: str) -> click.Command:
            if name not in self._loaded:
                if name not in self._known:
                    raise KeyError(name)
                module, attribute, _short = COMMANDS[name]
                command = getattr(importlib.import_module(f"serviceflow.cli.{module}"), attribute)
                self._loaded[name] = command
            return self._loaded[name]

        def __setitem__(self, name: str, command: click.Command) -> None:
            self._loaded[name] = command
            self._known.add(name)

        def __delitem__(self, name: str) -> None:
            if name not in self._known:
                raise KeyError(name)
            self._known.discard(name)
            self._loaded.pop(name, None)

        def __iter__(self) -> Iterator[str]:
            return iter(sorted(self._known))

        def __len__(self) -> int:
            return len(self._known)

        def __contains__(self, name: object) -> bool:
            return name in self._known

        def loaded(self, name: str) -> click.Command | None:
            """The command if its module is imported already (else None: not yet)."""
            return self._loaded.get(name)

    class _Cli(click.Group):
        """The root group: commands load on first use (``_Commands``); serviceflow errors (and
        a file system's refusal) become one clear message and exit status 1 (the options'
        checks have already refused bad usage with status 2)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.commands: _Commands = _Commands()

        def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
            return self.commands.get(cmd_name)

        def list_commands(self, ctx: click.Context) -> list[str]:
            return list(self.commands)

        def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            """The commands with their short help, from ``COMMANDS``: no command is imported
            (one added by ``add_command`` gives its own)."""
            names = self.list_commands(ctx)
            limit = formatter.width - 6 - max(len(name) for name in names)
            rows = []
            for name in names:
                command = self.commands.loaded(name)
                if command is not None and name not in COMMANDS:
                    if command.hidden:
                        continue
                    short = command.get_short_help_str(limit)
                else:
                    stand_in = click.Command(name, help=COMMANDS[name][2])  # shortens alike
                    short = stand_in.get_short_help_str(limit)
                rows.append((name, short))
            with formatter.section("Commands"):
                formatter.write_dl(rows)

        def invoke(self, ctx: click.Context) -> Any:
            from serviceflow.errors import ServiceflowError  # noqa: PLC0415 - keeps --help light

            try:
                return super().invoke(ctx)
            except ServiceflowError as exc:
                _fail(str(exc), 1)
            except OSError as exc:  # a disk that filled up, a file removed under our feet
                where = f": {exc.filename}" if exc.filename else ""
                _fail(f"{exc.strerror or exc}{where}", 1)
            except ValueError as exc:
                if "null byte" not in str(exc):  # click's path checks meet a NUL in os.stat
                    raise
                _fail("a path cannot contain a NUL character", 2)

    def _fail(message: str, status: int) -> NoReturn:
        from rich.markup import escape  # noqa: PLC0415 - keeps --help light

        from serviceflow.cli._consoles import err  # noqa: PLC0415

        err.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
        raise SystemExit(status) from None

    def db_option() -> Callable[[_F], _F]:
        """``--db`` after a command's name: the global ``--db`` (same help, check, default
        and ``SERVICEFLOW_DB``), given later. A value on the command line replaces the
        global one for the command (``open_desk`` reads it); the command gets no argument."""

        def to_root(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
            typed = ParameterSource.COMMANDLINE
            if value is not None and ctx.get_parameter_source(param.name or "db") is typed:
                ctx.find_root().params["db"] = value

        return click.option(
            "--db",
            metavar="URL",
            type=StoreTarget(),
            envvar=DB_ENVVAR,
            show_envvar=True,
            expose_value=False,
            callback=to_root,
            help=DB_HELP,
        )

    @click.group(cls=_Cli)
    @click.option(
        "--db",
        metavar="URL",
        default=DB_DEFAULT,
        envvar=DB_ENVVAR,
        show_envvar=True,
        type=StoreTarget(),
        help=DB_HELP,
    )
    @click.option(
        "--policy",
        type=click.Path(exists=True, dir_okay=False),
        envvar="SERVICEFLOW_POLICY",
        help="Policy TOML file (default: the shipped default policy).",
    )
    @click.version_option(package_name="serviceflow")
    def cli(db: str, policy: str | None) -> None:
        """serviceflow: one standard lifecycle for every client request."""
