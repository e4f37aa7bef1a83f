"""Priority: the impact × urgency matrix, category overrides and tier raises, with reasons."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from attrs import frozen

from serviceflow.domain._events import Event, Prioritized
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import ValidationError


@frozen
class PriorityDecision:
    """A priority and the explanation of how it was reached."""

    priority: str
    rule: str
    reason: str


def decide_priority(
    policy: Policy,
    *,
    impact: str | None,
    urgency: str | None,
    category: str | None,
    tier: str,
) -> PriorityDecision:
    """Apply the policy: category override, else the matrix; then the tier's raise."""
    pri = policy.priority
    override = policy.category_map.get(category) if category is not None else None
    steps: list[str] = []
    if override is not None and override.priority is not None:
        base, rule = override.priority, "category"
        steps.append(f"category {category!r} sets {base}")
    else:
        problems = []
        if impact is None:
            problems.append(f"impact: required (one of {', '.join(pri.impacts)})")
        elif impact not in pri.impacts:
            problems.append(f"impact: expected one of {', '.join(pri.impacts)}, got {impact!r}")
        if urgency is None:
            problems.append(f"urgency: required (one of {', '.join(pri.urgencies)})")
        elif urgency not in pri.urgencies:
            problems.append(f"urgency: expected one of {', '.join(pri.urgencies)}, got {urgency!r}")
        if problems:
            raise ValidationError("cannot prioritize by the matrix", problems)
        assert impact is not None
        assert urgency is not None
        base, rule = pri.matrix[impact][urgency], "matrix"
        steps.append(f"impact {impact} × urgency {urgency} gives {base} by the matrix")
    raised = policy.tier_map[tier].raise_priority if tier in policy.tier_map else 0
    final = pri.names[max(pri.rank(base) - raised, 0)]
    if final != base:
        steps.append(f"tier {tier!r} raises it to {final}")
        rule = f"{rule}+tier"
    return PriorityDecision(final, rule, "; ".join(steps))


@frozen
class PriorityChange:
    """One decision on a case's priority: what, by whom, when, under which rule, and why."""

    at: datetime
    by: str
    priority: str
    impact: str | None
    urgency: str | None
    rule: str
    reason: str
    policy: str


@frozen
class PriorityExplanation:
    """A case's priority and every decision that led to it, oldest first."""

    case_id: str
    priority: str | None
    changes: tuple[PriorityChange, ...]

    def text(self) -> str:
        """The explanation as lines a person reads."""
        if not self.changes:
            return f"case {self.case_id} has no priority yet"
        lines = [f"case {self.case_id} is {self.priority}"]
        lines += [
            f"- {c.at.isoformat(timespec='seconds')} {c.by} set {c.priority} ({c.rule}): {c.reason}"
            for c in self.changes
        ]
        return "\n".join(lines)


def explain_priority(case_id: str, history: Iterable[Event]) -> PriorityExplanation:
    """Why ``case_id`` has its priority: every ``Prioritized`` event of its history."""
    changes = tuple(
        PriorityChange(e.at, e.by, e.priority, e.impact, e.urgency, e.rule, e.reason, e.policy)
        for e in history
        if isinstance(e, Prioritized)
    )
    return PriorityExplanation(case_id, changes[-1].priority if changes else None, changes)
