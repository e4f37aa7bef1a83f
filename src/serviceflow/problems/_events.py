"""Problem events: the facts of a problem's stream (``problem:PRB-1``).

Each event names the trigger of the problem machine it stands for (``TRIGGER``), so
``problems.evolve`` folds a stream with the machine's destination table alone. Every step
of the analysis carries its evidence as text. Registered with ``events.register`` at
import, so stores read them back like case events.
"""

from __future__ import annotations

from attrs import frozen

from serviceflow.domain._events import Event, register

__all__ = [
    "PROBLEM_EVENTS",
    "CorrectiveActionTaken",
    "DataGathered",
    "IncidentsLinked",
    "KnownErrorRecorded",
    "MonitoringStarted",
    "ProblemClosed",
    "ProblemDefined",
    "RecurrenceFound",
    "RootCauseIdentified",
]


@frozen(kw_only=True)
class ProblemDefined(Event):
    """A problem was defined: what goes wrong, its fingerprint and the incidents behind it."""

    TYPE = "problem.defined"
    TRIGGER = "define"

    problem_id: str
    title: str
    statement: str
    """The problem definition (what, where, since when, impact): the first step's evidence."""
    category: str | None = None
    item: str | None = None
    terms: tuple[str, ...] = ()
    """The fingerprint terms new incidents are matched against, sorted."""
    case_ids: tuple[str, ...] = ()


@frozen(kw_only=True)
class IncidentsLinked(Event):
    """More incidents were linked to the problem."""

    TYPE = "problem.linked"
    TRIGGER = "link"

    case_ids: tuple[str, ...]
    note: str = ""


@frozen(kw_only=True)
class DataGathered(Event):
    """Data about the problem was collected (logs, timelines, measurements)."""

    TYPE = "problem.data_gathered"
    TRIGGER = "gather"

    evidence: str


@frozen(kw_only=True)
class RootCauseIdentified(Event):
    """The root cause was identified (or revised), with the evidence that shows it."""

    TYPE = "problem.root_cause_identified"
    TRIGGER = "identify_root_cause"

    cause: str
    evidence: str


@frozen(kw_only=True)
class CorrectiveActionTaken(Event):
    """A corrective action that removes the root cause was carried out."""

    TYPE = "problem.corrective_action_taken"
    TRIGGER = "correct"

    action: str
    evidence: str


@frozen(kw_only=True)
class MonitoringStarted(Event):
    """Watching for recurrence began; the problem may close after ``quiet_period`` seconds
    without a similar incident."""

    TYPE = "problem.monitoring_started"
    TRIGGER = "monitor"

    quiet_period: int
    evidence: str = ""


@frozen(kw_only=True)
class RecurrenceFound(Event):
    """Similar incidents came back during monitoring: back to root-cause analysis."""

    TYPE = "problem.recurrence_found"
    TRIGGER = "recur"

    case_ids: tuple[str, ...]
    evidence: str


@frozen(kw_only=True)
class ProblemClosed(Event):
    """The quiet period passed without recurrence: the problem is solved."""

    TYPE = "problem.closed"
    TRIGGER = "close"

    evidence: str


@frozen(kw_only=True)
class KnownErrorRecorded(Event):
    """The problem is a known error: what fails, and the workaround agents can apply."""

    TYPE = "problem.known_error_recorded"
    TRIGGER = "record_known_error"

    error: str
    workaround: str


PROBLEM_EVENTS: tuple[type[Event], ...] = (
    ProblemDefined,
    IncidentsLinked,
    DataGathered,
    RootCauseIdentified,
    CorrectiveActionTaken,
    MonitoringStarted,
    RecurrenceFound,
    ProblemClosed,
    KnownErrorRecorded,
)

register(*PROBLEM_EVENTS)
