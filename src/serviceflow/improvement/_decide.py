"""Improvement commands and the pure ``decide`` that checks one against a cycle and returns
the events it leads to (the check's effect against the baseline included)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import field, frozen

from serviceflow.analytics._effect import effect
from serviceflow.analytics._kpi_sample import TIME_KPIS, Kpi, Sample, scope_problems
from serviceflow.clock import require_aware
from serviceflow.core._identity import identity_problems
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.domain._events import Event
from serviceflow.domain._serialization import iso
from serviceflow.errors import NotFound, ValidationError
from serviceflow.improvement import _events as ie
from serviceflow.improvement._cycle import Cycle
from serviceflow.improvement._workflow import WORKFLOW, fire

__all__ = ["Check", "Plan", "decide"]


@frozen(kw_only=True)
class Plan:
    """Plan a cycle: the baseline is measured by the service and passed in."""

    cycle_id: str
    by: str
    kpi: Kpi
    scope: Mapping[str, str] = field(factory=ReadOnlyMap, converter=read_only)
    baseline: Sample
    target: float
    hypothesis: str = ""
    patch: str
    note: str = ""
    base_version: str
    patched_version: str
    min_count: int = 30
    confidence: float = 0.95


@frozen(kw_only=True)
class DryRunCommand:
    """Record a dry run's prediction (measured by the service)."""

    by: str
    patched_version: str
    predicted: Sample
    caveat: str


@frozen(kw_only=True)
class Do:
    """Apply the patched policy (``applied_version``) in place of ``previous_version``."""

    by: str
    previous_version: str
    applied_version: str


@frozen(kw_only=True)
class Check:
    """Compare the after window's sample (measured by the service) with the baseline."""

    by: str
    after: Sample
    resamples: int = 2000


@frozen(kw_only=True)
class Standardise:
    """Act: keep the applied version as the standard; ``sop`` says what the SOP now says."""

    by: str
    sop: str


@frozen(kw_only=True)
class RollBack:
    """Act: withdraw the change; the previous version is restored."""

    by: str
    reason: str


@frozen(kw_only=True)
class Cancel:
    """Drop a plan before Do."""

    by: str
    reason: str


Command = Plan | DryRunCommand | Do | Check | Standardise | RollBack | Cancel
_TRIGGER = {
    DryRunCommand: "dry_run",
    Do: "do",
    Check: "check",
    Standardise: "standardise",
    RollBack: "roll_back",
    Cancel: "cancel",
}


def decide(cycle: Cycle | None, command: Command, *, now: datetime, policy: str) -> list[Event]:
    """The events ``command`` leads to on ``cycle`` at ``now`` (``policy``: the version in
    force); pure. Refuses a step the machine does not allow here, or bad input."""
    now = require_aware(now, "now")
    unnamed = identity_problems("by", command.by)
    if unnamed:
        where = cycle.id if cycle is not None else getattr(command, "cycle_id", "")
        raise ValidationError(f"improvement cycle {where}".rstrip(), unnamed)
    meta: dict[str, Any] = {"at": now, "by": command.by, "policy": policy}
    if isinstance(command, Plan):
        if cycle is not None:
            raise ValidationError("plan", [f"cycle_id: {command.cycle_id!r} already exists"])
        return [_decide_plan(command, meta)]
    if cycle is None:
        raise NotFound("improvement cycle", "?")
    fire(cycle.id, cycle.state, _TRIGGER[type(command)])
    if isinstance(command, DryRunCommand):
        return [
            ie.DryRunRecorded(
                patched_version=command.patched_version,
                predicted_value=command.predicted.value,
                predicted_count=len(command.predicted.values),
                baseline_value=cycle.baseline.value,
                caveat=command.caveat,
                **meta,
            )
        ]
    if isinstance(command, Do):
        return [
            ie.ChangeApplied(
                previous_version=command.previous_version,
                applied_version=command.applied_version,
                **meta,
            )
        ]
    if isinstance(command, Check):
        return [_decide_check(cycle, command, meta)]
    if isinstance(command, Standardise):
        _require_text("standardise", "sop", command.sop)
        assert cycle.applied_version is not None
        return [ie.Standardised(version=cycle.applied_version, sop=command.sop, **meta)]
    if isinstance(command, RollBack):
        _require_text("roll back", "reason", command.reason)
        assert cycle.applied_version is not None
        assert cycle.previous_version is not None
        return [
            ie.RolledBack(
                withdrawn_version=cycle.applied_version,
                restored_version=cycle.previous_version,
                reason=command.reason,
                **meta,
            )
        ]
    _require_text("cancel", "reason", command.reason)
    return [ie.CycleCancelled(reason=command.reason, **meta)]


