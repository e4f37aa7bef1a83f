"""A problem as its events leave it: the workflow's states and the frozen state types.

A problem moves define → gather data → root cause → corrective action → monitor
recurrence → closed; similar incidents during monitoring send it back to root cause. Each
step records its evidence. A known error carries a workaround that agents see on linked
cases and on new cases matching the problem's fingerprint.

The rules (machine, ``decide``, ``evolve``, grouping) are pure; ``Problems`` is the edge
that reads cases and appends to ``problem:`` streams through ``aggregate.Streams``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import frozen

from serviceflow.rules._fingerprint import Fingerprint

__all__ = [
    "CLOSED",
    "CORRECTIVE_ACTION",
    "DEFAULT_QUIET_PERIOD",
    "DEFINED",
    "GATHERING_DATA",
    "MONITORING",
    "OPEN_STATES",
    "ROOT_CAUSE",
    "STATES",
    "KnownError",
    "Problem",
    "Recurrence",
    "Step",
    "normalise_item",
]

DEFINED = "defined"
GATHERING_DATA = "gathering_data"
ROOT_CAUSE = "root_cause"
CORRECTIVE_ACTION = "corrective_action"
MONITORING = "monitoring"
CLOSED = "closed"
STATES: tuple[str, ...] = (
    DEFINED,
    GATHERING_DATA,
    ROOT_CAUSE,
    CORRECTIVE_ACTION,
    MONITORING,
    CLOSED,
)
OPEN_STATES: tuple[str, ...] = STATES[:-1]

DEFAULT_QUIET_PERIOD = timedelta(days=14)
"""How long monitoring must see no similar incident before a problem may close."""


# --- state ---------------------------------------------------------------------------------


@frozen(kw_only=True)
class Step:
    """One recorded step of the analysis: which, what it found or did, and its evidence."""

    step: str
    what: str
    evidence: str
    at: datetime
    by: str


@frozen(kw_only=True)
class Recurrence:
    """Incidents that came back during monitoring."""

    at: datetime
    case_ids: tuple[str, ...]
    evidence: str


@frozen(kw_only=True)
class KnownError:
    """A known error: what fails and the workaround agents apply until it is fixed."""

    error: str
    workaround: str
    at: datetime
    by: str


@frozen(kw_only=True)
class Problem:
    """What is known about a problem after folding its events."""

    id: str
    state: str
    title: str
    statement: str
    category: str | None
    item: str | None
    terms: frozenset[str]
    case_ids: tuple[str, ...]
    defined_at: datetime
    defined_by: str
    updated_at: datetime
    steps: tuple[Step, ...] = ()
    root_cause: str | None = None
    corrective_action: str | None = None
    corrected_at: datetime | None = None
    """When the first corrective action was taken."""
    corrective_actions: int = 0
    monitoring_since: datetime | None = None
    quiet_period: timedelta | None = None
    recurrences: tuple[Recurrence, ...] = ()
    known_error: KnownError | None = None
    closed_at: datetime | None = None

    @property
    def fingerprint(self) -> Fingerprint:
        """What incidents of this problem look like."""
        return Fingerprint(self.category, self.terms, self.item)

    @property
    def is_open(self) -> bool:
        """Not closed yet."""
        return self.state != CLOSED

    @property
    def quiet_until(self) -> datetime | None:
        """When monitoring may end without recurrence (``None`` unless monitoring)."""
        if self.state != MONITORING or self.monitoring_since is None:
            return None
        return self.monitoring_since + (self.quiet_period or DEFAULT_QUIET_PERIOD)


def normalise_item(item: str | None) -> str | None:
    """A configuration item as fingerprints hold it: stripped and casefolded (``None``
    stays ``None``; an empty one is left empty for ``decide`` to refuse)."""
    return item.strip().casefold() if item is not None else None
