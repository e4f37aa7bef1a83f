"""``serviceflow sla ID``: every SLA clock of a case explained, under the policy that set it.

Registered by ``_main.py`` (``cli.add_command(sla)``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import click
from rich.markup import escape

from serviceflow.cli._consoles import console
from serviceflow.cli._json import emit, json_option, jsonable
from serviceflow.cli._support import open_desk
from serviceflow.cli._tables import Col, Listing
from serviceflow.core._duration import format_duration
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain._events import SlaApplied
from serviceflow.domain.policy._policy import Policy, load_policy
from serviceflow.rules._sla import ClockReport


@click.command()
@click.argument("case_id")
@json_option("the clocks")
@click.pass_context
def sla(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """Explain every SLA clock of a case: target, consumed, remaining, due, segments."""
    with open_desk(ctx) as desk:
        report = desk.sla(case_id)
        version = desk.policy.version
        recorded = _recorded_policy(desk, case_id) if not report.clocks else None
        if recorded is not None:
            if not as_json:
                console.print(
                    f"(explained under policy {recorded.version}, the one that set its "
                    "service level; pass --policy to use another)"
                )
            with ServiceDesk(desk.store, policy=recorded) as original:
                report = original.sla(case_id)
            version = recorded.version
        if as_json:
            emit({**jsonable(report), "policy": version})
            return
        if not report.clocks:
            console.print(f"case {escape(case_id)}: {escape(report.note)}")
            return
        console.print(
            f"case {escape(case_id)}: service level {escape(str(report.level))}, "
            f"calendar {escape(str(report.calendar))}, at {report.at:%Y-%m-%d %H:%M} UTC"
        )
        clocks = Listing(
            "metric",
            Col("cycle", "right"),
            "status",
            Col("target", "right"),
            Col("consumed", "right"),
            Col("remaining", "right"),
            "due",
        )
        for clock in report.clocks:
            clocks.add_row(
                clock.metric,
                clock.cycle,
                clock.status,
                format_duration(clock.target),
                format_duration(clock.consumed),
                _signed(clock.remaining),
                f"{clock.due:%Y-%m-%d %H:%M}" if clock.due else "",
            )
        clocks.print()
        spans = Listing(
            "metric",
            Col("cycle", "right"),
            "from",
            "to",
            Col("counted", "right"),
            "paused in",
            "holidays",
            title="Segments",
        )
        for clock in report.clocks:
            for segment in clock.segments:
                skipped = ", ".join(day.isoformat() for day in segment.holidays)
                counted = format_duration(segment.counted)
                span_row(spans, clock, segment.start, segment.end, counted, "", skipped)
            for pause in clock.pauses:
                span_row(spans, clock, pause.start, pause.end, "", pause.state, "")
        spans.print()


def span_row(
    into: Listing, clock: ClockReport, start: datetime, end: datetime | None, *rest: str
) -> None:
    """One stretch of a clock: when it ran (or stood still), and what it counted."""
    until = f"{end:%m-%d %H:%M}" if end else "now"
    into.add_row(clock.metric, clock.cycle, f"{start:%m-%d %H:%M}", until, *rest)


def _recorded_policy(desk: ServiceDesk, case_id: str) -> Policy | None:
    """The stored policy under which the case's service level was last set, if any."""
    versions = [r.event.policy for r in desk.history(case_id) if isinstance(r.event, SlaApplied)]
    document = desk.store.load_policy(versions[-1]) if versions else None
    if document is None or versions[-1] == desk.policy.version:
        return None
    return load_policy(json.loads(document))


def _signed(value: timedelta) -> str:
    return format_duration(value) if value >= timedelta(0) else "-" + format_duration(-value)
