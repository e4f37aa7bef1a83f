"""Work on many cases at once, each through the pipeline: closing validated cases whose
client stayed silent, and applying a new policy's service levels to the open cases."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from serviceflow.desk._pipeline import Pipeline
from serviceflow.desk._policies import store_policy
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain.policy._policy import Policy, check_policy
from serviceflow.errors import (
    ConcurrencyConflict,
    GuardrailViolation,
    InvalidTransition,
    ValidationError,
)
from serviceflow.eventlog import _policy_log as policy_log
from serviceflow.eventlog._store import Store
from serviceflow.rules._decide import check_case_guardrails
from serviceflow.rules._lifecycle import OPEN_STATES, RESOLVED, VALIDATED
from serviceflow.rules._reapply import clock_changes

log = logging.getLogger("serviceflow.desk")

AUTO_CONFIRM = "system:auto-confirm"
REAPPLY_BATCH = 500
"""Cases ``reapply_policy`` writes in one transaction."""


class Desk(Protocol):
    """What the upkeep reads of its desk."""

    store: Store
    policy: Policy

    def cases(self, *, state: str | Iterable[str] | None = None) -> Iterator[Case]: ...

    def execute(self, command: cmd.Command, *, expected_version: int | None = None) -> Case: ...


def auto_confirm(desk: Desk, pipeline: Pipeline) -> list[Case]:
    """Close every validated case whose client stayed silent past the auto-confirm window
    (counted from the resolution); cases that changed meanwhile are skipped."""
    now = pipeline.now()
    window = desk.policy.lifecycle.auto_confirm_after
    due = [
        case.id
        for case in desk.cases(state=VALIDATED)
        if case.confirmed_at is None
        and case.resolved_at is not None
        and now - case.resolved_at >= window
        and _may_close(case, desk.policy)
    ]
    closed = []
    for case_id in due:
        try:
            closed.append(desk.execute(cmd.Close(case_id=case_id, by=AUTO_CONFIRM)))
        except (InvalidTransition, ConcurrencyConflict, ValidationError, GuardrailViolation):
            log.warning("auto-confirm skipped case %s: it changed meanwhile", case_id)
    return closed


def _may_close(case: Case, policy: Policy) -> bool:
    """Would the policy's guardrails let auto-confirm close ``case``? (Checked quietly:
    a case that must wait for its client is not a refusal to audit at every run.)"""
    try:
        check_case_guardrails(case, cmd.Close(case_id=case.id, by=AUTO_CONFIRM), policy)
    except GuardrailViolation:
        return False
    return True


def reapply_policy(
    desk: Desk,
    pipeline: Pipeline,
    policy: Policy,
    *,
    by: str,
    reason: str,
    progress: Callable[[int, int], None] | None,
) -> list[Case]:
    """Make ``policy`` the desk's, record it in the policy log, and apply its service levels
    to the live cases whose clocks it changes (``rules.clock_changes``), ``REAPPLY_BATCH``
    to a transaction, telling ``progress(done, of)`` after each; the cases touched."""
    previous = desk.policy
    desk.policy = check_policy(policy)
    store_policy(desk.store, desk.policy, pipeline.now(), warn=False)
    applied = ev.PolicyApplied(
        version=desk.policy.version,
        previous=previous.version,
        reason=reason,
        at=pipeline.now(),
        by=by,
        policy=desk.policy.version,
    )
    policy_log.record(desk.store, applied)
    live = (*OPEN_STATES, RESOLVED, VALIDATED)
    changes = clock_changes(previous, desk.policy)
    ids = [c.id for c in desk.cases(state=live) if changes(c)]
    why = f"policy {previous.version} replaced by {desk.policy.version}"
    touched: list[Case] = []
    for start in range(0, len(ids), REAPPLY_BATCH):
        with pipeline.batched():
            for case_id in ids[start : start + REAPPLY_BATCH]:
                touched += _reapplied(desk, case_id, by, why)
        if progress is not None:
            progress(min(start + REAPPLY_BATCH, len(ids)), len(ids))
    return touched


def _reapplied(desk: Desk, case_id: str, by: str, reason: str) -> list[Case]:
    """The case with the policy's level applied, or nothing if it changed meanwhile."""
    try:
        return [desk.execute(cmd.ApplyServiceLevel(case_id=case_id, by=by, reason=reason))]
    except (InvalidTransition, ConcurrencyConflict, ValidationError):
        log.warning("reapply_policy skipped case %s: it changed meanwhile", case_id)
        return []
