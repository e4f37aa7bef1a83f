"""What a committed event sends: client messages for public events, RACI notes internally."""

from __future__ import annotations

import attrs

from serviceflow import ManualClock, ServiceDesk
from serviceflow.domain import _events as ev
from serviceflow.rules._notices import notifications

from ..conftest import walk_to


def test_public_events_message_the_client_and_closure_uses_the_confirm_template(
    clock: ManualClock,
) -> None:
    desk = ServiceDesk.open("memory://", clock=clock, entry_points=False)
    case_id = walk_to(desk, "closed")
    case = desk.case(case_id)
    sent = [
        n for r in desk.history(case_id) for n in notifications(case, r.event, r.seq, desk.policy)
    ]
    assert {n.kind for n in sent} == {
        "case.acknowledged",
        "case.info_requested",
        "case.resolved",
        "case.closed",
    }
    closed = next(n for n in sent if n.kind == "case.closed")
    assert closed.template == "confirm"
    assert f"Case {case_id} is now closed" in closed.text
    assert all(n.audience == "client" and n.to == "jane@acme.test" for n in sent)
    assert len({n.key for n in sent}) == len(sent)


def test_internal_parties_get_their_own_keys(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", clock=clock, entry_points=False)
    case_id = walk_to(desk, "in_progress")
    case = desk.case(case_id)
    event = ev.Deescalated(
        from_tier="technical",
        to_tier="frontline",
        reason="config",
        notify=("agent:kam", "legal@acme.test"),
        at=clock.now(),
        by="agent:tom",
        policy=desk.policy.version,
    )
    sent = notifications(case, event, 9, desk.policy)
    assert [(n.key, n.audience) for n in sent] == [
        (f"{case_id}/9/agent:kam", "internal"),
        (f"{case_id}/9/legal@acme.test", "internal"),
    ]
    assert "config" in sent[0].text


def test_a_case_without_a_requester_sends_the_client_nothing(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", clock=clock, entry_points=False)
    case_id = walk_to(desk, "closed")
    case = attrs.evolve(desk.case(case_id), requester="")  # as an import without one leaves it
    sent = [
        n for r in desk.history(case_id) for n in notifications(case, r.event, r.seq, desk.policy)
    ]
    assert sent == []
