"""Routing: queues, eligibility, the strategies and their reasons, policy checks, properties.

The properties compare every decision with a brute-force reference written straight from
the rules (every agent, every rule, exact fractions), on random rosters and loads.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import ValidationError
from serviceflow.core._calendar import BusinessCalendar, business_calendar
from serviceflow.core._convert import structure_checked
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.domain._conditions import CaseCondition
from serviceflow.errors import PolicyError
from serviceflow.rules._routing import (
    FALLBACK,
    STRATEGIES,
    Absence,
    Agent,
    Queue,
    Roster,
    Work,
    routing_problems,
)
from serviceflow.rules._routing_decision import Decision

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
PARIS = business_calendar("paris", "Europe/Paris", {day: ["09:00-17:00"] for day in WEEKDAYS})
NIGHT = business_calendar("night", "UTC", {day: ["00:00-06:00", "22:00-24:00"] for day in WEEKDAYS})
CALENDARS: dict[str, BusinessCalendar] = {"paris": PARIS, "night": NIGHT}
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
"""Monday 2 March 2026, 11:00 in Paris: the Paris shift is on, the night shift off."""
H = timedelta(hours=1)


def expected(*args: Any, **kwargs: Any) -> Decision:
    """The decision expected for ``work()``'s case ``C1``."""
    return evolve(Decision(*args, **kwargs), case_id="C1")


def work(**changes: Any) -> Work:
    """A billing incident by email from acme, standard tier, no language."""
    fields: dict[str, Any] = {
        "case_id": "C1",
        "channel": "email",
        "priority": "high",
        "category": "billing",
        "kind": "incident",
        "tier": "standard",
        "language": None,
        "requester_group": "acme",
    }
    fields.update(changes)
    return Work(**fields)


def agent(ident: str, **changes: Any) -> Agent:
    """An active agent with the billing skill at 3 who takes five email cases."""
    fields: dict[str, Any] = {"skills": {"billing": 3}, "capacity": {"email": 5}}
    fields.update(changes)
    return Agent(id=f"agent:{ident}", **fields)


def decide(
    agents: Sequence[Agent],
    queue: Queue | None = None,
    *,
    loads: Mapping[tuple[str, str], int] | None = None,
    now: datetime = NOW,
    cursor: str | None = None,
    **changes: Any,
) -> Decision:
    """Route ``work(**changes)`` among ``agents`` in ``queue`` (a skill queue by default)."""
    queues = (queue or Queue("desk"),)
    roster = Roster(agents, queues, CALENDARS)
    return roster.decide(work(**changes), loads=loads or {}, now=now, cursor=cursor)


# --- types and structuring ---------------------------------------------------------------

ROUTING_TOML = """
[[agents]]
id = "agent:ann"
name = "Ann Lee"
teams = ["billing", "frontline"]
skills = { billing = 4, vat = 2 }
languages = ["en", "fr"]
capacity = { email = 5, chat = 2, "*" = 3 }
calendar = "paris"
away = [{ start = 2026-03-09T00:00:00+01:00, end = 2026-03-14T00:00:00+01:00 }]

[[agents]]
id = "agent:bob"
teams = ["frontline"]
tiers = ["premium"]
capacity = { "*" = 4 }
active = false

[[queues]]
name = "premium"
when = { tier = ["premium"] }
strategy = "round_robin"
team = "frontline"

[[queues]]
name = "billing"
when = { category = ["billing"], channel = ["email", "web"] }
team = "billing"
skills = { billing = 2 }

[[queues]]
name = "everything else"
strategy = "least_loaded"
"""


def load(text: str) -> tuple[tuple[Agent, ...], tuple[Queue, ...]]:
    data = tomllib.loads(text)
    agents = structure_checked(
        data.get("agents", []), tuple[Agent, ...], what="agents", error=PolicyError
    )
    queues = structure_checked(
        data.get("queues", []), tuple[Queue, ...], what="queues", error=PolicyError
    )
    return agents, queues


def test_agents_and_queues_structure_from_toml() -> None:
    agents, queues = load(ROUTING_TOML)
    ann, bob = agents
    assert ann.id == "agent:ann"
    assert ann.name == "Ann Lee"
    assert ann.teams == ("billing", "frontline")
    assert ann.skills == {"billing": 4, "vat": 2}
    assert isinstance(ann.skills, ReadOnlyMap)
    assert ann.capacity_on("chat") == 2
    assert ann.capacity_on("phone") == 3
    assert ann.calendar == "paris"
    assert ann.away == (
        Absence(datetime(2026, 3, 8, 23, tzinfo=UTC), datetime(2026, 3, 13, 23, tzinfo=UTC)),
    )
    assert bob.active is False
    assert bob.capacity_on("email") == 4
    assert (bob.skills, bob.languages, bob.calendar, bob.away) == ({}, (), None, ())
    assert [q.name for q in queues] == ["premium", "billing", "everything else"]
    assert queues[0].when == CaseCondition(tier=("premium",))
    assert queues[1].skills == {"billing": 2}
    assert queues[1].strategy == "skill"
    assert queues[2].when.is_fallback
    assert queues[2].scheduled is False
    assert list(routing_problems(agents, queues, ["paris"], {})) == []


