"""The case lifecycle: one static ``transitions`` machine, fired on a light per-command subject.

Intake → classification → prioritization → routing → resolution → validation → closure,
with the communication flow (acknowledge → clarify → resolve → confirm) enforced by guards.
The machine is built once; decide fires triggers on a throw-away ``Subject``, and evolve
reads destinations from a table derived from the same machine, so there is one source of
truth for what may happen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from attrs import frozen
from transitions import EventData, Machine

from serviceflow.domain._case import AWAITING, Case
from serviceflow.domain._states import (
    ASSIGNED,
    CANCELLED,
    CLASSIFIED,
    CLOSED,
    FINAL_STATES,
    IN_PROGRESS,
    INTAKE,
    MERGED,
    OPEN_STATES,
    PRIORITIZED,
    RESOLVED,
    STATES,
    VALIDATED,
    WAITING_ON_CLIENT,
)
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import InvalidTransition
from serviceflow.rules._workflow import failed_guards, open_triggers, refused

__all__ = [
    "ALLOWED",
    "ASSIGNED",
    "CANCELLED",
    "CLASSIFIED",
    "CLOSED",
    "DESTINATIONS",
    "FINAL_STATES",
    "INTAKE",
    "IN_PROGRESS",
    "MACHINE",
    "MERGED",
    "OPEN_STATES",
    "PRIORITIZED",
    "RESOLVED",
    "STATES",
    "VALIDATED",
    "WAITING_ON_CLIENT",
    "Subject",
    "allowed_now",
    "describe",
    "fire",
    "guard_docs",
    "markdown",
    "mermaid",
]


class Subject:
    """What a trigger is fired on: the case's state plus what guards need to look at."""

    __slots__ = ("case", "now", "policy", "state")

    def __init__(self, case: Case, policy: Policy, now: datetime) -> None:
        self.state = case.state
        self.case = case
        self.policy = policy
        self.now = now


Guard = Callable[[EventData], bool]


def _subject(event: EventData) -> Subject:
    return cast(Subject, event.model)


def acknowledged(event: EventData) -> bool:
    """The case was acknowledged: no resolution before the client heard from us."""
    return _subject(event).case.acknowledged_at is not None


def awaiting_confirmation(event: EventData) -> bool:
    """The client has not confirmed this resolution yet."""
    return _subject(event).case.confirmed_at is None


def confirmed_or_timed_out(event: EventData) -> bool:
    """The client confirmed, or the policy's auto-confirm window has passed since resolution."""
    subject = _subject(event)
    case = subject.case
    if case.confirmed_at is not None:
        return True
    resolved = case.resolved_at
    return (
        resolved is not None
        and subject.now - resolved >= subject.policy.lifecycle.auto_confirm_after
    )


def within_reopen_window(event: EventData) -> bool:
    """The case was closed less than the policy's reopen window ago."""
    subject = _subject(event)
    closed = subject.case.closed_at
    return closed is not None and subject.now - closed <= subject.policy.lifecycle.reopen_window


def awaiting_acceptance(event: EventData) -> bool:
    """An escalation is waiting for an owner in its target tier to accept it."""
    escalation = _subject(event).case.escalation
    return escalation is not None and escalation.status == AWAITING


def escalated(event: EventData) -> bool:
    """The case has been escalated (there is a tier to return it from)."""
    return _subject(event).case.escalation is not None


GUARD_REASONS: dict[str, str] = {
    "acknowledged": "the case has not been acknowledged yet (acknowledge before resolving)",
    "awaiting_confirmation": "the client already confirmed this resolution",
    "confirmed_or_timed_out": (
        "the client has not confirmed and the auto-confirm window has not passed"
    ),
    "within_reopen_window": "the reopen window after closure has passed",
    "awaiting_acceptance": "no escalation is waiting to be accepted",
    "escalated": "the case has not been escalated",
}


@frozen
class TransitionSpec:
    """One row of the lifecycle: a trigger, where it may fire, where it leads, what it needs."""

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    guards: tuple[Guard, ...] = ()
    doc: str = ""


_WORK = (ASSIGNED, IN_PROGRESS, WAITING_ON_CLIENT)
_LIVE = (INTAKE, CLASSIFIED, PRIORITIZED, *_WORK)
_AFTER_RESOLUTION = (RESOLVED, VALIDATED)
_ESCALABLE = (PRIORITIZED, *_WORK)

TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec("classify", (INTAKE,), CLASSIFIED, doc="set type and category"),
    TransitionSpec("classify", (CLASSIFIED, PRIORITIZED, *_WORK), None, doc="reclassify"),
    TransitionSpec("prioritize", (CLASSIFIED,), PRIORITIZED, doc="set priority"),
    TransitionSpec("prioritize", (PRIORITIZED, *_WORK), None, doc="reprioritize"),
    TransitionSpec("assign", (PRIORITIZED,), ASSIGNED, doc="route to an owner"),
    TransitionSpec("assign", _WORK, None, doc="transfer to another owner"),
    TransitionSpec("unassign", _WORK, PRIORITIZED, doc="back to the queue"),
    TransitionSpec("acknowledge", (ASSIGNED,), IN_PROGRESS, doc="first public reply"),
    TransitionSpec("reply", (IN_PROGRESS, WAITING_ON_CLIENT, *_AFTER_RESOLUTION), None),
    TransitionSpec("request_info", (IN_PROGRESS,), WAITING_ON_CLIENT, doc="clarify"),
    TransitionSpec("client_reply", (WAITING_ON_CLIENT,), IN_PROGRESS, doc="client answered"),
    TransitionSpec(
        "client_reply",
        (INTAKE, CLASSIFIED, PRIORITIZED, ASSIGNED, IN_PROGRESS, *_AFTER_RESOLUTION),
        None,
    ),
    TransitionSpec("resolve", _WORK, RESOLVED, (acknowledged,), doc="deliver the fix"),
    TransitionSpec("reject", (RESOLVED,), IN_PROGRESS, doc="validation failed"),
    TransitionSpec("validate", (RESOLVED,), VALIDATED, doc="quality check passed"),
    TransitionSpec(
        "confirm", _AFTER_RESOLUTION, None, (awaiting_confirmation,), doc="client confirms"
    ),
    TransitionSpec("close", (VALIDATED,), CLOSED, (confirmed_or_timed_out,), doc="close"),
    TransitionSpec("reopen", _AFTER_RESOLUTION, IN_PROGRESS, doc="not fixed after all"),
    TransitionSpec("reopen", (CLOSED,), IN_PROGRESS, (within_reopen_window,), doc="reopen"),
    TransitionSpec("cancel", _LIVE, CANCELLED, doc="withdrawn or void"),
    TransitionSpec("merge", _LIVE, MERGED, doc="duplicate of another case"),
    TransitionSpec("absorb", (*_LIVE, *_AFTER_RESOLUTION), None, doc="a duplicate merged in"),
    TransitionSpec("note", (*_LIVE, *_AFTER_RESOLUTION), None, doc="internal note"),
    TransitionSpec(
        "update_fields", (*_LIVE, *_AFTER_RESOLUTION, CLOSED), None, doc="change extra fields"
    ),
    TransitionSpec("escalate", _ESCALABLE, None, doc="move to another tier"),
    TransitionSpec(
        "accept_escalation", _ESCALABLE, None, (awaiting_acceptance,), doc="own the escalation"
    ),
    TransitionSpec("deescalate", _ESCALABLE, None, (escalated,), doc="return to a lower tier"),
    TransitionSpec("sla", STATES, None, doc="service level facts, even after closure"),
    TransitionSpec("survey", (*_AFTER_RESOLUTION, CLOSED), None, doc="the client's survey answer"),
    TransitionSpec(
        "review", (*_LIVE, *_AFTER_RESOLUTION, CLOSED), None, doc="a quality review of the work"
    ),
)


def _build_machine() -> Machine:
    machine = Machine(
        model=None,
        states=list(STATES),
        initial=INTAKE,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )
    for spec in TRANSITIONS:
        machine.add_transition(
            spec.trigger, list(spec.sources), spec.dest, conditions=list(spec.guards)
        )
    return machine


MACHINE = _build_machine()
"""The one case-lifecycle machine; it never holds a model."""


def _destinations() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for spec in TRANSITIONS:
        for source in spec.sources:
            key = (spec.trigger, source)
            if key in table:
                raise AssertionError(f"two transitions for {key}: evolve needs exactly one")
            table[key] = spec.dest or source
    return table


DESTINATIONS = _destinations()
"""``(trigger, state) -> next state`` for every allowed pair; evolve folds with it."""

INTERNAL_TRIGGERS = frozenset({"absorb", "sla"})
"""Triggers the desk fires on its own (a merge's target side, SLA events), never asked for."""

ALLOWED: dict[str, tuple[str, ...]] = {
    state: tuple(sorted({t for (t, s) in DESTINATIONS if s == state} - INTERNAL_TRIGGERS))
    for state in STATES
}
"""The triggers a caller may ask for in each state (before guards)."""

_TRIGGERS = {name: MACHINE.events[name] for name in {spec.trigger for spec in TRANSITIONS}}

GUARDED = frozenset(
    (name, source)
    for name, event in MACHINE.events.items()
    for source, transitions in event.transitions.items()
    if any(t.conditions for t in transitions)
)
"""The ``(trigger, state)`` pairs whose transition has guards, read from the machine."""


