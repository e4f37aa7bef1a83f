"""Matching incidents to problems (pure): what similar incidents share, groups of them that
suggest a problem, the open problem an incident is most like, and what such matches find."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from attrs import frozen

from serviceflow.core._duration import LONGEST
from serviceflow.errors import ValidationError
from serviceflow.problems._problem import MONITORING, Problem
from serviceflow.rules._fingerprint import SIMILAR, Fingerprint, similarity

__all__ = [
    "Candidate",
    "RecurrenceCheck",
    "Unlinked",
    "Workaround",
    "common_fingerprint",
    "group_similar",
]


def common_fingerprint(fingerprints: Sequence[Fingerprint]) -> Fingerprint:
    """What a group of incidents has in common: the category (and configuration item) when
    all that name one agree, and the terms found in at least half of them."""
    if not fingerprints:
        return Fingerprint(None, frozenset(), None)
    categories = {f.category for f in fingerprints if f.category is not None}
    items = {f.item for f in fingerprints if f.item is not None}
    counts = Counter(t for f in fingerprints for t in f.terms)
    shared = frozenset(t for t, n in counts.items() if 2 * n >= len(fingerprints))
    return Fingerprint(
        next(iter(categories)) if len(categories) == 1 else None,
        shared,
        next(iter(items)) if len(items) == 1 else None,
    )


@frozen(kw_only=True)
class Candidate:
    """A group of similar recent incidents that suggests a problem."""

    case_ids: tuple[str, ...]
    """Oldest first."""
    fingerprint: Fingerprint
    first_at: datetime
    last_at: datetime
    cohesion: float
    """Mean similarity of the members to the group's central case (0 to 1)."""

    @property
    def size(self) -> int:
        """How many incidents the group holds."""
        return len(self.case_ids)


def group_similar(
    cases: Sequence[tuple[str, datetime, Fingerprint]],
    *,
    min_cases: int = 3,
    threshold: float = SIMILAR,
) -> list[Candidate]:
    """Groups of at least ``min_cases`` cases ``(id, submitted_at, fingerprint)``, each a
    central case and the others similar to it; largest first, then oldest.

    Greedy and deterministic: the case with the most similar cases left (the older on a
    tie) takes them, until no group is big enough. Quadratic in the number of cases.
    """
    ordered = sorted(cases, key=lambda c: (c[1], c[0]))
    n = len(ordered)
    near: list[set[int]] = [set() for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if similarity(ordered[i][2], ordered[j][2]) >= threshold:
                near[i].add(j)
                near[j].add(i)
    left = set(range(n))
    found: list[Candidate] = []
    while left:
        centre = min(left, key=lambda i: (-len(near[i] & left), i))
        members = sorted({centre} | (near[centre] & left))
        if len(members) < max(min_cases, 1):
            break
        left -= set(members)
        others = [similarity(ordered[centre][2], ordered[m][2]) for m in members if m != centre]
        found.append(
            Candidate(
                case_ids=tuple(ordered[m][0] for m in members),
                fingerprint=common_fingerprint([ordered[m][2] for m in members]),
                first_at=ordered[members[0]][1],
                last_at=ordered[members[-1]][1],
                cohesion=round(sum(others) / len(others), 4) if others else 1.0,
            )
        )
    found.sort(key=lambda c: (-c.size, c.first_at, c.case_ids))
    return found


@frozen(kw_only=True)
class Workaround:
    """A known error's workaround as an agent sees it on a case."""

    problem_id: str
    title: str
    error: str
    workaround: str
    linked: bool
    """The case is linked to the problem (else it matches the problem's fingerprint)."""
    similarity: float


@frozen(kw_only=True)
class Unlinked:
    """Recent incidents like an open problem but not linked to it: link them to it."""

    problem_id: str
    title: str
    state: str
    """The problem's state: in ``monitoring`` they are recurrences (``check_recurrence``)."""
    case_ids: tuple[str, ...]
    """Oldest first."""

    @property
    def advice(self) -> str:
        """What to do, in a sentence."""
        verb = "check recurrence of" if self.state == MONITORING else "link them to"
        return f"{len(self.case_ids)} incident(s) match open problem {self.problem_id}: {verb} it"


@frozen(kw_only=True)
class RecurrenceCheck:
    """The outcome of a recurrence check on a problem."""

    problem_id: str
    state: str
    """The state after the check (``root_cause`` when incidents recurred)."""
    recurring: tuple[str, ...]
    quiet_until: datetime | None
    may_close: bool


def _check_window(
    what: str, window: timedelta, threshold: float, min_cases: int | None = None
) -> None:
    problems: list[str] = []
    if window <= timedelta(0):
        problems.append(f"window: {window} must be positive")
    elif window > LONGEST:
        problems.append(f"window: {window} is longer than 100 years")
    if min_cases is not None and min_cases < 2:
        problems.append(f"min_cases: {min_cases}, at least 2")
    if not 0.0 < threshold <= 1.0:
        problems.append(f"threshold: {threshold}, expected more than 0 and at most 1")
    if problems:
        raise ValidationError(what, problems)


def _best_match(
    open_problems: Sequence[Problem], print_: Fingerprint, threshold: float
) -> Problem | None:
    """The open problem whose fingerprint ``print_`` is most similar to (at least
    ``threshold``; the older problem on a tie), or ``None``."""
    best: Problem | None = None
    best_score = threshold
    for problem in open_problems:
        score = similarity(problem.fingerprint, print_)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = problem, score
    return best
