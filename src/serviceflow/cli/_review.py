"""``serviceflow review CADENCE``: the governance checklist, answered from the desk's figures.

Listed in ``_main.COMMANDS`` (as ``review``), which imports this module when it runs.
"""

from __future__ import annotations

import json
from datetime import datetime

import click
from rich.text import Text

from serviceflow.cli._period import Instant
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Listing
from serviceflow.governance._period import PERIODS
from serviceflow.governance._reviews import review


@click.command("review")
@click.argument("cadence", type=click.Choice(list(PERIODS)))
@click.option(
    "--to",
    "until",
    metavar="DATE",
    type=Instant(end_of_day=True),
    help="End of the reviewed period, exclusive: an ISO date-time, or YYYY-MM-DD for the end "
    "of that day (UTC) (default: now).",
)
@click.option(
    "--at",
    "at",
    metavar="DATE",
    type=Instant(end_of_day=True),
    hidden=True,
    deprecated="Use '--to' (the same as report's).",
    help="The former name of --to.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the review as JSON.")
@click.option("--check", is_flag=True, help="Exit with status 1 when an item needs attention.")
@click.pass_context
def governance_review(  # noqa: PLR0917 - click passes the options by position
    ctx: click.Context,
    cadence: str,
    until: datetime | None,
    at: datetime | None,
    as_json: bool,
    check: bool,
) -> None:
    """The governance checklist of a cadence (daily, weekly, monthly, quarterly),
    answered from the desk's own figures."""
    if at is not None:
        if until is not None:
            raise click.BadParameter(
                "pass --to only (--at is its former name)", param_hint="'--at'"
            )
        until = at
    with open_desk(ctx) as desk:
        found = review(desk, cadence, at=until)
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
    else:
        shown = Listing(
            "item",
            "status",
            "findings",
            title=f"{cadence.capitalize()} review, {found.start:%Y-%m-%d %H:%M} to "
            f"{found.end:%Y-%m-%d %H:%M} UTC",
            things="checks in this review",
        )
        for item in found.checks:
            attention = item.status == "attention"
            mark = Text("attention", "red") if attention else Text("ok", "green")
            shown.add_row(item.item, mark, "\n".join(item.findings))
        shown.print()
    if check and found.attention:
        raise SystemExit(1)
