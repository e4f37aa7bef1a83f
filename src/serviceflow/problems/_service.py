"""``Problems``, the service over a desk's store (the I/O edge), and the desk-level reads
built on it: candidates, unlinked incidents, workarounds, recurrence checks, the report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from serviceflow.core import _retry as retry
from serviceflow.core._arguments import checked_methods
from serviceflow.desk._aggregate import Stored, Streams
from serviceflow.domain._case import Case
from serviceflow.errors import ConcurrencyConflict, NotFound, ValidationError
from serviceflow.problems._decide import (
    Close,
    Command,
    Correct,
    Define,
    Gather,
    IdentifyRootCause,
    Link,
    Monitor,
    RecordKnownError,
    Recur,
    decide,
)
from serviceflow.problems._evolve import KIND
from serviceflow.problems._matching import (
    Candidate,
    RecurrenceCheck,
    Unlinked,
    Workaround,
    _best_match,
    _check_window,
    common_fingerprint,
    group_similar,
)
from serviceflow.problems._problem import DEFAULT_QUIET_PERIOD, MONITORING, Problem
from serviceflow.problems._report import ProblemReport, build_report
from serviceflow.rules._fingerprint import SIMILAR, Fingerprint, fingerprint_case, similarity, terms

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

EARLIEST = datetime.min.replace(tzinfo=UTC)
"""Where a look back from the earliest instants stops (instead of overflowing)."""

__all__ = [
    "SYSTEM",
    "Problems",
    "check_recurrence",
    "problem_candidates",
    "report",
    "unlinked_incidents",
    "workarounds",
]

SYSTEM = "system:problems"
"""The actor of automatic recurrence checks."""

_IGNORED_CASE_STATES = frozenset({"merged", "cancelled"})


# --- the service (the I/O edge) ------------------------------------------------------------


@checked_methods
class Problems:
    """Problem management on a desk: commands append to ``problem:`` streams; reads fold."""

    def __init__(self, desk: ServiceDesk) -> None:
        self.desk = desk
        self.streams: Streams[Problem] = Streams(desk.store, KIND, longest=desk.policy.limits.text)

    # reads

    def stored(self, problem_id: str) -> Stored[Problem]:
        """The problem with its version and events; ``NotFound`` if it does not exist."""
        return self.streams.get(problem_id)

    def get(self, problem_id: str) -> Problem:
        """The problem as it stands; ``NotFound`` if it does not exist."""
        return self.stored(problem_id).state

    def all(self) -> list[Problem]:
        """Every problem, oldest first."""
        return sorted((s.state for s in self.streams.all()), key=lambda p: (p.defined_at, p.id))

    def candidates(
        self,
        *,
        window: timedelta = timedelta(days=30),
        min_cases: int = 3,
        threshold: float = SIMILAR,
        now: datetime | None = None,
    ) -> list[Candidate]:
        """Groups of similar recent cases neither linked to nor like an open problem (see
        ``problem_candidates``). A read: ``now`` may be any time."""
        return problem_candidates(
            self.desk, window=window, min_cases=min_cases, threshold=threshold, now=now
        )

    def unlinked(
        self,
        *,
        window: timedelta = timedelta(days=30),
        threshold: float = SIMILAR,
        now: datetime | None = None,
    ) -> list[Unlinked]:
        """Recent cases that match an open problem but are not linked to it (see
        ``unlinked_incidents``)."""
        return unlinked_incidents(self.desk, window=window, threshold=threshold, now=now)

    def workarounds(self, case_id: str, *, threshold: float = SIMILAR) -> list[Workaround]:
        """The known-error workarounds that apply to a case (see ``workarounds``)."""
        return workarounds(self.desk, case_id, threshold=threshold)

    def report(self, now: datetime | None = None) -> ProblemReport:
        """Open problems, incidents linked, recurrence after corrective action; ages are
        taken at ``now`` (the desk clock's by default). A read: ``now`` may be any time."""
        return build_report(self.all(), self._now(now))

    def recurring(
        self, problem: Problem, now: datetime | None = None, *, threshold: float = SIMILAR
    ) -> tuple[str, ...]:
        """Unlinked cases similar to a monitored problem submitted since monitoring began and
        up to ``now`` (the desk clock's by default). A read: ``now`` may be any time."""
        if problem.state != MONITORING or problem.monitoring_since is None:
            return ()
        at = self._now(now)
        since = problem.monitoring_since
        print_ = problem.fingerprint
        return tuple(
            case.id
            for case in self.desk.cases()
            if since <= case.submitted_at <= at
            and case.state not in _IGNORED_CASE_STATES
            and case.id not in problem.case_ids
            and similarity(print_, fingerprint_case(case)) >= threshold
        )

    # commands

    def define(
        self,
        title: str,
        statement: str,
        *,
        by: str,
        case_ids: Sequence[str] = (),
        category: str | None = None,
        item: str | None = None,
        symptoms: str | None = None,
        problem_id: str | None = None,
    ) -> Problem:
        """Define a problem. Its fingerprint is what its incidents share
        (``common_fingerprint``), or the terms of ``symptoms`` (else title and statement)
        when no case is given; ``category`` and ``item`` override the shared ones.

        A ``category`` given must be one of the desk policy's (the one the incidents share
        is taken as it is); ``item`` is stripped and casefolded like a case's, and must not
        be blank. Recorded at the desk clock's now."""
        ids = tuple(case_ids)
        cases = self._cases(ids)
        shared = common_fingerprint([fingerprint_case(c) for c in cases])
        known = set(self.desk.policy.category_map)
        if category is None and shared.category is not None:
            known.add(shared.category)
        if symptoms is not None or not cases:
            words = terms(symptoms if symptoms is not None else f"{title}\n{statement}")
        else:
            words = shared.terms
        at = self._clock()
        for attempt in range(5):
            chosen = problem_id if problem_id is not None else self._next_id(attempt)
            command = Define(
                problem_id=chosen,
                title=title,
                statement=statement,
                by=by,
                category=category if category is not None else shared.category,
                item=item if item is not None else shared.item,
                terms=tuple(sorted(words)),
                case_ids=ids,
            )
            existing = self.streams.load(chosen)
            events = decide(
                existing.state if existing is not None else None,
                command,
                now=at,
                policy=self.desk.policy.version,
                categories=known,
            )
            try:
                return self.streams.append(chosen, events, None).state
            except ConcurrencyConflict:
                if problem_id is not None:
                    raise
        raise ConcurrencyConflict(KIND.prefix + "PRB-?", 0)

    def link(self, problem_id: str, case_ids: Sequence[str], *, by: str, note: str = "") -> Problem:
        """Link existing cases to the problem (those already linked are skipped)."""
        ids = tuple(case_ids)
        self._cases(ids)
        return self._execute(problem_id, Link(case_ids=ids, by=by, note=note))

    def gather(self, problem_id: str, evidence: str, *, by: str) -> Problem:
        """Record data gathered about the problem."""
        return self._execute(problem_id, Gather(evidence=evidence, by=by))

    def root_cause(self, problem_id: str, cause: str, *, evidence: str, by: str) -> Problem:
        """Record (or revise) the root cause with its evidence."""
        return self._execute(problem_id, IdentifyRootCause(cause=cause, evidence=evidence, by=by))

    def corrective_action(self, problem_id: str, action: str, *, evidence: str, by: str) -> Problem:
        """Record a corrective action taken against the root cause."""
        return self._execute(problem_id, Correct(action=action, evidence=evidence, by=by))

    def monitor(
        self,
        problem_id: str,
        *,
        by: str,
        quiet_period: timedelta = DEFAULT_QUIET_PERIOD,
        evidence: str = "",
    ) -> Problem:
        """Start watching for recurrence; the problem may close after ``quiet_period``."""
        return self._execute(
            problem_id, Monitor(by=by, quiet_period=quiet_period, evidence=evidence)
        )

    def recur(self, problem_id: str, case_ids: Sequence[str], *, by: str, evidence: str) -> Problem:
        """Report incidents that came back during monitoring: back to root cause."""
        ids = tuple(case_ids)
        self._cases(ids)
        return self._execute(problem_id, Recur(case_ids=ids, evidence=evidence, by=by))

    def close(self, problem_id: str, *, by: str, evidence: str) -> Problem:
        """Close a monitored problem once its quiet period passed with no similar incident
        (both judged, and the close recorded, at the desk clock's now)."""
        return self._execute(problem_id, Close(evidence=evidence, by=by), check=True)

    def known_error(self, problem_id: str, *, error: str, workaround: str, by: str) -> Problem:
        """Record the problem as a known error with a workaround for agents."""
        return self._execute(
            problem_id, RecordKnownError(error=error, workaround=workaround, by=by)
        )

    def check_recurrence(self, problem_id: str, *, by: str = SYSTEM) -> RecurrenceCheck:
        """Look for similar incidents since monitoring began, up to the desk clock's now: if
        any, link them and send the problem back to root cause; otherwise say whether it
        may close."""
        at = self._clock()
        problem = self.get(problem_id)
        found = self.recurring(problem, at)
        if found:
            evidence = f"{len(found)} similar incident(s) since monitoring began"
            problem = self._execute(
                problem_id, Recur(case_ids=found, evidence=evidence, by=by), at=at
            )
        until = problem.quiet_until
        return RecurrenceCheck(
            problem_id=problem.id,
            state=problem.state,
            recurring=found,
            quiet_until=until,
            may_close=until is not None and at >= until,
        )

    def sweep(self, *, by: str = SYSTEM) -> list[RecurrenceCheck]:
        """``check_recurrence`` on every monitored problem (what a periodic tick runs)."""
        return [self.check_recurrence(p.id, by=by) for p in self.all() if p.state == MONITORING]

    # internals

    def _now(self, now: datetime | None) -> datetime:
        """The time a read looks at: ``now`` if given (a past or future view), else the
        desk clock's now. Never used for writes: see ``_clock``."""
        at = now if now is not None else self.desk.clock.now()
        if at.tzinfo is None:
            raise ValidationError("now", [f"{at.isoformat()}: expected an aware datetime"])
        return at

    def _clock(self) -> datetime:
        """The time of a write and of its guards: always the desk clock's now."""
        return self._now(None)

    def _cases(self, case_ids: Sequence[str]) -> list[Case]:
        missing = []
        found = []
        for case_id in case_ids:
            try:
                found.append(self.desk.case(case_id))
            except (NotFound, ValidationError):
                missing.append(case_id)
        if missing:
            raise NotFound("case", ", ".join(missing))
        return found

    def _next_id(self, attempt: int) -> str:
        numbers = [0]
        for stream in self.desk.store.streams(KIND.prefix + "PRB-"):
            tail = stream[len(KIND.prefix) + 4 :]
            if tail.isdigit():
                numbers.append(int(tail))
        return f"PRB-{max(numbers) + 1 + attempt}"

    def _execute(
        self,
        problem_id: str,
        command: Command,
        *,
        at: datetime | None = None,
        check: bool = False,
    ) -> Problem:
        """Decide and append ``command`` at ``at``, a time read from the desk clock by the
        caller (default: the clock's now), never one a caller of the service passed in."""
        at = at if at is not None else self._clock()
        tries = retry.WRITE.start()
        while True:  # another writer moved the problem: decide again after a jittered wait
            stored = self.stored(problem_id)
            recurring = self.recurring(stored.state, at) if check else ()
            events = decide(
                stored.state,
                command,
                now=at,
                policy=self.desk.policy.version,
                recurring=recurring,
            )
            try:
                return self.streams.append(problem_id, events, stored).state
            except ConcurrencyConflict:
                if not tries.wait():
                    raise


def _recent_split(
    desk: ServiceDesk, window: timedelta, threshold: float, now: datetime | None
) -> tuple[list[tuple[str, datetime, Fingerprint]], list[Unlinked]]:
    """The recent cases not linked to an open problem (merged and cancelled left out),
    split into those no open problem's fingerprint matches and, per open problem, those
    that match it."""
    service = Problems(desk)
    at = service._now(now)
    since = at - window if at - EARLIEST > window else EARLIEST
    open_problems = [p for p in service.all() if p.is_open]
    linked = {c for p in open_problems for c in p.case_ids}
    free: list[tuple[str, datetime, Fingerprint]] = []
    matched: dict[str, list[tuple[datetime, str]]] = {}
    for case in desk.cases():
        if (
            not since <= case.submitted_at <= at
            or case.state in _IGNORED_CASE_STATES
            or case.id in linked
        ):
            continue
        print_ = fingerprint_case(case)
        best = _best_match(open_problems, print_, threshold)
        if best is None:
            free.append((case.id, case.submitted_at, print_))
        else:
            matched.setdefault(best.id, []).append((case.submitted_at, case.id))
    unlinked = [
        Unlinked(
            problem_id=p.id,
            title=p.title,
            state=p.state,
            case_ids=tuple(c for _, c in sorted(matched[p.id])),
        )
        for p in open_problems
        if p.id in matched
    ]
    return free, unlinked


def problem_candidates(
    desk: ServiceDesk,
    *,
    window: timedelta = timedelta(days=30),
    min_cases: int = 3,
    threshold: float = SIMILAR,
    now: datetime | None = None,
) -> list[Candidate]:
    """Groups of at least ``min_cases`` similar cases submitted within ``window`` before
    ``now`` (the desk clock's by default; a read, so a past view is fine), neither linked
    to an open problem nor similar (``threshold``) to an open problem's fingerprint (those
    are ``unlinked_incidents``), merged and cancelled cases left out; largest group first,
    then oldest (``group_similar``)."""
    _check_window("problem candidates", window, threshold, min_cases)
    free, _ = _recent_split(desk, window, threshold, now)
    return group_similar(free, min_cases=min_cases, threshold=threshold)


def unlinked_incidents(
    desk: ServiceDesk,
    *,
    window: timedelta = timedelta(days=30),
    threshold: float = SIMILAR,
    now: datetime | None = None,
) -> list[Unlinked]:
    """Recent cases (as ``problem_candidates`` picks them) that match an open problem's
    fingerprint but are not linked to it: link them rather than open a problem. Each case
    goes to the open problem it is most similar to; problems oldest first, cases oldest
    first. A read: ``now`` may be any time."""
    _check_window("unlinked incidents", window, threshold)
    _, unlinked = _recent_split(desk, window, threshold, now)
    return unlinked


def workarounds(desk: ServiceDesk, case_id: str, *, threshold: float = SIMILAR) -> list[Workaround]:
    """Workarounds of the open known errors that apply to a case: those of problems it is
    linked to, then those whose fingerprint it matches, most similar first."""
    case = desk.case(case_id)
    print_ = fingerprint_case(case)
    found: list[Workaround] = []
    for problem in Problems(desk).all():
        known = problem.known_error
        if known is None or not problem.is_open:
            continue
        linked = case.id in problem.case_ids
        alike = similarity(problem.fingerprint, print_)
        if linked or alike >= threshold:
            found.append(
                Workaround(
                    problem_id=problem.id,
                    title=problem.title,
                    error=known.error,
                    workaround=known.workaround,
                    linked=linked,
                    similarity=round(alike, 4),
                )
            )
    found.sort(key=lambda w: (not w.linked, -w.similarity, w.problem_id))
    return found


def check_recurrence(desk: ServiceDesk, problem_id: str, *, by: str = SYSTEM) -> RecurrenceCheck:
    """``Problems(desk).check_recurrence``: recurring incidents send a monitored problem
    back to root cause (judged at the desk clock's now)."""
    return Problems(desk).check_recurrence(problem_id, by=by)


def report(desk: ServiceDesk, now: datetime | None = None) -> ProblemReport:
    """Open problems, incidents linked, recurrence after corrective action."""
    return Problems(desk).report(now)
