"""The escalation audit: late acknowledgements, missed updates, unowned escalations,
ping-pong, time held and breaches per tier, from a desk driven through each case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from serviceflow import ManualClock, ServiceDesk, ValidationError, load_policy
from serviceflow.domain.policy._policy import Policy
from serviceflow.rules.escalation._audit import (
    ACCEPTED_LATE,
    STILL_WAITING,
    AuditSummary,
    EscalationAudit,
    LateAcknowledgement,
    MissedUpdate,
    PingPongCase,
    UnownedEscalation,
    audit_escalations,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Monday 09:00 UTC: every case is submitted then."""
DAY_END = T0 + timedelta(days=1)

POLICY: dict[str, Any] = {
    "agents": [
        {"id": "agent:ann", "teams": ["front"]},
        {"id": "agent:tom", "teams": ["tech"]},
        {"id": "agent:max", "teams": ["mgmt"]},
    ],
    "sla": [
        {
            "name": "standard",
            "targets": {
                "first_response": {"within": "1h", "time": "calendar", "warnings": []},
                "resolution": {"within": "8h", "time": "calendar", "warnings": []},
            },
        }
    ],
    "escalation": {
        "process_owner": "agent:olga",
        "max_bounces": 1,
        "tiers": [
            {
                "name": "frontline",
                "level": 1,
                "teams": ["front"],
                "acknowledge_within": "30m",
                "warnings": [],
            },
            {
                "name": "technical",
                "level": 2,
                "teams": ["tech"],
                "acknowledge_within": "30m",
                "update_every": "1h",
                "handoff_within": "8h",
                "warnings": [],
            },
            {
                "name": "management",
                "level": 3,
                "teams": ["mgmt"],
                "acknowledge_within": "1h",
                "warnings": [],
            },
        ],
        "rules": [
            {"on": "sla_breach", "metric": "resolution", "to": "next"},
            {"on": "sla_breach", "metric": "escalation_update", "to": "next"},
        ],
    },
}


def policy() -> Policy:
    return load_policy(POLICY)


def at(hours: float = 0, minutes: float = 0) -> datetime:
    """Monday 09:00 plus the given time."""
    return T0 + timedelta(hours=hours, minutes=minutes)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'audit.db'}"


def open_case(desk: ServiceDesk, subject: str) -> str:
    """A case taken to in progress by agent:ann (frontline), acknowledged at once."""
    case = desk.submit(requester="acme/jane@acme.test", channel="email", subject=subject)
    desk.classify(case.id, category="billing", kind="incident", by="agent:ann")
    desk.prioritize(case.id, impact="medium", urgency="high", by="agent:ann")
    desk.assign(case.id, to="agent:ann", by="agent:ann")
    desk.acknowledge(case.id, by="agent:ann", message="We are on it.")
    return case.id


def play_day(desk: ServiceDesk, clock: ManualClock) -> dict[str, str]:
    """Drive seven cases through Monday (see each step); returns their ids by letter.

    A accepted late, B accepted on time, C misses an update (a rule escalates it to
    management), D is never accepted, E ping-pongs and is flagged, F is de-escalated,
    G is never escalated.
    """
    ids = {letter: open_case(desk, f"case {letter}") for letter in "ABCDEFG"}
    a, b, c, d, e, f, g = (ids[x] for x in "ABCDEFG")
    tomorrow = at(hours=24)
    for case_id in (a, b, c, d, e, f):
        desk.escalate(case_id, by="agent:ann", reason="needs the technical team")
    clock.set(at(minutes=5))
    desk.deescalate(e, by="agent:tom", reason="not technical")
    clock.set(at(minutes=10))
    desk.accept_escalation(b, by="agent:tom", timeline=tomorrow)
    clock.set(at(minutes=15))
    flagged = desk.escalate(e, by="agent:ann", reason="it is technical after all")
    assert flagged.escalation is not None
    assert flagged.escalation.flagged
    assert flagged.assignee == "agent:olga"
    clock.set(at(minutes=20))
    desk.accept_escalation(c, by="agent:tom", timeline=tomorrow)
    desk.accept_escalation(f, by="agent:tom", timeline=tomorrow)
    clock.set(at(minutes=45))
    desk.accept_escalation(a, by="agent:tom", timeline=tomorrow)
    clock.set(at(hours=1))
    desk.resolve(b, by="agent:tom", resolution="fixed")
    desk.deescalate(f, by="agent:tom", reason="frontline can finish it")
    clock.set(at(hours=1, minutes=30))
    desk.resolve(a, by="agent:tom", resolution="fixed")
    desk.tick()  # C's update clock breached at 10:20: the rule escalates it to management
    moved = desk.case(c)
    assert moved.escalation is not None
    assert moved.escalation.tier == "management"
    clock.set(at(hours=2))
    desk.accept_escalation(c, by="agent:max", timeline=tomorrow)
    desk.resolve(f, by="agent:tom", resolution="done")
    clock.set(at(hours=3))
    desk.resolve(c, by="agent:max", resolution="fixed")
    desk.resolve(g, by="agent:ann", resolution="fixed")
    clock.set(DAY_END + timedelta(hours=1))  # no tick after 10:30: breaches still count
    return ids