def test_agents_and_queues_are_frozen_and_hashable() -> None:
    agents, queues = load(ROUTING_TOML)
    assert hash(agents) == hash(load(ROUTING_TOML)[0])
    assert len({*queues}) == 3
    with pytest.raises(TypeError):
        agents[0].skills["billing"] = 5  # type: ignore[index]


def test_structuring_errors_carry_their_paths() -> None:
    agents = """
    [[agents]]
    id = "agent:ann"
    skills = { billing = "high" }
    away = [{ start = 2026-03-02T09:00:00, end = 2026-03-03T09:00:00+01:00 }]

    [[agents]]
    id = "agent:bob"
    teams = "billing"
    flavour = 1
    """
    with pytest.raises(PolicyError) as agents_error:
        load(agents)
    assert agents_error.value.problems == (
        "$[0].skills['billing']: expected a whole number, got 'high'",
        "$[0].away[0].start: got naive 2026-03-02T09:00:00; attach a zone, "
        "e.g. datetime(..., tzinfo=UTC)",
        "$[1].teams: expected a list of texts, got the text 'billing'",
        "$[1]: unknown field(s) flavour",
    )
    queues = """
    [[queues]]
    name = "billing"
    when = { colour = ["red"] }
    strategy = 3
    """
    with pytest.raises(PolicyError) as queues_error:
        load(queues)
    assert queues_error.value.problems == (
        "$[0].when: unknown field(s) colour",
        "$[0].strategy: expected text, got 3",
    )


def test_a_roster_refuses_naive_absences() -> None:
    naive = Absence(datetime(2026, 3, 2), datetime(2026, 3, 3))  # noqa: DTZ001
    with pytest.raises(ValidationError, match="absence start must be timezone-aware"):
        Roster([agent("ann", away=(naive,))], (), CALENDARS)


# --- queues ------------------------------------------------------------------------------


def test_queue_matches_each_of_the_six_conditions() -> None:
    conditions = {
        "priority": ("high", "low"),
        "tier": ("standard", "premium"),
        "category": ("billing", "access"),
        "kind": ("incident", "question"),
        "channel": ("email", "chat"),
        "requester_group": ("acme", "globex"),
    }
    for name, (matching, other) in conditions.items():
        queue = Queue("q", when=CaseCondition(**{name: (matching,)}))
        assert queue.matches(work(**{name: matching}))
        assert not queue.matches(work(**{name: other}))
    assert Queue("q", when=CaseCondition(priority=("high",))).matches(work()) is True
    assert not Queue("q", when=CaseCondition(priority=("high",))).matches(work(priority=None))
    assert Queue("any").matches(work(priority=None, category=None, language="de"))


def test_first_matching_queue_wins_and_the_fallback_takes_the_rest() -> None:
    queues = (
        Queue("vip", when=CaseCondition(tier=("premium",))),
        Queue("billing", when=CaseCondition(category=("billing",), channel=("email",))),
        Queue("chat", when=CaseCondition(channel=("chat",))),
        Queue("rest", strategy="least_loaded"),
    )
    roster = Roster([agent("ann")], queues, CALENDARS)

    def named(**changes: Any) -> str | None:
        found = roster.queue_for(work(**changes))
        assert found == next((q for q in queues if q.matches(work(**changes))), None)
        return None if found is None else found.name

    assert named(tier="premium", channel="chat") == "vip"
    assert named() == "billing"
    assert named(channel="chat") == "chat"
    assert named(category="access") == "rest"
    assert roster.decide(work(category="access"), loads={}, now=NOW).queue == "rest"


def test_without_queues_nothing_matches_and_the_default_queue_routes() -> None:
    roster = Roster([agent("ann")], (), CALENDARS)
    assert roster.queue_for(work()) is None
    decision = roster.decide(work(), loads={}, now=NOW)
    assert decision.queue == FALLBACK.name == "default"
    assert (decision.strategy, decision.agent) == ("skill", "agent:ann")


def test_an_explicit_queue_overrides_matching() -> None:
    vip = Queue("vip", when=CaseCondition(tier=("premium",)), strategy="manual")
    other = Queue("other", strategy="least_loaded", team="nobody")
    roster = Roster([agent("ann")], (vip, Queue("rest")), CALENDARS)
    assert roster.decide(work(), loads={}, now=NOW, queue=vip).strategy == "manual"
    decision = roster.decide(work(), loads={}, now=NOW, queue=other)
    assert decision == expected(
        "other", "least_loaded", None, "no candidates: no agents in team nobody"
    )


# --- the strategies ----------------------------------------------------------------------


def test_skill_picks_the_best_match_then_the_least_loaded_then_id_order() -> None:
    team = [
        agent("ann", skills={"billing": 3}),
        agent("bob", skills={"billing": 5}, capacity={"email": 4}),
        agent("cat", skills={"billing": 5}, capacity={"email": 2}),
        agent("dan", skills={"billing": 5}, capacity={"email": 2}),
        agent("eve", skills={"access": 5}),
    ]
    first = decide(team)
    assert first == expected(
        "desk", "skill", "agent:bob", "agent:bob: best skill match (billing 5), load 0/4 on email"
    )
    # bob 1/4 = 25 % beats cat and dan at 1/2 = 50 %.
    loads = {("agent:bob", "email"): 1, ("agent:cat", "email"): 1, ("agent:dan", "email"): 1}
    assert decide(team, loads=loads).agent == "agent:bob"
    # Equal shares (2/4, 1/2, 1/2): the fewest cases, then id order.
    loads[("agent:bob", "email")] = 2
    assert decide(team, loads=loads).agent == "agent:cat"
    # The best matched are all full: the next level down.
    full = {("agent:bob", "email"): 4, ("agent:cat", "email"): 2, ("agent:dan", "email"): 2}
    assert decide(team, loads=full).reason == (
        "agent:ann: best skill match (billing 3), load 0/5 on email; "
        "3 better matched cannot take it now"
    )


