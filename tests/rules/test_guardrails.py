"""Guardrails refuse what must never happen, whoever acts, with a clear reason."""

from __future__ import annotations

from datetime import date

import pytest

from serviceflow import (
    GuardrailViolation,
    ManualClock,
    PolicyError,
    ServiceDesk,
    ValidationError,
    hookimpl,
    load_policy,
)
from serviceflow.domain._case import Case
from serviceflow.domain._commands import Command

from ..conftest import walk_to

RAILS = {
    "roles": [
        {"name": "lead", "actors": ["lead:*"]},
        {"name": "responder", "actors": ["responder:*"]},
        {"name": "agent", "actors": ["agent:*", "qa:*"]},
    ],
    "guardrails": [
        {
            "name": "critical closes on confirmation",
            "commands": ["close"],
            "when": {"priority": ["critical"]},
            "require": ["confirmed"],
            "message": "a critical case is closed by its client",
        },
        {"name": "responders never resolve", "commands": ["resolve"], "roles": ["responder"]},
        {"name": "four eyes", "commands": ["validate"], "require": ["four_eyes"]},
    ],
}


def railed(clock: ManualClock, plugins: tuple[object, ...] = ()) -> ServiceDesk:
    return ServiceDesk.open(
        "memory://",
        policy=load_policy(RAILS),
        clock=clock,
        plugins=plugins,
        entry_points=False,
    )


def test_a_forbidden_command_is_refused_for_that_role_only(clock: ManualClock) -> None:
    desk = railed(clock)
    case_id = walk_to(desk, "in_progress")
    with pytest.raises(GuardrailViolation) as refused:
        desk.resolve(case_id, by="responder:ray", resolution="done")
    assert str(refused.value) == (
        f"guardrail 'responders never resolve' refuses to resolve case {case_id}: "
        "resolve is forbidden here"
    )
    assert desk.resolve(case_id, by="agent:kim", resolution="done").state == "resolved"


def test_four_eyes_keeps_the_resolver_from_validating(clock: ManualClock) -> None:
    desk = railed(clock)
    case_id = walk_to(desk, "resolved")
    with pytest.raises(GuardrailViolation, match="agent:kim resolved the case and may not"):
        desk.validate(case_id, by="agent:kim")
    assert desk.validate(case_id, by="qa:lee").state == "validated"


def test_a_critical_case_is_not_closed_by_silence(clock: ManualClock) -> None:
    desk = railed(clock)
    case_id = walk_to(desk, "in_progress")
    desk.prioritize(case_id, by="lead:ana", priority="critical", reason="outage after all")
    desk.resolve(case_id, by="agent:kim", resolution="Fixed")
    desk.validate(case_id, by="qa:lee")
    clock.advance(hours=100)
    assert desk.auto_confirm() == []
    with pytest.raises(GuardrailViolation) as refused:
        desk.close_case(case_id, by="lead:ana")
    assert refused.value.reason == (
        "a critical case is closed by its client: the client has not confirmed"
    )
    assert desk.confirm(case_id).state == "closed"
    rules = [r.rule for r in desk.audit(date(2026, 3, 6))]
    assert rules == ["guardrail:critical closes on confirmation"], "auto-confirm skips quietly"


def test_plugins_add_guardrails_and_a_failing_one_refuses(clock: ManualClock) -> None:
    class NoWeekendMerges:
        @hookimpl
        def guardrail(self, case: Case, command: Command) -> str | None:
            return "no notes on billing cases" if command.NAME == "note" else None

    class Broken:
        @hookimpl
        def guardrail(self, case: Case) -> str | None:
            raise RuntimeError("boom")

    desk = railed(clock, (NoWeekendMerges(),))
    case_id = walk_to(desk, "assigned")
    with pytest.raises(GuardrailViolation, match=r"refuses to note case .*: no notes on billing"):
        desk.note(case_id, by="agent:kim", text="x")
    broken = railed(clock, (Broken(),))
    other = broken.submit(requester="a/b@c.test", channel="web", subject="s")
    with pytest.raises(GuardrailViolation, match="the guardrail could not be checked"):
        broken.note(other.id, by="agent:kim", text="x")


def test_guardrail_problems_are_reported_with_paths() -> None:
    with pytest.raises(PolicyError) as bad:
        load_policy(
            {
                "roles": [{"name": "lead", "actors": ["lead:*"]}],
                "guardrails": [
                    {"name": "g", "commands": []},
                    {
                        "name": "g",
                        "commands": ["fly"],
                        "roles": ["boss"],
                        "require": ["luck"],
                        "when": {"priority": ["urgent"]},
                    },
                ],
            }
        )
    assert bad.value.problems[:5] == (
        "$.guardrails[0].commands: name at least one command to guard",
        "$.guardrails[1].name: 'g' is listed twice",
        "$.guardrails[1].commands: unknown command 'fly' (commands: accept_escalation, "
        "acknowledge, apply_service_level, assign, cancel, classify, client_reply, close, "
        "confirm, deescalate, escalate, merge, note, prioritize, reject, reopen, reply, "
        "request_info, resolve, review, submit, survey, unassign, update_fields, validate)",
        "$.guardrails[1].roles: unknown role 'boss' (roles: lead)",
        "$.guardrails[1].require: unknown requirement 'luck' (requirements: validated, "
        "confirmed, acknowledged, four_eyes, skilled_assignee)",
    )
    assert bad.value.problems[5] == (
        "$.guardrails[1].when.priority: expected one of critical, high, medium, low, got 'urgent'"
    )


def test_four_eyes_sees_through_padded_names(clock: ManualClock) -> None:
    desk = railed(clock)
    case_id = walk_to(desk, "resolved")
    with pytest.raises(GuardrailViolation, match="agent:kim resolved the case"):
        desk.validate(case_id, by="agent:kim  ")
    assert desk.history(case_id)[-1].event.by == "agent:kim", "actors are recorded stripped"


@pytest.mark.parametrize("variant", ["agent:KIM", "Agent:Kim", "ａｇｅｎｔ:ｋｉｍ"])
def test_four_eyes_sees_through_case_and_width(clock: ManualClock, variant: str) -> None:
    desk = railed(clock)
    case_id = walk_to(desk, "resolved")
    with pytest.raises(GuardrailViolation, match="resolved the case and may not also pass it"):
        desk.validate(case_id, by=variant)
    with pytest.raises(ValidationError, match="contains an invisible character U\\+200B"):
        desk.validate(case_id, by="agent:kim\u200b")
    assert desk.case(case_id).state == "resolved"


def test_every_requirement_the_policy_names_has_a_check() -> None:
    from serviceflow.domain.policy._guardrails import REQUIREMENT_NAMES
    from serviceflow.rules._guardrails import REQUIREMENTS

    assert tuple(REQUIREMENTS) == REQUIREMENT_NAMES
