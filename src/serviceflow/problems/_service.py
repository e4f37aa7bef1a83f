"""Problem management: recurring incidents grouped into problems and analysed to their root.

A problem moves define → gather data → root cause → corrective action → monitor
recurrence → closed; similar incidents during monitoring send it back to root cause. Each
step records its evidence. A known error carries a workaround that agents see on linked
cases and on new cases matching the problem's fingerprint.

The rules (machine, ``decide``, ``evolve``, grouping) are pure; ``Problems`` is the edge
that reads cases and appends to ``problem:`` streams through ``aggregate.Streams``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from attrs import evolve as _replace
from attrs import frozen
from transitions import EventData

from serviceflow.core import _retry as retry
from serviceflow.core._arguments import checked_methods
from serviceflow.core._duration import LONGEST
from serviceflow.core._identity import identity_problems
from serviceflow.desk._aggregate import Kind, Stored, Streams
from serviceflow.domain._case import Case
from serviceflow.domain._events import Event
from serviceflow.errors import (
    ConcurrencyConflict,
    IntegrityError,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from serviceflow.problems._events import (
    CorrectiveActionTaken,
    DataGathered,
    IncidentsLinked,
    KnownErrorRecorded,
    MonitoringStarted,
    ProblemClosed,
    ProblemDefined,
    RecurrenceFound,
    RootCauseIdentified,
)
from serviceflow.rules import _workflow as workflow
from serviceflow.rules._fingerprint import SIMILAR, Fingerprint, fingerprint_case, similarity, terms

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

EARLIEST = datetime.min.replace(tzinfo=UTC)
"""Where a look back from the earliest instants stops (instead of overflowing)."""

__all__ = [
    "ALLOWED",
    "CLOSED",
    "CORRECTIVE_ACTION",
    "DEFAULT_QUIET_PERIOD",
    "DEFINED",
    "DESTINATIONS",
    "GATHERING_DATA",
    "KIND",
    "MACHINE",
    "MONITORING",
    "OPEN_STATES",
    "ROOT_CAUSE",
    "STATES",
    "SYSTEM",
    "WORKFLOW",
    "Candidate",
    "Close",
    "Correct",
    "Define",
    "Gather",
    "IdentifyRootCause",
    "InvalidProblemTransition",
    "KnownError",
    "Link",
    "Monitor",
    "Problem",
    "ProblemReport",
    "ProblemRow",
    "Problems",
    "RecordKnownError",
    "Recur",
    "Recurrence",
    "RecurrenceCheck",
    "RecurrenceRow",
    "Step",
    "Unlinked",
    "Workaround",
    "build_report",
    "check_recurrence",
    "common_fingerprint",
    "decide",
    "evolve",
    "fire",
    "group_similar",
    "mermaid",
    "normalise_item",
    "problem_candidates",
    "report",
    "unlinked_incidents",
    "workarounds",
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

SYSTEM = "system:problems"
"""The actor of automatic recurrence checks."""

_IGNORED_CASE_STATES = frozenset({"merged", "cancelled"})
_MAX_TEXT = 10_000
_MAX_NAME = 200


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


# --- the machine ---------------------------------------------------------------------------


class Subject:
    """What a trigger is fired on: the problem's state and what guards look at."""

    __slots__ = ("now", "problem", "recurring", "state")

    def __init__(self, problem: Problem, now: datetime, recurring: tuple[str, ...]) -> None:
        self.state = problem.state
        self.problem = problem
        self.now = now
        self.recurring = recurring


def _subject(event: EventData) -> Subject:
    return cast(Subject, event.model)


def quiet_period_passed(event: EventData) -> bool:
    """The monitoring period has passed since monitoring began."""
    subject = _subject(event)
    until = subject.problem.quiet_until
    return until is not None and subject.now >= until


def no_recurrence(event: EventData) -> bool:
    """No similar incident was submitted since monitoring began."""
    return not _subject(event).recurring


GUARD_REASONS: dict[str, str] = {
    "quiet_period_passed": "the monitoring period has not passed yet",
    "no_recurrence": "similar incidents recurred during monitoring (check recurrence first)",
}


_BEFORE_MONITORING = (DEFINED, GATHERING_DATA, ROOT_CAUSE, CORRECTIVE_ACTION)