@pytest.fixture
def day(url: str) -> Iterator[tuple[ServiceDesk, dict[str, str]]]:
    clock = ManualClock(T0)
    with ServiceDesk.open(url, policy=policy(), clock=clock, entry_points=False) as desk:
        yield desk, play_day(desk, clock)


def test_each_section_of_a_day(day: tuple[ServiceDesk, dict[str, str]]) -> None:
    desk, ids = day
    found = desk.escalation_audit(T0, DAY_END)
    assert (found.start, found.end, found.cases) == (T0, DAY_END, 7)
    assert (found.escalations, found.deescalations) == (7, 2), "6 by ann, C by the rule"
    late = {row.case_id: row for row in found.late_acknowledgements}
    assert late == {
        ids["A"]: LateAcknowledgement(
            case_id=ids["A"],
            tier="technical",
            escalated_at=T0,
            due=at(minutes=30),
            accepted_at=at(minutes=45),
            late_by=timedelta(minutes=15),
            outcome=ACCEPTED_LATE,
        ),
        ids["D"]: LateAcknowledgement(
            case_id=ids["D"],
            tier="technical",
            escalated_at=T0,
            due=at(minutes=30),
            accepted_at=None,
            late_by=timedelta(hours=23, minutes=30),
            outcome=STILL_WAITING,
        ),
    }
    assert found.missed_updates == (
        MissedUpdate(
            case_id=ids["C"],
            tier="technical",
            cycle=1,
            due=at(hours=1, minutes=20),
            stopped_at=at(hours=1, minutes=30),
            late_by=timedelta(minutes=10),
        ),
    )
    assert found.unowned == (
        UnownedEscalation(
            case_id=ids["D"],
            tier="technical",
            since=T0,
            waiting=timedelta(hours=24),
            due=at(minutes=30),
            overdue=True,
        ),
    )
    assert found.ping_pong == (
        PingPongCase(
            case_id=ids["E"],
            at=at(minutes=15),
            tier="frontline",
            path=("frontline", "technical", "frontline"),
            bounces=1,
            owner="agent:olga",
            flagged=True,
        ),
    ), "F went up and back once: a de-escalation, not ping-pong"
    assert dict(found.breaches) == {
        ("frontline", "resolution"): 1,  # E, open at 17:00
        ("technical", "acceptance"): 2,  # A accepted at 09:45, D never
        ("technical", "escalation_update"): 1,  # C
        ("technical", "handoff"): 1,  # D held from 09:00, past 8 h at 17:00
        ("technical", "resolution"): 1,  # D, open at 17:00
    }
    assert found.summary() == AuditSummary(
        cases=7,
        escalations=7,
        deescalations=2,
        late_acknowledgements=2,
        missed_updates=1,
        unowned=1,
        unowned_overdue=1,
        ping_pong=1,
        flagged=1,
        breaches=6,
    )