def test_reasons_count_the_candidates_passed_over_on_or_off_duty() -> None:
    team = [
        agent("ann", skills={"billing": 3}),
        agent("bob", skills={"billing": 5}, calendar="night"),
        agent("cat", skills={"billing": 5}),
        agent("dan", skills={"billing": 4}, active=False),
    ]
    assert decide(team, loads={("agent:cat", "email"): 5}).reason == (
        "agent:ann: best skill match (billing 3), load 0/5 on email; "
        "2 better matched cannot take it now"
    )
    rotation = decide(team, Queue("rr", strategy="round_robin"), cursor="agent:ann")
    assert rotation.reason == (
        "agent:cat: next in turn after agent:ann, load 0/5 on email; "
        "1 before them cannot take it now"
    )
    wrapped = decide(team, Queue("rr", strategy="round_robin"), cursor="agent:cat")
    assert wrapped.agent == "agent:ann"
    assert wrapped.reason.endswith("next in turn after agent:cat, load 0/5 on email")


def test_skill_sums_the_levels_of_the_queue_skills_and_honours_minimums() -> None:
    queue = Queue("tax", skills={"billing": 2, "vat": 3})
    team = [
        agent("ann", skills={"billing": 5, "vat": 2}),  # vat below the minimum
        agent("bob", skills={"billing": 2, "vat": 4}),  # 6
        agent("cat", skills={"billing": 3, "vat": 4}),  # 7
        agent("dan", skills={"billing": 5}),
    ]
    decision = decide(team, queue)
    assert decision.reason == "agent:cat: best skill match (billing 3, vat 4), load 0/5 on email"
    assert decide(team, queue, loads={("agent:cat", "email"): 5}).agent == "agent:bob"
    nobody = decide(team[:1], queue)
    assert nobody.reason == "1 candidate: agent:ann lacks skill vat>=3"


def test_skill_uses_the_category_when_the_queue_names_no_skills() -> None:
    team = [agent("ann", skills={"access": 2}), agent("bob", skills={"billing": 1})]
    assert decide(team, category="access").agent == "agent:ann"
    assert decide(team, category="billing").agent == "agent:bob"
    assert decide(team, category="outage").reason == (
        "2 candidates: agent:ann lacks skill outage>=1, agent:bob lacks skill outage>=1"
    )
    no_category = decide(team, category=None, loads={("agent:ann", "email"): 1})
    assert no_category.reason == "agent:bob: no skill required, least loaded, load 0/5 on email"


def test_round_robin_takes_turns_in_id_order_after_the_cursor() -> None:
    queue = Queue("rr", strategy="round_robin")
    team = [agent("cat"), agent("ann"), agent("bob")]
    roster = Roster(team, (queue,), CALENDARS)
    cursor = None
    picked = []
    for _ in range(7):
        decision = roster.decide(work(), loads={}, now=NOW, cursor=cursor)
        cursor = decision.cursor
        picked.append(decision.agent)
        assert decision.cursor == decision.agent
    assert picked == ["agent:ann", "agent:bob", "agent:cat"] * 2 + ["agent:ann"]
    first = roster.decide(work(), loads={}, now=NOW)
    assert first.reason == "agent:ann: next in turn from the start, load 0/5 on email"
    unknown = roster.decide(work(), loads={}, now=NOW, cursor="agent:zed")
    assert unknown.reason == "agent:ann: next in turn from the start, load 0/5 on email"
    skipping = roster.decide(work(), loads={("agent:bob", "email"): 5}, now=NOW, cursor="agent:ann")
    assert skipping == expected(
        "rr",
        "round_robin",
        "agent:cat",
        "agent:cat: next in turn after agent:ann, load 0/5 on email; "
        "1 before them cannot take it now",
        "agent:cat",
    )


def test_round_robin_cursor_outside_the_queue_keeps_its_place_in_id_order() -> None:
    queue = Queue("rr", strategy="round_robin", team="t")
    team = [agent("ann", teams=("t",)), agent("bob"), agent("cat", teams=("t",))]
    roster = Roster(team, (queue,), CALENDARS)
    assert roster.decide(work(), loads={}, now=NOW, cursor="agent:bob").agent == "agent:cat"


def test_round_robin_keeps_the_cursor_when_nobody_can_take_the_case() -> None:
    queue = Queue("rr", strategy="round_robin")
    full = {("agent:ann", "email"): 5}
    decision = decide([agent("ann")], queue, loads=full, cursor="agent:ann")
    assert decision == expected(
        "rr",
        "round_robin",
        None,
        "1 candidate: agent:ann is at capacity (email 5/5)",
        "agent:ann",
    )