TRANSITIONS: tuple[workflow.Step, ...] = (
    workflow.Step("link", _BEFORE_MONITORING, None, doc="link more incidents"),
    workflow.Step("gather", (DEFINED,), GATHERING_DATA, doc="collect data"),
    workflow.Step("gather", (GATHERING_DATA, ROOT_CAUSE), None, doc="more data"),
    workflow.Step("identify_root_cause", (GATHERING_DATA,), ROOT_CAUSE, doc="root cause"),
    workflow.Step("identify_root_cause", (ROOT_CAUSE,), None, doc="revise the root cause"),
    workflow.Step("correct", (ROOT_CAUSE,), CORRECTIVE_ACTION, doc="corrective action"),
    workflow.Step("correct", (CORRECTIVE_ACTION,), None, doc="a further action"),
    workflow.Step("monitor", (CORRECTIVE_ACTION,), MONITORING, doc="watch for recurrence"),
    workflow.Step("recur", (MONITORING,), ROOT_CAUSE, doc="incidents came back"),
    workflow.Step(
        "close", (MONITORING,), CLOSED, (quiet_period_passed, no_recurrence), doc="solved"
    ),
    workflow.Step("record_known_error", OPEN_STATES, None, doc="known error and workaround"),
)


class InvalidProblemTransition(InvalidTransition):
    """A step is not allowed in the problem's state, or one of its guards failed."""

    KIND = "problem"


WORKFLOW = workflow.Workflow(
    "problem",
    STATES,
    TRANSITIONS,
    start="define",
    finals=(CLOSED,),
    guard_reasons=GUARD_REASONS,
    refusal=InvalidProblemTransition,
)
"""The problem workflow."""
MACHINE = WORKFLOW.machine
"""The one problem-workflow machine; it never holds a model."""
DESTINATIONS = WORKFLOW.destinations
"""``(trigger, state) -> next state`` for every allowed pair; evolve folds with it."""
ALLOWED = WORKFLOW.allowed
"""The triggers allowed in each state (before guards)."""
mermaid = WORKFLOW.mermaid


def fire(subject: Subject, trigger: str) -> str:
    """Fire ``trigger`` on ``subject``; the new state, or ``InvalidProblemTransition``."""
    return WORKFLOW.fire(subject, trigger, subject.problem.id)


# --- evolve --------------------------------------------------------------------------------


def _union(old: tuple[str, ...], new: Iterable[str]) -> tuple[str, ...]:
    return (*old, *(c for c in dict.fromkeys(new) if c not in old))


def evolve(problem: Problem | None, event: Event) -> Problem:
    """The problem after ``event`` (``None`` before its ``ProblemDefined``)."""
    if problem is None:
        if not isinstance(event, ProblemDefined):
            raise IntegrityError(f"a problem stream must start with a definition, not {event.TYPE}")
        return Problem(
            id=event.problem_id,
            state=DEFINED,
            title=event.title,
            statement=event.statement,
            category=event.category,
            item=normalise_item(event.item),  # streams written before items were casefolded
            terms=frozenset(event.terms),
            case_ids=tuple(dict.fromkeys(event.case_ids)),
            defined_at=event.at,
            defined_by=event.by,
            updated_at=event.at,
            steps=(Step(step="define", what=event.title, evidence=event.statement, **_who(event)),),
        )
    state = DESTINATIONS.get((event.TRIGGER, problem.state))
    if state is None:
        raise IntegrityError(
            f"problem {problem.id}: {event.TYPE} cannot follow state {problem.state!r}"
        )
    changes: dict[str, Any] = {}
    step: Step | None = None
    who = _who(event)
    if isinstance(event, IncidentsLinked):
        changes["case_ids"] = _union(problem.case_ids, event.case_ids)
        step = Step(step="link", what=", ".join(event.case_ids), evidence=event.note, **who)
    elif isinstance(event, DataGathered):
        step = Step(step="gather", what="", evidence=event.evidence, **who)
    elif isinstance(event, RootCauseIdentified):
        changes["root_cause"] = event.cause
        step = Step(step="root_cause", what=event.cause, evidence=event.evidence, **who)
    elif isinstance(event, CorrectiveActionTaken):
        changes["corrective_action"] = event.action
        changes["corrective_actions"] = problem.corrective_actions + 1
        changes["corrected_at"] = problem.corrected_at or event.at
        step = Step(step="corrective_action", what=event.action, evidence=event.evidence, **who)
    elif isinstance(event, MonitoringStarted):
        changes["monitoring_since"] = event.at
        changes["quiet_period"] = timedelta(seconds=event.quiet_period)
        step = Step(step="monitor", what="", evidence=event.evidence, **who)
    elif isinstance(event, RecurrenceFound):
        changes["case_ids"] = _union(problem.case_ids, event.case_ids)
        changes["recurrences"] = (
            *problem.recurrences,
            Recurrence(at=event.at, case_ids=event.case_ids, evidence=event.evidence),
        )
        changes["monitoring_since"] = None
        changes["quiet_period"] = None
        step = Step(step="recur", what=", ".join(event.case_ids), evidence=event.evidence, **who)
    elif isinstance(event, ProblemClosed):
        changes["closed_at"] = event.at
        step = Step(step="close", what="", evidence=event.evidence, **who)
    elif isinstance(event, KnownErrorRecorded):
        changes["known_error"] = KnownError(
            error=event.error, workaround=event.workaround, at=event.at, by=event.by
        )
        step = Step(step="known_error", what=event.error, evidence=event.workaround, **who)
    else:
        raise IntegrityError(f"problem {problem.id}: unknown event {event.TYPE}")
    return _replace(
        problem,
        state=state,
        updated_at=event.at,
        steps=(*problem.steps, step),
        **changes,
    )


