"""A workflow as one static ``transitions`` machine built from a table of steps.

The aggregates besides cases (knowledge articles, problems, improvement cycles) each
declare their steps here: the machine is built once, with no model; a step is fired on a
light subject per command; the fold follows ``destinations``; a refused step names what
is allowed and which guard said no; and the diagrams come from the machine itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from attrs import frozen
from transitions import EventData, Machine

from serviceflow.errors import InvalidTransition

Guard = Callable[[EventData], bool]


class Subject(Protocol):
    """What a step is fired on: anything with a ``state`` the machine may set."""

    state: str


@frozen
class Step:
    """One row of a workflow: a trigger, the states it may fire in, where it leads
    (``None``: the aggregate keeps its state), its guards and what it is for."""

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    guards: tuple[Guard, ...] = ()
    doc: str = ""


class Workflow:
    """The machine of one kind of aggregate, and what its rules and docs read from it."""

    def __init__(
        self,
        name: str,
        states: Sequence[str],
        steps: Sequence[Step],
        *,
        start: str,
        finals: Sequence[str] = (),
        guard_reasons: dict[str, str] | None = None,
        internal: frozenset[str] = frozenset(),
        refusal: type[InvalidTransition] = InvalidTransition,
    ) -> None:
        self.name = name
        self.refusal = refusal
        """The error of a refused step (an ``InvalidTransition`` naming the kind)."""
        self.states = tuple(states)
        self.steps = tuple(steps)
        self.start = start
        """The trigger that creates an aggregate (it has no source state)."""
        self.finals = tuple(finals)
        self.guard_reasons = dict(guard_reasons or {})
        self.machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.states[0],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        self.destinations: dict[tuple[str, str], str] = {}
        for step in self.steps:
            self.machine.add_transition(
                step.trigger, list(step.sources), step.dest, conditions=list(step.guards)
            )
            for source in step.sources:
                if (step.trigger, source) in self.destinations:
                    raise ValueError(f"{name}: two steps {step.trigger!r} from {source!r}")
                self.destinations[(step.trigger, source)] = step.dest or source
        self.allowed: dict[str, tuple[str, ...]] = {
            state: tuple(sorted({t for (t, s) in self.destinations if s == state} - internal))
            for state in self.states
        }
        """The triggers a caller may ask for in each state (before guards); ``internal``
        ones are the system's own."""

    def next_state(self, trigger: str, state: str) -> str:
        """Where ``trigger`` leads from ``state`` (the state itself if it does not apply):
        what a fold follows."""
        return self.destinations.get((trigger, state), state)

    def fire(self, subject: Subject, trigger: str, aggregate_id: str) -> str:
        """Fire ``trigger`` on ``subject``: its new state, or the workflow's refusal naming
        the triggers allowed here and the reasons of the guards that said no."""
        state = subject.state
        if (trigger, state) not in self.destinations:
            raise self.refuse(aggregate_id, state, trigger, subject=subject)
        event = self.machine.events[trigger]
        if not event.trigger(subject):
            failed = failed_guards(self.machine, subject, state, trigger, self.guard_reasons)
            raise self.refuse(aggregate_id, state, trigger, failed, subject=subject)
        return subject.state

    def refuse(
        self,
        aggregate_id: str,
        state: str,
        trigger: str,
        reason: str | None = None,
        *,
        subject: Subject | None = None,
    ) -> InvalidTransition:
        """The error for ``trigger`` refused in ``state`` (a rule outside the machine may
        refuse a step too, with its ``reason``). It lists as allowed only the other triggers
        whose guards pass now for ``subject`` (without one, those of the state)."""
        allowed = self.allowed[state]
        return refused(
            self.refusal,
            self.machine,
            aggregate_id,
            state,
            trigger,
            allowed=allowed,
            reason=reason,
            subject=subject,
        )

    def describe(self) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """Every transition of the machine: trigger, source, destination, guard names."""
        return [
            (name, source, t.dest or source, tuple(_name(c.func) for c in t.conditions))
            for name, event in self.machine.events.items()
            for source, transitions in event.transitions.items()
            for t in transitions
        ]

    def mermaid(self) -> str:
        """A Mermaid state diagram, generated from the machine; steps that keep the state
        are notes on their states."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.states[0]} : {self.start}"]
        kept: dict[str, list[str]] = {}
        for trigger, source, dest, guards in self.describe():
            label = trigger + (f" [{', '.join(guards)}]" if guards else "")
            if dest == source:
                kept.setdefault(source, []).append(label)
            else:
                lines.append(f"    {source} --> {dest} : {label}")
        lines += [f"    {state} --> [*]" for state in self.finals]
        lines += [
            f"    note right of {state} : also {', '.join(sorted(set(kept[state])))}"
            for state in self.states
            if state in kept
        ]
        return "\n".join(lines)

    def markdown(self) -> str:
        """A reference page: the diagram, every step with its guards, the guards' meaning."""
        docs = {(s.trigger, source): s.doc for s in self.steps for source in s.sources}
        lines = [
            f"# The {self.name} workflow",
            "",
            f"<!-- Generated by `serviceflow diagram --workflow {self.name}`; do not edit. -->",
            "",
            "```mermaid",
            self.mermaid(),
            "```",
            "",
            "| from | trigger | to | guards | what for |",
            "|---|---|---|---|---|",
        ]
        rows = sorted(self.describe(), key=lambda r: (self.states.index(r[1]), r[0]))
        for trigger, source, dest, guards in rows:
            to = "*(stays)*" if dest == source else dest
            what = docs.get((trigger, source), "")
            lines.append(f"| {source} | {trigger} | {to} | {', '.join(guards)} | {what} |")
        if self.guard_reasons:
            lines += ["", "## Guards", ""]
            lines += [
                f"- `{name}` refuses with: {why}"
                for name, why in sorted(self.guard_reasons.items())
            ]
        return "\n".join(lines) + "\n"


