"""Decide: validate a command against the lifecycle and the policy, and return its events.

Pure: no I/O, no clock of its own. The same state, command, policy and ``now`` always
give the same events, which is what makes replay and tests deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from serviceflow import commands as cmd
from serviceflow import events as ev
from serviceflow.case import Case, requester_group
from serviceflow.errors import NotFound, ValidationError
from serviceflow.evolve import evolve
from serviceflow.lifecycle import VALIDATED, Subject, fire
from serviceflow.policy import Policy
from serviceflow.priority import decide_priority

C = TypeVar("C", bound=cmd.Command)


def decide(
    case: Case | None, command: cmd.Command, policy: Policy, now: datetime
) -> list[ev.Event]:
    """The events that ``command`` produces on ``case`` (``None`` for a new case)."""
    if isinstance(command, cmd.Submit):
        if case is not None:
            raise ValidationError(
                f"cannot submit case {command.case_id}", ["the case already exists"]
            )
        return [_submit(command, policy, now)]
    if case is None:
        raise NotFound("case", command.case_id)
    if isinstance(command, cmd.Merge):
        raise ValidationError("merge needs both cases", ["use decide_merge(source, target, ...)"])
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise ValidationError(
            "unknown command", [f"{type(command).__name__} is not a case command"]
        )
    return handler(case, command, policy, now)


def decide_merge(
    source: Case, target: Case | None, command: cmd.Merge, policy: Policy, now: datetime
) -> tuple[list[ev.Event], list[ev.Event]]:
    """Events for merging duplicate ``source`` into ``target``: one list per stream."""
    if command.into == source.id:
        raise ValidationError(
            f"cannot merge case {source.id}", ["a case cannot be merged into itself"]
        )
    if target is None:
        raise NotFound("case", command.into)
    fire(Subject(source, policy, now), "merge")
    fire(Subject(target, policy, now), "absorb")
    meta = _meta(command, policy, now)
    return [ev.Merged(into=target.id, **meta)], [ev.DuplicateMerged(duplicate=source.id, **meta)]


# --- command handlers ----------------------------------------------------------------------


def _meta(command: cmd.Command, policy: Policy, now: datetime) -> dict[str, Any]:
    return {"at": now, "by": command.by, "policy": policy.version}


def _required(problems: list[str], **texts: str | None) -> None:
    for name, value in texts.items():
        if value is None or not value.strip():
            problems.append(f"{name}: required, must not be empty")


def _known(problems: list[str], what: str, value: str | None, allowed: Iterable[str]) -> None:
    options = tuple(allowed)
    if value is not None and value not in options:
        problems.append(f"{what}: expected one of {', '.join(options)}, got {value!r}")


def _check(case_id: str, verb: str, problems: list[str]) -> None:
    if problems:
        raise ValidationError(f"cannot {verb} case {case_id}", problems)


def _submit(c: cmd.Submit, policy: Policy, now: datetime) -> ev.Submitted:
    problems: list[str] = []
    _required(problems, case_id=c.case_id, requester=c.requester, subject=c.subject, by=c.by)
    _known(problems, "channel", c.channel, policy.channels)
    _known(problems, "category", c.category, policy.category_map)
    _known(problems, "kind", c.kind, policy.kinds)
    _known(problems, "impact", c.impact, policy.priority.impacts)
    _known(problems, "urgency", c.urgency, policy.priority.urgencies)
    _known(problems, "tier", c.tier, policy.tier_map)
    _check(c.case_id, "submit", problems)
    return ev.Submitted(
        case_id=c.case_id,
        requester=c.requester,
        channel=c.channel,
        subject=c.subject,
        description=c.description,
        tier=c.tier or policy.tier_for(requester_group(c.requester)),
        category=c.category,
        kind=c.kind,
        impact=c.impact,
        urgency=c.urgency,
        **_meta(c, policy, now),
    )


def _classify(case: Case, c: cmd.Classify, policy: Policy, now: datetime) -> list[ev.Event]:
    category = c.category or case.category
    kind = c.kind or case.kind
    problems: list[str] = []
    if category is None:
        problems.append(f"category: required (one of {', '.join(policy.category_map)})")
    if kind is None:
        problems.append(f"kind: required (one of {', '.join(policy.kinds)})")
    _known(problems, "category", category, policy.category_map)
    _known(problems, "kind", kind, policy.kinds)
    if c.confidence is not None and not 0.0 <= c.confidence <= 1.0:
        problems.append(f"confidence: must be between 0 and 1, got {c.confidence}")
    _check(case.id, "classify", problems)
    fire(Subject(case, policy, now), "classify")
    assert category is not None
    assert kind is not None
    meta = _meta(c, policy, now)
    return [ev.Classified(category=category, kind=kind, confidence=c.confidence, **meta)]


def _prioritize(case: Case, c: cmd.Prioritize, policy: Policy, now: datetime) -> list[ev.Event]:
    problems: list[str] = []
    _known(problems, "impact", c.impact, policy.priority.impacts)
    _known(problems, "urgency", c.urgency, policy.priority.urgencies)
    if c.priority is not None:
        _known(problems, "priority", c.priority, policy.priority.names)
        _required(problems, reason=c.reason)
    _check(case.id, "prioritize", problems)
    fire(Subject(case, policy, now), "prioritize")
    meta = _meta(c, policy, now)
    if c.priority is not None:
        assert c.reason is not None
        return [
            ev.Prioritized(
                priority=c.priority,
                impact=c.impact,
                urgency=c.urgency,
                rule="manual",
                reason=c.reason.strip(),
                **meta,
            )
        ]
    decision = decide_priority(
        policy,
        impact=c.impact or case.impact,
        urgency=c.urgency or case.urgency,
        category=case.category,
        tier=case.tier,
    )
    return [
        ev.Prioritized(
            priority=decision.priority,
            impact=c.impact or case.impact,
            urgency=c.urgency or case.urgency,
            rule=decision.rule,
            reason=decision.reason,
            **meta,
        )
    ]


def _assign(case: Case, c: cmd.Assign, policy: Policy, now: datetime) -> list[ev.Event]:
    problems: list[str] = []
    _required(problems, to=c.to)
    if c.to == case.assignee:
        problems.append(f"to: the case is already assigned to {c.to}")
    _check(case.id, "assign", problems)
    fire(Subject(case, policy, now), "assign")
    return [ev.Assigned(assignee=c.to, previous=case.assignee, **_meta(c, policy, now))]


def _message(
    trigger: str, event_type: Callable[..., ev.Event]
) -> Callable[[Case, Any, Policy, datetime], list[ev.Event]]:
    def handle(case: Case, c: Any, policy: Policy, now: datetime) -> list[ev.Event]:
        problems: list[str] = []
        _required(problems, message=c.message)
        _check(case.id, trigger.replace("_", " "), problems)
        fire(Subject(case, policy, now), trigger)
        return [event_type(message=c.message, **_meta(c, policy, now))]

    return handle


def _resolve(case: Case, c: cmd.Resolve, policy: Policy, now: datetime) -> list[ev.Event]:
    problems: list[str] = []
    _required(problems, resolution=c.resolution)
    _check(case.id, "resolve", problems)
    fire(Subject(case, policy, now), "resolve")
    return [ev.Resolved(resolution=c.resolution, **_meta(c, policy, now))]


def _close_if_done(
    case: Case, first: ev.Event, c: cmd.Command, policy: Policy, now: datetime
) -> list[ev.Event]:
    """Validation and confirmation together close the case, whichever came second."""
    after = evolve(case, first)
    if after.state == VALIDATED and after.confirmed_at is not None:
        fire(Subject(after, policy, now), "close")
        return [first, ev.Closed(reason="client_confirmed", **_meta(c, policy, now))]
    return [first]


def _validate(case: Case, c: cmd.Validate, policy: Policy, now: datetime) -> list[ev.Event]:
    fire(Subject(case, policy, now), "validate")
    return _close_if_done(case, ev.Validated(note=c.note, **_meta(c, policy, now)), c, policy, now)


def _confirm(case: Case, c: cmd.Confirm, policy: Policy, now: datetime) -> list[ev.Event]:
    fire(Subject(case, policy, now), "confirm")
    first = ev.Confirmed(comment=c.comment, **_meta(c, policy, now))
    return _close_if_done(case, first, c, policy, now)


def _close(case: Case, c: cmd.Close, policy: Policy, now: datetime) -> list[ev.Event]:
    fire(Subject(case, policy, now), "close")
    reason = "client_confirmed" if case.confirmed_at is not None else "auto_confirmed"
    return [ev.Closed(reason=reason, **_meta(c, policy, now))]


def _with_reason(
    trigger: str, event_type: Callable[..., ev.Event]
) -> Callable[[Case, Any, Policy, datetime], list[ev.Event]]:
    def handle(case: Case, c: Any, policy: Policy, now: datetime) -> list[ev.Event]:
        problems: list[str] = []
        _required(problems, reason=c.reason)
        _check(case.id, trigger, problems)
        fire(Subject(case, policy, now), trigger)
        return [event_type(reason=c.reason, **_meta(c, policy, now))]

    return handle


def _note(case: Case, c: cmd.AddNote, policy: Policy, now: datetime) -> list[ev.Event]:
    problems: list[str] = []
    _required(problems, text=c.text)
    _check(case.id, "add a note to", problems)
    fire(Subject(case, policy, now), "note")
    return [ev.NoteAdded(text=c.text, **_meta(c, policy, now))]


_HANDLERS: dict[type[cmd.Command], Callable[[Case, Any, Policy, datetime], list[ev.Event]]] = {
    cmd.Classify: _classify,
    cmd.Prioritize: _prioritize,
    cmd.Assign: _assign,
    cmd.Acknowledge: _message("acknowledge", ev.Acknowledged),
    cmd.Reply: _message("reply", ev.Replied),
    cmd.RequestInfo: _message("request_info", ev.InfoRequested),
    cmd.ClientReply: _message("client_reply", ev.ClientReplied),
    cmd.Resolve: _resolve,
    cmd.Validate: _validate,
    cmd.Reject: _with_reason("reject", ev.ValidationRejected),
    cmd.Confirm: _confirm,
    cmd.Close: _close,
    cmd.Reopen: _with_reason("reopen", ev.Reopened),
    cmd.Cancel: _with_reason("cancel", ev.Cancelled),
    cmd.AddNote: _note,
}
