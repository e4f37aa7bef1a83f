"""PDCA improvement cycles: their events and ``Improvement``, the service over a desk's store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.improvement._cycle import Cycle as Cycle
    from serviceflow.improvement._cycle import DryRun as DryRun
    from serviceflow.improvement._decide import Check as Check
    from serviceflow.improvement._decide import Plan as Plan
    from serviceflow.improvement._decide import decide as decide
    from serviceflow.improvement._events import IMPROVEMENT_EVENTS as IMPROVEMENT_EVENTS
    from serviceflow.improvement._events import ChangeApplied as ChangeApplied
    from serviceflow.improvement._events import CycleCancelled as CycleCancelled
    from serviceflow.improvement._events import CycleChecked as CycleChecked
    from serviceflow.improvement._events import CyclePlanned as CyclePlanned
    from serviceflow.improvement._events import DryRunRecorded as DryRunRecorded
    from serviceflow.improvement._events import RolledBack as RolledBack
    from serviceflow.improvement._events import Standardised as Standardised
    from serviceflow.improvement._evolve import KIND as KIND
    from serviceflow.improvement._evolve import evolve as evolve
    from serviceflow.improvement._patch import apply_patch as apply_patch
    from serviceflow.improvement._report import show_rows as show_rows
    from serviceflow.improvement._service import Improvement as Improvement
    from serviceflow.improvement._workflow import MACHINE as MACHINE
    from serviceflow.improvement._workflow import WORKFLOW as WORKFLOW
    from serviceflow.improvement._workflow import InvalidCycleTransition as InvalidCycleTransition

_NAMES = {
    "ChangeApplied": "serviceflow.improvement._events",
    "Check": "serviceflow.improvement._decide",
    "Cycle": "serviceflow.improvement._cycle",
    "CycleCancelled": "serviceflow.improvement._events",
    "CycleChecked": "serviceflow.improvement._events",
    "CyclePlanned": "serviceflow.improvement._events",
    "DryRun": "serviceflow.improvement._cycle",
    "DryRunRecorded": "serviceflow.improvement._events",
    "IMPROVEMENT_EVENTS": "serviceflow.improvement._events",
    "Improvement": "serviceflow.improvement._service",
    "InvalidCycleTransition": "serviceflow.improvement._workflow",
    "KIND": "serviceflow.improvement._evolve",
    "MACHINE": "serviceflow.improvement._workflow",
    "Plan": "serviceflow.improvement._decide",
    "RolledBack": "serviceflow.improvement._events",
    "Standardised": "serviceflow.improvement._events",
    "WORKFLOW": "serviceflow.improvement._workflow",
    "apply_patch": "serviceflow.improvement._patch",
    "decide": "serviceflow.improvement._decide",
    "evolve": "serviceflow.improvement._evolve",
    "show_rows": "serviceflow.improvement._report",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = [
    "IMPROVEMENT_EVENTS",
    "KIND",
    "MACHINE",
    "WORKFLOW",
    "ChangeApplied",
    "Check",
    "Cycle",
    "CycleCancelled",
    "CycleChecked",
    "CyclePlanned",
    "DryRun",
    "DryRunRecorded",
    "Improvement",
    "InvalidCycleTransition",
    "Plan",
    "RolledBack",
    "Standardised",
    "apply_patch",
    "decide",
    "evolve",
    "show_rows",
]

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
