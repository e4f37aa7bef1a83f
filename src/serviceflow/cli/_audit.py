"""``serviceflow audit [DAY]``: the commands refused on a day; ``audit escalations``: the
escalation log's late acknowledgements, missed updates, unowned and ping-pong cases.
"""

from __future__ import annotations

from datetime import date, datetime

import click

from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option
from serviceflow.cli._period import Instant
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Col, Listing
from serviceflow.core._duration import format_duration
from serviceflow.domain._desk_events import Refused
from serviceflow.rules.escalation._audit import EscalationAudit


class _AuditGroup(click.Group):
    """``audit [DAY]`` lists refusals as it always did; ``audit escalations`` is a
    sub-command. A first word that names no sub-command is the DAY (the group's own options,
    flags, may come before or after it)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        words = [i for i, a in enumerate(args) if not a.startswith("-")]
        if words and args[words[0]] not in self.commands:
            ctx.meta[_AUDIT_DAY] = args[words[0]]
            args = [a for i, a in enumerate(args) if i != words[0]]
            extra = [a for a in args if not a.startswith("-")]
            if extra:
                ctx.fail(f"Got unexpected extra argument ({' '.join(extra)})")
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[DAY] | escalations [OPTIONS]")


_AUDIT_DAY = "serviceflow.audit.day"


@click.group(cls=_AuditGroup, invoke_without_command=True)
@json_option("the refused commands")
@click.pass_context
def audit(ctx: click.Context, as_json: bool) -> None:
    """List the commands refused on DAY (YYYY-MM-DD, UTC; default today), or audit the
    escalations (`serviceflow audit escalations --help`)."""
    if ctx.invoked_subcommand is not None:
        return
    day: str | None = ctx.meta.get(_AUDIT_DAY)
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter(f"{day!r} is not a date like 2026-03-02") from None
    with open_desk(ctx) as desk:
        if as_json:
            emit([_refusal(refused) for refused in desk.audit(when)])
            return
        on = f" on {when:%Y-%m-%d}" if when else " today"
        listing = Listing(
            "at", "actor", "command", "case", "rule", "reason", things=f"refused commands{on}"
        )
        for refused in desk.audit(when):
            listing.add_row(
                f"{refused.at:%H:%M:%S}",
                refused.by,
                refused.command,
                refused.case_id,
                refused.rule,
                refused.reason,
            )
        listing.print()


@audit.command("escalations")
@click.option(
    "--from",
    "since",
    metavar="DATE",
    type=Instant(end_of_day=False),
    help="Start of the window: YYYY-MM-DD (00:00 UTC) or an ISO date-time "
    "(default: 7 days before the end).",
)
@click.option(
    "--to",
    "until",
    metavar="DATE",
    type=Instant(end_of_day=True),
    help="End of the window, exclusive: an ISO date-time, or YYYY-MM-DD for the end of "
    "that day (UTC) (default: now).",
)
@json_option("the audit")
@click.pass_context
def audit_escalations(
    ctx: click.Context, since: datetime | None, until: datetime | None, as_json: bool
) -> None:
    """Audit the escalation log: late acknowledgements, missed updates, escalations
    without an owner, ping-pong cases, time held and breaches per tier."""
    with open_desk(ctx) as desk:
        found = desk.escalation_audit(since, until)
    if as_json:
        emit(found.to_dict())
        return
    _print_escalation_audit(found)


def _print_escalation_audit(found: EscalationAudit) -> None:
    """The audit's sections as tables, then its headline counts."""
    console.print(
        f"Escalation audit {found.start:%Y-%m-%d %H:%M} to {found.end:%Y-%m-%d %H:%M} UTC"
    )
    late = Listing(
        "case",
        "tier",
        "escalated",
        "due",
        "accepted",
        Col("late by", "right"),
        title="Late acknowledgements",
        things="late acknowledgements",
    )
    for row in found.late_acknowledgements:
        accepted = _when(row.accepted_at) if row.accepted_at else f"({row.outcome})"
        late.add_row(
            row.case_id,
            row.tier,
            _when(row.escalated_at),
            _when(row.due),
            accepted,
            format_duration(row.late_by),
        )
    missed = Listing(
        "case",
        "tier",
        Col("cycle", "right"),
        "due",
        "updated",
        Col("late by", "right"),
        title="Missed updates",
        things="missed updates",
    )
    for miss in found.missed_updates:
        missed.add_row(
            miss.case_id,
            miss.tier,
            miss.cycle,
            _when(miss.due),
            _when(miss.stopped_at) if miss.stopped_at else "(still open)",
            format_duration(miss.late_by),
        )
    unowned = Listing(
        "case",
        "tier",
        "waiting since",
        Col("waiting", "right"),
        "due",
        "overdue",
        title="Without an owner",
        things="escalations without an owner",
    )
    for waiting in found.unowned:
        unowned.add_row(
            waiting.case_id,
            waiting.tier,
            _when(waiting.since),
            format_duration(waiting.waiting),
            _when(waiting.due) if waiting.due else "",
            "yes" if waiting.overdue else "no",
        )
    bounced = Listing(
        "case",
        "at",
        "path",
        Col("bounces", "right"),
        "owner",
        "flagged",
        title="Ping-pong",
        things="ping-pong cases",
    )
    for pinged in found.ping_pong:
        bounced.add_row(
            pinged.case_id,
            _when(pinged.at),
            " → ".join(pinged.path),
            pinged.bounces,
            pinged.owner or "",
            "yes" if pinged.flagged else "no",
        )
    held = Listing(
        "tier", Col("held", "right"), title="Time held per tier", things="time held at a tier"
    )
    for tier, duration in found.held.items():
        held.add_row(tier, format_duration(duration))
    breaches = Listing(
        "tier", "metric", Col("breaches", "right"), title="Breaches per tier", things="breaches"
    )
    for (tier, metric), count in found.breaches.items():
        breaches.add_row(tier, metric, count)
    for section in (late, missed, unowned, bounced, held, breaches):
        section.print()
    summary = found.summary()
    counts = Listing("summary", Col("count", "right"), title="Summary")
    for label, count in (
        ("cases read", summary.cases),
        ("escalations", summary.escalations),
        ("de-escalations", summary.deescalations),
        ("late acknowledgements", summary.late_acknowledgements),
        ("missed updates", summary.missed_updates),
        ("without an owner", summary.unowned),
        ("without an owner, overdue", summary.unowned_overdue),
        ("ping-pong cases", summary.ping_pong),
        ("flagged as ping-pong", summary.flagged),
        ("breaches", summary.breaches),
    ):
        counts.add_row(label, count)
    counts.print()


def _refusal(refused: Refused) -> dict[str, object]:
    """One refused command: when, who, what, on which case, the rule and its reason."""
    return {
        "at": refused.at,
        "by": refused.by,
        "command": refused.command,
        "case_id": refused.case_id,
        "rule": refused.rule,
        "reason": refused.reason,
        "policy": refused.policy,
    }


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"
