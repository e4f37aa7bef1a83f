"""Running the desk's timers: ``tick`` fires what is due once, ``worker`` keeps doing it.

Registered by ``_main.py`` (``cli.add_command(tick)``, ``cli.add_command(worker)``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import click
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.cli._main import db_option
from serviceflow.cli._support import open_desk, refused_as_usage, root_policy, store_url
from serviceflow.desk._desk import ServiceDesk
from serviceflow.desk._worker import Worker, redacted, stopping_on_signals
from serviceflow.eventlog._outbox import DEFAULT_LEASE


@click.command()
@click.pass_context
def tick(ctx: click.Context) -> None:
    """Fire the SLA warnings and breaches that are due now (run it from a scheduler)."""
    with open_desk(ctx, quiet=False) as desk:
        fired = desk.tick()
        for recorded in fired:
            event = recorded.event
            detail = getattr(event, "threshold", None)
            what = f"{event.TYPE} {getattr(event, 'metric', '')}"
            console.print(
                f"{escape(recorded.case_id)}: {what}" + (f" {detail:.0%}" if detail else "")
            )
        console.print(f"{len(fired)} SLA events fired")


@click.command()
@db_option()
@click.option(
    "--poll",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Seconds to wait when nothing is due (less if the store wakes workers up).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Timers fired and messages delivered per pass, at most.",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_LEASE.total_seconds(),
    show_default=True,
    help="Seconds a claimed timer or message stays with this worker (longer than a pass).",
)
@click.option("--once", is_flag=True, help="Work off what is due now, then exit.")
@click.pass_context
def worker(ctx: click.Context, *, poll: float, batch: int, lease: float, once: bool) -> None:
    """Fire SLA timers and deliver the outbox until SIGTERM or SIGINT (run any number).

    A signal lets the current pass finish, then the worker exits with status 0.
    """
    logging.basicConfig(
        format="%(asctime)s %(name)s %(levelname)s %(message)s", level=logging.WARNING
    )
    log = logging.getLogger("serviceflow.worker")
    log.setLevel(logging.INFO)
    options = ctx.find_root().params
    url = store_url(options["db"])
    policy = root_policy(ctx)
    with refused_as_usage("--db"):
        opened = ServiceDesk.open(url, policy=policy, lease=timedelta(seconds=lease))
    with opened as desk:
        working = Worker(desk, poll=poll, batch=batch)
        log.info(
            "worker on %s: batch %d, poll %ss, lease %ss%s",
            redacted(desk.store.url),
            batch,
            poll,
            lease,
            ", once" if once else "",
        )
        with stopping_on_signals(working):
            working.run(once=once)
        log.info("worker stopped after %d busy pass(es)", working.passes)
