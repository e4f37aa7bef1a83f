"""Improvement (PDCA) cycles: plan a policy change against a KPI, do it, check it, act on it.

A cycle is its own event stream (``improvement:PDCA-1``) on the aggregate foundation:
``decide`` (pure) validates a command against the one static ``transitions`` machine and
returns events, ``evolve`` folds them, ``Improvement`` (the service) measures, appends and
switches the desk's policy. ``docs/improvement.md`` is the user's guide.

planned → (dry_run) → doing → checking (check again) → standardised | rolled_back;
planned → cancelled.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from attrs import evolve as replace
from attrs import field, frozen

from serviceflow.analytics._effect import Effect, effect
from serviceflow.analytics._kpi_sample import TIME_KPIS, Kpi, Sample, desk_sample, scope_problems
from serviceflow.clock import require_aware
from serviceflow.core._arguments import checked_methods
from serviceflow.core._convert import canonical_json
from serviceflow.core._identity import identity_problems
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.desk._aggregate import Kind, Stored, Streams
from serviceflow.domain._events import Event
from serviceflow.domain._serialization import iso
from serviceflow.domain.policy._policy import Policy, load_policy
from serviceflow.errors import InvalidTransition, NotFound, PolicyError, ValidationError
from serviceflow.eventlog._policy_log import stored_policy
from serviceflow.eventlog._store import Store
from serviceflow.improvement import _events as ie
from serviceflow.rules import _workflow as workflow

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

__all__ = [
    "KIND",
    "MACHINE",
    "WORKFLOW",
    "Check",
    "Cycle",
    "DryRun",
    "Improvement",
    "InvalidCycleTransition",
    "Plan",
    "apply_patch",
    "decide",
    "evolve",
    "show_rows",
]

PLANNED = "planned"
DOING = "doing"
CHECKING = "checking"
STANDARDISED = "standardised"
ROLLED_BACK = "rolled_back"
CANCELLED = "cancelled"
STATES = (PLANNED, DOING, CHECKING, STANDARDISED, ROLLED_BACK, CANCELLED)
FINAL = (STANDARDISED, ROLLED_BACK, CANCELLED)

TRANSITIONS: tuple[workflow.Step, ...] = (
    workflow.Step("dry_run", (PLANNED,), None, doc="predict the KPI under the patch"),
    workflow.Step("do", (PLANNED,), DOING, doc="apply the patch as a new policy version"),
    workflow.Step("check", (DOING,), CHECKING, doc="measure the KPI after the change"),
    workflow.Step("check", (CHECKING,), None, doc="measure again, over a longer window"),
    workflow.Step("standardise", (CHECKING,), STANDARDISED, doc="keep the version"),
    workflow.Step("roll_back", (CHECKING,), ROLLED_BACK, doc="restore the previous version"),
    workflow.Step("cancel", (PLANNED,), CANCELLED, doc="drop a plan never applied"),
)


class InvalidCycleTransition(InvalidTransition):
    """A PDCA step is not allowed in the cycle's current state (or a rule refused it)."""

    KIND = "improvement cycle"


WORKFLOW = workflow.Workflow(
    "improvement",
    STATES,
    TRANSITIONS,
    start="plan",
    finals=FINAL,
    refusal=InvalidCycleTransition,
)
"""The PDCA cycle: plan, do, check, act."""
MACHINE = WORKFLOW.machine
"""The one PDCA machine; it never holds a model."""
DESTINATIONS = WORKFLOW.destinations
ALLOWED = WORKFLOW.allowed


class _Subject:
    """What a trigger is fired on: only the state (PDCA rules need nothing else)."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def fire(cycle_id: str, state: str, trigger: str) -> str:
    """Fire ``trigger`` from ``state`` on the static machine; the new state, or
    ``InvalidCycleTransition`` naming what is allowed."""
    return WORKFLOW.fire(_Subject(state), trigger, cycle_id)


# --- state --------------------------------------------------------------------------------


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


# --- commands and decide ------------------------------------------------------------------


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


# --- policy patches -----------------------------------------------------------------------


def merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``patch`` laid over ``base``: tables merge key by key, everything else (lists
    included) is replaced."""
    merged = dict(base)
    for key, value in patch.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = merge(current, value)
        else:
            merged[key] = value
    return merged


