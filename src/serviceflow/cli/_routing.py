"""Routing at the command line: ``route`` offers waiting cases to their queues, ``queue``
lists who waits where.
"""

from __future__ import annotations

import click

from serviceflow.cli._support import add_row, console, open_desk, table


@click.command()
@click.option("--scheduled", is_flag=True, help="also route the batched (scheduled) cases")
@click.pass_context
def route(ctx: click.Context, scheduled: bool) -> None:
    """Offer every waiting case to its queue, most urgent first (say why one waits)."""
    with open_desk(ctx, quiet=False) as desk:
        listing = table("case", "queue", "strategy", "agent", "why")
        decisions = desk.route_waiting(scheduled=scheduled)
        for decision in decisions:
            add_row(
                listing,
                decision.case_id,
                decision.queue,
                decision.strategy,
                decision.agent or "(waits)",
                decision.reason,
            )
        console.print(listing)
        taken = sum(1 for d in decisions if d.agent)
        console.print(f"{taken} of {len(decisions)} waiting cases routed")


@click.command()
@click.argument("name", required=False)
@click.pass_context
def queue(ctx: click.Context, name: str | None) -> None:
    """List the cases waiting in a queue (or, without a name, in triage)."""
    with open_desk(ctx) as desk:
        waiting = desk.queue(name) if name else desk.triage()
        listing = table("id", "state", "priority", "submitted", "subject", title=name or "triage")
        for found in waiting:
            add_row(
                listing,
                found.id,
                found.state,
                found.priority or "",
                f"{found.submitted_at:%Y-%m-%d %H:%M}",
                found.subject,
            )
        console.print(listing)
