"""A log's support line as escalations: the tier a row's line names, and the move that takes
its case there (up or across: an escalation with trigger ``import``; down: a de-escalation).
"""

from __future__ import annotations

from typing import Any, Protocol

from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain.policy._escalation import FUNCTIONAL, HIERARCHICAL
from serviceflow.importing._track import Run
from serviceflow.rules._lifecycle import DESTINATIONS


class Row(Protocol):
    """What these functions read and write of a row's plan (``_plan.Row``)."""

    run: Run
    row: list[str]
    case: Case | None
    line_tier: str | None
    meta: dict[str, Any]
    not_recorded: list[str]

    def emit(self, event: ev.Event) -> Case: ...

    def reason(self, key: str) -> str: ...


IMPORT = "import"
"""The trigger of an escalation the log records (its support line rose)."""


def tier_named(row: Row) -> str | None:
    """The escalation tier the row's support line names, where it differs from the case's;
    a value out of the table or a tier the policy lacks is reported."""
    run = row.run
    column = run.columns.get("support_line")
    if column is None or row.row[column.index] in run.nulls:
        return None
    raw = row.row[column.index]
    tier = raw if column.table is None else column.table.get(raw)
    if tier is None:
        row.not_recorded.append(f"support line {raw!r} not recorded: not in $.values.support_line")
        return None
    if run.policy.escalation.tier(tier) is None:
        row.not_recorded.append(
            f"support line {raw!r} not recorded: the policy has no escalation tier {tier!r}"
        )
        return None
    return tier if tier != current_tier(row) else None


def current_tier(row: Row) -> str | None:
    """The escalation tier holding the case: its last move's, else the policy's first."""
    assert row.case is not None
    if row.case.escalation is not None:
        return row.case.escalation.tier
    entry = row.run.policy.escalation.entry
    return None if entry is None else entry.name


def escalated(row: Row) -> None:
    """Record the move to the row's tier: up or across is an escalation (trigger ``import``),
    down a de-escalation; it waits for a state that allows it."""
    case, wanted = row.case, row.line_tier
    assert case is not None
    current = current_tier(row)
    if wanted is None or current is None or wanted == current:
        return
    tiers = row.run.policy.escalation
    to, at = tiers.tier(wanted), tiers.tier(current)
    assert to is not None
    rising = at is None or to.level >= at.level
    if (("escalate" if rising else "deescalate"), case.state) not in DESTINATIONS:
        return
    reason = row.reason("support_line")
    if rising:
        kind = HIERARCHICAL if at is None or to.level > at.level else FUNCTIONAL
        row.emit(
            ev.Escalated(
                from_tier=current,
                to_tier=wanted,
                kind=kind,
                trigger=IMPORT,
                reason=reason,
                message="",
                **row.meta,
            )
        )
    else:
        row.emit(ev.Deescalated(from_tier=current, to_tier=wanted, reason=reason, **row.meta))
    row.line_tier = None