def apply_patch(policy: Policy, patch: Mapping[str, Any]) -> Policy:
    """The policy ``patch`` makes of ``policy``; a bad patch is a ``PolicyError`` naming
    every problem with its path."""
    if not isinstance(patch, Mapping):
        raise PolicyError("policy patch", [f"$: expected a table, got {type(patch).__name__}"])
    return load_policy(merge(json.loads(policy.document()), patch))


# --- the service --------------------------------------------------------------------------

_INSTANT = timedelta(microseconds=1)
DRY_RUN_CAVEAT = (
    "replays what people did under the patched rules: targets, calendars and pauses are "
    "re-measured; changed human behaviour (faster replies, other routing) is not predicted"
)
_BEHAVIOUR_CAVEAT = (
    "this KPI measures what people do, which the replay keeps as it was: "
    "the prediction equals the baseline unless the patch changes its business calendar"
)


@checked_methods
class Improvement:
    """PDCA cycles on a desk: plan, dry-run, do, check, standardise or roll back."""

    def __init__(self, desk: ServiceDesk) -> None:
        self.desk = desk
        self.streams: Streams[Cycle] = Streams(desk.store, KIND, longest=desk.policy.limits.text)

    def plan(
        self,
        *,
        kpi: Kpi,
        target: float,
        baseline: tuple[datetime, datetime],
        by: str,
        patch: Mapping[str, Any] | None = None,
        note: str = "",
        hypothesis: str = "",
        scope: Mapping[str, str] | None = None,
        cycle_id: str | None = None,
        min_count: int = 30,
        confidence: float = 0.95,
    ) -> Cycle:
        """Measure the baseline over ``[start, end)``, validate the patch against the
        desk's policy, and record the plan; nothing is written if anything is wrong."""
        cycle_id = cycle_id or self.streams.next_id("PDCA")
        KIND.stream(cycle_id)  # a bad id is refused before anything is measured
        problems = kpi.problems() + scope_problems(scope or {}) + _target_problems(kpi, target)
        if problems:
            raise ValidationError(f"improvement cycle {cycle_id}", problems)
        patch = {} if patch is None else patch
        patched = apply_patch(self.desk.policy, patch)  # a patch that is not a table too
        patch = dict(patch)
        start, end = baseline
        sample = desk_sample(self.desk, kpi, start=start, end=end, scope=scope)
        command = Plan(
            cycle_id=cycle_id,
            by=by,
            kpi=kpi,
            scope=scope or {},
            baseline=sample,
            target=target,
            hypothesis=hypothesis,
            patch=canonical_json(patch),
            note=note,
            base_version=self.desk.policy.version,
            patched_version=patched.version,
            min_count=min_count,
            confidence=confidence,
        )
        found = self.streams.load(cycle_id)
        events = decide(
            found.state if found else None, command, now=self._now(), policy=self._version()
        )
        self.desk.store.save_policy(patched.version, patched.document(), iso(self._now()))
        return self.streams.append(cycle_id, events, found).state

    def dry_run(self, cycle_id: str, *, by: str) -> DryRun:
        """Replay the baseline window's cases under the desk's policy with the patch, and
        record the predicted KPI next to the baseline (see ``DRY_RUN_CAVEAT``)."""
        stored = self.streams.get(cycle_id)
        cycle = stored.state
        fire(cycle.id, cycle.state, "dry_run")
        patched = apply_patch(self.desk.policy, json.loads(cycle.patch))
        predicted = desk_sample(
            self.desk,
            cycle.kpi,
            start=cycle.baseline.start,
            end=cycle.baseline.end,
            scope=cycle.scope,
            policy=patched,
        )
        caveat = _BEHAVIOUR_CAVEAT if cycle.kpi.name != "sla" else DRY_RUN_CAVEAT
        if cycle.kpi.name in TIME_KPIS and cycle.kpi.time == "business":
            caveat = DRY_RUN_CAVEAT
        command = DryRunCommand(
            by=by, patched_version=patched.version, predicted=predicted, caveat=caveat
        )
        after = self._append(stored, command)
        assert after.dry_run is not None
        return after.dry_run

    def do(self, cycle_id: str, *, by: str) -> Cycle:
        """Apply the patch to the policy in force now, as a new policy version, and re-apply
        it to open cases (``desk.reapply_policy``). One cycle at a time is in Do or Check."""
        stored = self.streams.get(cycle_id)
        cycle = stored.state
        fire(cycle.id, cycle.state, "do")
        busy = [c.id for c in self.all() if c.state in (DOING, CHECKING) and c.id != cycle.id]
        if busy:
            raise WORKFLOW.refuse(
                cycle.id,
                cycle.state,
                "do",
                f"cycle {busy[0]} is still being tried (act on it first)",
            )
        previous = self.desk.policy
        patched = apply_patch(previous, json.loads(cycle.patch))
        command = Do(by=by, previous_version=previous.version, applied_version=patched.version)
        after = self._append(stored, command)
        self.desk.reapply_policy(patched, by=by, reason=f"improvement {cycle.id}: do")
        return after

    def check(
        self, cycle_id: str, *, by: str, end: datetime | None = None, resamples: int = 2000
    ) -> Cycle:
        """Measure the KPI from Do until ``end`` (default: up to and including now) under the
        applied policy, and record the effect against the baseline, its interval, warnings."""
        stored = self.streams.get(cycle_id)
        cycle = stored.state
        fire(cycle.id, cycle.state, "check")
        assert cycle.done_at is not None
        assert cycle.applied_version is not None
        now = self._now()
        stop = require_aware(end, "check end") if end is not None else now + _INSTANT
        if stop > now + _INSTANT:
            raise ValidationError(
                f"improvement cycle {cycle.id}",
                [f"end: {iso(stop)} is in the future; the after window ends at most now"],
            )
        if stop <= cycle.done_at:
            raise WORKFLOW.refuse(
                cycle.id,
                cycle.state,
                "check",
                f"nothing to measure yet: Do took effect at {iso(cycle.done_at)}",
            )
        policy = stored_policy(self.desk.store, cycle.applied_version)
        sample = desk_sample(
            self.desk, cycle.kpi, start=cycle.done_at, end=stop, scope=cycle.scope, policy=policy
        )
        return self._append(stored, Check(by=by, after=sample, resamples=resamples))

    def standardise(self, cycle_id: str, *, by: str, sop: str) -> Cycle:
        """Act: the applied version stays in force as the standard; the SOP change is recorded."""
        stored = self.streams.get(cycle_id)
        return self._append(stored, Standardise(by=by, sop=sop))

    def roll_back(self, cycle_id: str, *, by: str, reason: str) -> Cycle:
        """Act: record the roll back, then restore the version that was in force before Do."""
        stored = self.streams.get(cycle_id)
        after = self._append(stored, RollBack(by=by, reason=reason))
        assert after.in_force is not None
        restored = stored_policy(self.desk.store, after.in_force)
        self.desk.reapply_policy(restored, by=by, reason=f"improvement {cycle_id}: rolled back")
        return after

    def cancel(self, cycle_id: str, *, by: str, reason: str) -> Cycle:
        """Drop a plan that was never applied."""
        return self._append(self.streams.get(cycle_id), Cancel(by=by, reason=reason))

    def get(self, cycle_id: str) -> Cycle:
        """The cycle; ``NotFound`` if there is none."""
        return self.streams.get(cycle_id).state

    def all(self) -> list[Cycle]:
        """Every cycle, oldest plan first."""
        return sorted((s.state for s in self.streams.all()), key=lambda c: (c.planned_at, c.id))

    def _append(self, stored: Stored[Cycle], command: Command) -> Cycle:
        events = decide(stored.state, command, now=self._now(), policy=self._version())
        return self.streams.append(stored.id, events, stored).state

    def _now(self) -> datetime:
        return require_aware(self.desk.clock.now(), "clock.now()")

    def _version(self) -> str:
        return self.desk.policy.version


