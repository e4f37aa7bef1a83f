"""Problem management: problems and their events, recurring-incident detection and
``Problems``, the service over a desk's store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.problems._decide import Close as Close
    from serviceflow.problems._decide import Correct as Correct
    from serviceflow.problems._decide import Define as Define
    from serviceflow.problems._decide import Gather as Gather
    from serviceflow.problems._decide import IdentifyRootCause as IdentifyRootCause
    from serviceflow.problems._decide import Link as Link
    from serviceflow.problems._decide import Monitor as Monitor
    from serviceflow.problems._decide import RecordKnownError as RecordKnownError
    from serviceflow.problems._decide import Recur as Recur
    from serviceflow.problems._decide import decide as decide
    from serviceflow.problems._events import PROBLEM_EVENTS as PROBLEM_EVENTS
    from serviceflow.problems._events import CorrectiveActionTaken as CorrectiveActionTaken
    from serviceflow.problems._events import DataGathered as DataGathered
    from serviceflow.problems._events import IncidentsLinked as IncidentsLinked
    from serviceflow.problems._events import KnownErrorRecorded as KnownErrorRecorded
    from serviceflow.problems._events import MonitoringStarted as MonitoringStarted
    from serviceflow.problems._events import ProblemClosed as ProblemClosed
    from serviceflow.problems._events import ProblemDefined as ProblemDefined
    from serviceflow.problems._events import RecurrenceFound as RecurrenceFound
    from serviceflow.problems._events import RootCauseIdentified as RootCauseIdentified
    from serviceflow.problems._evolve import KIND as KIND
    from serviceflow.problems._evolve import evolve as evolve
    from serviceflow.problems._matching import Candidate as Candidate
    from serviceflow.problems._matching import RecurrenceCheck as RecurrenceCheck
    from serviceflow.problems._matching import Unlinked as Unlinked
    from serviceflow.problems._matching import Workaround as Workaround
    from serviceflow.problems._matching import common_fingerprint as common_fingerprint
    from serviceflow.problems._matching import group_similar as group_similar
    from serviceflow.problems._problem import CLOSED as CLOSED
    from serviceflow.problems._problem import CORRECTIVE_ACTION as CORRECTIVE_ACTION
    from serviceflow.problems._problem import DEFAULT_QUIET_PERIOD as DEFAULT_QUIET_PERIOD
    from serviceflow.problems._problem import DEFINED as DEFINED
    from serviceflow.problems._problem import GATHERING_DATA as GATHERING_DATA
    from serviceflow.problems._problem import MONITORING as MONITORING
    from serviceflow.problems._problem import OPEN_STATES as OPEN_STATES
    from serviceflow.problems._problem import ROOT_CAUSE as ROOT_CAUSE
    from serviceflow.problems._problem import STATES as STATES
    from serviceflow.problems._problem import KnownError as KnownError
    from serviceflow.problems._problem import Problem as Problem
    from serviceflow.problems._problem import Recurrence as Recurrence
    from serviceflow.problems._problem import Step as Step
    from serviceflow.problems._problem import normalise_item as normalise_item
    from serviceflow.problems._report import ProblemReport as ProblemReport
    from serviceflow.problems._report import ProblemRow as ProblemRow
    from serviceflow.problems._report import RecurrenceRow as RecurrenceRow
    from serviceflow.problems._report import build_report as build_report
    from serviceflow.problems._service import SYSTEM as SYSTEM
    from serviceflow.problems._service import Problems as Problems
    from serviceflow.problems._service import check_recurrence as check_recurrence
    from serviceflow.problems._service import problem_candidates as problem_candidates
    from serviceflow.problems._service import report as report
    from serviceflow.problems._service import unlinked_incidents as unlinked_incidents
    from serviceflow.problems._service import workarounds as workarounds
    from serviceflow.problems._workflow import ALLOWED as ALLOWED
    from serviceflow.problems._workflow import DESTINATIONS as DESTINATIONS
    from serviceflow.problems._workflow import MACHINE as MACHINE
    from serviceflow.problems._workflow import WORKFLOW as WORKFLOW
    from serviceflow.problems._workflow import InvalidProblemTransition as InvalidProblemTransition
    from serviceflow.problems._workflow import fire as fire
    from serviceflow.problems._workflow import mermaid as mermaid

_NAMES = {
    "ALLOWED": "serviceflow.problems._workflow",
    "CLOSED": "serviceflow.problems._problem",
    "CORRECTIVE_ACTION": "serviceflow.problems._problem",
    "Candidate": "serviceflow.problems._matching",
    "Close": "serviceflow.problems._decide",
    "Correct": "serviceflow.problems._decide",
    "CorrectiveActionTaken": "serviceflow.problems._events",
    "DEFAULT_QUIET_PERIOD": "serviceflow.problems._problem",
    "DEFINED": "serviceflow.problems._problem",
    "DESTINATIONS": "serviceflow.problems._workflow",
    "DataGathered": "serviceflow.problems._events",
    "Define": "serviceflow.problems._decide",
    "GATHERING_DATA": "serviceflow.problems._problem",
    "Gather": "serviceflow.problems._decide",
    "IdentifyRootCause": "serviceflow.problems._decide",
    "IncidentsLinked": "serviceflow.problems._events",
    "InvalidProblemTransition": "serviceflow.problems._workflow",
    "KIND": "serviceflow.problems._evolve",
    "KnownError": "serviceflow.problems._problem",
    "KnownErrorRecorded": "serviceflow.problems._events",
    "Link": "serviceflow.problems._decide",
    "MACHINE": "serviceflow.problems._workflow",
    "MONITORING": "serviceflow.problems._problem",
    "Monitor": "serviceflow.problems._decide",
    "MonitoringStarted": "serviceflow.problems._events",
    "OPEN_STATES": "serviceflow.problems._problem",
    "PROBLEM_EVENTS": "serviceflow.problems._events",
    "Problem": "serviceflow.problems._problem",
    "ProblemClosed": "serviceflow.problems._events",
    "ProblemDefined": "serviceflow.problems._events",
    "ProblemReport": "serviceflow.problems._report",
    "ProblemRow": "serviceflow.problems._report",
    "Problems": "serviceflow.problems._service",
    "ROOT_CAUSE": "serviceflow.problems._problem",
    "RecordKnownError": "serviceflow.problems._decide",
    "Recur": "serviceflow.problems._decide",
    "Recurrence": "serviceflow.problems._problem",
    "RecurrenceCheck": "serviceflow.problems._matching",
    "RecurrenceFound": "serviceflow.problems._events",
    "RecurrenceRow": "serviceflow.problems._report",
    "RootCauseIdentified": "serviceflow.problems._events",
    "STATES": "serviceflow.problems._problem",
    "SYSTEM": "serviceflow.problems._service",
    "Step": "serviceflow.problems._problem",
    "Unlinked": "serviceflow.problems._matching",
    "WORKFLOW": "serviceflow.problems._workflow",
    "Workaround": "serviceflow.problems._matching",
    "build_report": "serviceflow.problems._report",
    "check_recurrence": "serviceflow.problems._service",
    "common_fingerprint": "serviceflow.problems._matching",
    "decide": "serviceflow.problems._decide",
    "evolve": "serviceflow.problems._evolve",
    "fire": "serviceflow.problems._workflow",
    "group_similar": "serviceflow.problems._matching",
    "mermaid": "serviceflow.problems._workflow",
    "normalise_item": "serviceflow.problems._problem",
    "problem_candidates": "serviceflow.problems._service",
    "report": "serviceflow.problems._service",
    "unlinked_incidents": "serviceflow.problems._service",
    "workarounds": "serviceflow.problems._service",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = [
    "ALLOWED",
    "CLOSED",
    "CORRECTIVE_ACTION",
    "DEFAULT_QUIET_PERIOD",
    "DEFINED",
    "DESTINATIONS",
    "GATHERING_DATA",
    "KIND",
    "MACHINE",
    "MONITORING",
    "OPEN_STATES",
    "PROBLEM_EVENTS",
    "ROOT_CAUSE",
    "STATES",
    "SYSTEM",
    "WORKFLOW",
    "Candidate",
    "Close",
    "Correct",
    "CorrectiveActionTaken",
    "DataGathered",
    "Define",
    "Gather",
    "IdentifyRootCause",
    "IncidentsLinked",
    "InvalidProblemTransition",
    "KnownError",
    "KnownErrorRecorded",
    "Link",
    "Monitor",
    "MonitoringStarted",
    "Problem",
    "ProblemClosed",
    "ProblemDefined",
    "ProblemReport",
    "ProblemRow",
    "Problems",
    "RecordKnownError",
    "Recur",
    "Recurrence",
    "RecurrenceCheck",
    "RecurrenceFound",
    "RecurrenceRow",
    "RootCauseIdentified",
    "Step",
    "Unlinked",
    "Workaround",
    "build_report",
    "check_recurrence",
    "common_fingerprint",
    "decide",
    "evolve",
    "fire",
    "group_similar",
    "mermaid",
    "normalise_item",
    "problem_candidates",
    "report",
    "unlinked_incidents",
    "workarounds",
]

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
