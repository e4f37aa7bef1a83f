"""Erlang C against published worked examples, and its invariants (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.capacity._erlang import (
    StaffingTarget,
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    occupancy,
    performance,
    rostered,
    service_level,
    traffic_intensity,
    wait_probability,
)
from serviceflow.errors import ValidationError

# --- published worked examples ------------------------------------------------------------


def test_call_centre_helper_worked_example() -> None:
    """Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
    (callcentrehelper.com): 100 calls per 30 minutes, AHT 180 s, 80 % in 20 s, maximum
    occupancy 85 %, shrinkage 30 %. The article finds A = 10 Erlangs; with 14 agents
    P(wait) = 0.1741, service level 88.8 %, ASA 7.8 s, 82.6 % answered immediately,
    occupancy 71.4 %; and 14 / (1 − 0.3) = 20 agents to roster. Tolerances follow the
    article's rounding."""
    intensity = traffic_intensity(100, 30 * 60, 180)
    assert intensity == pytest.approx(10.0)
    figures = performance(14, intensity, handle_seconds=180, answer_seconds=20)
    assert figures.wait_probability == pytest.approx(0.1741, abs=5e-5)
    assert figures.service_level == pytest.approx(0.888, abs=5e-4)
    assert figures.average_speed_of_answer == pytest.approx(7.8, abs=0.05)
    assert figures.answered_immediately == pytest.approx(0.826, abs=5e-4)
    assert figures.occupancy == pytest.approx(0.714, abs=5e-4)
    target = StaffingTarget(service_level=0.8, answer_seconds=20, max_occupancy=0.85, shrinkage=0.3)
    needed = agents_needed(intensity, handle_seconds=180, target=target)
    assert (needed.agents, needed.rostered, needed.binding) == (14, 20, "service_level")
    # 13 agents fall just short of 80 %, which is why the article goes on to 14.
    assert service_level(13, intensity, handle_seconds=180, answer_seconds=20) < 0.8


def test_erlang_c_step_by_step_example_360_calls_per_half_hour() -> None:
    """ "The Erlang-C Formula" step-by-step page (Mitan Ltd, widely reproduced): 360 calls
    per half hour, average call duration 4 minutes, 55 agents, target answer time 15 s.
    Traffic intensity 48 Erlangs, occupancy 87.3 %, probability of waiting 23.87 % and an
    average speed of answer of 8.18 s (the same checkpoint is pinned, to 4 decimals, in
    independent published test suites of Erlang C calculators)."""
    intensity = traffic_intensity(360, 30 * 60, 4 * 60)
    assert intensity == pytest.approx(48.0)
    assert occupancy(55, intensity) == pytest.approx(0.873, abs=5e-4)
    assert wait_probability(55, intensity) == pytest.approx(0.2387, abs=5e-5)
    asa = average_speed_of_answer(55, intensity, handle_seconds=240)
    assert asa == pytest.approx(8.18, abs=5e-3)
    level = service_level(55, intensity, handle_seconds=240, answer_seconds=15)
    assert level == pytest.approx(1 - 0.2387 * math.exp(-7 * 15 / 240), abs=1e-4)


def test_westbay_cc_excel_service_level_example() -> None:
    """Westbay Engineers' forum, thread "CCXLService" (Tom Howard, 12 January 2021): 21
    agents, 57 calls an hour of 1,110 s, target answer time 180 s give a service level of
    80.7 % (CC-Excel and Westbay Traffic Calculators agree); with a 20 s target the
    agents needed for 80 % rise from 21 to 23."""
    intensity = traffic_intensity(57, 3600, 1110)
    assert service_level(21, intensity, handle_seconds=1110, answer_seconds=180) == (
        pytest.approx(0.807, abs=5e-4)
    )
    at_180 = agents_needed(
        intensity, handle_seconds=1110, target=StaffingTarget(0.8, answer_seconds=180)
    )
    at_20 = agents_needed(
        intensity, handle_seconds=1110, target=StaffingTarget(0.8, answer_seconds=20)
    )
    assert (at_180.agents, at_20.agents) == (21, 23)


