"""Scenarios as data: shipped ones load, bad ones say what is wrong and where."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow.errors import ValidationError
from serviceflow.scenario import Duration, builtin_scenarios, load_scenario

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
