"""The desk end to end on PostgreSQL: a case's whole life, SLA timers fired by tick, delivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from serviceflow import ManualClock, ServiceDesk, load_policy
from serviceflow.domain import AddNote, SlaBreached, SlaWarned
from serviceflow.domain.policy import Policy
from serviceflow.errors import ConcurrencyConflict
from serviceflow.plugins import JsonLinesNotifier

import serviceflow_postgres

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sla_policy() -> Policy:
    """Round-the-clock targets: answer within 1h, resolve within 4h."""
    return load_policy(
        {
            "sla": [
                {
                    "name": "standard",
                    "targets": {
                        "first_response": {"within": "1h", "warnings": [0.5]},
                        "resolution": {"within": "4h", "warnings": [0.75]},
                    },
                }
            ]
        }
    )


def open_desk(url: str, clock: ManualClock, outbox: Path | None = None) -> ServiceDesk:
    plugins: list[object] = [serviceflow_postgres]
    if outbox is not None:
        plugins.append(JsonLinesNotifier(outbox))
    return ServiceDesk.open(
        url,
        policy=sla_policy(),
        clock=clock,
        plugins=plugins,
        entry_points=False,
        deliver_at_once=False,
    )


def test_the_plugin_is_an_installed_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="serviceflow")}
    assert found.get("postgres") == "serviceflow_postgres"


def test_other_urls_are_left_to_other_plugins() -> None:
    assert serviceflow_postgres.open_store(url="sqlite:///desk.db") is None
    assert serviceflow_postgres.open_store(url="memory://") is None


def test_a_case_lives_from_submission_to_closure(pg_url: str, tmp_path: Path) -> None:
    clock = ManualClock(START)
    sent = tmp_path / "sent.jsonl"
    with open_desk(pg_url, clock, sent) as desk:
        case = desk.submit(requester="acme/jane@acme.test", channel="email", subject="Down")
        desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
        desk.assign(case.id, to="agent:kim", by="lead:ana")
        clock.advance(timedelta(minutes=40))
        fired = desk.tick()
        assert [type(r.event) for r in fired] == [SlaWarned], "first response at 50%"
        assert desk.tick() == [], "each timer fires once"
        desk.acknowledge(case.id, by="agent:kim", message="On it")
        desk.resolve(case.id, by="agent:kim", resolution="Fixed")
        desk.validate(case.id, by="qa:lee")
        closed = desk.confirm(case.id)
        assert closed.state == "closed"
        report = desk.deliver()
        assert report.delivered, "acknowledgement, resolution and closure were queued"
        assert desk.outbox.counts()["pending"] == 0
        check = desk.verify(case.id)
        assert check.ok, check.problems
        assert all(v.ok for v in desk.verify_all())
    keys = [json.loads(line)["key"] for line in sent.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == len(report.delivered)


def test_tick_records_breaches_once_across_desks(pg_url: str) -> None:
    clock = ManualClock(START)
    with open_desk(pg_url, clock) as one, open_desk(pg_url, clock) as two:
        ids = [
            one.submit(requester="acme/jane@acme.test", channel="web", subject=f"#{n}").id
            for n in range(5)
        ]
        clock.advance(timedelta(hours=5))
        fired = one.tick() + two.tick()
        breaches = {(r.case_id, r.event.metric) for r in fired if isinstance(r.event, SlaBreached)}
        assert breaches == {(i, m) for i in ids for m in ("first_response", "resolution")}
        assert len(fired) == len(ids) * 4, "two warnings and two breaches per case, once"
        assert two.tick() == []
        assert all(v.ok for v in two.verify_all())


def test_two_desks_writing_one_case_never_lose_an_event(pg_url: str) -> None:
    clock = ManualClock(START)
    with open_desk(pg_url, clock) as one, open_desk(pg_url, clock) as two:
        case = one.submit(requester="acme/jane@acme.test", channel="web", subject="Shared")
        one.note(case.id, by="agent:kim", text="first")
        two.note(case.id, by="agent:sam", text="second")  # decided on the store's state
        one.note(case.id, by="agent:kim", text="third")  # its cache is stale: it retries
        stale = AddNote(case_id=case.id, by="agent:sam", text="lost?")
        with pytest.raises(ConcurrencyConflict):
            two.execute(stale, expected_version=2)
        texts = [r.event.text for r in one.history(case.id) if hasattr(r.event, "text")]
        assert texts == ["first", "second", "third"], "the stale command wrote nothing"
        assert one.verify(case.id).ok