def fire(subject: Subject, trigger: str) -> str:
    """Fire ``trigger`` on ``subject``; return the new state or raise ``InvalidTransition``.

    The error names the case, its state, the triggers allowed there and, when a guard
    refused, which rule was not met. A transition without guards has nothing for the
    machine to decide: its destination is read from ``DESTINATIONS`` (the same machine's
    table), which spares the machine's own call on most commands.
    """
    state = subject.state
    key = (trigger, state)
    if key not in DESTINATIONS:
        raise _refusal(subject, trigger)
    if key not in GUARDED:
        subject.state = DESTINATIONS[key]
        return subject.state
    if not _TRIGGERS[trigger].trigger(subject):
        reason = failed_guards(MACHINE, subject, state, trigger, GUARD_REASONS)
        raise _refusal(subject, trigger, reason)
    return subject.state


def allowed_now(subject: Subject) -> list[str]:
    """The triggers a caller may ask for on ``subject`` now: allowed in its state, and
    every guard passes (evaluated, not fired)."""
    return open_triggers(MACHINE, subject, subject.state, ALLOWED[subject.state])


def _refusal(subject: Subject, trigger: str, reason: str | None = None) -> InvalidTransition:
    """The error naming what was refused, why, and only what would be allowed now."""
    state = subject.state
    return refused(
        InvalidTransition,
        MACHINE,
        subject.case.id,
        state,
        trigger,
        allowed=ALLOWED[state],
        reason=reason,
        subject=subject,
    )


# --- introspection -------------------------------------------------------------------------


@frozen
class TransitionInfo:
    """A transition as read back from the machine."""

    trigger: str
    source: str
    dest: str
    internal: bool
    guards: tuple[str, ...]


def describe() -> list[TransitionInfo]:
    """Every transition of the live machine: trigger, source, destination, guard names."""
    rows: list[TransitionInfo] = []
    for name, event in MACHINE.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                guards = tuple(_name(c.func) for c in transition.conditions)
                dest = transition.dest if transition.dest is not None else source
                rows.append(TransitionInfo(name, source, dest, transition.dest is None, guards))
    return rows


def guard_docs() -> dict[str, str]:
    """Each guard's name and the rule it enforces (its docstring)."""
    docs: dict[str, str] = {}
    for spec in TRANSITIONS:
        for guard in spec.guards:
            docs[guard.__name__] = (guard.__doc__ or "").strip()
    return docs


def mermaid() -> str:
    """A Mermaid state diagram of the lifecycle, generated from the machine itself."""
    lines = ["stateDiagram-v2", f"    [*] --> {INTAKE} : submit"]
    internal: dict[str, list[str]] = {}
    for row in describe():
        label = row.trigger + (f" [{', '.join(row.guards)}]" if row.guards else "")
        if row.internal:
            internal.setdefault(row.source, []).append(label)
        else:
            lines.append(f"    {row.source} --> {row.dest} : {label}")
    for state in (CLOSED, CANCELLED, MERGED):
        lines.append(f"    {state} --> [*]")
    for state in STATES:
        if state in internal:
            lines.append(
                f"    note right of {state} : also {', '.join(sorted(set(internal[state])))}"
            )
    return "\n".join(lines)


def _name(func: Any) -> str:
    return str(getattr(func, "__name__", func))


def markdown() -> str:
    """The lifecycle reference page (``docs/lifecycle.md``), generated from the machine."""
    rows = sorted(describe(), key=lambda r: (STATES.index(r.source), r.trigger))
    guards = guard_docs()
    lines = [
        "# The case lifecycle",
        "",
        "<!-- Generated by `serviceflow diagram --output docs/lifecycle.md`; do not edit. -->",
        "",
        "Every case follows this machine. Internal transitions (the case keeps its state) "
        "are listed as notes on the diagram and marked *internal* in the table.",
        "",
        "```mermaid",
        mermaid(),
        "```",
        "",
        "## Transitions",
        "",
        "| from | trigger | to | guards |",
        "|---|---|---|---|",
    ]
    for row in rows:
        dest = "*internal*" if row.internal else row.dest
        lines.append(f"| {row.source} | {row.trigger} | {dest} | {', '.join(row.guards)} |")
    lines += ["", "## Guards", ""]
    lines += [f"- `{name}`: {doc}" for name, doc in sorted(guards.items())]
    lines += [
        "",
        "## Final states",
        "",
        "`cancelled` and `merged` accept nothing. `closed` accepts `reopen`, within the "
        "policy's reopen window, and feedback that leaves it closed: the client's "
        "`survey` answer and a quality `review`.",
        "",
    ]
    return "\n".join(lines)
