"""The built-in wrappers: a failing plugin is logged and answers what is safe for its hook."""

from __future__ import annotations

import logging

import pytest

from serviceflow import GuardrailViolation, ManualClock, ServiceDesk, hookimpl
from serviceflow.plugins._isolation import COULD_NOT_CHECK

from ..rules.escalation.test_governance import policy, working


class Failing:
    """Fails on every hook the built-in wrappers isolate."""

    @hookimpl
    def observe(self) -> None:
        raise RuntimeError("observer bug")

    @hookimpl
    def escalate(self) -> str | None:
        raise RuntimeError("sentiment model down")

    @hookimpl
    def tick(self) -> None:
        raise RuntimeError("review job broken")


def test_failing_observe_escalate_and_tick_plugins_are_logged_and_change_nothing(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    desk = ServiceDesk.open(
        "memory://",
        policy=policy(rules=[{"on": "plugin", "to": "management"}]),
        clock=clock,
        plugins=[Failing()],
        entry_points=False,
    )
    with caplog.at_level(logging.ERROR, logger="serviceflow.plugins"):
        case_id = working(desk)
        desk.tick()
    assert desk.case(case_id).state == "in_progress"
    assert desk.case(case_id).escalation is None, "a failing escalate plugin asks for nothing"
    said = " ".join(r.getMessage() for r in caplog.records)
    for hook in ("observe", "escalate", "tick"):
        assert f"an {hook} plugin failed" in said or f"a {hook} plugin failed" in said
    assert not desk.outbox.pending(), "the tick went on to delivery"


def test_a_failing_guardrail_refuses(clock: ManualClock) -> None:
    class Broken:
        @hookimpl
        def guardrail(self) -> str | None:
            raise RuntimeError("rules service down")

    desk = ServiceDesk.open("memory://", clock=clock, plugins=[Broken()], entry_points=False)
    case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    with pytest.raises(GuardrailViolation) as refused:
        desk.note(case.id, by="agent:kim", text="x")
    assert refused.value.reason == COULD_NOT_CHECK
    assert [r.rule for r in desk.audit()] == ["guardrail:plugin"]