def refused(
    error: type[InvalidTransition],
    machine: Machine,
    aggregate_id: str,
    state: str,
    trigger: str,
    *,
    allowed: Sequence[str],
    reason: str | None = None,
    subject: object | None = None,
) -> InvalidTransition:
    """The ``error`` for ``trigger`` refused in ``state``: as allowed it lists the other
    triggers of ``allowed`` whose guards pass now for ``subject`` (all of them without one)."""
    candidates = [t for t in allowed if t != trigger]
    if subject is not None:
        candidates = open_triggers(machine, subject, state, candidates)
    return error(aggregate_id, state, trigger, candidates, reason, terminal=not allowed)


def open_triggers(
    machine: Machine, subject: object, state: str, triggers: Iterable[str]
) -> list[str]:
    """The ``triggers`` whose guards all pass for ``subject`` in ``state`` now: evaluated,
    never fired (only asked for when a refusal is explained)."""
    found = []
    for trigger in triggers:
        event = machine.events[trigger]
        data = EventData(machine.get_state(state), event, machine, subject, (), {})
        if any(all(c.check(data) for c in t.conditions) for t in event.transitions[state]):
            found.append(trigger)
    return found


def failed_guards(
    machine: Machine, subject: object, state: str, trigger: str, reasons: dict[str, str]
) -> str:
    """Why ``trigger`` is refused in ``state``: the reason of each guard that fails now."""
    event = machine.events[trigger]
    data = EventData(machine.get_state(state), event, machine, subject, (), {})
    failed = [
        reasons.get(_name(c.func), _name(c.func))
        for transition in event.transitions[state]
        for c in transition.conditions
        if not c.check(data)
    ]
    return "; ".join(dict.fromkeys(failed)) or "a guard refused"


def _name(func: Any) -> str:
    return str(getattr(func, "__name__", func))