def test_least_loaded_compares_shares_then_cases_then_ids() -> None:
    queue = Queue("ll", strategy="least_loaded")
    team = [
        agent("ann", capacity={"email": 2}),
        agent("bob", capacity={"email": 4}),
        agent("cat", capacity={"email": 10}),
    ]
    loads = {("agent:ann", "email"): 1, ("agent:bob", "email"): 2, ("agent:cat", "email"): 4}
    assert decide(team, queue, loads=loads) == expected(
        "ll", "least_loaded", "agent:cat", "agent:cat: least loaded, load 4/10 on email"
    )
    loads[("agent:cat", "email")] = 5
    assert decide(team, queue, loads=loads).agent == "agent:ann"  # 1/2 = 2/4 = 5/10
    assert decide(team, queue, loads={}).agent == "agent:ann"


def test_manual_queues_never_pick() -> None:
    decision = decide([agent("ann")], Queue("triage", strategy="manual"))
    assert decision == expected(
        "triage", "manual", None, "queue triage is manual: an agent takes it"
    )


def test_an_unknown_strategy_picks_nobody() -> None:
    decision = decide([agent("ann")], Queue("odd", strategy="lottery"), cursor="agent:ann")
    assert decision == expected("odd", "lottery", None, "unknown strategy 'lottery'", "agent:ann")


# --- eligibility, one rule at a time -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "loads", "reason"),
    [
        ({"active": False}, {}, "is inactive"),
        ({"calendar": "night"}, {}, "is off shift"),
        ({"calendar": "missing"}, {}, "is off shift"),
        (
            {"away": (Absence(NOW - H, NOW + 24 * H),)},
            {},
            "is away until 2026-03-03T10:00:00+00:00",
        ),
        ({"tiers": ("premium",)}, {}, "does not serve tier standard"),
        ({"languages": ("en", "de")}, {}, "does not speak fr"),
        ({"capacity": {"chat": 3}}, {}, "does not take email"),
        ({"capacity": {"email": 0, "*": 3}}, {}, "is at capacity (email 0/0)"),
        ({}, {("agent:ann", "email"): 5}, "is at capacity (email 5/5)"),
        ({"skills": {"billing": 1}}, {}, "lacks skill billing>=2"),
        ({"skills": {}}, {}, "lacks skill billing>=2"),
    ],
)
def test_each_eligibility_rule_refuses_with_its_reason(
    changes: dict[str, Any], loads: dict[tuple[str, str], int], reason: str
) -> None:
    queue = Queue("billing", skills={"billing": 2})
    ann = agent("ann", **changes)
    decision = decide([ann], queue, loads=loads, language="fr")
    assert decision == expected("billing", "skill", None, f"1 candidate: agent:ann {reason}")
    roster = Roster([ann], (queue,), CALENDARS)
    refused = roster.refusal("agent:ann", work(language="fr"), loads=loads, now=NOW)
    assert refused == f"agent:ann {reason}"


def test_an_agent_meeting_every_rule_is_eligible() -> None:
    ann = agent(
        "ann",
        calendar="paris",
        tiers=("standard",),
        languages=("fr",),
        capacity={"*": 1},
        away=(Absence(NOW - 2 * H, NOW),),
    )
    roster = Roster([ann], (Queue("q"),), CALENDARS)
    assert roster.refusal("agent:ann", work(language="fr"), loads={}, now=NOW) is None
    assert roster.decide(work(language="fr"), loads={}, now=NOW).agent == "agent:ann"
    # No language on the case, or none listed by the agent: any goes.
    assert roster.decide(work(), loads={}, now=NOW).agent == "agent:ann"
    bob = agent("bob")
    assert decide([bob], language="de").agent == "agent:bob"


def test_the_team_limits_the_candidates() -> None:
    queue = Queue("billing", team="billing")
    roster = Roster(
        [agent("ann", teams=("access",)), agent("bob", teams=("billing", "access"))],
        (queue,),
        CALENDARS,
    )
    assert roster.decide(work(), loads={}, now=NOW).agent == "agent:bob"
    assert roster.refusal("agent:ann", work(), loads={}, now=NOW) == (
        "agent:ann is not in team billing"
    )
    assert roster.refusal("agent:zed", work(), loads={}, now=NOW) == "agent:zed is not an agent"
    busy = roster.decide(work(), loads={("agent:bob", "email"): 5}, now=NOW)
    assert busy.reason == "1 candidate: agent:bob is at capacity (email 5/5)"


def test_the_any_channel_capacity_covers_unnamed_channels_only() -> None:
    ann = agent("ann", capacity={"email": 1, "*": 3})
    assert decide([ann], channel="phone", loads={("agent:ann", "phone"): 2}).agent == "agent:ann"
    assert decide([ann], channel="phone", loads={("agent:ann", "phone"): 3}).agent is None
    assert decide([ann], loads={("agent:ann", "email"): 1}).reason == (
        "1 candidate: agent:ann is at capacity (email 1/1)"
    )


