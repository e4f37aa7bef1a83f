"""The pure fold of a problem's events into its state, and the problem aggregate's kind."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from attrs import evolve as _replace

from serviceflow.desk._aggregate import Kind
from serviceflow.domain._events import Event
from serviceflow.errors import IntegrityError
from serviceflow.problems._events import (
    CorrectiveActionTaken,
    DataGathered,
    IncidentsLinked,
    KnownErrorRecorded,
    MonitoringStarted,
    ProblemClosed,
    ProblemDefined,
    RecurrenceFound,
    RootCauseIdentified,
)
from serviceflow.problems._problem import (
    DEFINED,
    KnownError,
    Problem,
    Recurrence,
    Step,
    normalise_item,
)
from serviceflow.problems._workflow import DESTINATIONS

__all__ = ["KIND", "evolve"]


def _union(old: tuple[str, ...], new: Iterable[str]) -> tuple[str, ...]:
    return (*old, *(c for c in dict.fromkeys(new) if c not in old))


def evolve(problem: Problem | None, event: Event) -> Problem:
    """The problem after ``event`` (``None`` before its ``ProblemDefined``)."""
    if problem is None:
        if not isinstance(event, ProblemDefined):
            raise IntegrityError(f"a problem stream must start with a definition, not {event.TYPE}")
        return Problem(
            id=event.problem_id,
            state=DEFINED,
            title=event.title,
            statement=event.statement,
            category=event.category,
            item=normalise_item(event.item),  # streams written before items were casefolded
            terms=frozenset(event.terms),
            case_ids=tuple(dict.fromkeys(event.case_ids)),
            defined_at=event.at,
            defined_by=event.by,
            updated_at=event.at,
            steps=(Step(step="define", what=event.title, evidence=event.statement, **_who(event)),),
        )
    state = DESTINATIONS.get((event.TRIGGER, problem.state))
    if state is None:
        raise IntegrityError(
            f"problem {problem.id}: {event.TYPE} cannot follow state {problem.state!r}"
        )
    changes: dict[str, Any] = {}
    step: Step | None = None
    who = _who(event)
    if isinstance(event, IncidentsLinked):
        changes["case_ids"] = _union(problem.case_ids, event.case_ids)
        step = Step(step="link", what=", ".join(event.case_ids), evidence=event.note, **who)
    elif isinstance(event, DataGathered):
        step = Step(step="gather", what="", evidence=event.evidence, **who)
    elif isinstance(event, RootCauseIdentified):
        changes["root_cause"] = event.cause
        step = Step(step="root_cause", what=event.cause, evidence=event.evidence, **who)
    elif isinstance(event, CorrectiveActionTaken):
        changes["corrective_action"] = event.action
        changes["corrective_actions"] = problem.corrective_actions + 1
        changes["corrected_at"] = problem.corrected_at or event.at
        step = Step(step="corrective_action", what=event.action, evidence=event.evidence, **who)
    elif isinstance(event, MonitoringStarted):
        changes["monitoring_since"] = event.at
        changes["quiet_period"] = timedelta(seconds=event.quiet_period)
        step = Step(step="monitor", what="", evidence=event.evidence, **who)
    elif isinstance(event, RecurrenceFound):
        changes["case_ids"] = _union(problem.case_ids, event.case_ids)
        changes["recurrences"] = (
            *problem.recurrences,
            Recurrence(at=event.at, case_ids=event.case_ids, evidence=event.evidence),
        )
        changes["monitoring_since"] = None
        changes["quiet_period"] = None
        step = Step(step="recur", what=", ".join(event.case_ids), evidence=event.evidence, **who)
    elif isinstance(event, ProblemClosed):
        changes["closed_at"] = event.at
        step = Step(step="close", what="", evidence=event.evidence, **who)
    elif isinstance(event, KnownErrorRecorded):
        changes["known_error"] = KnownError(
            error=event.error, workaround=event.workaround, at=event.at, by=event.by
        )
        step = Step(step="known_error", what=event.error, evidence=event.workaround, **who)
    else:
        raise IntegrityError(f"problem {problem.id}: unknown event {event.TYPE}")
    return _replace(
        problem,
        state=state,
        updated_at=event.at,
        steps=(*problem.steps, step),
        **changes,
    )


def _who(event: Event) -> dict[str, Any]:
    return {"at": event.at, "by": event.by}


KIND: Kind[Problem] = Kind("problem", evolve)
"""The problem aggregate: streams ``problem:<id>`` folded with ``evolve``."""
