"""Problem commands and the pure ``decide`` that checks one against a problem and returns
the events it records."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, ClassVar

from attrs import frozen

from serviceflow.core._identity import identity_problems
from serviceflow.domain._events import Event
from serviceflow.errors import ValidationError
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
from serviceflow.problems._problem import DEFAULT_QUIET_PERIOD, Problem, normalise_item
from serviceflow.problems._workflow import WORKFLOW, Subject, fire

__all__ = [
    "Close",
    "Correct",
    "Define",
    "Gather",
    "IdentifyRootCause",
    "Link",
    "Monitor",
    "RecordKnownError",
    "Recur",
    "decide",
]

_MAX_TEXT = 10_000
_MAX_NAME = 200


@frozen(kw_only=True)
class Define:
    """Define a problem from its statement, fingerprint and first incidents."""

    TRIGGER: ClassVar[str] = "define"
    problem_id: str
    title: str
    statement: str
    by: str
    category: str | None = None
    item: str | None = None
    terms: tuple[str, ...] = ()
    case_ids: tuple[str, ...] = ()


@frozen(kw_only=True)
class Link:
    """Link more incidents (existing cases) to the problem."""

    TRIGGER: ClassVar[str] = "link"
    case_ids: tuple[str, ...]
    by: str
    note: str = ""


@frozen(kw_only=True)
class Gather:
    """Record data gathered about the problem."""

    TRIGGER: ClassVar[str] = "gather"
    evidence: str
    by: str


@frozen(kw_only=True)
class IdentifyRootCause:
    """Record the root cause and the evidence for it."""

    TRIGGER: ClassVar[str] = "identify_root_cause"
    cause: str
    evidence: str
    by: str


@frozen(kw_only=True)
class Correct:
    """Record a corrective action taken against the root cause."""

    TRIGGER: ClassVar[str] = "correct"
    action: str
    evidence: str
    by: str


@frozen(kw_only=True)
class Monitor:
    """Start watching for recurrence for ``quiet_period``."""

    TRIGGER: ClassVar[str] = "monitor"
    by: str
    quiet_period: timedelta = DEFAULT_QUIET_PERIOD
    evidence: str = ""


@frozen(kw_only=True)
class Recur:
    """Similar incidents came back during monitoring."""

    TRIGGER: ClassVar[str] = "recur"
    case_ids: tuple[str, ...]
    evidence: str
    by: str


@frozen(kw_only=True)
class Close:
    """Close the problem after a quiet monitoring period."""

    TRIGGER: ClassVar[str] = "close"
    evidence: str
    by: str


@frozen(kw_only=True)
class RecordKnownError:
    """Record the problem as a known error with a workaround."""

    TRIGGER: ClassVar[str] = "record_known_error"
    error: str
    workaround: str
    by: str


Command = (
    Define
    | Link
    | Gather
    | IdentifyRootCause
    | Correct
    | Monitor
    | Recur
    | Close
    | RecordKnownError
)


def _check_text(name: str, value: str, problems: list[str], *, required: bool = True) -> None:
    if required and not value.strip():
        problems.append(f"{name}: must not be empty")
    elif len(value) > _MAX_TEXT:
        problems.append(f"{name}: {len(value)} characters, at most {_MAX_TEXT}")


def _check_ids(name: str, ids: tuple[str, ...], problems: list[str]) -> None:
    if not ids:
        problems.append(f"{name}: name at least one case")
    for case_id in ids:
        if not case_id.strip():
            problems.append(f"{name}: an empty case id")
    if len(set(ids)) != len(ids):
        problems.append(f"{name}: a case is named twice")


def _check_define(command: Define, problems: list[str], categories: Collection[str] | None) -> None:
    _check_text("title", command.title, problems)
    _check_text("statement", command.statement, problems)
    if command.case_ids:
        _check_ids("case_ids", command.case_ids, problems)
    if command.item is not None:
        if not command.item.strip():
            problems.append("item: must not be empty (leave it out for no configuration item)")
        elif len(command.item) > _MAX_NAME:
            problems.append(f"item: {len(command.item)} characters, at most {_MAX_NAME}")
    if (
        categories is not None
        and command.category is not None
        and command.category not in categories
    ):
        problems.append(
            f"category: {command.category!r:.80} is not a category of the policy "
            f"(expected one of {', '.join(sorted(categories))})"
        )


def _check(command: Command, problems: list[str], categories: Collection[str] | None) -> None:
    _check_text("by", command.by, problems)
    problems += identity_problems("by", command.by)
    if isinstance(command, Define):
        _check_define(command, problems, categories)
    elif isinstance(command, Link):
        _check_ids("case_ids", command.case_ids, problems)
        _check_text("note", command.note, problems, required=False)
    elif isinstance(command, Gather):
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, IdentifyRootCause):
        _check_text("cause", command.cause, problems)
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, Correct):
        _check_text("action", command.action, problems)
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, Monitor):
        if command.quiet_period <= timedelta(0):
            problems.append(f"quiet_period: {command.quiet_period} must be positive")
        _check_text("evidence", command.evidence, problems, required=False)
    elif isinstance(command, Recur):
        _check_ids("case_ids", command.case_ids, problems)
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, Close):
        _check_text("evidence", command.evidence, problems)
    else:
        _check_text("error", command.error, problems)
        _check_text("workaround", command.workaround, problems)


def decide(
    problem: Problem | None,
    command: Command,
    *,
    now: datetime,
    policy: str,
    recurring: tuple[str, ...] = (),
    categories: Collection[str] | None = None,
) -> list[Event]:
    """The events ``command`` records on ``problem``; pure.

    ``recurring`` are the similar incidents submitted since monitoring began, as the caller
    found them (a close is refused while there are any). ``categories``, when given, are
    the ones a ``Define`` may name (the policy's). A ``Define``'s item is stored stripped
    and casefolded, as ``fingerprint_case`` reads a case's. Raises ``ValidationError`` for
    bad input and ``InvalidProblemTransition`` for a step the workflow does not allow.
    """
    problems: list[str] = []
    if now.tzinfo is None:
        problems.append(f"now: {now.isoformat()} has no time zone")
    _check(command, problems, categories)
    what = f"problem {problem.id}" if problem is not None else "problem"
    if problems:
        raise ValidationError(f"{what}: {command.TRIGGER} refused", problems)
    base: dict[str, Any] = {"at": now, "by": command.by.strip(), "policy": policy}
    if isinstance(command, Define):
        if problem is not None:
            raise WORKFLOW.refuse(problem.id, problem.state, "define")
        return [
            ProblemDefined(
                problem_id=command.problem_id,
                title=command.title.strip(),
                statement=command.statement.strip(),
                category=command.category,
                item=normalise_item(command.item),
                terms=tuple(sorted(set(command.terms))),
                case_ids=command.case_ids,
                **base,
            )
        ]
    if problem is None:
        raise ValidationError(f"problem: {command.TRIGGER} refused", ["the problem is not defined"])
    fire(Subject(problem, now, recurring), command.TRIGGER)
    event: Event
    if isinstance(command, Link):
        new = tuple(c for c in command.case_ids if c not in problem.case_ids)
        if not new:
            raise ValidationError(
                f"{what}: link refused", [f"case_ids: {', '.join(command.case_ids)} already linked"]
            )
        event = IncidentsLinked(case_ids=new, note=command.note.strip(), **base)
    elif isinstance(command, Gather):
        event = DataGathered(evidence=command.evidence.strip(), **base)
    elif isinstance(command, IdentifyRootCause):
        event = RootCauseIdentified(
            cause=command.cause.strip(), evidence=command.evidence.strip(), **base
        )
    elif isinstance(command, Correct):
        event = CorrectiveActionTaken(
            action=command.action.strip(), evidence=command.evidence.strip(), **base
        )
    elif isinstance(command, Monitor):
        seconds = max(1, round(command.quiet_period.total_seconds()))
        event = MonitoringStarted(quiet_period=seconds, evidence=command.evidence.strip(), **base)
    elif isinstance(command, Recur):
        event = RecurrenceFound(
            case_ids=command.case_ids, evidence=command.evidence.strip(), **base
        )
    elif isinstance(command, Close):
        event = ProblemClosed(evidence=command.evidence.strip(), **base)
    else:
        event = KnownErrorRecorded(
            error=command.error.strip(), workaround=command.workaround.strip(), **base
        )
    return [event]
