"""The ``serviceflow`` command: demo, policy check, cases, SLAs, routing, audit, diagram.

Needs the ``cli`` extra (click and rich): ``pip install 'serviceflow[cli]'``. This module
holds the root group and its error handling; each command group lives in its own module.
"""

from __future__ import annotations

import sys
from typing import Any

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
        """Turns serviceflow errors into one clear message and exit status 1."""

        def invoke(self, ctx: click.Context) -> Any:
            try:
                return super().invoke(ctx)
            except ServiceflowError as exc:
                err.print(f"[bold red]Error:[/] {escape(str(exc))}", soft_wrap=True)
                raise SystemExit(1) from None
            except ValueError as exc:
                if "null byte" not in str(exc):  # click's path checks meet a NUL in os.stat
                    raise
                err.print(
                    "[bold red]Error:[/] a path cannot contain a NUL character", soft_wrap=True
                )
                raise SystemExit(2) from None

    @click.group(cls=_Cli)
    @click.option(
        "--db",
        default="serviceflow.db",
        show_default=True,
        envvar="SERVICEFLOW_DB",
        help="SQLite file, or a store URL (memory://, sqlite:///path.db, ...).",
    )
    @click.option(
        "--policy",
        type=click.Path(dir_okay=False),
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
