"""The ``serviceflow`` command: demo, policy check, cases, SLAs, routing, audit, diagram.

Needs the ``cli`` extra (click and rich): ``pip install 'serviceflow[cli]'``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

try:
    import click
    from rich.markup import escape
    from rich.table import Table
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
    from datetime import UTC, date, datetime, timedelta

    from attrs import asdict
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from serviceflow.analytics._calibration import CalibrationReport, calibrate
    from serviceflow.analytics._case_facts import DIMENSIONS
    from serviceflow.analytics._dashboard import write_dashboard
    from serviceflow.analytics._metrics import kpis
    from serviceflow.analytics._report import write_exports
    from serviceflow.cli._support import (
        add_row,
        console,
        err,
        open_desk,
        print_kpis,
        store_url,
        table,
    )
    from serviceflow.core._duration import format_duration
    from serviceflow.desk._desk import ServiceDesk
    from serviceflow.desk._worker import Worker, redacted, stopping_on_signals
    from serviceflow.domain._case import Case
    from serviceflow.domain._events import SlaApplied
    from serviceflow.domain.policy._policy import Policy, load_policy
    from serviceflow.errors import ServiceflowError
    from serviceflow.eventlog._checkpoint import CHAIN
    from serviceflow.eventlog._outbox import DEFAULT_LEASE
    from serviceflow.governance._reviews import PERIODS, review
    from serviceflow.importing._importer import ImportReport, import_csv
    from serviceflow.importing._mapping import load_mapping
    from serviceflow.improvement._service import WORKFLOW as IMPROVEMENT_WORKFLOW
    from serviceflow.knowledge._article import WORKFLOW as ARTICLE_WORKFLOW
    from serviceflow.problems._service import WORKFLOW as PROBLEM_WORKFLOW
    from serviceflow.problems._service import workarounds
    from serviceflow.rules import _lifecycle as lifecycle
    from serviceflow.rules._sla import ClockReport
    from serviceflow.rules.escalation._audit import EscalationAudit
    from serviceflow.simulation._demo import DemoStep, demo_desk, run_demo

    WORKFLOWS = {
        "article": ARTICLE_WORKFLOW,
        "problem": PROBLEM_WORKFLOW,
        "improvement": IMPROVEMENT_WORKFLOW,
    }

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

    @cli.command()
    @click.option("--quiet", is_flag=True, help="Print only the summary.")
    @click.pass_context
    def demo(ctx: click.Context, quiet: bool) -> None:
        """Play a scripted day of a small desk into the --db file and summarise it."""
        url = store_url(ctx.find_root().params["db"])
        desk, clock = demo_desk(url)
        if not quiet:
            console.print(f"[bold]A day at the desk[/] — writing to {escape(url)}\n")

        def show(step: DemoStep) -> None:
            if quiet:
                return
            mark = f"[red]{'refused':<18}[/]" if step.refused else f"[cyan]{step.state:<18}[/]"
            console.print(
                f"[dim]{step.at:%a %H:%M}[/] [bold]{step.label:>3}[/] {mark} {escape(step.text)}",
                soft_wrap=True,
            )

        with desk:
            summary = run_demo(desk, clock, show)
        states = table("state", "cases", title="Summary")
        for state, count in summary.by_state.items():
            add_row(states, state, count)
        console.print()
        console.print(states)
        if summary.sla:
            outcomes = table("SLA clock", "status", "cases", title="Service levels")
            for metric, status, count in summary.sla:
                add_row(outcomes, metric.replace("_", " "), status, count)
            console.print(outcomes)
        median = summary.median_resolution_hours
        console.print(
            f"{len(summary.cases)} cases, {summary.events} events, "
            f"{summary.refusals} commands refused with an explanation, "
            f"{summary.verified}/{len(summary.cases)} hash chains verified."
        )
        if median is not None:
            console.print(f"Median time to resolution: {median:.1f} h (calendar time).")
        db = escape(ctx.find_root().params["db"])
        console.print(
            f"Inspect: serviceflow --db {db} cases; serviceflow --db {db} history ID; "
            f"serviceflow --db {db} sla ID"
        )

    @cli.group()
    def policy() -> None:
        """Check and inspect policy files."""

    @policy.command("check")
    @click.argument("file", type=click.Path(dir_okay=False))
    def policy_check(file: str) -> None:
        """Validate FILE; list every problem with its path."""
        loaded = load_policy(Path(file))
        console.print(
            f"[green]ok[/] {escape(file)}: policy {escape(repr(loaded.name))}, "
            f"version {loaded.version}, "
            f"{len(loaded.priority.levels)} priorities, {len(loaded.categories)} categories, "
            f"{len(loaded.tiers)} tiers"
        )

    @cli.group()
    def case() -> None:
        """Inspect cases."""

    @case.command("show")
    @click.argument("case_id")
    @click.pass_context
    def case_show(ctx: click.Context, case_id: str) -> None:
        """Show the current state of a case, and the known-error workarounds that apply."""
        with open_desk(ctx) as desk:
            _print_case(desk.case(case_id))
            known = workarounds(desk, case_id)
        if known:
            shown = table("problem", "linked", "known error", "workaround", title="Workarounds")
            for found in known:
                linked = "yes" if found.linked else f"similar ({found.similarity:.0%})"
                add_row(shown, found.problem_id, linked, found.error, found.workaround)
            console.print(shown)

    @cli.command()
    @click.argument("case_id")
    @click.pass_context
    def history(ctx: click.Context, case_id: str) -> None:
        """List the events of a case, in order."""
        with open_desk(ctx) as desk:
            events = table("#", "time", "event", "by", "details", title=f"Case {case_id}")
            for recorded in desk.history(case_id):
                event = recorded.event
                details = {
                    k: v
                    for k, v in _fields(event).items()
                    if k not in {"at", "by", "policy"} and v not in (None, "")
                }
                add_row(
                    events,
                    recorded.seq,
                    f"{event.at:%Y-%m-%d %H:%M}",
                    event.TYPE.removeprefix("case."),
                    event.by,
                    ", ".join(f"{k}={v}" for k, v in details.items()),
                )
            console.print(events)

    @cli.command()
    @click.option("--state", "states", multiple=True, type=click.Choice(lifecycle.STATES))
    @click.option("--assignee")
    @click.option("--limit", type=int, default=50, show_default=True)
    @click.pass_context
    def cases(
        ctx: click.Context, states: tuple[str, ...], assignee: str | None, limit: int
    ) -> None:
        """List cases, oldest first."""
        with open_desk(ctx) as desk:
            listing = table("id", "state", "priority", "assignee", "requester", "subject")
            for found in desk.cases(state=states or None, assignee=assignee, limit=limit):
                add_row(
                    listing,
                    found.id,
                    found.state,
                    found.priority or "",
                    found.assignee or "",
                    found.requester,
                    found.subject,
                )
            console.print(listing)

    @cli.command()
    @click.argument("case_id")
    @click.pass_context
    def sla(ctx: click.Context, case_id: str) -> None:
        """Explain every SLA clock of a case: target, consumed, remaining, due, segments."""
        with open_desk(ctx) as desk:
            report = desk.sla(case_id)
            recorded = _recorded_policy(desk, case_id) if not report.clocks else None
            if recorded is not None:
                console.print(
                    f"(explained under policy {recorded.version}, the one that set its "
                    "service level; pass --policy to use another)"
                )
                with ServiceDesk(desk.store, policy=recorded) as original:
                    report = original.sla(case_id)
            if not report.clocks:
                console.print(f"case {escape(case_id)}: {escape(report.note)}")
                return
            console.print(
                f"case {escape(case_id)}: service level {escape(str(report.level))}, "
                f"calendar {escape(str(report.calendar))}, at {report.at:%Y-%m-%d %H:%M} UTC"
            )
            clocks = table("metric", "cycle", "status", "target", "consumed", "remaining", "due")
            for clock in report.clocks:
                add_row(
                    clocks,
                    clock.metric,
                    clock.cycle,
                    clock.status,
                    format_duration(clock.target),
                    format_duration(clock.consumed),
                    _signed(clock.remaining),
                    f"{clock.due:%Y-%m-%d %H:%M}" if clock.due else "",
                )
            console.print(clocks)
            spans = table("metric", "cycle", "from", "to", "counted", "paused in", "holidays")
            for clock in report.clocks:
                for segment in clock.segments:
                    skipped = ", ".join(day.isoformat() for day in segment.holidays)
                    counted = format_duration(segment.counted)
                    span_row(spans, clock, segment.start, segment.end, counted, "", skipped)
                for pause in clock.pauses:
                    span_row(spans, clock, pause.start, pause.end, "", pause.state, "")
            console.print(spans)

    @cli.command()
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

    @cli.command()
    @click.option(
        "--db",
        "db",
        help="Store URL or SQLite file to work on (default: the global --db).",
    )
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
    def worker(
        ctx: click.Context, *, db: str | None, poll: float, batch: int, lease: float, once: bool
    ) -> None:
        """Fire SLA timers and deliver the outbox until SIGTERM or SIGINT (run any number).

        A signal lets the current pass finish, then the worker exits with status 0.
        """
        logging.basicConfig(
            format="%(asctime)s %(name)s %(levelname)s %(message)s", level=logging.WARNING
        )
        log = logging.getLogger("serviceflow.worker")
        log.setLevel(logging.INFO)
        options = ctx.find_root().params
        url = store_url(db or options["db"])
        policy = load_policy(Path(options["policy"])) if options["policy"] else None
        with ServiceDesk.open(url, policy=policy, lease=timedelta(seconds=lease)) as desk:
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

    @cli.command()
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

    @cli.command()
    @click.argument("name", required=False)
    @click.pass_context
    def queue(ctx: click.Context, name: str | None) -> None:
        """List the cases waiting in a queue (or, without a name, in triage)."""
        with open_desk(ctx) as desk:
            waiting = desk.queue(name) if name else desk.triage()
            listing = table(
                "id", "state", "priority", "submitted", "subject", title=name or "triage"
            )
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

    @cli.command()
    @click.argument("case_id")
    @click.pass_context
    def priority(ctx: click.Context, case_id: str) -> None:
        """Explain a case's priority: every decision, its rule and its reason."""
        with open_desk(ctx) as desk:
            console.print(escape(desk.explain_priority(case_id).text()))

    class _AuditGroup(click.Group):
        """``audit [DAY]`` lists refusals as it always did; ``audit escalations`` is a
        sub-command. A first word that names no sub-command is the DAY."""

        def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
            if args and args[0] not in self.commands and not args[0].startswith("-"):
                ctx.meta[_AUDIT_DAY] = args[0]
                args = args[1:]
                extra = [a for a in args if not a.startswith("-")]
                if extra:
                    ctx.fail(f"Got unexpected extra argument ({' '.join(extra)})")
            return super().parse_args(ctx, args)

        def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            formatter.write_usage(ctx.command_path, "[DAY] | escalations [OPTIONS]")

    _AUDIT_DAY = "serviceflow.audit.day"

    @cli.group(cls=_AuditGroup, invoke_without_command=True)
    @click.pass_context
    def audit(ctx: click.Context) -> None:
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
            listing = table("at", "actor", "command", "case", "rule", "reason")
            for refused in desk.audit(when):
                add_row(
                    listing,
                    f"{refused.at:%H:%M:%S}",
                    refused.by,
                    refused.command,
                    refused.case_id,
                    refused.rule,
                    refused.reason,
                )
            console.print(listing)

    @audit.command("escalations")
    @click.option(
        "--from",
        "since",
        metavar="DATE",
        help="Start of the window: YYYY-MM-DD (00:00 UTC) or an ISO date-time "
        "(default: 7 days before the end).",
    )
    @click.option(
        "--to",
        "until",
        metavar="DATE",
        help="End of the window, exclusive: an ISO date-time, or YYYY-MM-DD for the end of "
        "that day (UTC) (default: now).",
    )
    @click.option(
        "--json", "as_json", is_flag=True, help="Print the audit as JSON (durations in seconds)."
    )
    @click.pass_context
    def audit_escalations(
        ctx: click.Context, since: str | None, until: str | None, as_json: bool
    ) -> None:
        """Audit the escalation log: late acknowledgements, missed updates, escalations
        without an owner, ping-pong cases, time held and breaches per tier."""
        start = _instant(since, "--from", end_of_day=False) if since else None
        end = _instant(until, "--to", end_of_day=True) if until else None
        with open_desk(ctx) as desk:
            found = desk.escalation_audit(start, end)
        if as_json:
            click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
            return
        _print_escalation_audit(found)

    def _instant(text: str, option: str, *, end_of_day: bool) -> datetime:
        """A --from/--to value as an aware instant: a bare date is a UTC day's start (or, for
        the end, the next day's start); a naive date-time is read as UTC."""
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
                return moment + timedelta(days=1) if end_of_day else moment
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise click.BadParameter(
                f"{text!r} is not a date like 2026-03-02 or a date-time like "
                "2026-03-02T09:00+01:00",
                param_hint=option,
            ) from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    def _print_escalation_audit(found: EscalationAudit) -> None:
        """The audit's sections as tables, then its headline counts."""
        console.print(
            f"Escalation audit {found.start:%Y-%m-%d %H:%M} to {found.end:%Y-%m-%d %H:%M} UTC"
        )
        late = table(
            "case", "tier", "escalated", "due", "accepted", "late by", title="Late acknowledgements"
        )
        for row in found.late_acknowledgements:
            accepted = _when(row.accepted_at) if row.accepted_at else f"({row.outcome})"
            add_row(
                late,
                row.case_id,
                row.tier,
                _when(row.escalated_at),
                _when(row.due),
                accepted,
                format_duration(row.late_by),
            )
        missed = table("case", "tier", "cycle", "due", "updated", "late by", title="Missed updates")
        for miss in found.missed_updates:
            add_row(
                missed,
                miss.case_id,
                miss.tier,
                miss.cycle,
                _when(miss.due),
                _when(miss.stopped_at) if miss.stopped_at else "(still open)",
                format_duration(miss.late_by),
            )
        unowned = table(
            "case", "tier", "waiting since", "waiting", "due", "overdue", title="Without an owner"
        )
        for waiting in found.unowned:
            add_row(
                unowned,
                waiting.case_id,
                waiting.tier,
                _when(waiting.since),
                format_duration(waiting.waiting),
                _when(waiting.due) if waiting.due else "",
                "yes" if waiting.overdue else "no",
            )
        bounced = table("case", "at", "path", "bounces", "owner", "flagged", title="Ping-pong")
        for pinged in found.ping_pong:
            add_row(
                bounced,
                pinged.case_id,
                _when(pinged.at),
                " → ".join(pinged.path),
                pinged.bounces,
                pinged.owner or "",
                "yes" if pinged.flagged else "no",
            )
        held = table("tier", "held", title="Time held per tier")
        for tier, duration in found.held.items():
            add_row(held, tier, format_duration(duration))
        breaches = table("tier", "metric", "breaches", title="Breaches per tier")
        for (tier, metric), count in found.breaches.items():
            add_row(breaches, tier, metric, count)
        for section in (late, missed, unowned, bounced, held, breaches):
            console.print(section)
        summary = found.summary()
        counts = table("summary", "count", title="Summary")
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
            add_row(counts, label, count)
        console.print(counts)

    def _when(moment: datetime) -> str:
        return f"{moment:%Y-%m-%d %H:%M}"

    @cli.group()
    def quality() -> None:
        """Quality assurance: how consistently reviewers score cases."""

    @quality.command("calibration")
    @click.argument("session")
    @click.option(
        "--db", "db", metavar="URL", help="SQLite file or store URL (default: the global --db)."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.pass_context
    def quality_calibration(
        ctx: click.Context, session: str, db: str | None, as_json: bool
    ) -> None:
        """Compare the reviewers of calibration SESSION: their totals on each case, the
        spread, agreement within the policy's tolerance, and who drifts from the others."""
        if db is not None:
            ctx.find_root().params["db"] = db
        with open_desk(ctx) as desk:
            report = calibrate(desk, session)
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
            return
        _print_calibration(report)

    def _print_calibration(report: CalibrationReport) -> None:
        """The session's cases, reviewers and criteria as tables, then its agreement."""
        console.print(
            f"Calibration session {escape(report.session)}: {len(report.cases)} cases, "
            f"{report.reviews} reviews; two totals agree within {report.tolerance:g} points"
        )
        if not report.cases:
            console.print("No review was recorded in this session.")
            return
        cases = table(
            "case", "agent", "reviewers (total)", "min", "max", "range", "stdev", "agreement"
        )
        for found in report.cases:
            add_row(
                cases,
                found.case_id,
                found.agent,
                ", ".join(f"{r.reviewer} {r.total:g}" for r in found.reviews),
                f"{found.spread.min:g}",
                f"{found.spread.max:g}",
                f"{found.spread.range:.1f}",
                f"{found.spread.stdev:.1f}",
                _share(found.agreement),
            )
        reviewers = table(
            "reviewer",
            "cases",
            "compared",
            "mean total",
            "mean deviation",
            "mean |deviation|",
            "drifting",
            title="Reviewers (deviation: own total − mean of the others)",
        )
        for reviewer in report.reviewers:
            add_row(
                reviewers,
                reviewer.reviewer,
                reviewer.cases,
                reviewer.compared,
                f"{reviewer.mean_total:.1f}",
                _signed_points(reviewer.mean_deviation),
                _points(reviewer.mean_absolute_deviation),
                "yes" if reviewer.drifting else "no",
            )
        criteria = table(
            "rubric",
            "criterion",
            "kind",
            "cases",
            "mean range",
            "max range",
            title="Criteria (range of points as a share of the max)",
        )
        for criterion in report.criteria:
            add_row(
                criteria,
                criterion.rubric,
                criterion.criterion,
                criterion.kind or "",
                criterion.cases,
                _share(criterion.mean_range_share),
                _share(criterion.max_range_share),
            )
        for section in (cases, reviewers, criteria):
            console.print(section)
        summary = table("summary", "value", title="Session")
        for label, value in (
            ("reviewer pairs", str(report.pairs)),
            ("pairs that agree", str(report.agreeing)),
            ("agreement", _share(report.agreement)),
            ("mean range of totals", _points(report.mean_range)),
            ("largest range of totals", _points(report.max_range)),
            ("mean standard deviation", _points(report.mean_stdev)),
        ):
            add_row(summary, label, value)
        console.print(summary)

    def _share(value: float | None) -> str:
        return "" if value is None else f"{value:.0%}"

    def _points(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    def _signed_points(value: float | None) -> str:
        return "" if value is None else f"{value:+.1f}"

    def span_row(
        into: Table, clock: ClockReport, start: datetime, end: datetime | None, *rest: str
    ) -> None:
        """One stretch of a clock: when it ran (or stood still), and what it counted."""
        until = f"{end:%m-%d %H:%M}" if end else "now"
        add_row(into, clock.metric, clock.cycle, f"{start:%m-%d %H:%M}", until, *rest)

    def _recorded_policy(desk: ServiceDesk, case_id: str) -> Policy | None:
        """The stored policy under which the case's service level was last set, if any."""
        versions = [
            r.event.policy for r in desk.history(case_id) if isinstance(r.event, SlaApplied)
        ]
        document = desk.store.load_policy(versions[-1]) if versions else None
        if document is None or versions[-1] == desk.policy.version:
            return None
        return load_policy(json.loads(document))

    def _signed(value: timedelta) -> str:
        return format_duration(value) if value >= timedelta(0) else "-" + format_duration(-value)

    @cli.command()
    @click.option(
        "--from",
        "since",
        metavar="DATE",
        help="Start of the period: YYYY-MM-DD (00:00 UTC) or an ISO date-time "
        "(default: 30 days before the end).",
    )
    @click.option(
        "--to",
        "until",
        metavar="DATE",
        help="End of the period, exclusive: an ISO date-time, or YYYY-MM-DD for the end of "
        "that day (UTC) (default: now).",
    )
    @click.option("--by", type=click.Choice(DIMENSIONS), help="Slice the KPIs: one row per value.")
    @click.option(
        "--db", "db", metavar="URL", help="SQLite file or store URL (default: the global --db)."
    )
    @click.option(
        "--html",
        "html_path",
        metavar="PATH",
        type=click.Path(dir_okay=False),
        help="Write the dashboard (one self-contained HTML file) to PATH.",
    )
    @click.option(
        "--export",
        "folder",
        metavar="FOLDER",
        type=click.Path(file_okay=False),
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
        since: str | None,
        until: str | None,
        by: str | None,
        db: str | None,
        html_path: str | None,
        folder: str | None,
        as_json: bool,
    ) -> None:
        """KPIs for a period (FCR, SLA compliance, times and their spread, backlog,
        escalations, surveys): tables, a dashboard, CSV and JSON."""
        start = _instant(since, "--from", end_of_day=False) if since else None
        end = _instant(until, "--to", end_of_day=True) if until else None
        if db is not None:
            ctx.find_root().params["db"] = db
        with open_desk(ctx) as desk:
            end = end if end is not None else desk.clock.now()
            start = start if start is not None else end - timedelta(days=30)
            found = kpis(desk, start=start, end=end, by=by)
            priorities = None
            if html_path is not None and by != "priority":
                priorities = kpis(desk, start=start, end=end, by="priority")
            generated, policy = desk.clock.now(), desk.policy
        tell = err if as_json else console
        if as_json:
            click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
        else:
            print_kpis(found, policy)
        if folder is not None:
            written = write_exports(found, folder, policy=policy)
            tell.print(f"wrote {len(written)} files to {escape(folder)}")
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
            tell.print(f"wrote {escape(html_path)}")

    @cli.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--mapping",
        "mapping_source",
        required=True,
        metavar="NAME|PATH",
        help="A built-in mapping (servicenow) or a mapping TOML file.",
    )
    @click.option(
        "--db", "db", metavar="URL", help="SQLite file or store URL (default: the global --db)."
    )
    @click.option(
        "--batch",
        type=click.IntRange(min=1),
        default=2000,
        show_default=True,
        help="Rows per transaction.",
    )
    @click.option("--dry-run", is_flag=True, help="Read and plan every row; write nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.pass_context
    def import_log(
        ctx: click.Context,
        *,
        file: str,
        mapping_source: str,
        db: str | None,
        batch: int,
        dry_run: bool,
        as_json: bool,
    ) -> None:
        """Import the CSV event log FILE (.csv, or .csv.gz) into the --db store.

        Each row becomes the events that take its case to the row's state; unknown values
        and what the lifecycle cannot express are reported with line numbers. Cases already
        in the store are left untouched, so importing again adds nothing. docs/import.md
        explains the mapping file.
        """
        mapping = load_mapping(mapping_source)
        root = ctx.find_root().params
        target = db if db is not None else root["db"]
        url = store_url(target)
        if dry_run and "://" not in target and not Path(target).exists():
            url = "memory://"  # nothing to compare with, and no file to create
        policy = load_policy(Path(root["policy"])) if root["policy"] else None
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
        )
        shown = not as_json and err.is_terminal
        with (
            ServiceDesk.open(url, policy=policy) as desk,
            Progress(*columns, console=err, disable=not shown) as bar,
        ):
            task = bar.add_task(f"importing {Path(file).name}", total=Path(file).stat().st_size)
            report = import_csv(
                desk,
                file,
                mapping,
                batch=batch,
                dry_run=dry_run,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
            return
        _print_import(report, url)

    def _print_import(report: ImportReport, url: str) -> None:
        """The report: counts, events by type, unknown values and anomalies, as tables."""
        title = f"Import of {report.file} with mapping {report.mapping} into {url}"
        if report.dry_run:
            title += " (dry run: nothing written)"
        counts = table("", "count", title=title)
        for label, count in (
            ("rows read", report.rows_read),
            ("rows imported", report.rows_imported),
            ("  of which changed nothing", report.rows_unchanged),
            *((f"rows skipped: {reason}", n) for reason, n in report.skipped.items()),
            ("cases created", report.cases_created),
            ("cases already in the store (untouched)", report.cases_existing),
            ("events", report.events),
        ):
            add_row(counts, label, f"{count:,}")
        add_row(counts, "seconds", f"{report.seconds:.1f}")
        console.print(counts)
        if report.events_by_type:
            kinds = table("event", "count", title="Events")
            for kind, count in report.events_by_type.items():
                add_row(kinds, kind, f"{count:,}")
            console.print(kinds)
        if report.unknown_values:
            unknown = table("column", "value", "rows", "first lines", title="Unknown values")
            for found in report.unknown_values:
                lines = ", ".join(map(str, found.lines))
                add_row(unknown, found.column, found.value, f"{found.count:,}", lines)
            console.print(unknown)
            console.print(
                "Rows with unknown values were not imported: add the values to the mapping's "
                "[values.<column>] tables (try --dry-run) and import into a fresh store."
            )
        if report.anomalies:
            odd = table("anomaly", "rows", "row", "first lines", title="Anomalies")
            for anomaly in report.anomalies:
                kept = "skipped" if anomaly.row_skipped else "imported without it"
                lines = ", ".join(map(str, anomaly.lines))
                add_row(odd, anomaly.problem, f"{anomaly.count:,}", kept, lines)
            console.print(odd)

    @cli.command("review")
    @click.argument("cadence", type=click.Choice(list(PERIODS)))
    @click.option(
        "--at",
        "until",
        metavar="DATE",
        help="End of the reviewed period: an ISO date-time, or YYYY-MM-DD for the end of that "
        "day (UTC) (default: now).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the review as JSON.")
    @click.option("--check", is_flag=True, help="Exit with status 1 when an item needs attention.")
    @click.pass_context
    def governance_review(
        ctx: click.Context, cadence: str, until: str | None, as_json: bool, check: bool
    ) -> None:
        """The governance checklist of a cadence (daily, weekly, monthly, quarterly),
        answered from the desk's own figures."""
        at = _instant(until, "--at", end_of_day=True) if until else None
        with open_desk(ctx) as desk:
            found = review(desk, cadence, at=at)
        if as_json:
            click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
        else:
            shown = table(
                "item",
                "status",
                "findings",
                title=f"{cadence.capitalize()} review, {found.start:%Y-%m-%d %H:%M} to "
                f"{found.end:%Y-%m-%d %H:%M} UTC",
            )
            for item in found.checks:
                mark = "[red]attention[/]" if item.status == "attention" else "[green]ok[/]"
                shown.add_row(escape(item.item), mark, escape("\n".join(item.findings)))
            console.print(shown)
        if check and found.attention:
            raise SystemExit(1)

    @cli.command()
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
            results = (
                [desk.verify(i) for i in case_ids] if case_ids else desk.verify_all(anchor=anchor)
            )
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

    @cli.command()
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["markdown", "mermaid"]),
        default="markdown",
        show_default=True,
    )
    @click.option("--output", type=click.Path(dir_okay=False), help="Write to this file.")
    @click.option(
        "--workflow",
        type=click.Choice(["case", *WORKFLOWS]),
        default="case",
        show_default=True,
        help="Which machine: the case lifecycle, or an article's, problem's or PDCA cycle's.",
    )
    def diagram(fmt: str, output: str | None, workflow: str) -> None:
        """Render a workflow, generated from its state machine itself."""
        if workflow == "case":
            text = lifecycle.markdown() if fmt == "markdown" else lifecycle.mermaid() + "\n"
        else:
            machine = WORKFLOWS[workflow]
            text = machine.markdown() if fmt == "markdown" else machine.mermaid() + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            console.print(f"wrote {escape(output)}")
        else:
            click.echo(text, nl=False)

    def _fields(obj: object) -> dict[str, Any]:
        return asdict(obj, recurse=False)  # type: ignore[arg-type]

    def _print_case(found: Case) -> None:
        fields = table("field", "value", title=f"Case {found.id}", show_header=False)
        for name, value in _fields(found).items():
            if value not in (None, "", ()):
                shown = value.isoformat() if hasattr(value, "isoformat") else value
                shown = ", ".join(shown) if isinstance(shown, tuple) else shown
                add_row(fields, name, shown)
        console.print(fields)

    # Command groups of their own modules; they use the helpers above, so they come last.
    from serviceflow.cli._improve import improve as _improve
    from serviceflow.cli._knowledge import kb as _kb
    from serviceflow.cli._problems import problem as _problem
    from serviceflow.cli._simulate import simulate as _simulate
    from serviceflow.cli._staff import staff as _staff

    for _group in (_improve, _kb, _problem, _simulate, _staff):
        cli.add_command(_group)
