"""Routing at the command line: ``route`` offers waiting cases to their queues, ``queue``
lists who waits where.
"""

from __future__ import annotations

import click

from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Listing


@click.command()
@click.option("--scheduled", is_flag=True, help="also route the batched (scheduled) cases")
@json_option("the decisions")
@click.pass_context
def route(ctx: click.Context, scheduled: bool, as_json: bool) -> None:
    """Offer every waiting case to its queue, most urgent first (say why one waits)."""
    with open_desk(ctx, quiet=False) as desk:
        decisions = desk.route_waiting(scheduled=scheduled)
        if as_json:
            emit(
                [
                    {
                        "case_id": d.case_id,
                        "queue": d.queue,
                        "strategy": d.strategy,
                        "agent": d.agent,
                        "reason": d.reason,
                    }
                    for d in decisions
                ]
            )
            return
        listing = Listing("case", "queue", "strategy", "agent", "why", things="waiting cases")
        for decision in decisions:
            listing.add_row(
                decision.case_id,
                decision.queue,
                decision.strategy,
                decision.agent or "(waits)",
                decision.reason,
            )
        listing.print()
        if decisions:
            taken = sum(1 for d in decisions if d.agent)
            console.print(f"{taken} of {len(decisions)} waiting cases routed")


@click.command()
@click.argument("name", required=False)
@json_option("the waiting cases")
@click.pass_context
def queue(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """List the cases waiting in a queue (or, without a name, in triage)."""
    with open_desk(ctx) as desk:
        waiting = desk.queue(name) if name else desk.triage()
        if as_json:
            emit(waiting)
            return
        listing = Listing(
            "id",
            "state",
            "priority",
            "submitted",
            "subject",
            title=f"Queue {name}" if name else "Triage",
            things=f"cases waiting in {name}" if name else "cases waiting in triage",
        )
        for found in waiting:
            listing.add_row(
                found.id,
                found.state,
                found.priority or "",
                f"{found.submitted_at:%Y-%m-%d %H:%M}",
                found.subject,
            )
        listing.print()