def test_erlang_b_table_value() -> None:
    """Erlang B tables (e.g. the ITU-T / Westbay Erlang B table): 5 Erlangs offered to 10
    trunks are blocked 1.84 % of the time; one Erlang on one trunk, 50 %."""
    assert erlang_b(10, 5.0) == pytest.approx(0.0184, abs=5e-5)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


# --- definitions and edges ----------------------------------------------------------------


def _direct_erlang_c(agents: int, intensity: float) -> float:
    """The textbook sum in log space (lgamma), independent of the recursion."""
    logs = [k * math.log(intensity) - math.lgamma(k + 1) for k in range(agents)]
    top = (
        agents * math.log(intensity)
        - math.lgamma(agents + 1)
        + math.log(agents / (agents - intensity))
    )
    peak = max([*logs, top])
    below = sum(math.exp(v - peak) for v in logs)
    return math.exp(top - peak) / (below + math.exp(top - peak))


@pytest.mark.parametrize(("agents", "intensity"), [(3, 2.5), (14, 10.0), (55, 48.0), (900, 870.5)])
def test_recursion_matches_the_direct_formula(agents: int, intensity: float) -> None:
    assert wait_probability(agents, intensity) == pytest.approx(
        _direct_erlang_c(agents, intensity), rel=1e-9
    )


def test_an_overloaded_queue_says_so() -> None:
    figures = performance(10, 10.0, handle_seconds=180, answer_seconds=20)
    assert not figures.stable
    assert figures.wait_probability == 1.0
    assert figures.service_level == 0.0
    assert figures.average_speed_of_answer == math.inf
    assert figures.occupancy == 1.0
    assert not performance(3, 7.5, handle_seconds=60, answer_seconds=20).stable


def test_no_demand_needs_nobody_unless_a_minimum_is_set() -> None:
    idle = agents_needed(0.0, handle_seconds=300, target=StaffingTarget())
    assert (idle.agents, idle.rostered, idle.binding) == (0, 0, "no_demand")
    assert idle.performance.service_level == 1.0
    assert idle.performance.stable
    staffed = agents_needed(
        0.0, handle_seconds=300, target=StaffingTarget(min_agents=2, shrinkage=0.5)
    )
    assert (staffed.agents, staffed.rostered, staffed.binding) == (2, 4, "minimum")


def test_occupancy_cap_raises_the_number() -> None:
    """At 500 Erlangs, 80/20 needs few agents above A; an 85 % cap needs ceil(500/0.85)."""
    loose = agents_needed(500.0, handle_seconds=300, target=StaffingTarget(0.8, 20))
    capped = agents_needed(500.0, handle_seconds=300, target=StaffingTarget(0.8, 20, 0.85))
    assert loose.agents < 589
    assert (capped.agents, capped.binding) == (589, "occupancy")
    assert capped.performance.occupancy <= 0.85


def test_asa_target_can_bind() -> None:
    target = StaffingTarget(0.5, 60, max_asa_seconds=2.0)
    needed = agents_needed(10.0, handle_seconds=180, target=target)
    assert needed.binding == "asa"
    assert needed.performance.average_speed_of_answer <= 2.0
    before = performance(needed.agents - 1, 10.0, handle_seconds=180, answer_seconds=60)
    assert before.average_speed_of_answer > 2.0


def test_shrinkage_rounding_is_not_fooled_by_floats() -> None:
    assert 21 / (1 - 0.3) > 30  # 30.000000000000004
    assert rostered(21, 0.3) == 30
    assert rostered(14, 0.3) == 20
    assert rostered(15, 0.3) == 22
    assert rostered(0, 0.3) == 0


