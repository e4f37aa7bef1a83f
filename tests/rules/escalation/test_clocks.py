"""The escalation clocks as a pure fold: acceptance, updates, timeline and hand-off."""

from __future__ import annotations

from datetime import timedelta

from serviceflow import ManualClock, ServiceDesk
from serviceflow.rules.escalation._clocks import escalation_clocks, escalation_timers

from .test_governance import policy, working


def _clocks(desk: ServiceDesk, case_id: str) -> dict[tuple[str, int], tuple[str, str]]:
    return {
        (c.report.metric, c.report.cycle): (c.tier, c.report.status)
        for c in desk.escalation_clocks(case_id)
    }


def test_acceptance_update_timeline_and_handoff(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", policy=policy(), clock=clock, entry_points=False)
    case_id = working(desk)
    desk.escalate(case_id, by="agent:fay", reason="needs engineering")
    clock.advance(timedelta(minutes=40))  # 30m to accept: late
    assert _clocks(desk, case_id)[("acceptance", 1)] == ("technical", "breached")
    desk.accept_escalation(case_id, by="agent:tom", timeline=clock.now() + timedelta(hours=3))
    clock.advance(timedelta(hours=1))
    desk.reply(case_id, by="agent:tom", message="an update")  # restarts the update clock
    clock.advance(timedelta(hours=1))
    desk.request_info(case_id, by="agent:tom", message="which browser?")  # pauses it
    clock.advance(timedelta(hours=5))
    clocks = _clocks(desk, case_id)
    assert clocks[("escalation_update", 1)] == ("technical", "met")
    assert clocks[("escalation_update", 2)] == ("technical", "met")
    assert clocks[("escalation_update", 3)] == ("technical", "paused")
    assert clocks[("timeline", 1)] == ("technical", "breached")
    assert clocks[("handoff", 1)] == ("technical", "paused")


def test_timers_follow_the_clocks_and_stop_at_resolution(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", policy=policy(), clock=clock, entry_points=False)
    case_id = working(desk)
    desk.escalate(case_id, by="agent:fay", reason="needs engineering")
    events = [r.event for r in desk.history(case_id)]
    due = {(t.metric, t.kind): t.due for t in escalation_timers(events, desk.policy, clock.now())}
    assert due[("acceptance", "breach")] == clock.now() + timedelta(minutes=30, microseconds=1)
    assert due[("acceptance", "warning:0.75")] == clock.now() + timedelta(minutes=22, seconds=30)
    assert ("handoff", "breach") in due
    desk.accept_escalation(case_id, by="agent:tom", timeline=clock.now() + timedelta(hours=3))
    desk.resolve(case_id, by="agent:tom", resolution="patched")
    events = [r.event for r in desk.history(case_id)]
    assert escalation_timers(events, desk.policy, clock.now()) == []
    assert all(
        c.report.stopped_at is not None for c in escalation_clocks(events, desk.policy, clock.now())
    )


def test_no_tiers_no_clocks(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", clock=clock, entry_points=False)
    case_id = working(desk)
    events = [r.event for r in desk.history(case_id)]
    assert escalation_clocks(events, desk.policy, clock.now()) == []
    assert escalation_timers(events, desk.policy, clock.now()) == []
