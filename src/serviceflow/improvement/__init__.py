"""PDCA improvement cycles: their events and ``Improvement``, the service over a desk's store."""

from __future__ import annotations

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
from serviceflow.improvement._service import (
    KIND,
    MACHINE,
    WORKFLOW,
    Check,
    Cycle,
    DryRun,
    Improvement,
    InvalidCycleTransition,
    Plan,
    apply_patch,
    decide,
    evolve,
    show_rows,
)

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