def test_lasting_causes_are_named_before_passing_ones() -> None:
    ann = agent("ann", calendar="night", skills={}, capacity={"chat": 1})
    assert decide([ann]).reason == "1 candidate: agent:ann lacks skill billing>=1"
    assert decide([ann], category=None).reason == "1 candidate: agent:ann does not take email"
    bob = agent("bob", calendar="night", away=(Absence(NOW, NOW + H),))
    assert decide([bob], loads={("agent:bob", "email"): 9}).reason == (
        "1 candidate: agent:bob is away until 2026-03-02T11:00:00+00:00"
    )


def test_many_candidates_are_counted_by_cause() -> None:
    team = [
        agent("a1", calendar="night"),
        agent("a2", calendar="night"),
        agent("a3", calendar="night"),
        agent("a4", skills={}),
        agent("a5", skills={}),
        agent("a6"),
        agent("a7", active=False),
    ]
    decision = decide(team, loads={("agent:a6", "email"): 5})
    assert decision.reason == (
        "7 candidates: 3 off shift, 2 lacking skill billing>=1, 1 at capacity, 1 inactive"
    )
    assert decide([]).reason == "no candidates: no agents"


# --- shifts and absences -------------------------------------------------------------------


def test_shifts_follow_the_agent_calendar() -> None:
    roster = Roster([agent("ann", calendar="paris"), agent("bob")], (Queue("q"),), CALENDARS)
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    expected = {
        monday + timedelta(hours=7, minutes=59): False,  # 08:59 in Paris
        monday + timedelta(hours=8): True,  # 09:00
        monday + timedelta(hours=15, minutes=59): True,  # 16:59
        monday + timedelta(hours=16): False,  # 17:00
        monday + timedelta(days=5, hours=10): False,  # Saturday
    }
    for now, on_shift in expected.items():
        assert roster.available("agent:ann", now) is on_shift, now
        assert roster.available("agent:bob", now) is True
        decision = roster.decide(work(), loads={}, now=now)
        assert decision.agent == ("agent:ann" if on_shift else "agent:bob")
    # After the switch to summer time (29 March), 09:00 in Paris is 07:00 UTC.
    assert roster.available("agent:ann", datetime(2026, 3, 30, 7, tzinfo=UTC))
    assert not roster.available("agent:ann", datetime(2026, 3, 30, 6, 59, tzinfo=UTC))


def test_absences_are_half_open() -> None:
    start, end = NOW, NOW + 3 * H
    roster = Roster([agent("ann", away=(Absence(start, end),))], (), CALENDARS)
    assert roster.available("agent:ann", start - timedelta(microseconds=1))
    assert not roster.available("agent:ann", start)
    assert not roster.available("agent:ann", end - timedelta(microseconds=1))
    assert roster.available("agent:ann", end)


def test_availability_of_inactive_unknown_and_calendarless_agents() -> None:
    roster = Roster([agent("ann", active=False), agent("bob", calendar="missing")], (), CALENDARS)
    assert not roster.available("agent:ann", NOW)
    assert not roster.available("agent:bob", NOW)
    assert not roster.available("agent:zed", NOW)
    assert roster.agent("agent:ann") == agent("ann", active=False)
    assert roster.agent("agent:zed") is None


def test_naive_instants_are_refused() -> None:
    roster = Roster([agent("ann")], (), CALENDARS)
    with pytest.raises(ValidationError, match="routing time must be timezone-aware"):
        roster.decide(work(), loads={}, now=datetime(2026, 3, 2, 10))  # noqa: DTZ001
    with pytest.raises(ValidationError, match="routing time must be timezone-aware"):
        roster.available("agent:ann", datetime(2026, 3, 2, 10))  # noqa: DTZ001


def test_decisions_at_other_instants_do_not_reuse_shift_answers() -> None:
    roster = Roster([agent("ann", calendar="paris")], (), CALENDARS)
    evening = NOW + 8 * H
    assert roster.decide(work(), loads={}, now=NOW).agent == "agent:ann"
    assert roster.decide(work(), loads={}, now=evening).agent is None
    assert roster.decide(work(), loads={}, now=NOW).agent == "agent:ann"


def test_one_roster_follows_shift_and_absence_boundaries_to_the_microsecond() -> None:
    us = timedelta(microseconds=1)
    closing = datetime(2026, 3, 2, 16, tzinfo=UTC)  # 17:00 in Paris
    back = closing + 2 * H
    queue = Queue("q", strategy="least_loaded")
    roster = Roster(
        [agent("ann", calendar="paris"), agent("bob", away=(Absence(closing - H, back),))],
        (queue,),
        CALENDARS,
    )
    expected = [
        (closing - H - us, "agent:ann"),  # both on duty: id order
        (closing - H, "agent:ann"),  # bob leaves
        (closing - us, "agent:ann"),
        (closing, None),  # ann's shift ends
        (back - us, None),
        (back, "agent:bob"),  # bob is back
        (closing - us, "agent:ann"),  # and back in time
        (datetime(2026, 3, 3, 8, tzinfo=UTC) - us, "agent:bob"),  # Tuesday 08:59:59.999999
        (datetime(2026, 3, 3, 8, tzinfo=UTC), "agent:ann"),  # 09:00 in Paris
    ]
    for now, picked in expected:
        assert roster.decide(work(), loads={}, now=now).agent == picked, now
        assert roster.available("agent:ann", now) is (picked == "agent:ann" or now < closing - H)


# --- policy checks ---------------------------------------------------------------------------

