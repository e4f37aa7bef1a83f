"""The PDCA workflow: one static machine, fired by ``decide`` and the service, whose
destinations ``evolve`` folds with."""

from __future__ import annotations

from serviceflow.errors import InvalidTransition
from serviceflow.improvement._cycle import (
    CANCELLED,
    CHECKING,
    DOING,
    FINAL,
    PLANNED,
    ROLLED_BACK,
    STANDARDISED,
    STATES,
)
from serviceflow.rules import _workflow as workflow

__all__ = ["MACHINE", "WORKFLOW", "InvalidCycleTransition"]

TRANSITIONS: tuple[workflow.Step, ...] = (
    workflow.Step("dry_run", (PLANNED,), None, doc="predict the KPI under the patch"),
    workflow.Step("do", (PLANNED,), DOING, doc="apply the patch as a new policy version"),
    workflow.Step("check", (DOING,), CHECKING, doc="measure the KPI after the change"),
    workflow.Step("check", (CHECKING,), None, doc="measure again, over a longer window"),
    workflow.Step("standardise", (CHECKING,), STANDARDISED, doc="keep the version"),
    workflow.Step("roll_back", (CHECKING,), ROLLED_BACK, doc="restore the previous version"),
    workflow.Step("cancel", (PLANNED,), CANCELLED, doc="drop a plan never applied"),
)


class InvalidCycleTransition(InvalidTransition):
    """A PDCA step is not allowed in the cycle's current state (or a rule refused it)."""

    KIND = "improvement cycle"


WORKFLOW = workflow.Workflow(
    "improvement",
    STATES,
    TRANSITIONS,
    start="plan",
    finals=FINAL,
    refusal=InvalidCycleTransition,
)
"""The PDCA cycle: plan, do, check, act."""
MACHINE = WORKFLOW.machine
"""The one PDCA machine; it never holds a model."""
DESTINATIONS = WORKFLOW.destinations
ALLOWED = WORKFLOW.allowed


class _Subject:
    """What a trigger is fired on: only the state (PDCA rules need nothing else)."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def fire(cycle_id: str, state: str, trigger: str) -> str:
    """Fire ``trigger`` from ``state`` on the static machine; the new state, or
    ``InvalidCycleTransition`` naming what is allowed."""
    return WORKFLOW.fire(_Subject(state), trigger, cycle_id)
