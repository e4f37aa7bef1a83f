"""The events of an improvement (PDCA) cycle: plan, dry run, do, check, act.

Each is a frozen fact in the cycle's own stream (``improvement:PDCA-1``), naming its actor,
its time and the policy version in force when it was decided. The plan keeps the baseline
sample itself, so a later check compares against exactly what was measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import field, frozen

from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain._events import Event, register


@frozen(kw_only=True)
class CyclePlanned(Event):
    """Plan: a KPI in a scope, its baseline over a window, a target, a hypothesis, and the
    change (a policy patch, as canonical JSON, validated into ``patched_version``)."""

    TYPE = "improvement.planned"
    TRIGGER = "plan"

    cycle_id: str
    kpi: str
    statistic: str
    time: str
    metric: str | None = None
    scope: Mapping[str, str] = field(factory=ReadOnlyMap, converter=read_only)
    baseline_start: datetime
    baseline_end: datetime
    baseline_value: float | None
    baseline_count: int
    baseline_cases: int
    baseline_sample: tuple[float, ...]
    target: float
    hypothesis: str = ""
    patch: str
    note: str = ""
    base_version: str
    patched_version: str
    min_count: int
    confidence: float


@frozen(kw_only=True)
class DryRunRecorded(Event):
    """The baseline window's cases replayed under the patched policy: the predicted value."""

    TYPE = "improvement.dry_run"
    TRIGGER = "dry_run"

    patched_version: str
    predicted_value: float | None
    predicted_count: int
    baseline_value: float | None
    caveat: str


@frozen(kw_only=True)
class ChangeApplied(Event):
    """Do: the patched policy became the desk's policy at ``at``."""

    TYPE = "improvement.done"
    TRIGGER = "do"

    previous_version: str
    applied_version: str


@frozen(kw_only=True)
class CycleChecked(Event):
    """Check: the KPI over ``[after_start, after_end)`` against the baseline."""

    TYPE = "improvement.checked"
    TRIGGER = "check"

    after_start: datetime
    after_end: datetime
    value: float | None
    count: int
    cases: int
    difference: float | None
    low: float | None
    high: float | None
    confidence: float
    p_value: float | None
    resamples: int
    seed: int
    warnings: tuple[str, ...] = ()
    target_met: bool


@frozen(kw_only=True)
class Standardised(Event):
    """Act: the applied version is the standard now; ``sop`` records the SOP change."""

    TYPE = "improvement.standardised"
    TRIGGER = "standardise"

    version: str
    sop: str


@frozen(kw_only=True)
class RolledBack(Event):
    """Act: the change is withdrawn and ``restored_version`` is back in force."""

    TYPE = "improvement.rolled_back"
    TRIGGER = "roll_back"

    withdrawn_version: str
    restored_version: str
    reason: str


@frozen(kw_only=True)
class CycleCancelled(Event):
    """The plan was dropped before anything was applied."""

    TYPE = "improvement.cancelled"
    TRIGGER = "cancel"

    reason: str


IMPROVEMENT_EVENTS: tuple[type[Event], ...] = (
    CyclePlanned,
    DryRunRecorded,
    ChangeApplied,
    CycleChecked,
    Standardised,
    RolledBack,
    CycleCancelled,
)

register(*IMPROVEMENT_EVENTS)