ALLOWED = {
    "priority": ("critical", "high", "medium", "low"),
    "tier": ("standard", "premium"),
    "category": ("billing", "access"),
    "kind": ("incident", "question"),
    "channel": ("email", "chat"),
}


def test_a_sound_roster_has_no_problems() -> None:
    agents = (
        agent("ann", teams=("billing",), calendar="paris", tiers=("premium",)),
        agent("bob", away=(Absence(NOW, NOW + H),), capacity={"*": 0}),
    )
    queues = (
        Queue("vip", when=CaseCondition(tier=("premium",), requester_group=("acme",))),
        Queue(
            "billing",
            when=CaseCondition(category=("billing",), channel=("email", "chat")),
            team="billing",
            skills={"billing": 5},
            strategy="round_robin",
        ),
        Queue("rest", strategy="manual"),
    )
    assert list(routing_problems(agents, queues, ["paris", "24/7"], ALLOWED)) == []
    assert list(routing_problems((), (), [], ALLOWED)) == []


def test_every_routing_problem_is_reported_with_its_path() -> None:
    agents = (
        agent("ann", teams=("billing",), skills={"billing": 0, "vat": 6}),
        agent("ann", calendar="night"),
        Agent(id=" "),
        agent(
            "bob",
            tiers=("gold",),
            capacity={"fax": 1, "email": -1, "*": 2},
            away=(
                Absence(NOW, NOW),
                Absence(datetime(2026, 3, 2), NOW),  # noqa: DTZ001
            ),
        ),
    )
    queues = (
        Queue("any"),
        Queue(
            "odd",
            when=CaseCondition(priority=("urgent",), tier=("gold",), category=("x",)),
            strategy="lottery",
            team="sales",
            skills={"billing": 9},
        ),
        Queue("odd", when=CaseCondition(kind=("rant",), channel=("fax",))),
    )
    problems = list(routing_problems(agents, queues, ["paris", "24/7"], ALLOWED))
    assert problems == [
        "$.agents[0].skills.billing: level must be between 1 and 5, got 0",
        "$.agents[0].skills.vat: level must be between 1 and 5, got 6",
        "$.agents[1].id: 'agent:ann' is listed twice",
        "$.agents[1].calendar: unknown calendar 'night' (calendars: paris, 24/7)",
        "$.agents[2].id: must not be blank",
        "$.agents[3].tiers: expected one of standard, premium, got 'gold'",
        "$.agents[3].capacity.fax: unknown channel (channels: email, chat, *)",
        "$.agents[3].capacity.email: must be 0 or more, got -1",
        "$.agents[3].away[0]: ends at or before it starts "
        "(2026-03-02T10:00:00+00:00 to 2026-03-02T10:00:00+00:00)",
        "$.agents[3].away[1].start: 2026-03-02T00:00:00 has no time zone (add one, e.g. +00:00)",
        "$.queues[0]: only the last queue may have no conditions "
        "(the queues after it would never be used)",
        "$.queues[1].strategy: expected one of skill, round_robin, least_loaded, manual, "
        "got 'lottery'",
        "$.queues[1].team: unknown team 'sales' (teams: billing)",
        "$.queues[1].skills.billing: level must be between 1 and 5, got 9",
        "$.queues[1].when.priority: expected one of critical, high, medium, low, got 'urgent'",
        "$.queues[1].when.tier: expected one of standard, premium, got 'gold'",
        "$.queues[1].when.category: expected one of billing, access, got 'x'",
        "$.queues[2].name: 'odd' is listed twice",
        "$.queues[2].when.kind: expected one of incident, question, got 'rant'",
        "$.queues[2].when.channel: expected one of email, chat, got 'fax'",
        "$.queues[2]: the last queue must have no conditions (the fallback)",
    ]


def test_problem_paths_can_start_under_a_section() -> None:
    problems = routing_problems((), (Queue("q", team="x"),), [], {}, root="$.routing")
    assert list(problems) == [
        "$.routing.queues[0].team: unknown team 'x' (teams: none)",
    ]


def test_unlisted_values_are_not_checked() -> None:
    queues = (Queue("q", when=CaseCondition(channel=("fax",))), Queue("rest"))
    agents = (agent("ann", capacity={"fax": 1}, tiers=("gold",)),)
    assert list(routing_problems(agents, queues, [], {})) == []


# --- properties ------------------------------------------------------------------------------

IDS = tuple(f"agent:{name}" for name in ("ann", "bob", "cat", "dan", "eve", "fay", "gus"))
SKILLS = ("billing", "access", "vat")
CHANNELS = ("email", "chat", "phone")
INSTANTS = (
    NOW,  # Monday 11:00 in Paris: paris on, night off
    datetime(2026, 3, 2, 23, tzinfo=UTC),  # Monday night: paris off, night on
    datetime(2026, 3, 7, 12, tzinfo=UTC),  # Saturday: both off
)

levels = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3)


def sometimes(values: st.SearchStrategy[tuple[str, ...]]) -> st.SearchStrategy[tuple[str, ...]]:
    """Mostly empty (no restriction), sometimes ``values``: so that many agents qualify."""
    return st.one_of(st.just(()), st.just(()), values)


