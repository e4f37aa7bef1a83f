"""PDCA improvement cycles: their events and ``Improvement``, the service over a desk's store."""

from __future__ import annotations

from serviceflow.improvement._cycle import Cycle, DryRun
from serviceflow.improvement._decide import Check, Plan, decide
from serviceflow.improvement._events import (
    IMPROVEMENT_EVENTS,
    ChangeApplied,
    CycleCancelled,
    CycleChecked,
    CyclePlanned,
    DryRunRecorded,
    RolledBack,
    Standardised,
)
from serviceflow.improvement._evolve import KIND, evolve
from serviceflow.improvement._patch import apply_patch
from serviceflow.improvement._report import show_rows
from serviceflow.improvement._service import Improvement
from serviceflow.improvement._workflow import MACHINE, WORKFLOW, InvalidCycleTransition

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