def _who(event: Event) -> dict[str, Any]:
    return {"at": event.at, "by": event.by}


KIND: Kind[Problem] = Kind("problem", evolve)
"""The problem aggregate: streams ``problem:<id>`` folded with ``evolve``."""


# --- commands and decide -------------------------------------------------------------------


@frozen(kw_only=True)
class Define:
    """Define a problem from its statement, fingerprint and first incidents."""

    TRIGGER: ClassVar[str] = "define"
    problem_id: str
    title: str
    statement: str
    by: str
    category: str | None = None
    item: str | None = None
    terms: tuple[str, ...] = ()
    case_ids: tuple[str, ...] = ()


@frozen(kw_only=True)
class Link:
    """Link more incidents (existing cases) to the problem."""

    TRIGGER: ClassVar[str] = "link"
    case_ids: tuple[str, ...]
    by: str
    note: str = ""


@frozen(kw_only=True)
class Gather:
    """Record data gathered about the problem."""

    TRIGGER: ClassVar[str] = "gather"
    evidence: str
    by: str


@frozen(kw_only=True)
class IdentifyRootCause:
    """Record the root cause and the evidence for it."""

    TRIGGER: ClassVar[str] = "identify_root_cause"
    cause: str
    evidence: str
    by: str


@frozen(kw_only=True)
class Correct:
    """Record a corrective action taken against the root cause."""

    TRIGGER: ClassVar[str] = "correct"
    action: str
    evidence: str
    by: str


@frozen(kw_only=True)
class Monitor:
    """Start watching for recurrence for ``quiet_period``."""

    TRIGGER: ClassVar[str] = "monitor"
    by: str
    quiet_period: timedelta = DEFAULT_QUIET_PERIOD
    evidence: str = ""


@frozen(kw_only=True)
class Recur:
    """Similar incidents came back during monitoring."""

    TRIGGER: ClassVar[str] = "recur"
    case_ids: tuple[str, ...]
    evidence: str
    by: str


@frozen(kw_only=True)
class Close:
    """Close the problem after a quiet monitoring period."""

    TRIGGER: ClassVar[str] = "close"
    evidence: str
    by: str


@frozen(kw_only=True)
class RecordKnownError:
    """Record the problem as a known error with a workaround."""

    TRIGGER: ClassVar[str] = "record_known_error"
    error: str
    workaround: str
    by: str


Command = (
    Define
    | Link
    | Gather
    | IdentifyRootCause
    | Correct
    | Monitor
    | Recur
    | Close
    | RecordKnownError
)


def _check_text(name: str, value: str, problems: list[str], *, required: bool = True) -> None:
    if required and not value.strip():
        problems.append(f"{name}: must not be empty")
    elif len(value) > _MAX_TEXT:
        problems.append(f"{name}: {len(value)} characters, at most {_MAX_TEXT}")


def _check_ids(name: str, ids: tuple[str, ...], problems: list[str]) -> None:
    if not ids:
        problems.append(f"{name}: name at least one case")
    for case_id in ids:
        if not case_id.strip():
            problems.append(f"{name}: an empty case id")
    if len(set(ids)) != len(ids):
        problems.append(f"{name}: a case is named twice")


def normalise_item(item: str | None) -> str | None:
    """A configuration item as fingerprints hold it: stripped and casefolded (``None``
    stays ``None``; an empty one is left empty for ``decide`` to refuse)."""
    return item.strip().casefold() if item is not None else None


def _check_define(command: Define, problems: list[str], categories: Collection[str] | None) -> None:
    _check_text("title", command.title, problems)
    _check_text("statement", command.statement, problems)
    if command.case_ids:
        _check_ids("case_ids", command.case_ids, problems)
    if command.item is not None:
        if not command.item.strip():
            problems.append("item: must not be empty (leave it out for no configuration item)")
        elif len(command.item) > _MAX_NAME:
            problems.append(f"item: {len(command.item)} characters, at most {_MAX_NAME}")
    if (
        categories is not None
        and command.category is not None
        and command.category not in categories
    ):
        problems.append(
            f"category: {command.category!r:.80} is not a category of the policy "
            f"(expected one of {', '.join(sorted(categories))})"
        )


