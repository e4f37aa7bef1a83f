"""The public hypothesis strategies produce what they promise: valid policies, calendars,
commands the desk accepts, and cases reached by real command sequences."""

from __future__ import annotations

import contextlib
import importlib
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow import (
    BusinessCalendar,
    Case,
    Policy,
    ServiceDesk,
    ServiceflowError,
    default_policy,
    load_policy,
)
from serviceflow.domain._commands import Command
from serviceflow.rules._decide import decide
from serviceflow.rules._lifecycle import ALLOWED
from serviceflow.testing.strategies import (
    CASE_ID,
    START,
    CaseWalk,
    any_commands,
    business_calendars,
    calendar_specs,
    case_walks,
    cases,
    commands,
    durations,
    policies,
    policy_documents,
    replay,
    triggers,
)

SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(policy_documents())
@settings(deadline=None)
def test_every_policy_document_loads(document: dict[str, object]) -> None:
    policy = load_policy(document)
    assert policy.name == document["name"]
    assert load_policy(document).version == policy.version, "a document loads the same twice"


@given(policies())
@SLOW
def test_a_desk_runs_every_generated_policy(policy: Policy) -> None:
    with ServiceDesk.open("memory://", policy=policy, entry_points=False) as desk:
        case = desk.submit(requester="acme/jane@acme.test", channel="web", subject="s")
        assert desk.verify(case.id).ok


@given(business_calendars(), st.integers(0, 3 * 1440))
def test_calendars_add_and_measure_business_time_exactly(
    calendar: BusinessCalendar, minutes: int
) -> None:
    start = calendar.next_open(START)
    step = timedelta(minutes=minutes)
    assert calendar.between(start, calendar.add(start, step)) == step


@given(calendar_specs(), durations(1, 600))
def test_calendar_specs_are_policy_calendars(spec: dict[str, object], within: str) -> None:
    level = {"name": "all", "calendar": "office", "targets": {"resolution": {"within": within}}}
    policy = load_policy({"calendars": {"office": spec}, "sla": [level]})
    assert isinstance(policy.calendar_map["office"], BusinessCalendar)


@given(case_walks(policy=policies()))
@SLOW
def test_every_walk_replays_to_the_same_case_on_sqlite(walk: CaseWalk) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'walk.db'}"
        assert replay(walk, url, entry_points=False) == walk.case
        with ServiceDesk.open(url, policy=walk.policy, entry_points=False) as desk:
            assert desk.verify(CASE_ID).ok


@given(cases(max_steps=20))
@SLOW
def test_cases_come_from_real_walks(case: Case) -> None:
    assert case.id == CASE_ID
    assert case.state in ALLOWED
    assert case.submitted_at == START


@given(st.data())
@SLOW
def test_drawn_commands_are_accepted_in_every_state_walks_reach(data: st.DataObject) -> None:
    walk = data.draw(case_walks(max_steps=15))
    case = walk.case
    allowed = triggers(case)
    assert set(allowed) <= set(ALLOWED[case.state])
    if not allowed:
        return
    command = data.draw(commands(case))
    assert command.case_id == case.id
    assert type(command).NAME in allowed
    assert decide(case, command, default_policy(), case.updated_at), "decide accepts it"


def test_final_states_offer_no_command() -> None:
    @given(case_walks(max_steps=30))
    @settings(max_examples=40, deadline=None)
    def check(walk: CaseWalk) -> None:
        if walk.case.state in ("cancelled", "merged"):
            assert triggers(walk.case) == []
            assert commands(walk.case).is_empty

    check()


@given(st.lists(any_commands(["CASE-A", "CASE-B"]), max_size=15))
@SLOW
def test_any_command_applies_or_is_a_serviceflow_error(drawn: list[Command]) -> None:
    with ServiceDesk.open("memory://", entry_points=False) as desk:
        for case_id in ("CASE-A", "CASE-B"):
            desk.submit(
                requester="acme/jane@acme.test", channel="web", subject="s", case_id=case_id
            )
        for command in drawn:
            with contextlib.suppress(ServiceflowError):
                desk.execute(command)
        assert desk.verify("CASE-A").ok
        assert desk.verify("CASE-B").ok


def test_importing_without_hypothesis_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.delitem(sys.modules, "serviceflow.testing.strategies")
    with pytest.raises(ImportError, match="needs hypothesis: pip install hypothesis"):
        importlib.import_module("serviceflow.testing.strategies")
    monkeypatch.undo()
    assert importlib.import_module("serviceflow.testing.strategies").policies is policies
