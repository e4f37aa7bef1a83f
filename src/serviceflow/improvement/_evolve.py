"""The pure fold of an improvement cycle's events into its state, and the cycles' kind."""

from __future__ import annotations

from typing import Any

from attrs import evolve as replace

from serviceflow.analytics._effect import Effect
from serviceflow.analytics._kpi_sample import Kpi
from serviceflow.desk._aggregate import Kind
from serviceflow.domain._events import Event
from serviceflow.improvement import _events as ie
from serviceflow.improvement._cycle import (
    CANCELLED,
    PLANNED,
    ROLLED_BACK,
    STANDARDISED,
    CheckResult,
    Cycle,
    DryRun,
    Measurement,
)
from serviceflow.improvement._workflow import DESTINATIONS

__all__ = ["KIND", "evolve"]


def evolve(cycle: Cycle | None, event: Event) -> Cycle:
    """Fold one event into the cycle (pure)."""
    if cycle is None:
        if not isinstance(event, ie.CyclePlanned):
            raise ValueError(
                f"an improvement cycle starts with improvement.planned, not {event.TYPE}"
            )
        return _planned(event)
    state = DESTINATIONS.get((event.TRIGGER, cycle.state), cycle.state)
    if isinstance(event, ie.DryRunRecorded):
        run = DryRun(
            event.at,
            event.patched_version,
            event.baseline_value,
            event.predicted_value,
            event.predicted_count,
            event.caveat,
        )
        return replace(cycle, state=state, dry_run=run)
    if isinstance(event, ie.ChangeApplied):
        return replace(
            cycle,
            state=state,
            previous_version=event.previous_version,
            applied_version=event.applied_version,
            done_at=event.at,
            in_force=event.applied_version,
            changed_at=event.at,
        )
    if isinstance(event, ie.CycleChecked):
        after = Measurement(
            event.after_start, event.after_end, event.value, event.count, event.cases
        )
        found = Effect(
            cycle.kpi.statistic,
            cycle.baseline.value,
            event.value,
            event.difference,
            event.low,
            event.high,
            event.confidence,
            cycle.baseline.count,
            event.count,
            event.p_value,
            event.resamples,
            event.seed,
            event.warnings,
        )
        return replace(
            cycle, state=state, check=CheckResult(event.at, after, found, event.target_met)
        )
    acted: dict[str, Any] = {"decided_at": event.at, "decided_by": event.by}
    if isinstance(event, ie.Standardised):
        return replace(cycle, state=state, decision=STANDARDISED, sop=event.sop, **acted)
    if isinstance(event, ie.RolledBack):
        return replace(
            cycle,
            state=state,
            decision=ROLLED_BACK,
            reason=event.reason,
            in_force=event.restored_version,
            changed_at=event.at,
            **acted,
        )
    if isinstance(event, ie.CycleCancelled):
        return replace(cycle, state=state, decision=CANCELLED, reason=event.reason, **acted)
    raise ValueError(f"{event.TYPE} is not an improvement cycle event")


def _planned(event: ie.CyclePlanned) -> Cycle:
    return Cycle(
        id=event.cycle_id,
        state=PLANNED,
        kpi=Kpi(event.kpi, event.statistic, event.time, event.metric),
        scope=event.scope,
        baseline=Measurement(
            event.baseline_start,
            event.baseline_end,
            event.baseline_value,
            event.baseline_count,
            event.baseline_cases,
        ),
        baseline_sample=event.baseline_sample,
        target=event.target,
        hypothesis=event.hypothesis,
        patch=event.patch,
        note=event.note,
        base_version=event.base_version,
        patched_version=event.patched_version,
        min_count=event.min_count,
        confidence=event.confidence,
        planned_at=event.at,
        planned_by=event.by,
    )


KIND: Kind[Cycle] = Kind("improvement", evolve)
"""The improvement cycles' streams (``improvement:<id>``)."""
