"""Dispatching: the desk routes by its queues, loads from the store, cursors in queue streams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from serviceflow import (
    GuardrailViolation,
    ManualClock,
    NotAuthorized,
    NotFound,
    ServiceDesk,
    ValidationError,
    hookimpl,
    load_policy,
)
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.domain._case import Case
from serviceflow.rules import Agent
from serviceflow.rules._routing import roster_of

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris

ROUTING: dict[str, Any] = {
    "automation": {"classify": True, "trust_intake": True, "prioritize": True, "route": True},
    "calendars": {
        "paris": {"zone": "Europe/Paris", "week": {d: ["09:00-17:00"] for d in ("mon", "tue")}}
    },
    "priority": {
        "levels": [
            {"name": "critical"},
            {"name": "high"},
            {"name": "medium"},
            {"name": "low", "response": "scheduled"},
        ],
        "impacts": ["high", "low"],
        "urgencies": ["high", "low"],
        "matrix": {
            "high": {"high": "critical", "low": "high"},
            "low": {"high": "medium", "low": "low"},
        },
    },
    "agents": [
        {"id": "agent:ann", "skills": {"billing": 4}, "capacity": {"*": 2}, "calendar": "paris"},
        {"id": "agent:bob", "skills": {"billing": 2}, "capacity": {"*": 2}},
        {"id": "agent:cy", "teams": ["desk"], "capacity": {"email": 1}},
        {"id": "agent:di", "teams": ["desk"], "capacity": {"email": 1}},
        {"id": "agent:ed", "teams": ["desk"], "capacity": {"email": 1}},
    ],
    "queues": [
        {"name": "billing", "when": {"category": ["billing"]}, "skills": {"billing": 2}},
        {"name": "howto", "when": {"category": ["howto"]}, "strategy": "manual"},
        {
            "name": "front",
            "strategy": "round_robin",
            "team": "desk",
            "scheduled": True,
        },
    ],
    "guardrails": [
        {"name": "skills", "commands": ["assign"], "require": ["skilled_assignee"]},
    ],
}


def routed_desk(url: str = "memory://", clock: ManualClock | None = None) -> ServiceDesk:
    return ServiceDesk.open(
        url,
        policy=load_policy(ROUTING),
        clock=clock or ManualClock(MONDAY),
        entry_points=False,
    )


def intake(desk: ServiceDesk, category: str, impact: str = "high", urgency: str = "high") -> str:
    case = desk.submit(
        requester="acme/jo@acme.test",
        channel="email",
        subject="help",
        category=category,
        kind="incident",
        impact=impact,
        urgency=urgency,
    )
    return case.id


def test_skill_queue_takes_the_best_match_then_waits_at_capacity() -> None:
    desk = routed_desk()
    first = desk.case(intake(desk, "billing"))
    assert (first.state, first.assignee) == ("assigned", "agent:ann")
    assigned = desk.history(first.id)[-1].event
    assert getattr(assigned, "queue", None) == "billing"
    assert getattr(assigned, "reason", "").startswith("agent:ann: best skill match (billing 4)")
    owners = [desk.case(intake(desk, "billing")).assignee for _ in range(4)]
    assert owners == ["agent:ann", "agent:bob", "agent:bob", None]
    (waiting,) = desk.queue("billing")
    assert waiting.state == "prioritized"
    desk.acknowledge(first.id, by="agent:ann", message="on it")
    desk.resolve(first.id, by="agent:ann", resolution="done")
    assert desk.case(waiting.id).assignee == "agent:ann", "capacity freed: offered at once"
    assert desk.queue("billing") == []


def test_round_robin_cursor_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    clock = ManualClock(MONDAY)
    desk = routed_desk(url, clock)
    owners = [desk.case(intake(desk, "access")).assignee for _ in range(2)]
    desk.close()
    again = routed_desk(url, clock)
    owners.append(again.case(intake(again, "access")).assignee)
    assert owners == ["agent:cy", "agent:di", "agent:ed"]
    turns = again.store.read("queue:front")
    assert [r.type for r in turns] == ["queue.turn_taken"] * 3
    assert again.verify("queue:front").ok


def test_low_priority_waits_for_scheduled_processing() -> None:
    desk = routed_desk()
    low = intake(desk, "access", impact="low", urgency="low")
    assert desk.case(low).state == "prioritized"
    assert desk.route_waiting() == []
    (decision,) = desk.route_waiting(scheduled=True)
    assert (decision.queue, decision.agent) == ("front", "agent:cy")


def test_manual_queues_and_nobody_on_shift_leave_cases_waiting() -> None:
    clock = ManualClock(MONDAY + timedelta(days=2))  # Wednesday: Ann is off shift
    desk = routed_desk(clock=clock)
    howto = intake(desk, "howto")
    decision = desk.route(howto)
    assert decision.agent is None
    assert decision.reason == "queue howto is manual: an agent takes it"
    assert [c.id for c in desk.queue("howto")] == [howto]
    billing = intake(desk, "billing")
    assert desk.case(billing).assignee == "agent:bob", "ann is off shift on Wednesday"
    with pytest.raises(NotFound, match="queue 'nope'"):
        desk.queue("nope")
    with pytest.raises(ValidationError, match="only prioritized cases wait to be routed"):
        desk.route(billing)


def test_a_waiting_case_is_offered_when_a_shift_starts() -> None:
    clock = ManualClock(MONDAY - timedelta(hours=2))  # 07:00 in Paris: Ann not yet on shift
    desk = routed_desk(clock=clock)
    ids = [intake(desk, "billing") for _ in range(3)]
    assert [desk.case(i).assignee for i in ids] == ["agent:bob", "agent:bob", None]
    clock.set(MONDAY)
    desk.tick()
    assert desk.case(ids[2]).assignee == "agent:ann"


def test_queues_put_the_most_urgent_first() -> None:
    desk = routed_desk()
    desk.policy = load_policy({**ROUTING, "automation": {**ROUTING["automation"], "route": False}})
    ids = [
        intake(desk, "howto", impact="low", urgency="high"),
        intake(desk, "howto", impact="high", urgency="high"),
        intake(desk, "howto", impact="low", urgency="high"),
    ]
    assert [c.id for c in desk.queue("howto")] == [ids[1], ids[0], ids[2]]


def test_the_skill_guardrail_refuses_a_manual_assignment_outside_skills() -> None:
    desk = routed_desk()
    desk.policy = load_policy({**ROUTING, "automation": {**ROUTING["automation"], "route": False}})
    case_id = intake(desk, "billing")
    with pytest.raises(GuardrailViolation, match="agent:cy lacks skill billing>=2"):
        desk.assign(case_id, to="agent:cy", by="lead:ana")
    with pytest.raises(GuardrailViolation, match="agent:zed is not one of the policy's agents"):
        desk.assign(case_id, to="agent:zed", by="lead:ana")
    assert desk.assign(case_id, to="agent:bob", by="lead:ana").assignee == "agent:bob"


def test_triage_holds_what_automation_could_not_place() -> None:
    desk = routed_desk()
    unsure = desk.submit(requester="a/b@c.test", channel="web", subject="something odd")
    assert [c.id for c in desk.triage()] == [unsure.id]


def test_agents_registered_at_run_time_take_waiting_cases() -> None:
    desk = routed_desk()
    ids = [intake(desk, "billing") for _ in range(5)]
    assert desk.case(ids[4]).state == "prioritized"
    before = desk.policy.version
    policy = desk.register_agent(
        Agent(id="agent:fay", skills=ReadOnlyMap({"billing": 3}), capacity=ReadOnlyMap({"*": 1}))
    )
    assert policy.version != before
    assert desk.store.load_policy(policy.version) is not None
    assert desk.case(ids[4]).assignee == "agent:fay"
    desk.remove_agent("agent:fay")
    assert roster_of(desk.policy).agent("agent:fay") is None
    assert desk.case(ids[4]).assignee == "agent:fay", "cases they hold stay theirs"
    with pytest.raises(NotFound, match="agent 'agent:fay' does not exist"):
        desk.remove_agent("agent:fay")


def test_routing_is_a_command_like_any_other() -> None:
    policy = {**ROUTING, "roles": [{"name": "viewer", "actors": ["viewer:*"], "may": ["note"]}]}
    desk = ServiceDesk.open(
        "memory://",
        policy=load_policy({**policy, "automation": {**ROUTING["automation"], "route": False}}),
        clock=ManualClock(MONDAY),
        entry_points=False,
    )
    case_id = intake(desk, "billing")
    with pytest.raises(NotAuthorized, match="viewer:v may not assign"):
        desk.route(case_id, by="viewer:v")
    assert [r.command for r in desk.audit()] == ["assign"]
    assert desk.route(case_id).agent == "agent:ann"


def test_a_failing_offer_never_fails_a_committed_command() -> None:
    class Broken:
        @hookimpl
        def route(self, case: Case) -> str | None:
            raise RuntimeError("router down")

    desk = ServiceDesk.open(
        "memory://",
        policy=load_policy(ROUTING),
        clock=ManualClock(MONDAY),
        plugins=[Broken()],
        entry_points=False,
    )
    case_id = intake(desk, "billing")
    assert desk.case(case_id).state == "prioritized", "automation stopped, logged"
    assert desk.cancel(case_id, by="agent:ann", reason="dup").state == "cancelled"
    assert desk.tick() == []


def test_without_queues_the_skill_guardrail_asks_what_routing_asks() -> None:
    policy = load_policy(
        {
            "agents": [{"id": "agent:ann", "skills": {"billing": 1}, "capacity": {"*": 5}}],
            "guardrails": [
                {"name": "skills", "commands": ["assign"], "require": ["skilled_assignee"]}
            ],
        }
    )
    desk = ServiceDesk.open("memory://", policy=policy, clock=ManualClock(MONDAY))
    case = desk.submit(requester="a/b@c.test", channel="web", subject="down", category="outage")
    desk.classify(case.id, by="agent:ann", kind="incident")
    desk.prioritize(case.id, by="agent:ann", impact="high", urgency="high")
    with pytest.raises(GuardrailViolation, match="agent:ann lacks skill outage>=1"):
        desk.assign(case.id, to="agent:ann", by="lead:ana")
    decision = desk.route(case.id)
    assert decision.agent is None
    assert "lacking skill outage>=1" in decision.reason or "lacks skill" in decision.reason


def test_ids_of_the_desks_own_streams_are_refused() -> None:
    desk = routed_desk()
    for reserved in ("queue:front", "audit:2026-03-02"):
        with pytest.raises(ValidationError, match="name the desk's own streams"):
            desk.submit(requester="a/b@c.test", channel="web", subject="s", case_id=reserved)


def test_a_failing_route_plugin_does_not_stop_a_pass() -> None:
    class Flaky:
        calls = 0

        @hookimpl
        def route(self, case: Case) -> str | None:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("router hiccup")
            return "agent:bob"

    desk = ServiceDesk.open(
        "memory://",
        policy=load_policy({**ROUTING, "automation": {**ROUTING["automation"], "route": False}}),
        clock=ManualClock(MONDAY),
        plugins=[Flaky()],
        entry_points=False,
    )
    ids = [intake(desk, "howto") for _ in range(2)]
    decisions = desk.route_waiting()
    assert [d.agent for d in decisions] == ["agent:bob"]
    assert [desk.case(i).assignee for i in ids].count("agent:bob") == 1


def test_a_case_past_its_sla_target_waits_ahead_of_those_not_yet_due() -> None:
    level = {"name": "all", "targets": {"first_response": {"within": "1h", "time": "calendar"}}}
    automation = {**ROUTING["automation"], "route": False}
    clock = ManualClock(MONDAY)
    desk = ServiceDesk.open(
        "memory://",
        policy=load_policy({**ROUTING, "automation": automation, "sla": [level]}),
        clock=clock,
        entry_points=False,
    )
    first = intake(desk, "howto")
    clock.advance(timedelta(minutes=30))
    second = intake(desk, "howto")
    clock.advance(timedelta(minutes=31))
    fired = desk.tick()
    breached = [e.case_id for e in fired if e.event.TYPE == "case.sla_breached"]
    assert breached == [first], "its breach timer is gone: only its ledger knows it is due"
    assert [c.id for c in desk.queue("howto")] == [first, second], "the overdue case first"


def test_a_pass_asks_once_for_cases_routing_cannot_tell_apart() -> None:
    desk = routed_desk()
    ids = [intake(desk, "billing") for _ in range(7)]  # ann and bob take 4; 3 wait
    asked: list[str] = []
    dispatcher = desk._dispatcher
    route = dispatcher._route

    def counted(case_id: str, by: str, loads: Any) -> Any:
        asked.append(case_id)
        return route(case_id, by, loads)

    dispatcher._route = counted  # type: ignore[method-assign]
    decisions = desk.route_waiting()
    waiting = [c.id for c in desk.queue("billing")]
    assert waiting == ids[4:]
    assert asked == waiting[:1], "the others are like the first: nobody, without asking again"
    assert [d.case_id for d in decisions] == waiting
    assert {d.reason for d in decisions} == {decisions[0].reason}
    assert all(d.agent is None for d in decisions)