def _check(command: Command, problems: list[str], categories: Collection[str] | None) -> None:
    _check_text("by", command.by, problems)
    problems += identity_problems("by", command.by)
    if isinstance(command, Define):
        _check_define(command, problems, categories)
    elif isinstance(command, Link):
        _check_ids("case_ids", command.case_ids, problems)
        _check_text("note", command.note, problems, required=False)
    elif isinstance(command, Gather):
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, IdentifyRootCause):
        _check_text("cause", command.cause, problems)
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, Correct):
        _check_text("action", command.action, problems)
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, Monitor):
        if command.quiet_period <= timedelta(0):
            problems.append(f"quiet_period: {command.quiet_period} must be positive")
        _check_text("evidence", command.evidence, problems, required=False)
    elif isinstance(command, Recur):
        _check_ids("case_ids", command.case_ids, problems)
        _check_text("evidence", command.evidence, problems)
    elif isinstance(command, Close):
        _check_text("evidence", command.evidence, problems)
    else:
        _check_text("error", command.error, problems)
        _check_text("workaround", command.workaround, problems)


def decide(
    problem: Problem | None,
    command: Command,
    *,
    now: datetime,
    policy: str,
    recurring: tuple[str, ...] = (),
    categories: Collection[str] | None = None,
) -> list[Event]:
    """The events ``command`` records on ``problem``; pure.

    ``recurring`` are the similar incidents submitted since monitoring began, as the caller
    found them (a close is refused while there are any). ``categories``, when given, are
    the ones a ``Define`` may name (the policy's). A ``Define``'s item is stored stripped
    and casefolded, as ``fingerprint_case`` reads a case's. Raises ``ValidationError`` for
    bad input and ``InvalidProblemTransition`` for a step the workflow does not allow.
    """
    problems: list[str] = []
    if now.tzinfo is None:
        problems.append(f"now: {now.isoformat()} has no time zone")
    _check(command, problems, categories)
    what = f"problem {problem.id}" if problem is not None else "problem"
    if problems:
        raise ValidationError(f"{what}: {command.TRIGGER} refused", problems)
    base: dict[str, Any] = {"at": now, "by": command.by.strip(), "policy": policy}
    if isinstance(command, Define):
        if problem is not None:
            raise WORKFLOW.refuse(problem.id, problem.state, "define")
        return [
            ProblemDefined(
                problem_id=command.problem_id,
                title=command.title.strip(),
                statement=command.statement.strip(),
                category=command.category,
                item=normalise_item(command.item),
                terms=tuple(sorted(set(command.terms))),
                case_ids=command.case_ids,
                **base,
            )
        ]
    if problem is None:
        raise ValidationError(f"problem: {command.TRIGGER} refused", ["the problem is not defined"])
    fire(Subject(problem, now, recurring), command.TRIGGER)
    event: Event
    if isinstance(command, Link):
        new = tuple(c for c in command.case_ids if c not in problem.case_ids)
        if not new:
            raise ValidationError(
                f"{what}: link refused", [f"case_ids: {', '.join(command.case_ids)} already linked"]
            )
        event = IncidentsLinked(case_ids=new, note=command.note.strip(), **base)
    elif isinstance(command, Gather):
        event = DataGathered(evidence=command.evidence.strip(), **base)
    elif isinstance(command, IdentifyRootCause):
        event = RootCauseIdentified(
            cause=command.cause.strip(), evidence=command.evidence.strip(), **base
        )
    elif isinstance(command, Correct):
        event = CorrectiveActionTaken(
            action=command.action.strip(), evidence=command.evidence.strip(), **base
        )
    elif isinstance(command, Monitor):
        seconds = max(1, round(command.quiet_period.total_seconds()))
        event = MonitoringStarted(quiet_period=seconds, evidence=command.evidence.strip(), **base)
    elif isinstance(command, Recur):
        event = RecurrenceFound(
            case_ids=command.case_ids, evidence=command.evidence.strip(), **base
        )
    elif isinstance(command, Close):
        event = ProblemClosed(evidence=command.evidence.strip(), **base)
    else:
        event = KnownErrorRecorded(
            error=command.error.strip(), workaround=command.workaround.strip(), **base
        )
    return [event]


# --- fingerprints and grouping (pure) ------------------------------------------------------


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


# --- reading results -----------------------------------------------------------------------


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
