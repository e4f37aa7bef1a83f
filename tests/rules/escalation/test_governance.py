"""Escalation governance end to end on a manual clock: tiers, acceptance with a timeline,
updates, anti-flapping, RACI, automatic and plugin triggers, and the client's messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow import (
    Case,
    InvalidTransition,
    ManualClock,
    NotAuthorized,
    ServiceDesk,
    ServiceflowError,
    ValidationError,
    load_policy,
)
from serviceflow.domain import _events as ev
from serviceflow.domain._case import ACCEPTED, AWAITING, RETURNED
from serviceflow.domain._events import Event
from serviceflow.domain._messages import Notification
from serviceflow.domain.policy._policy import Policy
from serviceflow.plugins.hookspecs import hookimpl

from ...conftest import START

TIERS: list[dict[str, Any]] = [
    {"name": "frontline", "level": 1, "teams": ["support"]},
    {"name": "billing-desk", "level": 1, "teams": ["finance"]},
    {
        "name": "technical",
        "level": 2,
        "teams": ["engineering"],
        "acknowledge_within": "30m",
        "update_every": "2h",
        "handoff_within": "1d",
    },
    {
        "name": "management",
        "level": 3,
        "teams": ["management"],
        "acknowledge_within": "15m",
        "update_every": "1h",
    },
]


def policy(**escalation: Any) -> Policy:
    """Three levels of tiers, breach rules, an owner; ``escalation`` overrides the section."""
    section: dict[str, Any] = {
        "process_owner": "agent:olga",
        "max_bounces": 3,
        "tiers": TIERS,
        "rules": [
            {"on": "sla_breach", "metric": "resolution", "to": "next"},
            {"on": "sla_breach", "metric": "escalation_update", "to": "next"},
        ],
        **escalation,
    }
    return load_policy(
        {
            "sla": [
                {"name": "std", "targets": {"resolution": {"within": "8h", "time": "calendar"}}}
            ],
            "agents": [
                {"id": "agent:fay", "name": "Fay", "teams": ["support"]},
                {"id": "agent:fin", "name": "Fin", "teams": ["finance"]},
                {"id": "agent:tom", "name": "Tom", "teams": ["engineering"]},
                {"id": "agent:meg", "name": "Meg", "teams": ["management"]},
            ],
            "escalation": section,
        }
    )


class Inbox:
    """A notifier that keeps what it is given."""

    def __init__(self) -> None:
        self.got: list[Notification] = []

    @hookimpl
    def notify(self, notification: Notification) -> None:
        self.got.append(notification)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def desk(store_url: str, clock: ManualClock, inbox: Inbox) -> Iterator[ServiceDesk]:
    with ServiceDesk.open(
        store_url, policy=policy(), clock=clock, plugins=[inbox], entry_points=False
    ) as opened:
        yield opened


def working(desk: ServiceDesk, case_id: str = "C1", *, category: str = "functional") -> str:
    """A case acknowledged by frontline agent Fay."""
    desk.submit(
        requester="acme/jane@acme.test",
        channel="email",
        subject="Exports fail",
        case_id=case_id,
        fields={"name": "Jane", "timezone": "Europe/Paris"},
    )
    desk.classify(case_id, category=category, kind="incident", by="agent:fay")
    desk.prioritize(case_id, impact="high", urgency="medium", by="agent:fay")
    desk.assign(case_id, to="agent:fay", by="agent:fay")
    desk.acknowledge(case_id, by="agent:fay", template="acknowledge")
    return case_id


def kinds(desk: ServiceDesk, case_id: str) -> list[str]:
    return [r.event.TYPE for r in desk.history(case_id)]


def test_governance_scenario_breach_accept_missed_update_management(
    desk: ServiceDesk, clock: ManualClock, inbox: Inbox
) -> None:
    case_id = working(desk)
    clock.advance(timedelta(hours=8, minutes=1))
    desk.tick()  # the resolution clock breaches: the rule escalates to technical
    case = desk.case(case_id)
    assert case.escalation is not None
    assert (case.escalation.tier, case.escalation.status) == ("technical", AWAITING)
    escalated = next(r.event for r in desk.history(case_id) if isinstance(r.event, ev.Escalated))
    assert escalated.trigger == "sla_breach:resolution"
    assert escalated.kind == "hierarchical"
    assert escalated.by == "system:escalation"
    assert "resolution clock breached its target" in escalated.message

    clock.advance(timedelta(minutes=20))
    with pytest.raises(NotAuthorized, match="tier 'technical'"):
        desk.accept_escalation(case_id, by="agent:fay", timeline=clock.now() + timedelta(hours=4))
    timeline = clock.now() + timedelta(hours=6)
    case = desk.accept_escalation(case_id, by="agent:tom", timeline=timeline)
    assert case.escalation is not None
    assert (case.escalation.status, case.escalation.owner) == (ACCEPTED, "agent:tom")
    assert case.assignee == "agent:tom"

    clock.advance(timedelta(hours=1))
    desk.reply(case_id, by="agent:tom", template="escalation_update", message="Logs collected.")
    clock.advance(timedelta(hours=2, minutes=1))  # no update for 2h: missed
    desk.tick()
    case = desk.case(case_id)
    assert case.escalation is not None
    assert case.escalation.tier == "management"
    assert case.escalation.path == ("frontline", "technical", "management")
    breached = [
        r.event.metric for r in desk.history(case_id) if isinstance(r.event, ev.SlaBreached)
    ]
    assert breached == ["resolution", "escalation_update"]

    # the client heard at every step, each message once, through the outbox
    client = [n for n in inbox.got if n.audience == "client"]
    assert [n.kind for n in client] == [
        "case.acknowledged",
        "case.escalated",
        "case.escalation_accepted",
        "case.replied",
        "case.escalated",
    ]
    assert len({n.key for n in client}) == len(client)
    accepted = client[2]
    assert accepted.template == "escalation_timeline"
    assert "Tom (technical) now owns case C1" in accepted.text
    assert "CET" in accepted.text  # the committed time, in the client's zone (Paris)
    assert "Logs collected." in client[3].text
    assert desk.outbox.counts()["pending"] == 0


def test_anti_flapping_stops_the_fourth_bounce(desk: ServiceDesk, clock: ManualClock) -> None:
    case_id = working(desk)
    moves: list[Callable[[], Case]] = [
        lambda: desk.escalate(case_id, by="agent:fay", reason="needs engineering"),
        lambda: desk.deescalate(case_id, by="agent:tom", reason="a configuration question"),
        lambda: desk.escalate(case_id, by="agent:fay", reason="still broken"),
        lambda: desk.deescalate(case_id, by="agent:tom", reason="works for us"),
    ]
    for move in moves:
        clock.advance(timedelta(minutes=5))
        move()
    case = desk.case(case_id)
    assert case.escalation is not None
    assert case.escalation.bounces == 3
    assert case.escalation.status == RETURNED
    clock.advance(timedelta(minutes=5))
    case = desk.escalate(case_id, by="agent:fay", reason="broken again")  # the fourth bounce
    assert case.escalation is not None
    assert case.escalation.flagged
    assert case.escalation.tier == "frontline"  # not bounced again
    assert case.assignee == "agent:olga"  # the process owner holds it
    [flag] = [r.event for r in desk.history(case_id) if isinstance(r.event, ev.PingPongFlagged)]
    assert flag.path == ("frontline", "technical", "frontline", "technical", "frontline")
    version = case.version
    with pytest.raises(ValidationError, match="only its process owner"):
        desk.escalate(case_id, by="agent:fay", reason="again")
    assert desk.case(case_id).version == version  # a refusal leaves the case untouched
    owned = desk.escalate(case_id, by="agent:olga", reason="engineering owns this", to="technical")
    assert owned.escalation is not None
    assert (owned.escalation.flagged, owned.escalation.bounces) == (False, 0)


def test_minimum_dwell_holds_people_not_rules(clock: ManualClock) -> None:
    desk = ServiceDesk.open(
        "memory://", policy=policy(min_dwell="30m"), clock=clock, entry_points=False
    )
    case_id = working(desk)
    clock.advance(timedelta(minutes=31))
    desk.escalate(case_id, by="agent:fay", reason="needs engineering")
    clock.advance(timedelta(minutes=10))
    with pytest.raises(ValidationError, match=r"must stay at least 0:30:00.*min_dwell"):
        desk.deescalate(case_id, by="agent:tom", reason="not ours")
    case = desk.escalate(case_id, by="agent:olga", reason="the owner may", to="management")
    assert case.escalation is not None
    assert case.escalation.tier == "management"


def test_manual_escalation_checks(desk: ServiceDesk, clock: ManualClock) -> None:
    case_id = working(desk)
    with pytest.raises(ValidationError, match="reason: required"):
        desk.escalate(case_id, by="agent:fay", reason=" ")
    with pytest.raises(ValidationError, match=r"unknown tier 'legal' \(tiers: frontline, "):
        desk.escalate(case_id, by="agent:fay", reason="x", to="legal")
    with pytest.raises(ValidationError, match="already in tier 'frontline'"):
        desk.escalate(case_id, by="agent:fay", reason="x", to="frontline")
    with pytest.raises(InvalidTransition, match="the case has not been escalated"):
        desk.deescalate(case_id, by="agent:fay", reason="x")
    assert desk.case(case_id).escalation is None
    functional = desk.escalate(case_id, by="agent:fay", reason="a refund", to="billing-desk")
    assert functional.escalation is not None
    [event] = [r.event for r in desk.history(case_id) if isinstance(r.event, ev.Escalated)]
    assert event.kind == "functional"
    desk.accept_escalation(case_id, by="agent:fin", timeline=clock.now() + timedelta(hours=2))
    desk.escalate(case_id, by="agent:fin", reason="needs engineering")
    desk.escalate(case_id, by="agent:tom", reason="contract question", to="management")
    with pytest.raises(ValidationError, match="'management' is the top tier"):
        desk.escalate(case_id, by="agent:meg", reason="higher")
    with pytest.raises(ValidationError, match="below 'management'; de-escalate instead"):
        desk.escalate(case_id, by="agent:meg", reason="x", to="technical")


def test_the_client_may_ask_for_an_escalation(desk: ServiceDesk) -> None:
    case_id = working(desk)
    case = desk.escalate(case_id, reason="nobody answers my calls")
    assert case.escalation is not None
    [event] = [r.event for r in desk.history(case_id) if isinstance(r.event, ev.Escalated)]
    assert event.by == "client:jane@acme.test"
    assert event.trigger == "manual"


def test_accepting_needs_a_member_and_a_future_timeline(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    case_id = working(desk)
    desk.escalate(case_id, by="agent:fay", reason="needs engineering")
    version = desk.case(case_id).version
    with pytest.raises(ValidationError, match="timeline: must be later than now"):
        desk.accept_escalation(case_id, by="agent:tom", timeline=clock.now())
    with pytest.raises(ValidationError, match="timeline: a date and time with its time zone"):
        desk.accept_escalation(
            case_id,
            by="agent:tom",
            timeline=(clock.now() + timedelta(hours=1)).replace(tzinfo=None),
        )
    with pytest.raises(NotAuthorized, match="needs a member of tier 'technical'"):
        desk.accept_escalation(case_id, by="agent:meg", timeline=clock.now() + timedelta(hours=1))
    assert desk.case(case_id).version == version
    desk.accept_escalation(case_id, by="agent:tom", timeline=clock.now() + timedelta(hours=1))
    with pytest.raises(InvalidTransition, match="no escalation is waiting to be accepted"):
        desk.accept_escalation(case_id, by="agent:tom", timeline=clock.now() + timedelta(hours=2))


def test_critical_priority_and_reopens_escalate_in_the_same_command(clock: ManualClock) -> None:
    rules = [{"on": "critical", "to": "management"}, {"on": "reopened", "reopens": 1}]
    desk = ServiceDesk.open(
        "memory://", policy=policy(rules=rules), clock=clock, entry_points=False
    )
    case_id = working(desk)
    case = desk.prioritize(
        case_id, priority="critical", reason="all customers down", by="agent:fay"
    )
    assert case.escalation is not None
    assert case.escalation.tier == "management"
    assert kinds(desk, case_id)[-2:] == ["case.prioritized", "case.escalated"]

    other = working(desk, "C2")
    desk.resolve(other, by="agent:fay", resolution="restarted")
    assert desk.reopen(other, by="agent:fay", reason="back").escalation is None  # 1 is allowed
    desk.resolve(other, by="agent:fay", resolution="restarted again")
    case = desk.reopen(other, by="agent:fay", reason="back again")
    assert case.escalation is not None
    assert case.escalation.tier == "technical"


def test_raci_names_the_responsible_tier_informs_and_owns_ping_pong(
    clock: ManualClock, inbox: Inbox
) -> None:
    raci = [
        {
            "category": "billing",
            "responsible": "billing-desk",
            "accountable": "agent:fiona",
            "consulted": ["legal@acme.test"],
            "informed": ["agent:kam"],
        }
    ]
    desk = ServiceDesk.open(
        "memory://",
        policy=policy(raci=raci, max_bounces=1),
        clock=clock,
        plugins=[inbox],
        entry_points=False,
    )
    case_id = working(desk, category="billing")
    desk.escalate(case_id, by="agent:fay", reason="refund dispute", to="responsible")
    case = desk.case(case_id)
    assert case.escalation is not None
    assert case.escalation.tier == "billing-desk"
    internal = sorted(n.to for n in inbox.got if n.audience == "internal")
    assert internal == ["agent:kam", "legal@acme.test"]
    desk.deescalate(case_id, by="agent:fin", reason="frontline can refund")
    case = desk.escalate(case_id, by="agent:fay", reason="they cannot", to="responsible")
    assert case.escalation is not None
    assert case.escalation.flagged
    assert case.assignee == "agent:fiona"  # the category's accountable, not the process owner


def test_a_plugin_rule_escalates(clock: ManualClock) -> None:
    class Angry:
        @hookimpl
        def escalate(self, case: Any, events: Sequence[Event], policy: Policy) -> str | None:
            if any(isinstance(e, ev.ClientReplied) and "lawyer" in e.message for e in events):
                return "the client mentions legal action"
            return None

    desk = ServiceDesk.open(
        "memory://",
        policy=policy(rules=[{"on": "plugin", "to": "management"}]),
        clock=clock,
        plugins=[Angry()],
        entry_points=False,
    )
    case_id = working(desk)
    desk.client_replied(case_id, message="fine")
    assert desk.case(case_id).escalation is None
    case = desk.client_replied(case_id, message="my lawyer will call")
    assert desk.case(case_id).escalation is not None
    [event] = [r.event for r in desk.history(case_id) if isinstance(r.event, ev.Escalated)]
    assert event.trigger == "plugin"
    assert case.version + 1 == desk.case(case_id).version


def test_without_tiers_escalation_is_refused(clock: ManualClock) -> None:
    desk = ServiceDesk.open("memory://", clock=clock, entry_points=False)
    case_id = working(desk)
    with pytest.raises(ValidationError, match="the policy declares no escalation tiers"):
        desk.escalate(case_id, by="agent:fay", reason="help")


# --- property: one owning tier, every required message in the outbox --------------------

ACTORS = ("agent:fay", "agent:tom", "agent:meg", "agent:olga")
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("escalate"),
            st.sampled_from(ACTORS),
            st.sampled_from(("next", "technical", "management", "billing-desk")),
        ),
        st.tuples(st.just("deescalate"), st.sampled_from(ACTORS), st.just("previous")),
        st.tuples(st.just("accept"), st.sampled_from(ACTORS), st.just("")),
        st.tuples(st.just("reply"), st.just("agent:fay"), st.just("")),
        st.tuples(st.just("wait"), st.just(""), st.sampled_from(("10m", "1h", "3h", "9h"))),
        st.tuples(st.just("resolve"), st.just("agent:fay"), st.just("")),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_every_escalated_case_has_one_tier_and_its_messages(
    plan: list[tuple[str, str, str]],
) -> None:
    clock = ManualClock(START)
    desk = ServiceDesk.open("memory://", policy=policy(), clock=clock, entry_points=False)
    case_id = working(desk)
    waits = {"10m": timedelta(minutes=10), "1h": timedelta(hours=1), "3h": timedelta(hours=3)}
    for action, actor, arg in plan:
        try:
            if action == "escalate":
                desk.escalate(case_id, by=actor, reason="r", to=arg)
            elif action == "deescalate":
                desk.deescalate(case_id, by=actor, reason="r")
            elif action == "accept":
                desk.accept_escalation(case_id, by=actor, timeline=clock.now() + timedelta(hours=4))
            elif action == "reply":
                desk.reply(case_id, by=actor, message="update")
            elif action == "resolve":
                desk.resolve(case_id, by=actor, resolution="fixed")
            else:
                clock.advance(waits.get(arg, timedelta(hours=9)))
                desk.tick()
        except ServiceflowError:
            pass
    case = desk.case(case_id)
    tiers = {t.name for t in desk.policy.escalation.tiers}
    if case.escalation is not None:
        assert case.escalation.tier in tiers
        assert case.escalation.path[-1] == case.escalation.tier
    assert desk.replay(case_id) == case
    assert desk.verify(case_id).ok
    keys = {m.key for m in desk.outbox.pending()} | {
        r.key for r in desk.store.outbox(status="delivered")
    }
    for recorded in desk.history(case_id):
        if recorded.event.PUBLIC:
            assert f"{case_id}/{recorded.seq}" in keys, recorded.event.TYPE
