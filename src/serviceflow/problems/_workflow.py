"""The problem workflow: one static machine with its guards, which ``decide`` fires and
whose destinations ``evolve`` folds with."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from transitions import EventData

from serviceflow.errors import InvalidTransition
from serviceflow.problems._problem import (
    CLOSED,
    CORRECTIVE_ACTION,
    DEFINED,
    GATHERING_DATA,
    MONITORING,
    OPEN_STATES,
    ROOT_CAUSE,
    STATES,
    Problem,
)
from serviceflow.rules import _workflow as workflow

__all__ = [
    "ALLOWED",
    "DESTINATIONS",
    "MACHINE",
    "WORKFLOW",
    "InvalidProblemTransition",
    "fire",
    "mermaid",
]


class Subject:
    """What a trigger is fired on: the problem's state and what guards look at."""

    __slots__ = ("now", "problem", "recurring", "state")

    def __init__(self, problem: Problem, now: datetime, recurring: tuple[str, ...]) -> None:
        self.state = problem.state
        self.problem = problem
        self.now = now
        self.recurring = recurring


def _subject(event: EventData) -> Subject:
    return cast(Subject, event.model)


def quiet_period_passed(event: EventData) -> bool:
    """The monitoring period has passed since monitoring began."""
    subject = _subject(event)
    until = subject.problem.quiet_until
    return until is not None and subject.now >= until


def no_recurrence(event: EventData) -> bool:
    """No similar incident was submitted since monitoring began."""
    return not _subject(event).recurring


GUARD_REASONS: dict[str, str] = {
    "quiet_period_passed": "the monitoring period has not passed yet",
    "no_recurrence": "similar incidents recurred during monitoring (check recurrence first)",
}


_BEFORE_MONITORING = (DEFINED, GATHERING_DATA, ROOT_CAUSE, CORRECTIVE_ACTION)

TRANSITIONS: tuple[workflow.Step, ...] = (
    workflow.Step("link", _BEFORE_MONITORING, None, doc="link more incidents"),
    workflow.Step("gather", (DEFINED,), GATHERING_DATA, doc="collect data"),
    workflow.Step("gather", (GATHERING_DATA, ROOT_CAUSE), None, doc="more data"),
    workflow.Step("identify_root_cause", (GATHERING_DATA,), ROOT_CAUSE, doc="root cause"),
    workflow.Step("identify_root_cause", (ROOT_CAUSE,), None, doc="revise the root cause"),
    workflow.Step("correct", (ROOT_CAUSE,), CORRECTIVE_ACTION, doc="corrective action"),
    workflow.Step("correct", (CORRECTIVE_ACTION,), None, doc="a further action"),
    workflow.Step("monitor", (CORRECTIVE_ACTION,), MONITORING, doc="watch for recurrence"),
    workflow.Step("recur", (MONITORING,), ROOT_CAUSE, doc="incidents came back"),
    workflow.Step(
        "close", (MONITORING,), CLOSED, (quiet_period_passed, no_recurrence), doc="solved"
    ),
    workflow.Step("record_known_error", OPEN_STATES, None, doc="known error and workaround"),
)


class InvalidProblemTransition(InvalidTransition):
    """A step is not allowed in the problem's state, or one of its guards failed."""

    KIND = "problem"


WORKFLOW = workflow.Workflow(
    "problem",
    STATES,
    TRANSITIONS,
    start="define",
    finals=(CLOSED,),
    guard_reasons=GUARD_REASONS,
    refusal=InvalidProblemTransition,
)
"""The problem workflow."""
MACHINE = WORKFLOW.machine
"""The one problem-workflow machine; it never holds a model."""
DESTINATIONS = WORKFLOW.destinations
"""``(trigger, state) -> next state`` for every allowed pair; evolve folds with it."""
ALLOWED = WORKFLOW.allowed
"""The triggers allowed in each state (before guards)."""
mermaid = WORKFLOW.mermaid


def fire(subject: Subject, trigger: str) -> str:
    """Fire ``trigger`` on ``subject``; the new state, or ``InvalidProblemTransition``."""
    return WORKFLOW.fire(subject, trigger, subject.problem.id)