def test_time_held_per_tier_sums_the_stints(day: tuple[ServiceDesk, dict[str, str]]) -> None:
    desk, _ = day
    found = desk.escalation_audit(T0, DAY_END)
    h, m = timedelta(hours=1), timedelta(minutes=1)
    frontline = (
        (24 * h - 5 * m)  # E: back at 09:05, flagged, open to the end
        + 1 * h  # F: back at 10:00, resolved at 11:00
        + 3 * h  # G: never escalated, resolved at 12:00
    )
    technical = (
        1.5 * h  # A: 09:00 to its resolution at 10:30
        + 1 * h  # B: 09:00 to 10:00
        + 1.5 * h  # C: 09:00 until the rule moved it at 10:30
        + 24 * h  # D: never accepted, never left
        + 5 * m  # E: 09:00 to 09:05
        + 1 * h  # F: 09:00 to 10:00
    )
    management = 1.5 * h  # C: 10:30 to 12:00
    assert dict(found.held) == {
        "frontline": frontline,
        "technical": technical,
        "management": management,
    }
    assert sum(found.held.values(), timedelta(0)) == 58.5 * h, "7 cases' lives in the day"


def test_a_narrower_window_clips_stints_and_keeps_only_its_breaches(
    day: tuple[ServiceDesk, dict[str, str]],
) -> None:
    desk, ids = day
    found = desk.escalation_audit(at(hours=1), at(hours=3))  # 10:00 to 12:00
    h = timedelta(hours=1)
    assert dict(found.held) == {
        "frontline": 2 * h + 1 * h + 2 * h,  # E, F (10:00-11:00), G
        "technical": 0.5 * h + 0.5 * h + 2 * h,  # A, C, D (B left at 10:00 sharp)
        "management": 1.5 * h,  # C
    }
    assert found.late_acknowledgements == (), "A's and D's were due at 09:30, before"
    assert [m.case_id for m in found.missed_updates] == [ids["C"]]
    assert [(u.case_id, u.waiting, u.overdue) for u in found.unowned] == [(ids["D"], 3 * h, True)]
    assert found.ping_pong == (), "E was flagged at 09:15, before the window"
    assert dict(found.breaches) == {("technical", "escalation_update"): 1}
    assert (found.escalations, found.deescalations) == (1, 1), "C by the rule; F at 10:00"


def test_events_after_the_window_are_not_read(day: tuple[ServiceDesk, dict[str, str]]) -> None:
    desk, ids = day
    found = desk.escalation_audit(T0, at(minutes=40))  # A accepted at 09:45: not yet
    late = {row.case_id: (row.outcome, row.late_by) for row in found.late_acknowledgements}
    assert late == {
        ids["A"]: (STILL_WAITING, timedelta(minutes=10)),
        ids["D"]: (STILL_WAITING, timedelta(minutes=10)),
    }
    assert {u.case_id for u in found.unowned} == {ids["A"], ids["D"]}
    assert dict(found.breaches) == {("technical", "acceptance"): 2}


def test_default_window_is_the_last_seven_days(day: tuple[ServiceDesk, dict[str, str]]) -> None:
    desk, _ = day
    found = desk.escalation_audit()
    now = DAY_END + timedelta(hours=1)
    assert (found.start, found.end) == (now - timedelta(days=7), now)
    assert found.summary().escalations == 7


def test_json_is_plain_data(day: tuple[ServiceDesk, dict[str, str]]) -> None:
    desk, ids = day
    data = json.loads(json.dumps(desk.escalation_audit(T0, DAY_END).to_dict()))
    assert data["start"] == "2026-03-02T09:00:00.000000+00:00"
    assert data["summary"]["late_acknowledgements"] == 2
    assert data["missed_updates"][0]["case_id"] == ids["C"]
    assert data["missed_updates"][0]["late_by"] == 600.0
    assert data["ping_pong"][0]["path"] == ["frontline", "technical", "frontline"]
    assert data["held_seconds"]["management"] == 5400.0
    assert {"tier": "technical", "metric": "acceptance", "count": 2} in data["breaches"]


