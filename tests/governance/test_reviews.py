"""The governance calendar: each cadence's checklist answered from a desk's own figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from serviceflow import ManualClock, ServiceDesk, ValidationError, load_policy
from serviceflow.cli._main import cli
from serviceflow.governance._period import PERIODS
from serviceflow.governance._reviews import review
from serviceflow.knowledge._service import Knowledge
from serviceflow.problems._service import Problems

from ..conftest import walk_to

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def busy(store_url: str) -> tuple[ServiceDesk, ManualClock]:
    clock = ManualClock(T0)
    desk = ServiceDesk.open(store_url, clock=clock, entry_points=False)
    for state in ("closed", "resolved", "in_progress"):
        walk_to(desk, state)
    clock.advance(2 * H)
    walk_to(desk, "intake")  # waits for triage
    clock.advance(2 * H)
    return desk, clock


def _check(desk: ServiceDesk, cadence: str, item: str) -> tuple[str, tuple[str, ...]]:
    found = next(c for c in review(desk, cadence).checks if c.item == item)
    return found.status, found.findings


def test_every_cadence_answers_its_checklist(busy: tuple[ServiceDesk, ManualClock]) -> None:
    desk, clock = busy
    for cadence, period in PERIODS.items():
        done = review(desk, cadence)
        assert done.end == clock.now()
        assert done.end - done.start == period
        assert done.checks
        assert {c.status for c in done.checks} <= {"ok", "attention"}
        json.dumps(done.as_dict())
    assert [c.item for c in review(desk, "daily").checks] == [
        "monitor requests",
        "prioritise",
        "timely responses",
    ]


def test_the_daily_review_flags_a_case_waiting_for_triage(
    busy: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, _ = busy
    status, findings = _check(desk, "daily", "prioritise")
    assert status == "attention"
    assert any("waited over 1h for triage" in f for f in findings)
    status, findings = _check(desk, "daily", "monitor requests")
    assert findings[0] == "4 submitted, 2 resolved, 1 closed in the period"
    assert status == "attention", "more came in than was resolved"


def test_the_quarterly_review_audits_the_escalation_log(
    busy: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, _ = busy
    assert _check(desk, "quarterly", "escalation-log audit") == (
        "ok",
        ("the policy has no escalation tiers",),
    )


def test_an_unknown_cadence_is_refused(busy: tuple[ServiceDesk, ManualClock]) -> None:
    desk, _ = busy
    with pytest.raises(ValidationError, match="cadence: 'hourly' is not one of daily"):
        review(desk, "hourly")


def test_serviceflow_review_prints_the_checklist(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    runner = CliRunner(env={"COLUMNS": "200"})
    assert runner.invoke(cli, ["--db", db, "demo", "--quiet"]).exit_code == 0
    shown = runner.invoke(cli, ["--db", db, "review", "daily"])
    assert shown.exit_code == 0, shown.output
    assert "Daily review" in shown.output
    assert "timely responses" in shown.output
    data = json.loads(runner.invoke(cli, ["--db", db, "review", "weekly", "--json"]).output)
    assert data["cadence"] == "weekly"
    checked = runner.invoke(cli, ["--db", db, "review", "daily", "--check"])
    assert checked.exit_code == (
        1
        if any(
            c["status"] == "attention"
            for c in json.loads(
                runner.invoke(cli, ["--db", db, "review", "daily", "--json"]).output
            )["checks"]
        )
        else 0
    )
    wrong = runner.invoke(cli, ["--db", db, "review", "hourly"])
    assert wrong.exit_code == 2


def test_the_weekly_review_finds_incidents_that_suggest_a_problem(
    busy: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, _ = busy
    status, findings = _check(desk, "weekly", "recurring issues")
    assert status == "attention"
    assert any("similar incidents" in f and "suggest a problem" in f for f in findings)


def test_the_monthly_review_lists_articles_due_and_cycles_decided(
    busy: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, clock = busy
    kb = Knowledge(desk)
    article = kb.draft(
        by="agent:kim",
        category="billing",
        title="Correct a wrong invoice",
        body="Issue a credit note.",
        review_every=timedelta(days=7),
    )
    kb.submit_for_review(article.id, by="agent:kim")
    kb.approve(article.id, by="lead:ana")
    assert _check(desk, "monthly", "SOP updates")[0] == "ok"
    clock.advance(timedelta(days=8))
    status, findings = _check(desk, "monthly", "SOP updates")
    assert status == "attention"
    assert f"1 articles due for review: {article.id}" in findings


def test_the_quarterly_review_flags_a_problem_left_open(
    busy: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, clock = busy
    Problems(desk).define("Invoices wrong", "Rounding in invoices", by="lead:ana")
    assert not any("problem" in f for f in _check(desk, "quarterly", "workflow optimisation")[1])
    clock.advance(timedelta(days=31))
    status, findings = _check(desk, "quarterly", "workflow optimisation")
    assert status == "attention"
    assert any(f.startswith("problem PRB-1 (defined) open for 31d") for f in findings)


SLA = load_policy(
    {
        "sla": [
            {
                "name": "standard",
                "targets": {"first_response": {"within": "1h", "time": "calendar"}},
            }
        ]
    }
)


def test_a_past_review_sees_the_cases_as_they_were_then(store_url: str) -> None:
    clock = ManualClock(T0)
    with ServiceDesk.open(store_url, policy=SLA, clock=clock, entry_points=False) as desk:
        case = desk.submit(requester="acme/jane@acme.test", channel="email", subject="Help")
        clock.advance(H / 2)
        half_hour = clock.now()
        clock.advance(90 * timedelta(minutes=1))
        two_hours = clock.now()
        desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
        clock.advance(H)
        now = review(desk, "daily").checks
        assert now[1].findings == ("0 waiting for triage, 1 prioritised but unassigned",)
        then = next(c for c in review(desk, "daily", at=two_hours).checks if c.item == "prioritise")
        assert then.status == "attention"
        assert f"1 waited over 1h for triage: {case.id}" in then.findings
        early = next(
            c for c in review(desk, "daily", at=half_hour).checks if c.item == "timely responses"
        )
        assert early.figures["at_risk"] == [case.id]
        assert early.figures["overdue"] == []
        late = next(
            c for c in review(desk, "daily", at=two_hours).checks if c.item == "timely responses"
        )
        assert late.figures["overdue"] == [case.id]
        assert late.status == "attention"


def test_the_weekly_review_says_which_incidents_to_link_to_an_open_problem(
    busy: tuple[ServiceDesk, ManualClock],
) -> None:
    desk, _ = busy
    Problems(desk).define(
        "Invoices wrong", "Invoices come out wrong", by="lead:ana", category="billing"
    )
    status, findings = _check(desk, "weekly", "recurring issues")
    assert status == "attention"
    assert any("match open problem PRB-1: link them to it" in f for f in findings)
    assert not any("suggest a problem" in f for f in findings)