absences = sometimes(
    st.lists(
        st.builds(
            lambda start, hours: Absence(NOW + start * H, NOW + (start + hours) * H),
            st.integers(-24, 130),
            st.integers(1, 48),
        ),
        max_size=2,
    ).map(tuple)  # type: ignore[arg-type]
)
agents_strategy = st.lists(
    st.builds(
        Agent,
        id=st.sampled_from(IDS),
        teams=st.sampled_from(((), ("t1",), ("t2",), ("t1", "t2"), ("t1", "t2"))),
        skills=levels,
        languages=sometimes(st.lists(st.sampled_from(("en", "fr")), unique=True).map(tuple)),
        tiers=sometimes(st.lists(st.sampled_from(("standard", "premium")), unique=True).map(tuple)),
        capacity=st.dictionaries(
            st.sampled_from(("email", "chat", "*")), st.sampled_from((0, 1, 2, 3, 3)), min_size=1
        ),
        calendar=st.sampled_from((None, None, None, "paris", "night", "missing")),
        away=absences,
        active=st.sampled_from((True, True, True, False)),
    ),
    min_size=3,
    max_size=len(IDS),
    unique_by=lambda a: a.id,
)
queues_strategy = st.builds(
    Queue,
    name=st.just("q"),
    strategy=st.sampled_from(("skill", "round_robin", "least_loaded")),
    team=st.sampled_from((None, None, "t1", "t2")),
    skills=st.one_of(st.just({}), st.just({}), levels),
)
works = st.builds(
    Work,
    case_id=st.just("C1"),
    channel=st.sampled_from(CHANNELS),
    priority=st.just("high"),
    category=st.sampled_from((None, *SKILLS, "outage")),
    kind=st.just("incident"),
    tier=st.sampled_from(("standard", "premium")),
    language=st.sampled_from((None, None, "en", "fr", "de")),
    requester_group=st.just("acme"),
)
loads_strategy = st.dictionaries(
    st.tuples(st.sampled_from(IDS), st.sampled_from(CHANNELS)), st.integers(0, 3), max_size=6
)
INSTANT = st.sampled_from((*INSTANTS, NOW + 2 * H, NOW + 30 * H))
"""Mostly the Paris shift; sometimes the night shift or a weekend."""


def requirement(queue: Queue, item: Work) -> Mapping[str, int]:
    if queue.skills or queue.strategy != "skill" or item.category is None:
        return queue.skills
    return {item.category: 1}


def eligible(
    someone: Agent, queue: Queue, item: Work, loads: Mapping[tuple[str, str], int], now: datetime
) -> bool:
    """The rules of eligibility, written out plainly."""
    limit = someone.capacity.get(item.channel, someone.capacity.get("*"))
    shift = None if someone.calendar is None else CALENDARS.get(someone.calendar)
    return (
        someone.active
        and (someone.calendar is None or (shift is not None and shift.is_open(now)))
        and not any(a.start <= now < a.end for a in someone.away)
        and (queue.team is None or queue.team in someone.teams)
        and (not someone.tiers or item.tier in someone.tiers)
        and (item.language is None or not someone.languages or item.language in someone.languages)
        and limit is not None
        and loads.get((someone.id, item.channel), 0) < limit
        and all(
            someone.skills.get(skill, 0) >= level
            for skill, level in requirement(queue, item).items()
        )
    )


def reference(
    agents: Sequence[Agent],
    queue: Queue,
    item: Work,
    loads: Mapping[tuple[str, str], int],
    now: datetime,
    cursor: str | None,
) -> str | None:
    """The agent the rules pick, found by looking at every agent."""
    able = sorted((a for a in agents if eligible(a, queue, item, loads, now)), key=lambda a: a.id)
    if not able:
        return None

    def share(a: Agent) -> tuple[Fraction, int, str]:
        load = loads.get((a.id, item.channel), 0)
        limit = a.capacity_on(item.channel)
        assert limit
        return Fraction(load, limit), load, a.id

    if queue.strategy == "least_loaded":
        return min(able, key=share).id
    if queue.strategy == "skill":
        needed = requirement(queue, item)
        best = max(sum(a.skills.get(s, 0) for s in needed) for a in able)
        return min(
            (a for a in able if sum(a.skills.get(s, 0) for s in needed) == best), key=share
        ).id
    known = cursor is not None and any(a.id == cursor for a in agents)
    after = [a for a in able if known and cursor is not None and a.id > cursor]
    return (after or able)[0].id


@settings(max_examples=200)
@given(
    agents=agents_strategy,
    queue=queues_strategy,
    item=works,
    loads=loads_strategy,
    now=INSTANT,
    cursor=st.none() | st.sampled_from((*IDS, "agent:zed")),
)
def test_every_decision_is_the_one_the_rules_pick(
    agents: list[Agent],
    queue: Queue,
    item: Work,
    loads: dict[tuple[str, str], int],
    now: datetime,
    cursor: str | None,
) -> None:
    roster = Roster(agents, (queue,), CALENDARS)
    decision = roster.decide(item, loads=loads, now=now, cursor=cursor)
    assert decision.agent == reference(agents, queue, item, loads, now, cursor)
    if decision.agent is not None:
        chosen = next(a for a in agents if a.id == decision.agent)
        assert eligible(chosen, queue, item, loads, now)
        assert roster.refusal(chosen.id, item, loads=loads, now=now) is None
        assert roster.available(chosen.id, now)
    else:
        assert not any(eligible(a, queue, item, loads, now) for a in agents)
        members = [a for a in agents if queue.team is None or queue.team in a.teams]
        head = {0: "no candidates: ", 1: "1 candidate: "}.get(len(members), f"{len(members)} ")
        assert decision.reason.startswith(head)
    for someone in agents:
        refused = roster.refusal(someone.id, item, loads=loads, now=now)
        assert (refused is None) == eligible(someone, queue, item, loads, now)
    if queue.strategy == "round_robin":
        assert decision.cursor == (decision.agent or cursor)