def test_audit_streams_the_histories_once(day: tuple[ServiceDesk, dict[str, str]]) -> None:
    desk, ids = day
    read: list[str] = []

    def histories() -> Iterator[list[Any]]:
        for case_id in ids.values():
            read.append(case_id)
            yield [r.event for r in desk.history(case_id)]

    found = audit_escalations(histories(), desk.policy, T0, DAY_END)
    assert read == list(ids.values())
    assert found == desk.escalation_audit(T0, DAY_END)
    assert isinstance(found, EscalationAudit)


def test_a_later_window_sees_only_what_is_still_open(
    day: tuple[ServiceDesk, dict[str, str]],
) -> None:
    desk, ids = day
    later = desk.escalation_audit(DAY_END, DAY_END + timedelta(hours=1))
    assert later.cases == 7, "resolved is not closed: every case is still read"
    assert (later.escalations, later.late_acknowledgements, later.breaches) == (0, (), {})
    assert [(u.case_id, u.waiting) for u in later.unowned] == [(ids["D"], timedelta(hours=25))]
    assert dict(later.held) == {
        "frontline": timedelta(hours=1),  # E
        "technical": timedelta(hours=1),  # D
        "management": timedelta(0),
    }


def test_refuses_naive_or_empty_windows_and_policies_without_tiers() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        audit_escalations([], policy(), datetime(2026, 3, 2), DAY_END)  # noqa: DTZ001
    with pytest.raises(ValidationError, match="must be before end"):
        audit_escalations([], policy(), DAY_END, T0)
    with pytest.raises(ValidationError, match="no escalation tiers"):
        audit_escalations([], load_policy({}), T0, DAY_END)
    empty = audit_escalations([], policy(), T0, DAY_END)
    assert empty.summary().cases == 0
    assert dict(empty.held) == dict.fromkeys(("frontline", "technical", "management"), timedelta(0))


def test_cases_closed_before_the_window_are_not_read(url: str) -> None:
    from ...conftest import walk_to

    clock = ManualClock(T0)
    with ServiceDesk.open(url, policy=policy(), clock=clock, entry_points=False) as desk:
        walk_to(desk, "closed")
        clock.advance(hours=1)
        assert desk.escalation_audit(at(minutes=1), at(hours=1)).cases == 0
        held = desk.escalation_audit(T0, at(hours=1))
        assert held.cases == 1
        assert dict(held.held)["frontline"] == timedelta(0), "resolved the instant it came"


def test_two_bounces_make_a_ping_pong_case_before_any_flag(url: str) -> None:
    lenient = load_policy({**POLICY, "escalation": {**POLICY["escalation"], "max_bounces": 3}})
    clock = ManualClock(T0)
    with ServiceDesk.open(url, policy=lenient, clock=clock, entry_points=False) as desk:
        case_id = open_case(desk, "bouncing")
        desk.escalate(case_id, by="agent:ann", reason="technical")
        clock.set(at(minutes=10))
        desk.deescalate(case_id, by="agent:tom", reason="not technical")  # bounce 1
        clock.set(at(minutes=20))
        desk.escalate(case_id, by="agent:ann", reason="it is")  # bounce 2
        clock.set(at(minutes=25))
        desk.accept_escalation(case_id, by="agent:tom", timeline=at(hours=24))
        found = desk.escalation_audit(T0, at(hours=1))
        once = desk.escalation_audit(T0, at(minutes=15))
    assert found.ping_pong == (
        PingPongCase(
            case_id=case_id,
            at=at(minutes=20),
            tier="technical",
            path=("frontline", "technical", "frontline", "technical"),
            bounces=2,
            owner="agent:tom",
            flagged=False,
        ),
    )
    assert once.ping_pong == (), "one bounce is a de-escalation, not ping-pong"
    assert dict(found.held) == {
        "frontline": timedelta(minutes=10),
        "technical": timedelta(minutes=10) + timedelta(minutes=40),
        "management": timedelta(0),
    }
