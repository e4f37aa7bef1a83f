"""Scenarios as data: shipped ones load, bad ones say what is wrong and where."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

import pytest
from attrs import evolve
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from serviceflow.cli._main import cli
from serviceflow.errors import ValidationError
from serviceflow.simulation._scenario import builtin_scenarios, check_scenario, load_scenario
from serviceflow.simulation._scenario_parts import DAYS, Duration, ScriptedEvent

BASE: dict[str, Any] = {
    "name": "t",
    "start": "2026-03-02T00:00:00+00:00",
    "arrivals": {"per_week": 100},
    "agents": [{"name": "a", "count": 2}],
}


def scenario(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load_scenario(data)
    return list(caught.value.problems)


def test_shipped_scenarios_load() -> None:
    assert set(builtin_scenarios()) >= {"week", "erlang", "friday_outage"}
    for name in builtin_scenarios():
        found = load_scenario(name)
        assert found.name == name
        assert found.desk_policy().automation.route


def test_unknown_name_lists_the_built_ins() -> None:
    with pytest.raises(ValidationError, match="no scenario named 'nope'") as caught:
        load_scenario("nope")
    assert "week" in caught.value.problems[0]


def test_structure_errors_have_paths() -> None:
    found = problems(scenario(arrivals={"per_week": "many"}, colour="red"))
    assert any(p.startswith("$.arrivals.per_week:") for p in found)
    assert any("colour" in p for p in found)


def test_checks_beyond_types() -> None:
    found = problems(
        scenario(
            start="2026-03-03T00:00:00+00:00",
            arrivals={"per_week": -5, "daily": [1, 2]},
            mix={"channel": {"fax": 1.0}},
            chances={"reopen": 1.5},
            events=[{"at": "someday", "kind": "party"}],
        )
    )
    joined = "\n".join(found)
    assert "$.start: must be a Monday (in UTC), got Tuesday" in joined
    assert "$.arrivals.per_week: must not be negative, got -5" in joined
    assert "$.arrivals.daily: expected 24 hourly weights, got 2" in joined
    assert "$.mix.channel.fax: unknown channel" in joined
    assert "$.chances.reopen: must be between 0 and 1, got 1.5" in joined
    assert "$.events[0].kind: expected one of burst, absent" in joined
    assert "$.events[0].at: expected an ISO date-time" in joined


def test_policy_problems_are_under_policy() -> None:
    found = problems(scenario(policy={"priority": {"levels": "x"}}))
    assert any(p.startswith("$.policy: ") for p in found)


def test_unknown_shift_is_named() -> None:
    found = problems(scenario(agents=[{"name": "a", "count": 1, "shift": "night"}]))
    assert any(p.startswith("$.agents[0].shift: no shift") for p in found)


def test_weekday_times_resolve_in_the_zone() -> None:
    found = load_scenario("friday_outage")
    burst = next(e for e in found.events if e.kind == "burst")
    # 16:55 in London on Friday 6 March 2026 (GMT, no DST yet)
    assert found.instant(burst) == datetime(2026, 3, 6, 16, 55, tzinfo=UTC)


def test_policy_file_relative_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "desk.toml").write_text('name = "from file"\nchannels = ["email", "fax"]\n')
    (tmp_path / "s.toml").write_text(
        'name = "s"\nstart = 2026-03-02T00:00:00Z\npolicy_file = "desk.toml"\n'
        "[arrivals]\nper_week = 10\n[mix]\nchannel = { fax = 1.0 }\n"
        '[policy]\nname = "inline wins"\n'
    )
    found = load_scenario(tmp_path / "s.toml")
    policy = found.desk_policy()
    assert policy.name == "inline wins"
    assert "fax" in policy.channels


def test_agents_and_shifts_go_into_the_policy() -> None:
    found = load_scenario(
        scenario(
            shifts={"day": {"mon": ["09:00-17:00"]}},
            agents=[{"name": "a", "count": 2, "shift": "day", "capacity": {"*": 2}}],
        )
    )
    policy = found.desk_policy()
    assert [a.id for a in policy.agents] == ["agent:a-1", "agent:a-2"]
    assert policy.agents[0].calendar == "day"
    assert "day" in policy.calendars


def test_staffing_override_scales_counts() -> None:
    found = load_scenario(scenario()).with_overrides(staffing=2.5)
    assert len(found.agent_ids()) == 5
    with pytest.raises(ValidationError, match="what-if"):
        load_scenario(scenario()).with_overrides(staffing=0)


def test_staffing_rounds_half_up_and_keeps_at_least_one() -> None:
    base = load_scenario(scenario(agents=[{"name": "a", "count": 1}, {"name": "b", "count": 5}]))
    assert len(base.with_overrides(staffing=2.5).agent_ids()) == 3 + 13  # 2.5 → 3, 12.5 → 13
    assert base.with_overrides(staffing=0.5).agent_ids() == (
        "agent:a-1",  # 0.5 → 1 (and at least one)
        *(f"agent:b-{n}" for n in (1, 2, 3)),  # 2.5 → 3, not 2
    )
    with pytest.raises(ValidationError) as caught:
        base.with_overrides(staffing=float("nan"))
    assert caught.value.problems[0].startswith("$.staffing: must be above 0")


def test_staffing_keeps_the_first_ids_and_cannot_invent_more() -> None:
    ids = ["agent:ann", "agent:bob", "agent:cy", "agent:dee"]
    base = load_scenario(
        scenario(agents=[{"name": "a", "count": 2}, {"name": "named", "ids": ids}])
    )
    halved = base.with_overrides(staffing=0.5)
    assert halved.agent_ids() == ("agent:a-1", "agent:ann", "agent:bob")
    assert base.with_overrides(staffing=1.0).agent_ids() == base.agent_ids()
    with pytest.raises(ValidationError, match="what-if") as caught:
        base.with_overrides(staffing=1.5)
    assert caught.value.problems == (
        "$.agents[1].ids: staffing ×1.5 would need 6 agents in group 'named', which names 4 "
        "by id; give it a count instead, or a factor that does not grow it",
    )


def test_staffing_that_drops_an_absent_agent_is_refused() -> None:
    ids = ["agent:ann", "agent:bob"]
    base = load_scenario(
        scenario(
            agents=[{"name": "named", "ids": ids}],
            events=[{"at": "mon 10:00", "kind": "absent", "agent": "agent:bob"}],
        )
    )
    with pytest.raises(ValidationError) as caught:
        base.with_overrides(staffing=0.5)
    assert "$.events[0].agent: not a simulated agent: 'agent:bob'" in caught.value.problems


ZERO_WEIGHTS: list[tuple[dict[str, Any], str]] = [
    ({"chances": {"survey": 1.0, "csat": {"1": 0, "5": 0}}}, "$.chances.csat"),
    ({"chances": {"survey": 1.0, "csat": {}}}, "$.chances.csat"),
    ({"arrivals": {"per_week": 100, "weekly": dict.fromkeys(DAYS, 0)}}, "$.arrivals.weekly"),
    ({"arrivals": {"per_week": 100, "daily": [0] * 24}}, "$.arrivals.daily"),
    ({"mix": {"channel": {"email": 0, "chat": 0}}}, "$.mix.channel"),
    ({"mix": {"category": {"billing": 0.0}}}, "$.mix.category"),
]


@pytest.mark.parametrize(("changes", "path"), ZERO_WEIGHTS)
def test_weight_tables_must_add_up_to_more_than_zero(changes: dict[str, Any], path: str) -> None:
    # All-zero CSAT weights used to pass and crash the run (ZeroDivisionError) mid-week.
    found = problems(scenario(**changes))
    assert f"{path}: the weights add up to 0; at least one must be above 0" in found


def test_zero_weights_stop_the_cli_before_the_database_is_written(tmp_path: Path) -> None:
    source = tmp_path / "bad.toml"
    source.write_text(
        'name = "bad"\nstart = 2026-03-02T00:00:00Z\nduration = "1h"\n'
        "[arrivals]\nper_week = 1000\n[chances]\nsurvey = 1.0\n"
        'csat = { "4" = 0, "5" = 0 }\n'
    )
    db = tmp_path / "sim.db"
    args = ["simulate", str(source), "--db", str(db), "--html", "", "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "$.chances.csat: the weights add up to 0" in result.output
    assert not db.exists()


def test_unknown_skill_is_refused_at_the_group() -> None:
    # A skill the policy knows nowhere (not a category, not a queue's skill) routes nothing.
    found = problems(
        scenario(
            agents=[
                {"name": "a", "count": 2, "skills": {"billing": 3}},
                {"name": "b", "count": 2, "skills": {"biling": 3, "access": 2}},
            ]
        )
    )
    assert len(found) == 1
    assert found[0].startswith("$.agents[1].skills.biling: unknown skill; the policy's ")
    assert "billing" in found[0]


def test_a_queue_skill_is_a_known_skill() -> None:
    queues = [{"name": "all", "skills": {"german": 2}}]
    agents = [{"name": "a", "count": 1, "skills": {"german": 3}}]
    found = load_scenario(scenario(agents=agents, policy={"queues": queues}))
    assert found.desk_policy().agents[0].skills == {"german": 3}


def test_policy_problems_of_a_group_are_reported_once_at_the_group() -> None:
    found = problems(
        scenario(
            agents=[
                {"name": "a", "count": 2},
                {"name": "b", "count": 3, "skills": {"billing": 9}, "capacity": {"fax": 2}},
            ],
            policy={"agents": [{"id": "agent:x", "capacity": {"telex": 1}}]},
        )
    )
    assert found == [
        "$.policy: $.agents[0].capacity.telex: unknown channel "
        "(channels: email, web, chat, phone, api, *)",
        "$.agents[1].skills.billing: level must be between 1 and 5, got 9",
        "$.agents[1].capacity.fax: unknown channel (channels: email, web, chat, phone, api, *)",
    ]


def test_event_keys_the_kind_does_not_take_are_refused() -> None:
    events = [
        {"at": "mon 10:00", "kind": "burst", "agent": "agent:a-1", "count": 2},
        {"at": "mon 11:00", "kind": "absent", "agent": "agent:a-1", "channel": "phone"},
    ]
    found = problems(scenario(events=events))
    assert found == [
        "$.events[0].agent: not a key of 'burst' events, which take at, kind, count, spread, "
        "category, case_kind, channel, impact, urgency, tier, subject",
        "$.events[1].channel: not a key of 'absent' events, which take at, kind, agent, duration",
    ]
    # built in code: a field set away from its default counts as given
    good = load_scenario(scenario())
    burst = ScriptedEvent(at="mon 10:00", agent="agent:a-1")
    with pytest.raises(ValidationError) as caught:
        check_scenario(evolve(good, events=(burst,)))
    assert caught.value.problems[0].startswith("$.events[0].agent: not a key of 'burst'")


@given(st.floats(1, 3600), st.floats(0.1, 2.0), st.integers(0, 2**32))
def test_lognormal_draws_are_positive(mean: float, cv: float, seed: int) -> None:
    from datetime import timedelta

    dist = Duration(mean=timedelta(seconds=mean), cv=cv)
    assert dist.sample(Random(seed)) > 0


def test_lognormal_mean_is_the_mean() -> None:
    from datetime import timedelta

    dist = Duration(mean=timedelta(minutes=10), cv=0.8)
    rng = Random(1)
    draws = [dist.sample(rng) for _ in range(20_000)]
    assert sum(draws) / len(draws) == pytest.approx(600, rel=0.03)
