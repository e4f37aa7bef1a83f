"""Hypothesis strategies for serviceflow: policies, calendars, commands and cases.

Importing this module needs hypothesis (``pip install hypothesis``, or serviceflow's ``test``
extra); nothing else in serviceflow imports it.

* ``policy_documents()`` / ``policies()``: variations of the default policy (priority
  matrix, category priorities, tiers, lifecycle windows, calendars, service levels,
  delivery retries, surveys) that the real loader accepts.
* ``calendar_weeks()``, ``business_calendars()``, ``calendar_specs()``: business weeks at
  15-minute steps, as a ``BusinessCalendar`` or as a policy's ``[calendars]`` entry.
* ``commands(case, policy, now)``: a command that ``decide`` accepts for that case now;
  ``any_commands(case_ids)``: any command at all, valid or not, for robustness properties.
* ``case_walks()`` / ``cases()``: cases reached by real command sequences on a desk (a
  ``memory://`` desk on a manual clock); ``replay(walk, url)`` runs a walk on another store,
  ``history(walk)`` gives its case's events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "serviceflow.testing.strategies needs hypothesis: pip install hypothesis "
        "(or serviceflow[test])"
    ) from exc

from attrs import frozen

from serviceflow.clock import ManualClock
from serviceflow.core._calendar import DAYS, BusinessCalendar, business_calendar
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain import _commands as cmd
from serviceflow.domain._case import Case
from serviceflow.domain._events import Event
from serviceflow.domain.policy._policy import Policy, default_policy, load_policy
from serviceflow.domain.policy._sla import METRICS, TIME_KINDS
from serviceflow.errors import ServiceflowError
from serviceflow.rules._decide import decide
from serviceflow.rules._lifecycle import ALLOWED

__all__ = [
    "CASE_ID",
    "START",
    "CaseWalk",
    "any_commands",
    "business_calendars",
    "calendar_specs",
    "calendar_weeks",
    "case_walks",
    "cases",
    "commands",
    "durations",
    "history",
    "policies",
    "policy_documents",
    "replay",
    "triggers",
    "zones",
]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Where the desks of ``case_walks`` start: a Monday morning."""

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata")
"""Zones with and without daylight saving time, on both hemispheres, and a half-hour one."""
zones = st.sampled_from(ZONES)
"""One of ``ZONES``."""

REQUESTER = "acme/jane@acme.test"
AGENTS = ("agent:kim", "agent:sam", "lead:ana")
TEXTS = ("On it", "Which invoice?", "Fixed the rounding", "Thanks")


# --- time and calendars ------------------------------------------------------------------


def durations(min_minutes: int = 1, max_minutes: int = 7 * 1440) -> st.SearchStrategy[str]:
    """Durations as policies write them (``"90m"``, ``"4h"``, ``"2d"``), within the bounds."""
    minutes = st.integers(min_minutes, max_minutes)
    return minutes.map(
        lambda m: f"{m // 1440}d" if m % 1440 == 0 else f"{m // 60}h" if m % 60 == 0 else f"{m}m"
    )


@st.composite
def calendar_weeks(draw: st.DrawFn) -> dict[str, list[str]]:
    """Open hours per weekday at 15-minute steps, at least one day open.

    Intervals start at 04:00 or later (or at midnight, running on from the day before), so
    they stay clear of the hours daylight saving time switches happen in."""
    week: dict[str, list[str]] = {}
    for day in DAYS:
        points = sorted(draw(st.sets(st.integers(16, 96), max_size=6)))
        if draw(st.booleans()) and points:
            points = [0, *points]
        week[day] = [
            f"{a // 4:02d}:{a % 4 * 15:02d}-{b // 4:02d}:{b % 4 * 15:02d}"
            for a, b in zip(points[::2], points[1::2], strict=False)
        ]
    if not any(week.values()):
        week["mon"] = ["09:00-17:00"]
    return week


