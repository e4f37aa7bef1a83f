"""The daily review's checks: monitor requests, prioritise, and timely responses (SLA
clocks breached or about to be).
"""

from __future__ import annotations

from datetime import timedelta

from serviceflow.core._duration import format_duration
from serviceflow.domain._states import PRIORITIZED
from serviceflow.governance._check import Check, answered, in_minutes
from serviceflow.governance._period import Period
from serviceflow.rules._sla import report as sla_report

UNTRIAGED_STATES = ("intake", "classified")
"""States in which a case still waits to be prioritised."""
TRIAGE_WITHIN = timedelta(hours=1)
"""How long a case may wait for triage before the daily review flags it."""
AT_RISK_WITHIN = timedelta(hours=4)
"""How far ahead the daily review looks for SLA breaches to come."""


def monitor_requests(period: Period) -> Check:
    k = period.report.overall
    backlog = {name: s.backlog.open for name, s in period.report.slices.items()}
    oldest = k.backlog.age.maximum
    findings = [
        (f"{k.submitted} submitted, {k.resolved} resolved, {k.closed} closed in the period", False),
        (
            f"{k.backlog.open} open" + (f", the oldest {in_minutes(oldest)}" if oldest else ""),
            False,
        ),
    ]
    if k.submitted > k.resolved + k.cancelled and k.submitted:
        findings.append(("the backlog grew: more came in than was resolved", True))
    return answered(
        "monitor requests",
        "What came in, what is open, and is the backlog under control?",
        findings,
        submitted=k.submitted,
        resolved=k.resolved,
        open=k.backlog.open,
        oldest_seconds=oldest,
        open_by_priority=backlog,
    )


def prioritise(period: Period) -> Check:
    waiting = [f for f, _ in period.open_cases if f.state in UNTRIAGED_STATES]
    late = [f for f in waiting if period.end - f.submitted_at > TRIAGE_WITHIN]
    unassigned = sum(1 for f, _ in period.open_cases if f.state == PRIORITIZED)
    findings = [
        (f"{len(waiting)} waiting for triage, {unassigned} prioritised but unassigned", False)
    ]
    if late:
        ids = ", ".join(f.case_id for f in late[:5]) + (" …" if len(late) > 5 else "")
        findings.append(
            (f"{len(late)} waited over {format_duration(TRIAGE_WITHIN)} for triage: {ids}", True)
        )
    return answered(
        "prioritise",
        "Is every request classified and prioritised, and routed?",
        findings,
        untriaged=len(waiting),
        untriaged_late=len(late),
        unassigned=unassigned,
    )


def timely_responses(period: Period) -> Check:
    k = period.report.overall
    first = k.first_response.calendar
    compliance = k.compliance("first_response")
    at_risk, overdue = _clocks_at_risk(period)
    findings = [
        (
            f"first response: {first.count} in the period"
            + (f", p90 {in_minutes(first.p90)}" if first.p90 else ""),
            False,
        )
    ]
    rate = compliance.rate if compliance is not None else None
    if compliance is not None and rate is not None:
        findings.append(
            (
                f"first-response SLA met {compliance.met} of "
                f"{compliance.met + compliance.breached}",
                compliance.breached > 0,
            )
        )
    if overdue:
        findings.append((f"{len(overdue)} open cases past an SLA target: {_ids(overdue)}", True))
    if at_risk:
        findings.append(
            (
                f"{len(at_risk)} cases breach an SLA within "
                f"{format_duration(AT_RISK_WITHIN)}: {_ids(at_risk)}",
                True,
            )
        )
    return answered(
        "timely responses",
        "Are clients answered within their targets, and which cases are about to breach?",
        findings,
        first_responses=first.count,
        first_response_p90_seconds=first.p90,
        first_response_sla=rate,
        at_risk=at_risk,
        overdue=overdue,
    )


def _clocks_at_risk(period: Period) -> tuple[list[str], list[str]]:
    """Open cases with a running SLA clock due within ``AT_RISK_WITHIN`` of the end, and
    those with one already past its target, as the SLA engine saw them then."""
    horizon = period.end + AT_RISK_WITHIN
    at_risk, overdue = set(), set()
    for facts, history in period.open_cases:
        if facts.level is None:
            continue
        for clock in sla_report(facts.case_id, history, period.desk.policy, period.end).clocks:
            if clock.status == "breached" and clock.stopped_at is None:
                overdue.add(facts.case_id)
            elif clock.status == "running" and clock.due is not None and clock.due <= horizon:
                at_risk.add(facts.case_id)
    return sorted(at_risk - overdue), sorted(overdue)


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