def _decide_plan(command: Plan, meta: dict[str, Any]) -> ie.CyclePlanned:
    problems = command.kpi.problems() + scope_problems(command.scope)
    if not 0 < command.confidence < 1:
        problems.append(f"confidence: {command.confidence} is not between 0 and 1")
    if command.min_count < 1:
        problems.append(f"min_count: {command.min_count} is not at least 1")
    if command.baseline.end > meta["at"]:
        problems.append(f"baseline: its end {iso(command.baseline.end)} is in the future")
    problems += _target_problems(command.kpi, command.target)
    if not command.by.strip():
        problems.append("by: who plans the cycle is missing")
    if problems:
        raise ValidationError(f"improvement cycle {command.cycle_id}", problems)
    kpi, baseline = command.kpi, command.baseline
    return ie.CyclePlanned(
        cycle_id=command.cycle_id,
        kpi=kpi.name,
        statistic=kpi.statistic,
        time=kpi.time,
        metric=kpi.metric,
        scope=command.scope,
        baseline_start=baseline.start,
        baseline_end=baseline.end,
        baseline_value=baseline.value,
        baseline_count=len(baseline.values),
        baseline_cases=baseline.cases,
        baseline_sample=baseline.values,
        target=float(command.target),
        hypothesis=command.hypothesis,
        patch=command.patch,
        note=command.note,
        base_version=command.base_version,
        patched_version=command.patched_version,
        min_count=command.min_count,
        confidence=command.confidence,
        **meta,
    )


def _target_problems(kpi: Kpi, target: object) -> list[str]:
    """A target must be a finite number: a share from 0 to 1 for a rate, seconds ≥ 0 for a
    time."""
    if isinstance(target, bool) or not isinstance(target, int | float):
        return [f"target: expected a number, got {target!r}"]
    if not math.isfinite(target):
        return [f"target: expected a finite number, got {target!r}"]
    if kpi.name in TIME_KPIS and target < 0:
        return [f"target: {target} seconds is negative"]
    if kpi.name not in TIME_KPIS and not 0 <= target <= 1:
        return [f"target: {target} is not a share from 0 to 1 (the {kpi.name} rate)"]
    return []


def _decide_check(cycle: Cycle, command: Check, meta: dict[str, Any]) -> ie.CycleChecked:
    assert cycle.done_at is not None
    after = command.after
    if after.start < cycle.done_at:
        raise WORKFLOW.refuse(
            cycle.id,
            cycle.state,
            "check",
            f"the after window starts before Do ({iso(cycle.done_at)})",
        )
    seed = int(hashlib.sha256(cycle.id.encode()).hexdigest()[:8], 16)
    found = effect(
        cycle.baseline_sample,
        after.values,
        statistic_name=cycle.kpi.statistic,
        confidence=cycle.confidence,
        resamples=command.resamples,
        seed=seed,
        min_count=cycle.min_count,
    )
    return ie.CycleChecked(
        after_start=after.start,
        after_end=after.end,
        value=found.after,
        count=found.after_count,
        cases=after.cases,
        difference=found.difference,
        low=found.low,
        high=found.high,
        confidence=found.confidence,
        p_value=found.p_value,
        resamples=found.resamples,
        seed=seed,
        warnings=found.warnings,
        target_met=target_met(cycle.kpi, cycle.target, found.after),
        **meta,
    )


def target_met(kpi: Kpi, target: float, value: float | None) -> bool:
    """Whether ``value`` reaches ``target`` in the KPI's good direction."""
    if value is None:
        return False
    return value <= target if kpi.lower_is_better else value >= target


def _require_text(what: str, name: str, text: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(what, [f"{name}: must not be empty"])