def business_calendars(
    zones: st.SearchStrategy[str] = zones,
    holidays: st.SearchStrategy[list[date]] | None = None,
) -> st.SearchStrategy[BusinessCalendar]:
    """Calendars of ``calendar_weeks`` in one of ``zones``, with up to three holidays in 2026."""
    days = holidays if holidays is not None else st.lists(_days_2026, max_size=3)
    return st.builds(
        lambda zone, week, off: business_calendar("random", zone, week, holidays=off),
        zones,
        calendar_weeks(),
        days,
    )


def calendar_specs(
    zones: st.SearchStrategy[str] = zones,
) -> st.SearchStrategy[dict[str, Any]]:
    """A calendar as a policy's ``[calendars]`` entry writes it (zone, week, holidays)."""
    return st.fixed_dictionaries(
        {"zone": zones, "week": calendar_weeks()},
        optional={"holidays": st.lists(_days_2026, max_size=3, unique=True)},
    )


_days_2026 = st.dates(date(2026, 1, 1), date(2026, 12, 31))


# --- policies ----------------------------------------------------------------------------


@st.composite
def policy_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A policy mapping that ``load_policy`` accepts: the default with sections varied."""
    base = default_policy()
    levels = base.priority.names
    categories = [c.name for c in base.categories]
    document: dict[str, Any] = {"name": draw(st.sampled_from(["default", "varied", "desk-2"]))}
    if draw(st.booleans()):
        impacts, urgencies = base.priority.impacts, base.priority.urgencies
        document["priority"] = {
            "levels": [{"name": name} for name in levels],
            "impacts": list(impacts),
            "urgencies": list(urgencies),
            "matrix": {i: {u: draw(st.sampled_from(levels)) for u in urgencies} for i in impacts},
        }
    if draw(st.booleans()):
        document["categories"] = [
            {"name": name, "priority": draw(st.none() | st.sampled_from(levels))}
            if draw(st.booleans())
            else {"name": name}
            for name in categories
        ]
    if draw(st.booleans()):
        raise_by = draw(st.integers(0, len(levels) - 1))
        document["tiers"] = [
            {"name": "standard"},
            {"name": "premium", "raise_priority": raise_by, "groups": ["vip"]},
        ]
        document["default_tier"] = draw(st.sampled_from(["standard", "premium"]))
    if draw(st.booleans()):
        document["lifecycle"] = {
            "auto_confirm_after": draw(durations(60, 14 * 1440)),
            "reopen_window": draw(durations(60, 30 * 1440)),
        }
    calendars = draw(st.dictionaries(st.sampled_from(["office", "support"]), calendar_specs()))
    if calendars:
        document["calendars"] = calendars
    if draw(st.booleans()):
        document["sla"] = draw(_service_levels(levels, categories, ["24/7", *calendars]))
    if draw(st.booleans()):
        first = draw(st.integers(1, 600))
        document["delivery"] = {
            "first_retry": f"{first}s",
            "factor": draw(st.floats(1.0, 4.0)),
            "max_delay": f"{first * draw(st.integers(1, 100))}s",
            "max_attempts": draw(st.integers(1, 12)),
        }
    if draw(st.booleans()):
        document["surveys"] = {
            "offer": draw(st.lists(st.sampled_from(["csat", "nps", "ces"]), unique=True)),
            "after": draw(st.sampled_from(["closure", "resolution"])),
        }
    return document


def policies() -> st.SearchStrategy[Policy]:
    """Policies loaded by the real loader from ``policy_documents``."""
    return policy_documents().map(load_policy)


@st.composite
def _service_levels(
    draw: st.DrawFn, levels: Sequence[str], categories: Sequence[str], calendars: Sequence[str]
) -> list[dict[str, Any]]:
    """One to three service levels, the last one the fallback with no conditions."""
    count = draw(st.integers(1, 3))
    found: list[dict[str, Any]] = []
    for i in range(count):
        level: dict[str, Any] = {
            "name": f"level-{i}",
            "calendar": draw(st.sampled_from(calendars)),
            "targets": draw(_targets()),
        }
        if i < count - 1:
            level["when"] = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "priority": st.lists(st.sampled_from(levels), min_size=1, unique=True),
                        "category": st.lists(st.sampled_from(categories), min_size=1, unique=True),
                    },
                ).filter(bool)
            )
        found.append(level)
    return found


@st.composite
def _targets(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    metrics = draw(st.lists(st.sampled_from(METRICS), min_size=1, unique=True))
    targets: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        target: dict[str, Any] = {"within": draw(durations(5, 5 * 1440))}
        if draw(st.booleans()):
            target["time"] = draw(st.sampled_from(TIME_KINDS))
        if draw(st.booleans()):
            points = draw(st.sets(st.integers(1, 19), max_size=3))
            target["warnings"] = [p / 20 for p in sorted(points)]
        targets[metric] = target
    return targets


# --- commands ----------------------------------------------------------------------------

_Fields = Callable[[Case, Policy], Mapping[str, Sequence[Any]]]

_VALID: dict[str, tuple[type[cmd.Command], _Fields]] = {
    "classify": (
        cmd.Classify,
        lambda case, policy: {
            "by": AGENTS,
            "category": [c.name for c in policy.categories],
            "kind": policy.kinds,
        },
    ),
    "prioritize": (
        cmd.Prioritize,
        lambda case, policy: {
            "by": AGENTS,
            "impact": policy.priority.impacts,
            "urgency": policy.priority.urgencies,
        },
    ),
    "assign": (cmd.Assign, lambda case, policy: {"by": ["lead:ana"], "to": AGENTS}),
    "acknowledge": (cmd.Acknowledge, lambda case, policy: {"by": AGENTS, "message": TEXTS}),
    "reply": (cmd.Reply, lambda case, policy: {"by": AGENTS, "message": TEXTS}),
    "request_info": (cmd.RequestInfo, lambda case, policy: {"by": AGENTS, "message": TEXTS}),
    "client_reply": (cmd.ClientReply, lambda case, policy: {"by": [""], "message": TEXTS}),
    "resolve": (cmd.Resolve, lambda case, policy: {"by": AGENTS, "resolution": TEXTS}),
    "validate": (cmd.Validate, lambda case, policy: {"by": ["qa:lee"]}),
    "reject": (cmd.Reject, lambda case, policy: {"by": ["qa:lee"], "reason": TEXTS}),
    "confirm": (cmd.Confirm, lambda case, policy: {"by": [""]}),
    "close": (cmd.Close, lambda case, policy: {"by": AGENTS}),
    "reopen": (cmd.Reopen, lambda case, policy: {"by": [case.requester], "reason": TEXTS}),
    "cancel": (cmd.Cancel, lambda case, policy: {"by": AGENTS, "reason": TEXTS}),
    "note": (cmd.AddNote, lambda case, policy: {"by": AGENTS, "text": TEXTS}),
    "unassign": (cmd.Unassign, lambda case, policy: {"by": ["lead:ana"], "reason": TEXTS}),
    "update_fields": (
        cmd.UpdateFields,
        lambda case, policy: {"by": AGENTS, "fields": [{"product": "app"}, {"site": "Oslo"}]},
    ),
}
"""Each trigger's command and the values its fields take (the first one is canonical).
Escalation, merge, surveys and reviews need a second case or policy sections of their own,
so they are left out."""


def _accepted(case: Case, command: cmd.Command, policy: Policy, now: datetime) -> bool:
    try:
        decide(case, command, policy, now)
    except ServiceflowError:
        return False
    return True


def _canonical(trigger: str, case: Case, policy: Policy) -> cmd.Command:
    kind, fields = _VALID[trigger]
    values = {name: options[0] for name, options in fields(case, policy).items()}
    return kind(case_id=case.id, **values)


def _drawn(trigger: str, case: Case, policy: Policy) -> st.SearchStrategy[cmd.Command]:
    kind, fields = _VALID[trigger]
    options = {name: st.sampled_from(list(values)) for name, values in fields(case, policy).items()}
    return st.builds(kind, case_id=st.just(case.id), **options)


def triggers(case: Case, policy: Policy | None = None, now: datetime | None = None) -> list[str]:
    """The triggers ``commands`` can draw for ``case`` at ``now``: allowed in its state, with
    every guard passing (empty for final states)."""
    rules = policy if policy is not None else default_policy()
    when = now if now is not None else case.updated_at
    return [
        trigger
        for trigger in ALLOWED[case.state]
        if trigger in _VALID and _accepted(case, _canonical(trigger, case, rules), rules, when)
    ]


def commands(
    case: Case, policy: Policy | None = None, now: datetime | None = None
) -> st.SearchStrategy[cmd.Command]:
    """A command that ``decide`` accepts for ``case`` at ``now`` (default: its last update),
    for ``policy`` (default: the shipped one); ``st.nothing()`` when none is (final states).

    The triggers that move the case along the main path are drawn more often than the others
    (notes, replies...) and come first, so they are what examples shrink to; cancel comes
    last. Walks of a few steps reach every state."""
    rules = policy if policy is not None else default_policy()
    when = now if now is not None else case.updated_at
    choices = triggers(case, rules, when)
    if not choices:
        return st.nothing()
    forward = [t for t in _FORWARD[case.state] if t in choices]
    others = [t for t in choices if t not in forward and t != "cancel"]
    weighted = forward * 6 + others + [t for t in choices if t == "cancel"]
    return (
        st.sampled_from(weighted)
        .flatmap(lambda trigger: _drawn(trigger, case, rules))
        .filter(lambda command: _accepted(case, command, rules, when))
    )


_FORWARD: dict[str, tuple[str, ...]] = {
    "intake": ("classify",),
    "classified": ("prioritize",),
    "prioritized": ("assign",),
    "assigned": ("acknowledge", "resolve"),
    "in_progress": ("resolve", "request_info"),
    "waiting_on_client": ("client_reply",),
    "resolved": ("validate", "confirm"),
    "validated": ("confirm", "close"),
    "closed": ("reopen",),
    "cancelled": (),
    "merged": (),
}
"""The triggers of the main path from each state (Acknowledge, Clarify, Resolve, Confirm)."""


_maybe_texts = st.sampled_from(["", "  ", "ok", "Please check the invoice", "\x00", "é" * 3])
_maybe_names = st.sampled_from([None, "billing", "outage", "nope", "", "high", "low", "huge"])
_actors = st.sampled_from(["agent:kim", "lead:ana", "client:x", "", "stranger", "system:tick"])


def any_commands(case_ids: Sequence[str]) -> st.SearchStrategy[cmd.Command]:
    """Any command on one of ``case_ids`` (or a missing case), in any state, with values the
    policy may not know: the desk must apply it or raise a ``ServiceflowError``."""
    ids = st.sampled_from([*case_ids, "MISSING-CASE"])
    common = {"case_id": ids, "by": _actors}
    return st.one_of(
        st.builds(cmd.Classify, **common, category=_maybe_names, kind=_maybe_names),
        st.builds(
            cmd.Prioritize,
            **common,
            impact=_maybe_names,
            urgency=_maybe_names,
            priority=_maybe_names,
            reason=st.none() | _maybe_texts,
        ),
        st.builds(cmd.Assign, **common, to=_actors),
        st.builds(cmd.Acknowledge, **common, message=_maybe_texts),
        st.builds(cmd.Reply, **common, message=_maybe_texts),
        st.builds(cmd.RequestInfo, **common, message=_maybe_texts),
        st.builds(cmd.ClientReply, **common, message=_maybe_texts),
        st.builds(cmd.Resolve, **common, resolution=_maybe_texts),
        st.builds(cmd.Validate, **common),
        st.builds(cmd.Reject, **common, reason=_maybe_texts),
        st.builds(cmd.Confirm, **common),
        st.builds(cmd.Close, **common),
        st.builds(cmd.Reopen, **common, reason=_maybe_texts),
        st.builds(cmd.Cancel, **common, reason=_maybe_texts),
        st.builds(cmd.AddNote, **common, text=_maybe_texts),
        st.builds(cmd.Unassign, **common, reason=_maybe_texts, queue=st.none() | _maybe_texts),
        st.builds(
            cmd.UpdateFields,
            **common,
            fields=st.dictionaries(_maybe_texts, _maybe_texts, max_size=3),
            remove=st.lists(_maybe_texts, max_size=2).map(tuple),
            reason=_maybe_texts,
        ),
        st.builds(cmd.Merge, **common, into=ids),
    )


# --- cases -------------------------------------------------------------------------------


@frozen
class CaseWalk:
    """A case and the steps that reached it from intake: a wait, then a command, each.

    The case was submitted as ``case_id`` at ``START`` on a desk running ``policy``."""

    case: Case
    policy: Policy
    steps: tuple[tuple[timedelta, cmd.Command], ...]

    @property
    def commands(self) -> tuple[cmd.Command, ...]:
        """The commands after the submission, in order."""
        return tuple(command for _, command in self.steps)


CASE_ID = "CASE-0001"
"""The id every walk's case has: walks are replayable on any store."""

