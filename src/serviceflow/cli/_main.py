"""The ``serviceflow`` command: demo, policy check, cases, SLAs, routing, audit, diagram.

Needs the ``cli`` extra (click and rich): ``pip install 'serviceflow[cli]'``. This module
holds the root group and its error handling; each command group lives in its own module.

Exit status 2 (click's usage error) means the command line is wrong: an option or argument
value that is malformed, a path that cannot be written (``_paths``), a store that cannot
open, a ``--policy`` that does not parse; all checked before any work. Exit status 1 means
the work was refused: a case that does not exist, an input file whose content does not
validate, a broken hash chain. Either way: one ``Error: ...`` message, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

try:
    import click
    from rich.markup import escape
except ImportError as _missing:  # pragma: no cover - exercised only without the extra
    _MISSING: ImportError | None = _missing
else:
    _MISSING = None


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
    from serviceflow.cli._audit import audit
    from serviceflow.cli._cases import case, cases, history, priority
    from serviceflow.cli._demo import demo
    from serviceflow.cli._diagram import diagram
    from serviceflow.cli._import import import_log
    from serviceflow.cli._improve import improve
    from serviceflow.cli._knowledge import kb
    from serviceflow.cli._paths import StoreTarget
    from serviceflow.cli._policy import policy
    from serviceflow.cli._problems import problem
    from serviceflow.cli._quality import quality
    from serviceflow.cli._report import report
    from serviceflow.cli._review import governance_review
    from serviceflow.cli._routing import queue, route
    from serviceflow.cli._simulate import simulate
    from serviceflow.cli._sla import sla
    from serviceflow.cli._staff import staff
    from serviceflow.cli._support import err
    from serviceflow.cli._verify import verify
    from serviceflow.cli._worker import tick, worker
    from serviceflow.errors import ServiceflowError

    class _Cli(click.Group):
        """Turns serviceflow errors (and a file system's refusal) into one clear message and
        exit status 1; the options' checks have already refused bad usage with status 2."""

        def invoke(self, ctx: click.Context) -> Any:
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
        err.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
        raise SystemExit(status) from None

    @click.group(cls=_Cli)
    @click.option(
        "--db",
        default="serviceflow.db",
        show_default=True,
        envvar="SERVICEFLOW_DB",
        type=StoreTarget(),
        help="SQLite file, or a store URL (memory://, sqlite:///path.db, ...).",
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

    # Every command and command group comes from its own module; click lists them by name.
    for _command in (
        audit,
        case,
        cases,
        demo,
        diagram,
        governance_review,
        history,
        import_log,
        improve,
        kb,
        policy,
        priority,
        problem,
        quality,
        queue,
        report,
        route,
        simulate,
        sla,
        staff,
        tick,
        verify,
        worker,
    ):
        cli.add_command(_command)
