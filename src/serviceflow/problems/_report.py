"""The problem report (pure): open problems, incidents linked, and recurrence after
corrective action, built from the problems as they stand at an instant."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from attrs import frozen

from serviceflow.problems._problem import STATES, Problem

__all__ = ["ProblemReport", "ProblemRow", "RecurrenceRow", "build_report"]


@frozen(kw_only=True)
class ProblemRow:
    """One open problem in the report."""

    id: str
    title: str
    state: str
    incidents: int
    defined_at: datetime
    age: timedelta
    known_error: bool
    recurrences: int


@frozen(kw_only=True)
class RecurrenceRow:
    """A problem that had a corrective action, and what came back after it."""

    problem_id: str
    state: str
    corrected_at: datetime
    corrective_actions: int
    recurrences: int
    recurring_incidents: int


@frozen(kw_only=True)
class ProblemReport:
    """Open problems, incidents linked and recurrence after corrective action, at ``at``."""

    at: datetime
    open: tuple[ProblemRow, ...]
    by_state: tuple[tuple[str, int], ...]
    problems: int
    incidents_linked: int
    """Distinct cases linked to any problem."""
    incidents_linked_open: int
    """Distinct cases linked to an open problem."""
    recurrence: tuple[RecurrenceRow, ...]
    corrected: int
    recurred: int

    @property
    def recurrence_rate(self) -> float | None:
        """Share of corrected problems whose incidents came back (``None``: none corrected)."""
        return self.recurred / self.corrected if self.corrected else None


def build_report(problems: Iterable[Problem], at: datetime) -> ProblemReport:
    """The report over ``problems`` as they stand at ``at``; pure."""
    listed = sorted(problems, key=lambda p: (p.defined_at, p.id))
    open_rows = tuple(
        ProblemRow(
            id=p.id,
            title=p.title,
            state=p.state,
            incidents=len(p.case_ids),
            defined_at=p.defined_at,
            age=at - p.defined_at,
            known_error=p.known_error is not None,
            recurrences=len(p.recurrences),
        )
        for p in listed
        if p.is_open
    )
    counts = Counter(p.state for p in listed)
    recurrence = tuple(
        RecurrenceRow(
            problem_id=p.id,
            state=p.state,
            corrected_at=p.corrected_at,
            corrective_actions=p.corrective_actions,
            recurrences=len(p.recurrences),
            recurring_incidents=len({c for r in p.recurrences for c in r.case_ids}),
        )
        for p in listed
        if p.corrected_at is not None
    )
    return ProblemReport(
        at=at,
        open=open_rows,
        by_state=tuple((s, counts[s]) for s in STATES if counts[s]),
        problems=len(listed),
        incidents_linked=len({c for p in listed for c in p.case_ids}),
        incidents_linked_open=len({c for p in listed if p.is_open for c in p.case_ids}),
        recurrence=recurrence,
        corrected=len(recurrence),
        recurred=sum(1 for r in recurrence if r.recurrences),
    )
