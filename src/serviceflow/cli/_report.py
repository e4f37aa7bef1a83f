"""``serviceflow report``: the KPIs of a period as tables, a dashboard, CSV and JSON.

Listed in ``_main.COMMANDS``, which imports this module when ``report`` runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import click
from rich.markup import escape

from serviceflow.analytics._case_facts import DIMENSIONS, FIELD, slicing_problem
from serviceflow.analytics._dashboard import write_dashboard
from serviceflow.analytics._kpi_set import KpiSet
from serviceflow.analytics._metrics import kpis
from serviceflow.analytics._report import write_exports
from serviceflow.cli._consoles import console, err
from serviceflow.cli._main import db_option
from serviceflow.cli._paths import OutputPath
from serviceflow.cli._period import Instant
from serviceflow.cli._support import open_desk, print_kpis
from serviceflow.desk._desk import ServiceDesk
from serviceflow.eventlog._store import CaseQuery

_DEFAULT_PERIOD = timedelta(days=30)


class Slicing(click.ParamType[str]):
    """What a report slices by: a case dimension, or ``field:<name>`` (an extra field)."""

    name = "dimension"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value)
        wrong = slicing_problem(text)
        if wrong is not None:
            self.fail(wrong, param, ctx)
        return text


@click.command()
@click.option(
    "--from",
    "since",
    metavar="DATE",
    type=Instant(end_of_day=False),
    help="Start of the period: YYYY-MM-DD (00:00 UTC) or an ISO date-time "
    "(default: 30 days before the end).",
)
@click.option(
    "--to",
    "until",
    metavar="DATE",
    type=Instant(end_of_day=True),
    help="End of the period, exclusive: an ISO date-time, or YYYY-MM-DD for the end of "
    "that day (UTC) (default: now).",
)
@click.option(
    "--by",
    type=Slicing(),
    metavar=f"[{'|'.join(DIMENSIONS)}|{FIELD}NAME]",
    help="Slice the KPIs: one row per value (field:NAME: per value of an extra field).",
)
@db_option()
@click.option(
    "--html",
    "html_path",
    metavar="PATH",
    type=OutputPath(),
    help="Write the dashboard (one self-contained HTML file) to PATH.",
)
@click.option(
    "--export",
    "folder",
    metavar="FOLDER",
    type=OutputPath(folder=True),
    help="Write every table as CSV, and the report as JSON, into FOLDER.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report as JSON (durations in seconds, rates 0–1) instead of tables.",
)
@click.pass_context
def report(
    ctx: click.Context,
    *,
    since: datetime | None,
    until: datetime | None,
    by: str | None,
    html_path: str | None,
    folder: str | None,
    as_json: bool,
) -> None:
    """KPIs for a period (FCR, SLA compliance, times and their spread, backlog,
    escalations, surveys): tables, a dashboard, CSV and JSON."""
    with open_desk(ctx) as desk:
        end = until if until is not None else desk.clock.now()
        start = since if since is not None else end - _DEFAULT_PERIOD
        if start >= end:
            raise click.BadParameter(
                f"start {start} is not before end {end}", param_hint="'--from'"
            )
        found = kpis(desk, start=start, end=end, by=by)
        priorities = None
        if html_path is not None and by != "priority":
            priorities = kpis(desk, start=start, end=end, by="priority")
        generated, policy = desk.clock.now(), desk.policy
        empty = _quiet_period(desk, found.overall, start, end)
    tell = err if as_json else console
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
        if empty is not None:
            err.print(escape(empty), soft_wrap=True)
    else:
        print_kpis(found, policy, empty=empty)
    if folder is not None:
        written = write_exports(found, folder, policy=policy)
        tell.print(f"wrote {len(written)} files to {escape(folder)}", soft_wrap=True)
    if html_path is not None:
        title = "Service desk report"
        if policy.name != "default":
            title = f"{policy.name}: service desk report"
        try:
            write_dashboard(
                html_path,
                found,
                generated_at=generated,
                priorities=priorities,
                policy=policy,
                title=title,
            )
        except ImportError as missing:
            raise click.ClickException(str(missing)) from None
        tell.print(f"wrote {escape(html_path)}", soft_wrap=True)


def _quiet_period(desk: ServiceDesk, found: KpiSet, start: datetime, end: datetime) -> str | None:
    """When no case was submitted, resolved, closed or cancelled in the period (the default
    one, the last 30 days, after a demo or an old import): the line that says so, and what
    period the desk's cases cover, from the first submission to the last activity, as
    ``--from``/``--to`` to pass. None when something happened in the period."""
    if found.submitted or found.resolved or found.closed or found.cancelled:
        return None
    period = f"{_day(start)} – {_day(end, end=True)}"
    quiet = "No case in"
    if found.cases:
        quiet = "No case submitted or resolved in"
        period += f" ({found.cases:,} open from before)"
    rows = desk.store.query(CaseQuery())  # oldest submission first, streamed in pages
    first = next(rows, None)
    if first is None:
        return (
            f"No case in {period}; the store holds no case yet "
            "(serviceflow demo or serviceflow import fill one)."
        )
    count, last = 1, first.updated_at
    for row in rows:  # the last activity: no store sorts by it, so read every row's
        count += 1
        last = max(last, row.updated_at)  # fixed-width ISO text: text order is time order
    since = datetime.fromisoformat(first.submitted_at).astimezone(UTC)
    until = datetime.fromisoformat(last).astimezone(UTC)
    cases = "the case runs" if count == 1 else f"the {count:,} cases run"
    first_day, last_day = f"{since:%Y-%m-%d}", f"{until:%Y-%m-%d}"
    return (
        f"{quiet} {period}; {cases} from {first_day} to {last_day}: "
        f"try --from {first_day} --to {last_day}"
    )


def _day(moment: datetime, *, end: bool = False) -> str:
    """An instant of a period as a day when it is one's start (an exclusive ``end`` at
    midnight: the day before, its last), else with the time of day."""
    moment = moment.astimezone(UTC)
    if moment.time() != time(0):
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{moment - timedelta(days=1) if end else moment:%Y-%m-%d}"
