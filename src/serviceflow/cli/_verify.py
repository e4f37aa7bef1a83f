"""``serviceflow verify``: hash chains, projections and checkpoints, checked (and anchored).

Registered by ``_main.py`` (``cli.add_command(verify)``).
"""

from __future__ import annotations

import click
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.cli._support import open_desk
from serviceflow.eventlog._checkpoint import CHAIN


@click.command()
@click.argument("case_ids", nargs=-1)
@click.option(
    "--anchor",
    metavar="HASH",
    help="A checkpoint hash kept outside the store: it must still be in the checkpoint "
    "chain, and what it covers must hold (docs/verify.md).",
)
@click.option(
    "--checkpoint",
    "write_checkpoint",
    is_flag=True,
    help="After a clean verification, write a checkpoint and print its hash to keep.",
)
@click.pass_context
def verify(
    ctx: click.Context, case_ids: tuple[str, ...], anchor: str | None, write_checkpoint: bool
) -> None:
    """Check hash chains and projections (every stream when no ID is given: the cases,
    and the desk's audit and queue streams), then the checkpoints over their heads."""
    if case_ids and (anchor or write_checkpoint):
        raise click.UsageError("--anchor and --checkpoint verify every stream: give no ID")
    with open_desk(ctx) as desk:
        results = [desk.verify(i) for i in case_ids] if case_ids else desk.verify_all(anchor=anchor)
        checked = bad = 0
        chain = None
        for result in results:
            if result.case_id == CHAIN:
                chain = result
                continue
            checked += 1
            if not result.ok:
                bad += 1
                problems = "; ".join(result.problems)
                console.print(f"[red]FAIL[/] {escape(result.case_id)}: {escape(problems)}")
        console.print(f"{checked - bad}/{checked} streams verified")
        if chain is not None and not chain.ok:
            bad += 1
            problems = "; ".join(chain.problems)
            console.print(f"[red]FAIL[/] checkpoints: {escape(problems)}")
        elif chain is not None:
            console.print(f"{chain.events} checkpoint(s) verified")
        if bad:
            raise SystemExit(1)
        if write_checkpoint:
            desk.checkpoint()
        newest = desk.last_checkpoint() if not case_ids else None
        if newest is not None:
            console.print(
                f"newest checkpoint {newest.seq} at {newest.at} over {newest.streams} "
                f"streams: {newest.hash}"
            )