# --- report -------------------------------------------------------------------------------


def _when(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _number(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if kpi.name in TIME_KPIS:
        return f"{value:,.0f} s"
    return f"{value:.1%}"


def _signed(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if kpi.name in TIME_KPIS:
        return f"{value:+,.0f} s"
    return f"{value * 100:+.1f} pts"


def scope_text(cycle: Cycle) -> str:
    """``category=billing, tier=premium``, or ``all cases``."""
    return ", ".join(f"{k}={v}" for k, v in sorted(cycle.scope.items())) or "all cases"


def result_text(cycle: Cycle) -> str:
    """The check's value, effect and interval in one line (``—`` before a check)."""
    if cycle.check is None:
        return "—"
    found = cycle.check.effect
    interval = (
        f" [{_signed(cycle.kpi, found.low)}, {_signed(cycle.kpi, found.high)}]"
        if found.low is not None
        else ""
    )
    met = "target met" if cycle.check.target_met else "target missed"
    return (
        f"{_number(cycle.kpi, found.after)} (n={found.after_count}); "
        f"{_signed(cycle.kpi, found.difference)}{interval} at {found.confidence:.0%}; {met}"
    )


def list_row(cycle: Cycle) -> tuple[str, ...]:
    """One cycle in the history table: id, state, KPI, scope, baseline, target, result,
    policy version in force."""
    relation = "≤" if cycle.kpi.lower_is_better else "≥"
    return (
        cycle.id,
        cycle.state,
        cycle.kpi.label,
        scope_text(cycle),
        f"{_number(cycle.kpi, cycle.baseline.value)} (n={cycle.baseline.count})",
        f"{relation} {_number(cycle.kpi, cycle.target)}",
        result_text(cycle),
        cycle.in_force or "—",
    )


LIST_COLUMNS = ("id", "state", "KPI", "scope", "baseline", "target", "result", "in force")


def show_rows(cycle: Cycle) -> Iterator[tuple[str, str]]:
    """The cycle as ``(field, value)`` rows: plan, dry run, do, check, act."""
    kpi = cycle.kpi
    yield "id", cycle.id
    yield "state", cycle.state
    yield "KPI", kpi.label
    yield "scope", scope_text(cycle)
    base = cycle.baseline
    yield (
        "baseline",
        (
            f"{_number(kpi, base.value)} over {base.count} value(s) of {base.cases} case(s), "
            f"{_when(base.start)} – {_when(base.end)}"
        ),
    )
    yield "target", f"{'≤' if kpi.lower_is_better else '≥'} {_number(kpi, cycle.target)}"
    yield "hypothesis", cycle.hypothesis or "—"
    yield "patch", cycle.patch
    yield "note", cycle.note or "—"
    yield "planned", f"{_when(cycle.planned_at)} by {cycle.planned_by}"
    yield "versions", f"base {cycle.base_version}, patched {cycle.patched_version}"
    if cycle.dry_run is not None:
        run = cycle.dry_run
        yield (
            "dry run",
            (
                f"predicted {_number(kpi, run.predicted_value)} (n={run.count}) against "
                f"{_number(kpi, run.baseline_value)}; {run.caveat}"
            ),
        )
    if cycle.done_at is not None:
        yield "do", f"{_when(cycle.done_at)}: {cycle.previous_version} → {cycle.applied_version}"
    if cycle.check is not None:
        after = cycle.check.after
        yield "check window", f"{_when(after.start)} – {_when(after.end)} ({after.cases} case(s))"
        yield "result", result_text(cycle)
        p_value = cycle.check.effect.p_value
        yield "rank test", f"p = {p_value:.3g}" if p_value is not None else "—"
        for warning in cycle.check.effect.warnings:
            yield "warning", warning
    if cycle.decision is not None:
        yield (
            "decision",
            f"{cycle.decision} at {_when(cast(datetime, cycle.decided_at))} by {cycle.decided_by}",
        )
        if cycle.sop:
            yield "SOP", cycle.sop
        if cycle.reason:
            yield "reason", cycle.reason
    yield "in force", cycle.in_force or "—"


def cycles_in(store: Store) -> Sequence[Cycle]:
    """Every cycle in ``store``, oldest plan first (for reports without a desk)."""
    return sorted((s.state for s in Streams(store, KIND).all()), key=lambda c: (c.planned_at, c.id))
