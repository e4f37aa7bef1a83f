"""An improvement (PDCA) cycle as its events leave it: its states and the frozen state
types (the measurements, the dry run, the check).

A cycle is its own event stream (``improvement:PDCA-1``) on the aggregate foundation:
``decide`` (pure) validates a command against the one static ``transitions`` machine and
returns events, ``evolve`` folds them, ``Improvement`` (the service) measures, appends and
switches the desk's policy. ``docs/improvement.md`` is the user's guide.

planned → (dry_run) → doing → checking (check again) → standardised | rolled_back;
planned → cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import field, frozen

from serviceflow.analytics._effect import Effect
from serviceflow.analytics._kpi_sample import Kpi
from serviceflow.core._readonly import read_only

__all__ = ["Cycle", "DryRun"]

PLANNED = "planned"
DOING = "doing"
CHECKING = "checking"
STANDARDISED = "standardised"
ROLLED_BACK = "rolled_back"
CANCELLED = "cancelled"
STATES = (PLANNED, DOING, CHECKING, STANDARDISED, ROLLED_BACK, CANCELLED)
FINAL = (STANDARDISED, ROLLED_BACK, CANCELLED)


@frozen
class Measurement:
    """A KPI measured over ``[start, end)``: the statistic, how many values, how many cases."""

    start: datetime
    end: datetime
    value: float | None
    count: int
    cases: int


@frozen
class DryRun:
    """A dry run's prediction: the baseline window replayed under the patched policy."""

    at: datetime
    patched_version: str
    baseline_value: float | None
    predicted_value: float | None
    count: int
    caveat: str


@frozen
class CheckResult:
    """Check: the after window measured, the effect against the baseline, target met."""

    at: datetime
    after: Measurement
    effect: Effect
    target_met: bool


@frozen
class Cycle:
    """One PDCA cycle as its events leave it."""

    id: str
    state: str
    kpi: Kpi
    scope: Mapping[str, str] = field(converter=read_only)
    baseline: Measurement
    baseline_sample: tuple[float, ...]
    target: float
    hypothesis: str
    patch: str
    note: str
    base_version: str
    patched_version: str
    min_count: int
    confidence: float
    planned_at: datetime
    planned_by: str
    dry_run: DryRun | None = None
    previous_version: str | None = None
    applied_version: str | None = None
    done_at: datetime | None = None
    check: CheckResult | None = None
    decision: str | None = None
    """``standardised``, ``rolled_back`` or ``cancelled`` once acted on."""
    decided_at: datetime | None = None
    decided_by: str | None = None
    sop: str = ""
    reason: str = ""
    in_force: str | None = None
    """The policy version this cycle left in force (after Do, and after Act)."""
    changed_at: datetime | None = None
    """When this cycle last changed which policy is in force."""
