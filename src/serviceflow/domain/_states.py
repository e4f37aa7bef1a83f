"""The states a case can be in: the lifecycle's vocabulary, shared by policy and rules."""

from __future__ import annotations

INTAKE = "intake"
CLASSIFIED = "classified"
PRIORITIZED = "prioritized"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
WAITING_ON_CLIENT = "waiting_on_client"
RESOLVED = "resolved"
VALIDATED = "validated"
CLOSED = "closed"
CANCELLED = "cancelled"
MERGED = "merged"

STATES: tuple[str, ...] = (
    INTAKE,
    CLASSIFIED,
    PRIORITIZED,
    ASSIGNED,
    IN_PROGRESS,
    WAITING_ON_CLIENT,
    RESOLVED,
    VALIDATED,
    CLOSED,
    CANCELLED,
    MERGED,
)
OPEN_STATES: tuple[str, ...] = STATES[:6]
"""States in which work on the case is still to be done."""
FINAL_STATES: frozenset[str] = frozenset({CANCELLED, MERGED})
"""States no trigger leaves."""
