"""The plan is pure: everything a command writes, from the case, its history and the policy."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import (
    GuardrailViolation,
    ManualClock,
    NotAuthorized,
    NotFound,
    ServiceDesk,
    ServiceflowError,
    ValidationError,
    default_policy,
    load_policy,
)
from serviceflow.core._convert import iso
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.rules._decide import decide
from serviceflow.rules._evolve import fold
from serviceflow.rules._plan import Change, _timers, admit, needs_history, plan, with_template

from ..conftest import START
from .escalation.test_governance import policy as escalation_policy
from .escalation.test_governance import working

POLICY = default_policy()
TIMED = load_policy({"sla": [{"name": "all", "targets": {"resolution": {"within": "8h"}}}]})
SUBMIT = cmd.Submit(
    case_id="C1",
    by="client:acme/jane@acme.test",
    requester="acme/jane@acme.test",
    channel="email",
    subject="Invoice wrong",
    category="billing",
)
WALK = (
    cmd.Classify(case_id="C1", by="agent:kim", category="billing", kind="incident"),
    cmd.Prioritize(case_id="C1", by="agent:kim", impact="low", urgency="low"),
    cmd.Assign(case_id="C1", by="lead:ana", to="agent:kim"),
    cmd.Acknowledge(case_id="C1", by="agent:kim", message="On it"),
)


def walked(policy: object = POLICY, steps: int = len(WALK)) -> tuple[Case, list[ev.Event]]:
    """The case after submission and the first ``steps`` commands of ``WALK``, and its events."""
    assert isinstance(policy, type(POLICY))
    case: Case | None = None
    history: list[ev.Event] = []
    now = START
    for command in (SUBMIT, *WALK[:steps]):
        events = decide(case, command, policy, now)
        history += events
        case = fold(events, case)
        now += timedelta(minutes=5)
    assert case is not None
    return case, history


def test_a_submit_plans_one_change_and_reads_no_history() -> None:
    assert not needs_history(None, SUBMIT, TIMED)
    admit(None, SUBMIT, POLICY)
    planned = plan(None, SUBMIT, POLICY, START)
    (change,) = planned.changes
    assert (change.stream, change.before, change.after.version) == ("C1", None, 1)
    assert [type(e) for e in change.events] == [ev.Submitted]
    assert change.history == change.events, "a new case's history is its first events"
    assert change.timers is None, "no clock runs under a policy without service levels"


def test_the_plan_equals_decide_then_fold() -> None:
    case, history = walked(steps=3)
    command = WALK[3]
    now = START + timedelta(hours=1)
    admit(case, command, POLICY)
    ready = with_template(case, command, POLICY, now, history=history)
    planned = plan(case, ready, POLICY, now, history=history)
    events = decide(case, command, POLICY, now)
    (change,) = planned.changes
    assert list(change.events) == events
    assert change.after == fold(events, case)
    assert change.history == (*history, *events)


def test_an_acknowledgement_sends_its_message_at_once() -> None:
    case, history = walked(steps=3)
    now = START + timedelta(hours=1)
    (change,) = plan(case, WALK[3], POLICY, now, history=history).changes
    (message,) = change.messages
    assert message.notification.key == f"C1/{case.version + 1}"
    assert message.created == message.due == now


def test_clocks_need_the_history_and_give_timers() -> None:
    case, history = walked(TIMED, steps=3)
    assert needs_history(case, WALK[3], TIMED)
    assert needs_history(case, WALK[3], POLICY), "a level once applied keeps its clocks"
    assert not needs_history(walked(steps=3)[0], WALK[3], POLICY)
    now = START + timedelta(hours=1)
    (change,) = plan(case, WALK[3], TIMED, now, history=history).changes
    assert change.timers, "the resolution clock runs: its warnings and breach are timed"
    assert {t.metric for t in change.timers} == {"resolution"}


def test_admit_finds_the_case_and_checks_authority_before_anything_else() -> None:
    with pytest.raises(NotFound):
        admit(None, WALK[0], POLICY)
    spoofed = cmd.Submit(
        case_id="C2", by="client:jane@acme.test", requester="acme/jane@acme.test",
        channel="email", subject="s",
    )  # fmt: skip
    with pytest.raises(NotAuthorized):
        admit(None, spoofed, POLICY)
    case, _ = walked(steps=1)
    admit(case, WALK[1], POLICY)
    assert with_template(case, WALK[1], POLICY, START) is WALK[1], "no template: unchanged"
    templated = cmd.Acknowledge(case_id="C1", by="agent:kim", message="m", template="acknowledge")
    with pytest.raises(ValidationError, match="history: required"):
        with_template(case, templated, POLICY, START)


def test_a_plugins_objection_refuses_and_names_the_plugin_rule() -> None:
    case, history = walked(steps=1)
    with pytest.raises(GuardrailViolation, match="refuses to prioritize case C1: not today"):
        plan(case, WALK[1], POLICY, START, history=history, objection="not today")


def test_a_merge_plans_both_streams() -> None:
    source, source_history = walked(steps=1)
    twin = cmd.Submit(
        case_id="C2", by="agent:kim", requester="acme/jane@acme.test", channel="email",
        subject="again",
    )  # fmt: skip
    into = fold(decide(None, twin, POLICY, START), None)
    assert into is not None
    merge = cmd.Merge(case_id="C1", by="agent:kim", into="C2")
    planned = plan(source, merge, POLICY, START, history=source_history, target=(into, []))
    assert [c.stream for c in planned.changes] == ["C1", "C2"]
    assert planned.changes[0].after.state == "merged"
    with pytest.raises(NotFound):
        plan(None, merge, POLICY, START, target=(into, []))


@settings(max_examples=40, deadline=None)
@given(steps=st.integers(0, len(WALK) - 1), minutes=st.integers(0, 600))
def test_the_same_inputs_give_the_same_plan(steps: int, minutes: int) -> None:
    case, history = walked(TIMED, steps=steps)
    now = START + timedelta(hours=1, minutes=minutes)
    command = WALK[steps]
    first = plan(case, command, TIMED, now, history=tuple(history))
    again = plan(case, command, TIMED, now, history=tuple(history))
    assert first == again
    assert all(isinstance(c, Change) for c in first.changes)
    assert case == walked(TIMED, steps=steps)[0], "the case given is not changed"


def test_no_message_and_no_survey_offer_for_a_case_nobody_requested() -> None:
    surveyed = load_policy({"surveys": {"offer": ["csat"]}})
    case, history = walked(surveyed, steps=3)
    nameless = attrs.evolve(case, requester="")  # as an import whose log names no requester
    now = START + timedelta(hours=1)
    (change,) = plan(nameless, WALK[3], surveyed, now, history=history).changes
    assert change.messages == (), "the acknowledgement has nobody to go to"
    closing = [
        cmd.Resolve(case_id="C1", by="agent:kim", resolution="Fixed"),
        cmd.Validate(case_id="C1", by="qa:lee"),
        cmd.Confirm(case_id="C1", by="agent:kim"),
    ]
    for start, expected in ((nameless, ()), (case, ("confirm", "survey"))):
        after, past = start, list(history)
        for command in (WALK[3], *closing):
            (step,) = plan(after, command, surveyed, now, history=past).changes
            after, past = step.after, [*past, *step.events]
        assert after.state == "closed"
        assert tuple(m.notification.template for m in step.messages) == expected, (
            "with a requester, the closure confirms and offers the survey; without, neither"
        )


# --- property: timers left as they were are the timers the whole history gives -----------

TIMED_STEPS = st.lists(
    st.sampled_from(
        (
            "note",
            "fields",
            "reply",
            "ask",
            "client",
            "escalate",
            "accept",
            "resolve",
            "reopen",
            "wait",
        )
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(st.booleans(), TIMED_STEPS)
def test_timers_kept_by_untimed_events_are_those_the_whole_history_gives(
    accepted: bool, steps: list[str]
) -> None:
    clock = ManualClock(START)
    desk = ServiceDesk.open(
        "memory://", policy=escalation_policy(), clock=clock, entry_points=False
    )
    case_id = working(desk)
    actions = {
        "note": lambda: desk.note(case_id, by="agent:fay", text="looked again"),
        "fields": lambda: desk.update_fields(case_id, by="agent:fay", fields={"site": "Oslo"}),
        "reply": lambda: desk.reply(case_id, by="agent:fay", message="an update"),
        "ask": lambda: desk.request_info(case_id, by="agent:fay", message="which one?"),
        "client": lambda: desk.client_replied(case_id, message="the blue one"),
        "escalate": lambda: desk.escalate(case_id, by="agent:fay", reason="stuck", to="next"),
        "accept": lambda: desk.accept_escalation(
            case_id, by="agent:tom", timeline=clock.now() + timedelta(hours=4)
        ),
        "resolve": lambda: desk.resolve(case_id, by="agent:fay", resolution="fixed"),
        "reopen": lambda: desk.reopen(case_id, by="agent:fay", reason="back again"),
    }
    for step in (["escalate", "accept"] if accepted else []) + steps:
        clock.advance(timedelta(minutes=37))
        try:
            if step == "wait":
                clock.advance(timedelta(hours=3))
                desk.tick()
            else:
                actions[step]()
        except ServiceflowError:
            continue
        events = [r.event for r in desk.history(case_id)]
        whole = _timers(case_id, desk.case(case_id), events, desk.policy, events[-1].at) or ()
        stored = desk.store.case_timers([case_id]).get(case_id, [])
        assert sorted((iso(t.due), t.metric, t.cycle, t.kind) for t in whole) == sorted(
            (t.due, t.metric, t.cycle, t.kind) for t in stored
        ), step