_waits = st.sampled_from([0, 0, 1, 30, 240, 1440, 4 * 1440, 20 * 1440]).map(
    lambda minutes: timedelta(minutes=minutes)
)


@st.composite
def case_walks(
    draw: st.DrawFn,
    policy: Policy | st.SearchStrategy[Policy] | None = None,
    max_steps: int = 12,
) -> CaseWalk:
    """Submit a case on a fresh ``memory://`` desk, then run up to ``max_steps`` commands
    drawn from ``commands`` (waits between them let timeouts pass); the walk stops early in
    a final state. ``policy``: a policy, a strategy of them, or the default."""
    rules = draw(policy) if isinstance(policy, st.SearchStrategy) else policy
    rules = rules if rules is not None else default_policy()
    clock = ManualClock(START)
    with ServiceDesk.open(
        "memory://", policy=rules, clock=clock, entry_points=False, deliver_at_once=False
    ) as desk:
        case = desk.submit(
            requester=REQUESTER, channel="email", subject="Invoice wrong", case_id=CASE_ID
        )
        steps: list[tuple[timedelta, cmd.Command]] = []
        for _ in range(draw(st.integers(0, max_steps))):
            wait = draw(_waits)
            now = clock.now() + wait
            if not triggers(case, rules, now):
                break
            clock.set(now)
            command = draw(commands(case, rules, now))
            case = desk.execute(command)
            steps.append((wait, command))
    return CaseWalk(case, rules, tuple(steps))


