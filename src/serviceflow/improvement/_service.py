"""``Improvement``, the service over a desk's store: it measures, decides, appends and
switches the desk's policy for each step of a PDCA cycle."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from serviceflow.analytics._kpi_sample import TIME_KPIS, Kpi, desk_sample, scope_problems
from serviceflow.clock import require_aware
from serviceflow.core._arguments import checked_methods
from serviceflow.core._convert import canonical_json
from serviceflow.desk._aggregate import Stored, Streams
from serviceflow.domain._serialization import iso
from serviceflow.errors import ValidationError
from serviceflow.eventlog._policy_log import stored_policy
from serviceflow.improvement._cycle import CHECKING, DOING, Cycle, DryRun
from serviceflow.improvement._decide import (
    Cancel,
    Check,
    Command,
    Do,
    DryRunCommand,
    Plan,
    RollBack,
    Standardise,
    _target_problems,
    decide,
)
from serviceflow.improvement._evolve import KIND
from serviceflow.improvement._patch import apply_patch
from serviceflow.improvement._workflow import WORKFLOW, fire

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

__all__ = ["Improvement"]

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