def test_bad_inputs_name_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match="intensity: expected a number ≥ 0"):
        wait_probability(5, -1.0)
    with pytest.raises(ValidationError, match="agents: expected a whole number"):
        performance(-1, 2.0, handle_seconds=10, answer_seconds=5)
    with pytest.raises(ValidationError, match="handle_seconds: expected a number > 0"):
        agents_needed(2.0, handle_seconds=0, target=StaffingTarget())
    with pytest.raises(ValidationError, match=r"service_level: .*write 0.8 for 80 %"):
        StaffingTarget(service_level=80)
    with pytest.raises(ValidationError) as caught:
        StaffingTarget(service_level=1.0, shrinkage=1.0, max_occupancy=0, max_asa_seconds=0)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "service_level",
        "max_occupancy",
        "shrinkage",
        "max_asa_seconds",
    ]
    with pytest.raises(ValidationError, match="arrivals: expected a finite number"):
        traffic_intensity(math.nan, 900, 180)


# --- properties ---------------------------------------------------------------------------

loads = st.floats(min_value=0.01, max_value=1500, allow_nan=False)
handles = st.floats(min_value=1, max_value=3600, allow_nan=False)
answers = st.floats(min_value=0, max_value=600, allow_nan=False)


@given(intensity=loads, extra=st.integers(1, 400), handle=handles, answer=answers)
def test_service_level_grows_with_agents(
    intensity: float, extra: int, handle: float, answer: float
) -> None:
    agents = math.floor(intensity) + extra
    here = service_level(agents, intensity, handle_seconds=handle, answer_seconds=answer)
    more = service_level(agents + 1, intensity, handle_seconds=handle, answer_seconds=answer)
    assert more >= here - 1e-12


@given(agents=st.integers(0, 2000), intensity=st.floats(0, 1500, allow_nan=False))
@settings(max_examples=150)
def test_figures_stay_finite_and_in_range(agents: int, intensity: float) -> None:
    figures = performance(agents, intensity, handle_seconds=300, answer_seconds=20)
    assert 0.0 <= figures.wait_probability <= 1.0
    assert 0.0 <= figures.service_level <= 1.0
    assert 0.0 <= figures.occupancy <= 1.0
    assert not math.isnan(figures.average_speed_of_answer)
    assert figures.stable == (intensity == 0 or agents > intensity)
    assert math.isfinite(figures.average_speed_of_answer) == figures.stable
    assert 0.0 <= erlang_b(agents, intensity) <= 1.0


targets = st.builds(
    StaffingTarget,
    service_level=st.floats(0.05, 0.99),
    answer_seconds=answers,
    max_occupancy=st.floats(0.5, 1.0),
    shrinkage=st.floats(0.0, 0.6),
    max_asa_seconds=st.none() | st.floats(0.5, 300),
)


@given(intensity=loads, handle=handles, target=targets)
@settings(max_examples=150)
def test_agents_needed_is_the_smallest_that_meets_every_target(
    intensity: float, handle: float, target: StaffingTarget
) -> None:
    needed = agents_needed(intensity, handle_seconds=handle, target=target)
    figures = needed.performance
    assert figures.stable
    assert figures.service_level >= target.service_level
    assert figures.occupancy <= target.max_occupancy + 1e-9
    if target.max_asa_seconds is not None:
        assert figures.average_speed_of_answer <= target.max_asa_seconds
    assert needed.rostered * (1 - target.shrinkage) >= needed.agents - 1e-9
    assert (needed.rostered - 1) * (1 - target.shrinkage) < needed.agents
    fewer = needed.agents - 1
    if needed.binding == "occupancy":
        assert intensity / fewer > target.max_occupancy
    else:
        below = performance(
            fewer, intensity, handle_seconds=handle, answer_seconds=target.answer_seconds
        )
        fails_asa = (
            target.max_asa_seconds is not None
            and below.average_speed_of_answer > target.max_asa_seconds
        )
        assert below.service_level < target.service_level or fails_asa or not below.stable