def cases(
    policy: Policy | st.SearchStrategy[Policy] | None = None, max_steps: int = 12
) -> st.SearchStrategy[Case]:
    """Cases reached by ``case_walks``: real command sequences on a desk."""
    return case_walks(policy, max_steps).map(lambda walk: walk.case)


def replay(walk: CaseWalk, url: str, **open_args: Any) -> Case:
    """Run ``walk`` again on a fresh desk at ``url`` (same start, policy and case id)."""
    with _replayed(walk, url, **open_args) as (_, case):
        return case


def history(walk: CaseWalk) -> list[Event]:
    """The events of ``walk``'s case, as a desk stores them (replayed on ``memory://``)."""
    with _replayed(walk, "memory://", entry_points=False, deliver_at_once=False) as (desk, _):
        return [record.event for record in desk.history(CASE_ID)]


@contextmanager
def _replayed(walk: CaseWalk, url: str, **open_args: Any) -> Iterator[tuple[ServiceDesk, Case]]:
    clock = ManualClock(START)
    with ServiceDesk.open(url, policy=walk.policy, clock=clock, **open_args) as desk:
        case = desk.submit(
            requester=REQUESTER, channel="email", subject="Invoice wrong", case_id=CASE_ID
        )
        for wait, command in walk.steps:
            clock.advance(wait)
            case = desk.execute(command)
        yield desk, case
