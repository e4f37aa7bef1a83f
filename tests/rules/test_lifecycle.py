"""The lifecycle machine: one static machine, introspectable, guards enforced."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow import InvalidTransition, default_policy
from serviceflow.domain._case import AWAITING, Case, Escalation
from serviceflow.rules import _lifecycle as lifecycle
from serviceflow.rules._lifecycle import ALLOWED, DESTINATIONS, MACHINE, STATES, Subject, fire

from ..conftest import START

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def _case(state: str, **fields: object) -> Case:
    base: dict[str, object] = {
        "id": "C1",
        "state": state,
        "version": 3,
        "requester": "a/b@c",
        "channel": "email",
        "subject": "s",
        "description": "",
        "tier": "standard",
        "submitted_at": START,
        "updated_at": START,
        "policy": "p",
    }
    base.update(fields)
    return Case(**base)  # type: ignore[arg-type]


def test_machine_is_static_and_holds_no_model() -> None:
    assert MACHINE.models == []
    assert not MACHINE.auto_transitions
    assert set(MACHINE.states) == set(STATES)


def test_describe_reads_the_live_machine() -> None:
    rows = lifecycle.describe()
    assert {(r.trigger, r.source) for r in rows} == set(DESTINATIONS)
    resolve = [r for r in rows if r.trigger == "resolve"]
    assert {r.source for r in resolve} == {"assigned", "in_progress", "waiting_on_client"}
    assert all(r.guards == ("acknowledged",) and r.dest == "resolved" for r in resolve)
    assert lifecycle.guard_docs()["within_reopen_window"].startswith(
        "The case was closed less than"
    )


def test_every_state_is_reachable_from_intake() -> None:
    seen, frontier = {"intake"}, ["intake"]
    while frontier:
        state = frontier.pop()
        for (_, source), dest in DESTINATIONS.items():
            if source == state and dest not in seen:
                seen.add(dest)
                frontier.append(dest)
    assert seen == set(STATES)


def test_final_states_accept_nothing_and_closed_only_reopen_feedback_and_fields() -> None:
    assert ALLOWED["cancelled"] == ()
    assert ALLOWED["merged"] == ()
    assert ALLOWED["closed"] == ("reopen", "review", "survey", "update_fields")


def test_mermaid_is_generated_from_the_machine() -> None:
    text = lifecycle.mermaid()
    assert text.startswith("stateDiagram-v2")
    assert "assigned --> resolved : resolve [acknowledged]" in text
    assert "closed --> in_progress : reopen [within_reopen_window]" in text


def test_docs_lifecycle_page_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == lifecycle.markdown(), (
        "docs/lifecycle.md is stale: run `serviceflow diagram --output docs/lifecycle.md`"
    )


def test_fire_moves_state_and_refuses_invalid_triggers() -> None:
    policy = default_policy()
    assert (
        fire(Subject(_case("assigned", acknowledged_at=START), policy, START), "resolve")
        == "resolved"
    )
    with pytest.raises(InvalidTransition) as info:
        fire(Subject(_case("intake"), policy, START), "resolve")
    assert info.value.allowed == ALLOWED["intake"]
    assert info.value.reason is None


def test_guard_failures_say_which_rule() -> None:
    policy = default_policy()
    with pytest.raises(InvalidTransition, match="has not been acknowledged"):
        fire(Subject(_case("assigned"), policy, START), "resolve")
    closed = _case("closed", closed_at=START)
    late = START + policy.lifecycle.reopen_window + timedelta(seconds=1)
    assert (
        fire(Subject(closed, policy, START + policy.lifecycle.reopen_window), "reopen")
        == "in_progress"
    )
    with pytest.raises(InvalidTransition, match="reopen window after closure has passed"):
        fire(Subject(closed, policy, late), "reopen")
    validated = _case("validated", resolved_at=START)
    with pytest.raises(InvalidTransition, match="not confirmed and the auto-confirm window"):
        fire(Subject(validated, policy, START + timedelta(hours=71)), "close")
    assert fire(Subject(validated, policy, START + timedelta(hours=72)), "close") == "closed"
    with pytest.raises(InvalidTransition, match="already confirmed"):
        fire(Subject(_case("resolved", confirmed_at=START), policy, START), "confirm")


@given(st.sampled_from(STATES), st.sampled_from(sorted({t for t, _ in DESTINATIONS})))
def test_fire_agrees_with_the_destination_table(state: str, trigger: str) -> None:
    escalation = Escalation(
        tier="technical",
        since=START,
        status=AWAITING,
        number=1,
        path=("frontline", "technical"),
    )
    case = _case(
        state, acknowledged_at=START, resolved_at=START, closed_at=START, escalation=escalation
    )
    subject = Subject(case, default_policy(), START + timedelta(hours=100))
    if (trigger, state) not in DESTINATIONS:
        with pytest.raises(InvalidTransition):
            fire(subject, trigger)
    else:
        assert fire(subject, trigger) == DESTINATIONS[(trigger, state)]


def test_a_guard_refusal_does_not_list_the_refused_trigger_as_allowed() -> None:
    policy = default_policy()
    with pytest.raises(InvalidTransition) as info:
        fire(Subject(_case("assigned"), policy, START), "resolve")
    assert str(info.value) == (
        "case C1: cannot resolve in state 'assigned': the case has not been acknowledged yet "
        "(acknowledge before resolving) (allowed here: acknowledge, assign, cancel, classify, "
        "client_reply, escalate, merge, note, prioritize, review, unassign, update_fields)"
    )
    with pytest.raises(InvalidTransition) as info:
        fire(Subject(_case("resolved", confirmed_at=START), policy, START), "confirm")
    assert "confirm" not in info.value.allowed
    assert info.value.allowed == tuple(t for t in ALLOWED["resolved"] if t != "confirm")
    blocked = {"accept_escalation", "deescalate", "resolve"}  # by guards, for now
    assert lifecycle.allowed_now(Subject(_case("assigned"), policy, START)) == [
        t for t in ALLOWED["assigned"] if t not in blocked
    ]


_ESCALATIONS = st.sampled_from(
    [
        None,
        Escalation(tier="technical", since=START, status=AWAITING, number=1, path=("t",)),
        Escalation(tier="technical", since=START, status="accepted", number=1, path=("t",)),
    ]
)
_MOMENTS = st.sampled_from([None, START])


@given(
    state=st.sampled_from(STATES),
    trigger=st.sampled_from(sorted({t for t, _ in DESTINATIONS} - lifecycle.INTERNAL_TRIGGERS)),
    acknowledged=_MOMENTS,
    confirmed=_MOMENTS,
    resolved=_MOMENTS,
    closed=_MOMENTS,
    escalation=_ESCALATIONS,
    hours_later=st.sampled_from([0, 1, 71, 72, 24 * 30, 24 * 400]),
)
def test_every_trigger_a_refusal_allows_is_not_refused_by_a_guard(
    state: str,
    trigger: str,
    acknowledged: object,
    confirmed: object,
    resolved: object,
    closed: object,
    escalation: Escalation | None,
    hours_later: int,
) -> None:
    policy = default_policy()
    case = _case(
        state,
        acknowledged_at=acknowledged,
        confirmed_at=confirmed,
        resolved_at=resolved,
        closed_at=closed,
        escalation=escalation,
    )
    now = START + timedelta(hours=hours_later)
    allowed: tuple[str, ...] | None = None
    try:
        fire(Subject(case, policy, now), trigger)
    except InvalidTransition as refused:
        allowed = refused.allowed
    if allowed is None:
        return
    assert trigger not in allowed
    assert set(allowed) <= set(ALLOWED[state])
    for listed in allowed:
        fire(Subject(case, policy, now), listed)  # never refused by the lifecycle
    for other in set(ALLOWED[state]) - set(allowed) - {trigger}:
        with pytest.raises(InvalidTransition):  # left out only when a guard says no
            fire(Subject(case, policy, now), other)
