"""PDCA cycles end to end on a manual clock: plan, dry run, do, check, standardise or roll back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow import ManualClock, ServiceDesk
from serviceflow.analytics._kpi_sample import Kpi, rate_kpi
from serviceflow.desk._aggregate import Streams
from serviceflow.domain.policy._policy import load_policy
from serviceflow.errors import InvalidTransition, NotFound, PolicyError, ValidationError
from serviceflow.eventlog._policy_log import version_in_force
from serviceflow.improvement._cycle import (
    CANCELLED,
    CHECKING,
    DOING,
    PLANNED,
    ROLLED_BACK,
    STANDARDISED,
    STATES,
)
from serviceflow.improvement._evolve import KIND
from serviceflow.improvement._patch import apply_patch, merge
from serviceflow.improvement._report import list_row, show_rows
from serviceflow.improvement._service import Improvement
from serviceflow.improvement._workflow import ALLOWED, MACHINE, fire

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def _level(within: str) -> list[dict[str, Any]]:
    target = {"within": within, "time": "calendar", "warnings": []}
    return [{"name": "standard", "targets": {"first_response": target}}]


POLICY = load_policy({"sla": _level("1h")})
FIRST_RESPONSE_SLA = rate_kpi("sla", "first_response")
P90_FIRST_RESPONSE = Kpi("first_response", "p90", "calendar")


def _answered(desk: ServiceDesk, clock: ManualClock, n: int, after: timedelta) -> list[str]:
    """Submit ``n`` billing cases now, triage them, and acknowledge them ``after`` later."""
    ids = []
    for i in range(n):
        case = desk.submit(requester=f"acme/c{i}@acme.test", channel="email", subject="Invoice")
        desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(case.id, impact="medium", urgency="medium", by="agent:kim")
        desk.assign(case.id, to="agent:kim", by="lead:ana")
        ids.append(case.id)
    clock.advance(after)
    for case_id in ids:
        desk.acknowledge(case_id, by="agent:kim", message="On it")
    return ids


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def desk(store_url: str, clock: ManualClock) -> Any:
    with ServiceDesk.open(store_url, policy=POLICY, clock=clock, entry_points=False) as opened:
        yield opened


def test_a_cycle_that_meets_its_target_is_standardised(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    _answered(desk, clock, 6, 2 * H)  # every first response breaches the 1h target
    clock.advance(H)
    improvement = Improvement(desk)
    planned = improvement.plan(
        kpi=FIRST_RESPONSE_SLA,
        scope={"category": "billing"},
        baseline=(T0, clock.now()),
        target=0.9,
        hypothesis="3h is what billing can promise",
        patch={"sla": _level("3h")},
        note="SOP: billing promises a first answer within 3 hours",
        by="lead:ana",
        min_count=5,
    )
    assert planned.id == "PDCA-1"
    assert planned.state == PLANNED
    assert (planned.baseline.value, planned.baseline.count) == (0.0, 6)
    base = desk.policy.version

    run = improvement.dry_run(planned.id, by="lead:ana")
    assert (run.baseline_value, run.predicted_value, run.count) == (0.0, 1.0, 6)
    assert "human behaviour" in run.caveat
    assert desk.policy.version == base  # a dry run changes nothing

    done = improvement.do(planned.id, by="lead:ana")
    assert done.state == DOING
    assert desk.policy.version == done.applied_version == planned.patched_version != base
    assert version_in_force(desk.store) == done.applied_version

    clock.advance(M)
    _answered(desk, clock, 6, 2 * H)  # same behaviour, now within the 3h target
    checked = improvement.check(planned.id, by="lead:ana")
    assert checked.state == CHECKING
    assert checked.check is not None
    result = checked.check.effect
    assert (result.before, result.after, result.difference) == (0.0, 1.0, 1.0)
    assert (result.low, result.high) == (1.0, 1.0)
    assert result.warnings == ()
    assert checked.check.target_met

    final = improvement.standardise(planned.id, by="lead:ana", sop="billing SOP v2")
    assert (final.state, final.decision, final.sop) == (
        STANDARDISED,
        STANDARDISED,
        "billing SOP v2",
    )
    assert desk.policy.version == final.in_force == done.applied_version
    assert version_in_force(desk.store) == done.applied_version
    assert desk.verify("improvement:PDCA-1").ok
    assert improvement.get("PDCA-1") == final
    rows = dict(show_rows(final))
    assert "target met" in rows["result"]
    assert list_row(final)[1] == STANDARDISED


def test_a_cycle_that_does_not_improve_is_rolled_back(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    _answered(desk, clock, 6, 2 * H)
    clock.advance(H)
    improvement = Improvement(desk)
    base = desk.policy.version
    cycle = improvement.plan(
        kpi=P90_FIRST_RESPONSE,
        baseline=(T0, clock.now()),
        target=3600,
        patch={"sla": _level("4h")},
        hypothesis="a looser target does not make anyone faster",
        by="lead:ana",
        min_count=10,
    )
    assert cycle.baseline.value == 7200
    run = improvement.dry_run(cycle.id, by="lead:ana")
    assert run.predicted_value == 7200  # what people did is replayed as it was
    improvement.do(cycle.id, by="lead:ana")
    clock.advance(M)
    _answered(desk, clock, 6, 2 * H)
    checked = improvement.check(cycle.id, by="lead:ana")
    assert checked.check is not None
    assert not checked.check.target_met
    assert checked.check.effect.difference == 0
    assert any("fewer than 10" in w for w in checked.check.effect.warnings)

    rolled = improvement.roll_back(cycle.id, by="lead:ana", reason="no faster answers")
    assert (rolled.state, rolled.in_force) == (ROLLED_BACK, base)
    assert desk.policy.version == base
    assert version_in_force(desk.store) == base
    fresh = desk.submit(requester="acme/new@acme.test", channel="email", subject="Again")
    clocks = {c.metric: c for c in desk.sla(fresh.id).clocks}
    assert clocks["first_response"].target == H  # the old target is back


def test_a_bad_patch_is_refused_at_plan_and_nothing_is_written(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    clock.advance(H)
    improvement = Improvement(desk)
    with pytest.raises(PolicyError, match=r"\$\.lifecycle"):
        improvement.plan(
            kpi=FIRST_RESPONSE_SLA,
            baseline=(T0, clock.now()),
            target=0.9,
            patch={"lifecycle": {"reopen": "1d"}},
            by="lead:ana",
        )
    with pytest.raises(ValidationError, match=r"kpi\.statistic"):
        improvement.plan(
            kpi=Kpi("first_response", "p99"), baseline=(T0, clock.now()), target=1, by="x"
        )
    with pytest.raises(ValidationError, match=r"scope\.colour"):
        improvement.plan(
            kpi=FIRST_RESPONSE_SLA,
            scope={"colour": "red"},
            baseline=(T0, clock.now()),
            target=1,
            by="x",
        )
    assert improvement.all() == []
    assert not [s for s in desk.store.streams() if s.startswith("improvement:")]


def test_act_before_check_and_other_steps_out_of_order_are_refused(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    clock.advance(H)
    improvement = Improvement(desk)
    cycle = improvement.plan(
        kpi=FIRST_RESPONSE_SLA, baseline=(T0, clock.now()), target=0.9, by="lead:ana"
    )
    with pytest.raises(InvalidTransition, match="cannot standardise in state 'planned'"):
        improvement.standardise(cycle.id, by="lead:ana", sop="x")
    with pytest.raises(InvalidTransition, match="cannot check"):
        improvement.check(cycle.id, by="lead:ana")
    improvement.do(cycle.id, by="lead:ana")
    with pytest.raises(InvalidTransition, match=r"'doing'.*allowed here: check"):
        improvement.standardise(cycle.id, by="lead:ana", sop="x")
    with pytest.raises(InvalidTransition, match=r"'doing'.*allowed here: check"):
        improvement.roll_back(cycle.id, by="lead:ana", reason="x")
    with pytest.raises(InvalidTransition, match="dry_run"):
        improvement.dry_run(cycle.id, by="lead:ana")
    with pytest.raises(InvalidTransition, match="nothing to measure yet"):
        improvement.check(cycle.id, by="lead:ana", end=clock.now())
    assert improvement.get(cycle.id).state == DOING
    assert len(Streams(desk.store, KIND).get(cycle.id).events) == 2


def test_only_one_cycle_is_tried_at_a_time_and_plans_can_be_cancelled(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    clock.advance(H)
    improvement = Improvement(desk)
    first = improvement.plan(kpi=FIRST_RESPONSE_SLA, baseline=(T0, clock.now()), target=1, by="a")
    second = improvement.plan(
        kpi=FIRST_RESPONSE_SLA, baseline=(T0, clock.now()), target=1, by="a", cycle_id="billing-2"
    )
    improvement.do(first.id, by="a")
    with pytest.raises(InvalidTransition, match="PDCA-1 is still being tried"):
        improvement.do(second.id, by="a")
    with pytest.raises(ValidationError, match="reason"):
        improvement.cancel(second.id, by="a", reason=" ")
    cancelled = improvement.cancel(second.id, by="a", reason="one thing at a time")
    assert (cancelled.state, cancelled.decision) == (CANCELLED, CANCELLED)
    with pytest.raises(ValidationError, match="already exists"):
        improvement.plan(
            kpi=FIRST_RESPONSE_SLA, baseline=(T0, clock.now()), target=1, by="a", cycle_id="PDCA-1"
        )
    with pytest.raises(NotFound):
        improvement.get("PDCA-9")
    assert [c.id for c in improvement.all()] == ["PDCA-1", "billing-2"]


def test_a_baseline_that_ends_in_the_future_is_refused(desk: ServiceDesk) -> None:
    with pytest.raises(ValidationError, match="in the future"):
        Improvement(desk).plan(
            kpi=FIRST_RESPONSE_SLA, baseline=(T0, T0 + H), target=1, by="lead:ana"
        )


@pytest.mark.parametrize(
    ("kpi", "target", "problem"),
    [
        (FIRST_RESPONSE_SLA, float("nan"), "expected a finite number"),
        (FIRST_RESPONSE_SLA, float("inf"), "expected a finite number"),
        (FIRST_RESPONSE_SLA, "abc", "expected a finite number"),
        (FIRST_RESPONSE_SLA, 1.5, "not a share from 0 to 1"),
        (P90_FIRST_RESPONSE, -60, "seconds is negative"),
    ],
)
def test_a_target_that_is_not_a_fit_number_is_refused_and_nothing_is_written(
    desk: ServiceDesk, clock: ManualClock, kpi: Kpi, target: Any, problem: str
) -> None:
    clock.advance(H)
    improvement = Improvement(desk)
    with pytest.raises(ValidationError, match=f"target: .*{problem}"):
        improvement.plan(kpi=kpi, baseline=(T0, clock.now()), target=target, by="lead:ana")
    assert improvement.all() == []


def test_a_patch_that_is_not_a_table_and_a_planner_without_a_name_are_refused(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    clock.advance(H)
    improvement = Improvement(desk)
    with pytest.raises(ValidationError, match=r"patch: expected a mapping \(a table\) or None"):
        improvement.plan(
            kpi=FIRST_RESPONSE_SLA,
            baseline=(T0, clock.now()),
            target=0.9,
            patch=["sla"],  # type: ignore[arg-type]
            by="lead:ana",
        )
    with pytest.raises(ValidationError, match="by: who plans the cycle is missing"):
        improvement.plan(kpi=FIRST_RESPONSE_SLA, baseline=(T0, clock.now()), target=0.9, by=" ")
    assert improvement.all() == []


def test_a_check_cannot_measure_into_the_future(desk: ServiceDesk, clock: ManualClock) -> None:
    _answered(desk, clock, 3, 10 * M)
    clock.advance(H)
    improvement = Improvement(desk)
    cycle = improvement.plan(
        kpi=FIRST_RESPONSE_SLA, baseline=(T0, clock.now()), target=0.9, by="lead:ana"
    )
    improvement.do(cycle.id, by="lead:ana")
    clock.advance(M)
    with pytest.raises(ValidationError, match=r"end: .* is in the future"):
        improvement.check(cycle.id, by="lead:ana", end=clock.now() + timedelta(days=1))
    assert improvement.get(cycle.id).state == DOING


def test_merge_deep_merges_tables_and_replaces_lists() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert merge(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert apply_patch(POLICY, {}).version == POLICY.version
    patched = apply_patch(POLICY, {"lifecycle": {"reopen_window": "7d"}})
    assert patched.lifecycle.reopen_window == timedelta(days=7)
    assert patched.sla == POLICY.sla
    with pytest.raises(PolicyError, match=r"\$"):
        apply_patch(POLICY, [])  # type: ignore[arg-type]


def test_every_state_is_reachable_and_the_machine_is_static() -> None:
    reached = {PLANNED}
    frontier = [PLANNED]
    while frontier:
        state = frontier.pop()
        for trigger in ALLOWED[state]:
            after = fire("c", state, trigger)
            if after not in reached:
                reached.add(after)
                frontier.append(after)
    assert reached == set(STATES)
    assert not MACHINE.models
    for final in (STANDARDISED, ROLLED_BACK, CANCELLED):
        assert ALLOWED[final] == ()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["dry_run", "do", "check", "standardise", "roll_back", "cancel"])))
def test_firing_any_sequence_stays_within_the_machine(triggers: list[str]) -> None:
    state = PLANNED
    for trigger in triggers:
        try:
            state = fire("c", state, trigger)
        except InvalidTransition:
            assert trigger not in ALLOWED[state]
        else:
            assert state in STATES