BOUNDARIES = st.builds(
    lambda hour, nudge: NOW + hour * H + nudge * timedelta(microseconds=1),
    st.integers(-30, 180),
    st.sampled_from((-1, 0, 0, 1)),
)
"""Instants on and next to the hours where shifts (Paris: 8 and 16 UTC; night: 22 and 6)
and the generated absences begin and end."""


@settings(max_examples=100)
@given(
    agents=agents_strategy,
    queue=queues_strategy,
    steps=st.lists(st.tuples(BOUNDARIES, works, loads_strategy), min_size=1, max_size=12),
)
def test_decisions_stay_right_as_time_moves_back_and_forth(
    agents: list[Agent],
    queue: Queue,
    steps: list[tuple[datetime, Work, dict[tuple[str, str], int]]],
) -> None:
    roster = Roster(agents, (queue,), CALENDARS)
    for now, item, loads in steps:
        decision = roster.decide(item, loads=loads, now=now, cursor=None)
        assert decision.agent == reference(agents, queue, item, loads, now, None), now


@given(
    agents=agents_strategy,
    queue=queues_strategy.map(lambda q: Queue("q", strategy="skill", team=q.team, skills=q.skills)),
    item=works,
    loads=loads_strategy,
    now=INSTANT,
)
def test_the_skill_strategy_never_picks_an_agent_below_a_required_level(
    agents: list[Agent],
    queue: Queue,
    item: Work,
    loads: dict[tuple[str, str], int],
    now: datetime,
) -> None:
    decision = Roster(agents, (queue,), CALENDARS).decide(item, loads=loads, now=now)
    if decision.agent is not None:
        chosen = next(a for a in agents if a.id == decision.agent)
        for skill, level in requirement(queue, item).items():
            assert chosen.skills.get(skill, 0) >= level


@given(
    steady=st.integers(1, 4),
    flickering=st.integers(0, 3),
    steps=st.lists(
        st.tuples(st.lists(st.booleans(), min_size=3, max_size=3), st.integers(0, 300)),
        max_size=60,
    ),
)
def test_round_robin_is_fair_to_agents_who_are_always_available(
    steady: int, flickering: int, steps: list[tuple[list[bool], int]]
) -> None:
    """Some agents are always available; others come and go (busy, or away for a while)."""
    # Ids interleave the two kinds in the rotation: agent:0f, agent:0s, agent:1f, ...
    always = [Agent(id=f"agent:{i}s", capacity={"*": 10**9}) for i in range(steady)]
    others = [
        Agent(
            id=f"agent:{i}f",
            capacity={"*": 1},
            away=(Absence(NOW + (20 * i + 5) * H, NOW + (20 * i + 15) * H),),
        )
        for i in range(flickering)
    ]
    roster = Roster([*others, *always], (Queue("rr", strategy="round_robin"),), CALENDARS)
    counts = Counter[str]()
    cursor = None
    now = NOW
    for busy, minutes in steps:
        now += timedelta(minutes=minutes)
        loads = {(a.id, "email"): int(flag) for a, flag in zip(others, busy, strict=False)}
        decision = roster.decide(work(), loads=loads, now=now, cursor=cursor)
        assert decision.agent is not None
        counts[decision.agent] += 1
        cursor = decision.cursor
        given_out = [counts[a.id] for a in always]
        assert max(given_out) - min(given_out) <= 1


@given(
    agents=agents_strategy,
    queue=queues_strategy,
    events=st.lists(
        st.one_of(
            st.tuples(st.just("arrive"), works, INSTANT),
            st.tuples(st.just("resolve"), st.integers(0, 10**6), st.just(NOW)),
        ),
        max_size=40,
    ),
)
def test_no_agent_ever_exceeds_capacity(
    agents: list[Agent], queue: Queue, events: list[tuple[str, Any, datetime]]
) -> None:
    roster = Roster(agents, (queue,), CALENDARS)
    loads: Counter[tuple[str, str]] = Counter()
    held: list[tuple[str, str]] = []
    cursor = None
    for kind, what, now in events:
        if kind == "resolve":
            if held:
                loads[held.pop(what % len(held))] -= 1
            continue
        decision = roster.decide(what, loads=loads, now=now, cursor=cursor)
        cursor = decision.cursor
        if decision.agent is not None:
            key = (decision.agent, what.channel)
            loads[key] += 1
            held.append(key)
        for (someone, channel), load in loads.items():
            limit = roster.agent(someone).capacity_on(channel)  # type: ignore[union-attr]
            assert load <= (limit or 0)


def test_strategies_are_the_documented_ones() -> None:
    assert STRATEGIES == ("skill", "round_robin", "least_loaded", "manual")
