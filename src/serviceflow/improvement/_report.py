"""How cycles read in reports: the history table's rows, one cycle's details as rows, and
every cycle in a store (for reports without a desk)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import cast

from serviceflow.analytics._kpi_sample import TIME_KPIS, Kpi
from serviceflow.desk._aggregate import Streams
from serviceflow.eventlog._store import Store
from serviceflow.improvement._cycle import Cycle
from serviceflow.improvement._evolve import KIND

__all__ = ["show_rows"]


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
