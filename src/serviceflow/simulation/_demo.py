"""A scripted day of a small desk: twelve cases through every path of the lifecycle.

Used by ``serviceflow demo``; also a readable example of the API. Time is a manual clock,
so the day is the same every run; case ids are new each run.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import frozen

from serviceflow.clock import ManualClock
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain._case import Case
from serviceflow.domain.policy._policy import load_policy
from serviceflow.errors import ServiceflowError

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""Monday 2 March 2026, 08:00 UTC: the morning the demo starts."""

_OFFICE = {day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
_BANK_HOLIDAYS = [
    "2026-04-03",
    "2026-04-06",
    "2026-05-04",
    "2026-05-25",
    "2026-08-31",
    "2026-12-25",
    "2026-12-28",
]
"""England's 2026 bank holidays, listed so the demo needs no optional extra."""
DEMO_POLICY = load_policy(
    {
        "calendars": {
            "office": {"zone": "Europe/London", "week": _OFFICE, "holidays": _BANK_HOLIDAYS}
        },
        "sla": [
            {
                "name": "critical",
                "when": {"priority": ["critical"]},
                "targets": {
                    "first_response": {"within": "15m"},
                    "periodic_update": {"within": "1h"},
                    "resolution": {"within": "4h", "time": "calendar"},
                },
            },
            {
                "name": "high",
                "when": {"priority": ["high"]},
                "calendar": "office",
                "targets": {"first_response": {"within": "30m"}, "resolution": {"within": "8h"}},
            },
            {
                "name": "standard",
                "calendar": "office",
                "targets": {
                    "first_response": {"within": "1h"},
                    "next_reply": {"within": "4h"},
                    "resolution": {"within": "20h"},
                },
            },
        ],
        "roles": [
            {"name": "lead", "actors": ["lead:*"]},
            {"name": "agent", "actors": ["agent:*", "dev:*"]},
            {"name": "quality", "actors": ["qa:*"], "may": ["validate", "reject", "note"]},
        ],
        "guardrails": [{"name": "four eyes", "commands": ["validate"], "require": ["four_eyes"]}],
    }
)
"""The default policy plus service levels on a London office calendar (08:00-18:00), roles
(leads, agents, quality) and a four-eyes guardrail: who resolved a case may not validate it."""


@frozen
class DemoStep:
    """One line of the story: when, which case, what happened, and where the case is now."""

    at: datetime
    label: str
    text: str
    state: str
    refused: bool = False


@frozen
class DemoSummary:
    """What the day added up to."""

    cases: tuple[Case, ...]
    events: int
    refusals: int
    verified: int
    resolution_hours: tuple[float, ...]
    sla: tuple[tuple[str, str, int], ...] = ()
    """``(metric, status, count)`` over every case's latest clock cycles."""

    @property
    def by_state(self) -> dict[str, int]:
        """How many cases ended the run in each state."""
        return dict(Counter(c.state for c in self.cases).most_common())

    @property
    def median_resolution_hours(self) -> float | None:
        """Median hours from submission to (last) resolution, over resolved cases."""
        return statistics.median(self.resolution_hours) if self.resolution_hours else None


class _Script:
    def __init__(self, desk: ServiceDesk, clock: ManualClock, report: Callable[[DemoStep], None]):
        self.desk = desk
        self.clock = clock
        self.report = report
        self.labels: dict[str, str] = {}
        self.refusals = 0

    def at(self, hour: int, minute: int = 0, days: int = 0) -> None:
        self.clock.set(DAY + timedelta(days=days, hours=hour - DAY.hour, minutes=minute))
        for recorded in self.desk.tick():
            event = recorded.event
            metric = str(getattr(event, "metric", "")).replace("_", " ")
            threshold = getattr(event, "threshold", None)
            text = (
                f"SLA warning: {metric} at {threshold:.0%} of its target"
                if threshold is not None
                else f"SLA breached: {metric}"
            )
            self.say(self.desk.case(recorded.case_id), text)

    def new(self, label: str, **intake: Any) -> str:
        case = self.desk.submit(**intake)
        self.labels[case.id] = label
        self.say(case, f"submitted by {case.requester} via {case.channel}: {case.subject!r}")
        return case.id

    def do(self, case_id: str, text: str, action: Callable[[], Case]) -> Case:
        case = action()
        self.say(case, text)
        return case

    def prioritize(self, case_id: str, **how: str) -> Case:
        case = self.desk.prioritize(case_id, **how)
        self.say(case, f"prioritized {case.priority}: {case.priority_reason}")
        return case

    def refused(self, case_id: str, text: str, action: Callable[[], object]) -> None:
        try:
            action()
        except ServiceflowError as exc:
            self.refusals += 1
            case = self.desk.case(case_id)
            self.report(
                DemoStep(self.clock.now(), self.labels[case_id], f"{text}: {exc}", case.state, True)
            )
            return
        raise AssertionError(f"the demo expected {text!r} to be refused")

    def say(self, case: Case, text: str) -> None:
        self.report(DemoStep(self.clock.now(), self.labels.get(case.id, case.id), text, case.state))


def run_demo(  # noqa: PLR0915 - a script reads best as one story
    desk: ServiceDesk, clock: ManualClock, report: Callable[[DemoStep], None]
) -> DemoSummary:
    """Play the day on ``desk`` (whose clock must be ``clock``) and return the summary."""
    s = _Script(desk, clock, report)
    d = desk

    s.at(8, 55)
    outage = s.new(
        "#1",
        requester="acme/jane@acme.test",
        channel="email",
        subject="Checkout page is down",
        description="500 on /pay since 08:50",
        category="outage",
    )
    s.do(
        outage,
        "classified outage / incident",
        lambda: d.classify(outage, category="outage", kind="incident", by="agent:kim"),
    )
    s.prioritize(outage, impact="high", urgency="high", by="agent:kim")
    s.do(outage, "assigned to agent:kim", lambda: d.assign(outage, to="agent:kim", by="lead:ana"))

    s.at(9, 2)
    dup = s.new(
        "#2",
        requester="globex/omar@globex.test",
        channel="chat",
        subject="Cannot pay by card",
        category="outage",
    )
    s.at(9, 5)
    s.do(
        outage,
        "acknowledged: 'We are on it.'",
        lambda: d.acknowledge(outage, by="agent:kim", message="We are on it."),
    )
    s.at(9, 10)
    s.do(
        outage,
        "asked the client: 'Which browser?'",
        lambda: d.request_info(outage, by="agent:kim", message="Which browser?"),
    )
    s.at(9, 12)
    s.do(dup, "merged into #1 (same outage)", lambda: d.merge(dup, into=outage, by="agent:kim"))

    s.at(9, 20)
    vat = s.new(
        "#3",
        requester="initech/li@initech.test",
        channel="web",
        subject="Invoice shows wrong VAT",
        category="billing",
    )
    s.do(
        vat,
        "classified billing / incident",
        lambda: d.classify(vat, category="billing", kind="incident", by="agent:sam"),
    )
    s.prioritize(vat, impact="medium", urgency="medium", by="agent:sam")
    s.do(vat, "assigned to agent:sam", lambda: d.assign(vat, to="agent:sam", by="lead:ana"))
    s.at(9, 40)
    s.do(
        outage, "client: 'All browsers.'", lambda: d.client_replied(outage, message="All browsers.")
    )

    s.at(9, 45)
    howto = s.new(
        "#4", requester="acme/ana@acme.test", channel="email", subject="How do I export my data?"
    )
    s.do(
        howto,
        "classified howto / question",
        lambda: d.classify(howto, category="howto", kind="question", by="agent:kim"),
    )
    s.prioritize(howto, impact="low", urgency="low", by="agent:kim")
    s.do(howto, "assigned to agent:kim", lambda: d.assign(howto, to="agent:kim", by="lead:ana"))
    s.do(
        howto,
        "acknowledged",
        lambda: d.acknowledge(howto, by="agent:kim", message="Thanks, looking."),
    )
    s.do(
        vat,
        "acknowledged",
        lambda: d.acknowledge(vat, by="agent:sam", message="Checking the invoice."),
    )

    s.at(10, 5)
    reset = s.new(
        "#5",
        requester="umbrella/bob@umbrella.test",
        channel="phone",
        subject="Password reset email never arrives",
        category="access",
        kind="incident",
    )
    s.do(reset, "classified access / incident", lambda: d.classify(reset, by="agent:sam"))
    s.prioritize(reset, impact="medium", urgency="high", by="agent:sam")
    s.do(reset, "assigned to agent:sam", lambda: d.assign(reset, to="agent:sam", by="lead:ana"))
    s.at(10, 20)
    s.refused(
        reset,
        "resolve before acknowledging",
        lambda: d.resolve(reset, by="agent:sam", resolution="Whitelisted our sender"),
    )
    s.do(reset, "acknowledged", lambda: d.acknowledge(reset, by="agent:sam", message="On it."))
    s.refused(
        reset,
        "qa:lee tries to resolve (quality validates; it does not resolve)",
        lambda: d.resolve(reset, by="qa:lee", resolution="Looks fine to me"),
    )
    s.at(10, 30)
    s.do(
        outage,
        "resolved: 'Rolled back release 4.2'",
        lambda: d.resolve(outage, by="agent:kim", resolution="Rolled back release 4.2"),
    )
    cancel = s.new(
        "#6", requester="hooli/eve@hooli.test", channel="web", subject="Duplicate invoice request"
    )
    s.at(10, 35)
    s.do(
        cancel,
        "cancelled: raised by mistake",
        lambda: d.cancel(cancel, by="client:eve@hooli.test", reason="Raised by mistake"),
    )
    s.at(10, 45)
    s.do(outage, "validated by qa:lee", lambda: d.validate(outage, by="qa:lee"))
    s.do(
        howto,
        "resolved with a how-to",
        lambda: d.resolve(
            howto, by="agent:kim", resolution="Settings → Export; see the export guide"
        ),
    )
    s.refused(
        howto,
        "agent:kim validates their own resolution",
        lambda: d.validate(howto, by="agent:kim"),
    )
    s.do(howto, "validated by qa:lee", lambda: d.validate(howto, by="qa:lee"))
    s.at(11, 0)
    s.do(outage, "client confirmed → closed", lambda: d.confirm(outage))
    s.do(
        reset,
        "resolved",
        lambda: d.resolve(reset, by="agent:sam", resolution="Whitelisted our sender"),
    )

    s.at(11, 15)
    slow = s.new(
        "#7",
        requester="acme/jane@acme.test",
        channel="email",
        subject="Reports are slow",
        category="functional",
        kind="incident",
    )
    s.do(slow, "classified", lambda: d.classify(slow, by="agent:kim"))
    s.prioritize(slow, impact="medium", urgency="high", by="agent:kim")
    s.do(slow, "assigned to agent:kim", lambda: d.assign(slow, to="agent:kim", by="lead:ana"))
    s.at(11, 30)
    s.do(
        reset,
        "validation rejected: SPF record still wrong",
        lambda: d.reject(reset, by="qa:lee", reason="Root cause not fixed: SPF record"),
    )
    s.do(slow, "transferred to dev:raj", lambda: d.assign(slow, to="dev:raj", by="agent:kim"))

    s.at(12, 0)
    refund = s.new(
        "#8",
        requester="initech/li@initech.test",
        channel="email",
        subject="Refund not received",
        category="billing",
        kind="incident",
    )
    s.do(refund, "classified", lambda: d.classify(refund, by="agent:sam"))
    s.prioritize(refund, impact="medium", urgency="medium", by="agent:sam")
    s.do(refund, "assigned to agent:sam", lambda: d.assign(refund, to="agent:sam", by="lead:ana"))
    s.do(
        refund,
        "acknowledged",
        lambda: d.acknowledge(refund, by="agent:sam", message="Looking into it."),
    )
    s.at(12, 10)
    s.do(
        vat,
        "resolved: corrected invoice issued",
        lambda: d.resolve(vat, by="agent:sam", resolution="Corrected invoice INV-2291 issued"),
    )
    s.do(vat, "client confirmed (validation still pending)", lambda: d.confirm(vat))
    s.do(
        slow,
        "acknowledged by dev:raj",
        lambda: d.acknowledge(slow, by="dev:raj", message="Profiling it."),
    )
    s.at(12, 40)
    s.do(
        reset,
        "resolved again: SPF record fixed",
        lambda: d.resolve(reset, by="agent:sam", resolution="SPF record fixed, emails arrive"),
    )
    s.do(
        refund,
        "resolved: refund re-sent",
        lambda: d.resolve(refund, by="agent:sam", resolution="Refund re-sent"),
    )
    s.do(refund, "client confirmed", lambda: d.confirm(refund))

    s.at(13, 0)
    s.do(vat, "validated → closed (the client had confirmed)", lambda: d.validate(vat, by="qa:lee"))
    s.do(reset, "validated", lambda: d.validate(reset, by="qa:lee"))
    s.do(refund, "validated → closed", lambda: d.validate(refund, by="qa:lee"))
    s.at(13, 30)
    totals = s.new(
        "#9",
        requester="acme/ana@acme.test",
        channel="web",
        subject="Dashboard shows wrong totals",
        category="functional",
        kind="incident",
    )
    s.do(totals, "classified", lambda: d.classify(totals, by="agent:kim"))
    s.prioritize(totals, impact="medium", urgency="low", by="agent:kim")
    s.do(totals, "assigned to agent:kim", lambda: d.assign(totals, to="agent:kim", by="lead:ana"))
    s.do(totals, "acknowledged", lambda: d.acknowledge(totals, by="agent:kim", message="Checking."))
    s.do(reset, "client confirmed → closed", lambda: d.confirm(reset))

    s.at(14, 10)
    api = s.new(
        "#10",
        requester="globex/tom@globex.test",
        channel="api",
        subject="API returns 429 for every call",
        category="functional",
        kind="incident",
        tier="premium",
    )
    s.do(api, "classified", lambda: d.classify(api, by="agent:kim"))
    s.prioritize(api, impact="medium", urgency="high", by="agent:kim")
    s.do(api, "assigned to dev:raj", lambda: d.assign(api, to="dev:raj", by="lead:ana"))
    s.do(
        api, "acknowledged", lambda: d.acknowledge(api, by="dev:raj", message="Investigating now.")
    )
    s.at(14, 30)
    s.do(
        api,
        "asked: 'Which API key?'",
        lambda: d.request_info(api, by="dev:raj", message="Which API key?"),
    )
    s.do(
        slow,
        "resolved: index added",
        lambda: d.resolve(slow, by="dev:raj", resolution="Added an index"),
    )
    s.do(slow, "validated", lambda: d.validate(slow, by="qa:lee"))
    s.do(slow, "client confirmed → closed", lambda: d.confirm(slow))

    s.at(15, 0)
    s.do(
        refund,
        "client: 'still missing' → reopened",
        lambda: d.reopen(refund, by="client:li@initech.test", reason="Refund still missing"),
    )
    s.do(totals, "resolved", lambda: d.resolve(totals, by="agent:kim", resolution="Cache cleared"))
    s.at(15, 20)
    dark = s.new(
        "#11",
        requester="umbrella/bob@umbrella.test",
        channel="web",
        subject="Feature request: dark mode",
        category="howto",
        kind="service_request",
    )
    s.do(dark, "classified", lambda: d.classify(dark, by="agent:sam"))
    s.prioritize(dark, impact="low", urgency="low", by="agent:sam")
    s.at(15, 45)
    s.do(
        totals,
        "client: 'still wrong' → reopened",
        lambda: d.reopen(totals, by="client:ana@acme.test", reason="Totals still wrong"),
    )
    s.do(
        refund,
        "resolved: bank confirmed the transfer",
        lambda: d.resolve(refund, by="agent:sam", resolution="Bank confirmed the transfer"),
    )
    s.do(refund, "validated", lambda: d.validate(refund, by="qa:lee"))
    s.at(16, 45)
    s.new(
        "#12",
        requester="hooli/eve@hooli.test",
        channel="email",
        subject="Cannot log in after the SSO change",
    )
    s.refused(
        outage,
        "internal note on a closed case",
        lambda: d.note(outage, by="agent:kim", text="post-mortem scheduled"),
    )

    s.at(17, 0, days=3)
    for case in d.auto_confirm():
        s.say(case, "closed: no answer within the auto-confirm window")
    s.refused(
        totals, "close a case that is not validated", lambda: d.close_case(totals, by="agent:kim")
    )

    cases = tuple(d.case(case_id) for case_id in s.labels)
    events = sum(c.version for c in cases)
    verified = sum(1 for case_id in s.labels if d.verify(case_id).ok)
    hours = tuple(
        (c.resolved_at - c.submitted_at).total_seconds() / 3600 for c in cases if c.resolved_at
    )
    outcomes: Counter[tuple[str, str]] = Counter()
    for case in cases:
        explained = d.sla(case.id)
        for metric in sorted({c.metric for c in explained.clocks}):
            latest = explained.current(metric)
            if latest is not None:
                outcomes[(metric, latest.status)] += 1
    sla = tuple((metric, status, n) for (metric, status), n in sorted(outcomes.items()))
    return DemoSummary(cases, events, s.refusals, verified, hours, sla)


def demo_desk(url: str) -> tuple[ServiceDesk, ManualClock]:
    """A desk on ``url`` with a manual clock at the demo's morning."""
    clock = ManualClock(DAY)
    return ServiceDesk.open(url, policy=DEMO_POLICY, clock=clock), clock
