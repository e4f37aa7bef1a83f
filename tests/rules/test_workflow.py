"""Workflows from a table of steps: folding, refusals with reasons, diagrams from the machine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from transitions import EventData

from serviceflow.cli._main import cli
from serviceflow.errors import InvalidTransition
from serviceflow.improvement import _workflow as improvement
from serviceflow.knowledge import _workflow as article
from serviceflow.problems import _workflow as problems
from serviceflow.rules._workflow import Step, Workflow


class _Thing:
    def __init__(self, state: str, ready: bool = True) -> None:
        self.state = state
        self.ready = ready


def _ready(event: EventData) -> bool:
    thing = event.model
    assert isinstance(thing, _Thing)
    return thing.ready


class _Refused(InvalidTransition):
    KIND = "thing"


TOY = Workflow(
    "toy",
    ("new", "open", "done"),
    (
        Step("open", ("new",), "open", doc="start"),
        Step("note", ("new", "open"), None, doc="remark"),
        Step("finish", ("open",), "done", (_ready,), doc="end"),
    ),
    start="create",
    finals=("done",),
    guard_reasons={"_ready": "the thing is not ready"},
    refusal=_Refused,
)


def test_a_step_moves_the_state_and_the_fold_follows_the_same_table() -> None:
    thing = _Thing("open")
    assert TOY.fire(thing, "finish", "T-1") == "done"
    assert TOY.next_state("finish", "open") == "done"
    assert TOY.next_state("note", "open") == "open"
    assert TOY.next_state("open", "done") == "done", "not applicable: the state stays"
    assert TOY.allowed == {"new": ("note", "open"), "open": ("finish", "note"), "done": ()}
    assert not TOY.machine.models


def test_a_refused_step_names_what_is_allowed_and_which_guard_said_no() -> None:
    with pytest.raises(_Refused, match=r"thing T-1: cannot finish in state 'new' \(allowed"):
        TOY.fire(_Thing("new"), "finish", "T-1")
    with pytest.raises(_Refused, match="the thing is not ready") as caught:
        TOY.fire(_Thing("open", ready=False), "finish", "T-1")
    assert caught.value.allowed == ("note",)  # not finish: its guard just said no


def test_two_steps_for_one_trigger_and_state_are_refused() -> None:
    with pytest.raises(ValueError, match="two steps 'a' from 'x'"):
        Workflow("bad", ("x",), (Step("a", ("x",), None), Step("a", ("x",), None)), start="s")


@pytest.mark.parametrize("flow", [article.WORKFLOW, problems.WORKFLOW, improvement.WORKFLOW])
def test_every_state_of_each_workflow_is_reachable_from_its_first(flow: Workflow) -> None:
    reached, frontier = {flow.states[0]}, [flow.states[0]]
    while frontier:
        state = frontier.pop()
        for (_, source), dest in flow.destinations.items():
            if source == state and dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    assert reached == set(flow.states)
    diagram = flow.mermaid()
    assert diagram.startswith(f"stateDiagram-v2\n    [*] --> {flow.states[0]} : {flow.start}")
    assert all(f"{state} --> [*]" in diagram for state in flow.finals)


def test_serviceflow_diagram_renders_every_workflow() -> None:
    runner = CliRunner()
    for name in ("article", "problem", "improvement"):
        page = runner.invoke(cli, ["diagram", "--workflow", name])
        assert page.exit_code == 0, page.output
        assert page.output.startswith(f"# The {name} workflow")
    mermaid = runner.invoke(cli, ["diagram", "--workflow", "article", "--format", "mermaid"])
    assert "in_review --> published : approve [reviewer_not_author]" in mermaid.output
