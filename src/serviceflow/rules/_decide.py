"""Decide: validate a command against the lifecycle and the policy, and return its events.

Pure: no I/O, no clock of its own. The same state, command, policy and ``now`` always
give the same events, which is what makes replay and tests deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from attrs import evolve as evolve_command

from serviceflow.core._identity import same_actor
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case, client_actor, requester_group
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._sla import ServiceLevel
from serviceflow.errors import NotFound, ValidationError
from serviceflow.rules import _quality as quality
from serviceflow.rules import _survey as survey
from serviceflow.rules._authority import acting, authorize, role_of
from serviceflow.rules._evolve import evolve, fold
from serviceflow.rules._guardrails import check_guardrails
from serviceflow.rules._lifecycle import (
    CANCELLED,
    CLOSED,
    DESTINATIONS,
    MERGED,
    VALIDATED,
    Subject,
    fire,
)
from serviceflow.rules._limits import check_limits, not_before
from serviceflow.rules._priority import decide_priority
from serviceflow.rules._routing import skill_gap
from serviceflow.rules.escalation._governance import (
    automatic,
    decide_accept,
    decide_deescalate,
    decide_escalate,
)

C = TypeVar("C", bound=cmd.Command)
ABSORB = "absorb"
Handler = Callable[[Case, Any, Policy, datetime], list[ev.Event]]
HistoryHandler = Callable[[Case, Any, Policy, datetime, Sequence[ev.Event]], list[ev.Event]]


def decide(
    case: Case | None,
    command: cmd.Command,
    policy: Policy,
    now: datetime,
    *,
    history: Sequence[ev.Event] | None = None,
) -> list[ev.Event]:
    """The events that ``command`` produces on ``case`` (``None`` for a new case), or the
    refusal: its shape, its actor's authority (roles, clients), the policy's limits and
    guardrails, the lifecycle. Everything but the guardrail plugins, which the desk asks.

    Commands in ``HISTORY_READS`` (surveys, reviews) are decided on the case's past events
    too: pass them as ``history`` (those of the listed types suffice).
    """
    check_shape(command)
    if case is None and not isinstance(command, cmd.Submit):
        raise NotFound("case", command.case_id)
    authorize(case, command, policy.roles, policy.canned)
    check_limits(command, policy.limits)
    return decide_checked(case, command, policy, now, history=history)


def decide_checked(
    case: Case | None,
    command: cmd.Command,
    policy: Policy,
    now: datetime,
    *,
    history: Sequence[ev.Event] | None = None,
) -> list[ev.Event]:
    """``decide`` for a command admitted already: its shape, actor and size checked."""
    return decide_folded(case, command, policy, now, history=history)[0]


def decide_folded(
    case: Case | None,
    command: cmd.Command,
    policy: Policy,
    now: datetime,
    *,
    history: Sequence[ev.Event] | None = None,
) -> tuple[list[ev.Event], Case | None]:
    """``decide_checked``, with the case after the events when deciding folded them (the
    service level is chosen on it), so a plan need not fold them again; else ``None``."""
    if case is not None:
        now = not_before(case.updated_at, now, policy.limits, f"{command.NAME} case {case.id}")
    if isinstance(command, cmd.Submit):
        if case is not None:
            raise ValidationError(
                f"cannot submit case {command.case_id}", ["the case already exists"]
            )
        return _with_service_level(None, [_submit(command, policy, now)], policy)
    if case is None:
        raise NotFound("case", command.case_id)
    if isinstance(command, cmd.Merge):
        raise ValidationError("merge needs both cases", ["use decide_merge(source, target, ...)"])
    handler = _HANDLERS.get(type(command))
    reader = _HISTORY_HANDLERS.get(type(command))
    if handler is None and reader is None:
        raise ValidationError(
            "unknown command", [f"{type(command).__name__} is not a case command"]
        )
    check_case_guardrails(case, command, policy)
    if reader is not None:
        if history is None:
            raise ValidationError(
                f"cannot {command.NAME} case {case.id}",
                ["history: required: this command is decided on the case's past events"],
            )
        events = reader(case, command, policy, now, history)
    else:
        assert handler is not None
        events = handler(case, command, policy, now)
    events += automatic(case, events, policy)
    return _with_service_level(case, events, policy)


def _with_service_level(
    case: Case | None, events: list[ev.Event], policy: Policy
) -> tuple[list[ev.Event], Case | None]:
    """Add ``SlaApplied`` when the events change which service level holds for the case;
    with the case after them, when they had to be folded to know."""
    if not policy.sla or not events:
        return events, None
    after = fold(events, case)
    if after is None or after.state in (CANCELLED, MERGED, CLOSED):
        return events, after
    level = policy.service_level(after)
    name = level.name if level is not None else None
    if name == after.sla:
        return events, after
    last = events[-1]
    reason = _level_reason(after, level)
    applied = ev.SlaApplied(
        level=name, reason=reason, at=last.at, by=last.by, policy=policy.version
    )
    return [*events, applied], evolve(after, applied)


def _level_reason(case: Case, level: ServiceLevel | None) -> str:
    if level is None:
        return "no service level matches"
    if level.when.is_fallback:
        return f"{level.name!r} is the fallback"
    facts = [
        f"{name} {getattr(case, name)}"
        for name in ("priority", "tier", "category", "kind", "channel")
        if getattr(level.when, name)
    ]
    if level.when.requester_group:
        facts.append(f"requester group {case.requester_group}")
    return f"{level.name!r} matches " + ", ".join(facts)


def decide_merge(
    source: Case, target: Case | None, command: cmd.Merge, policy: Policy, now: datetime
) -> tuple[list[ev.Event], list[ev.Event]]:
    """Events for merging duplicate ``source`` into ``target``: one list per stream."""
    check_shape(command)
    check_limits(command, policy.limits)
    check_case_guardrails(source, command, policy)
    latest = max(source.updated_at, target.updated_at) if target is not None else None
    now = not_before(latest, now, policy.limits, f"merge case {source.id}")
    if command.into == source.id:
        raise ValidationError(
            f"cannot merge case {source.id}", ["a case cannot be merged into itself"]
        )
    if target is None:
        raise NotFound("case", command.into)
    if target.state == MERGED:
        raise ValidationError(
            f"cannot merge case {source.id} into {target.id}",
            [f"into: {target.id} was itself merged into {target.merged_into}; merge into that"],
        )
    fire(Subject(source, policy, now), "merge")
    if (ABSORB, target.state) not in DESTINATIONS:
        raise ValidationError(
            f"cannot merge case {source.id} into {target.id}",
            [f"into: case {target.id} is {target.state}; duplicates go into a live case"],
        )
    fire(Subject(target, policy, now), ABSORB)
    meta = _meta(command, policy, now)
    return [ev.Merged(into=target.id, **meta)], [ev.DuplicateMerged(duplicate=source.id, **meta)]


# --- checks --------------------------------------------------------------------------------


def check_shape(command: cmd.Command, *, fields_fit: bool = False) -> None:
    """Refuse a malformed command (wrong types, bad ids, no actor) before anything else;
    ``fields_fit``: its fields passed ``plainly_within`` already."""
    problems = cmd.shape_problems(command, fields_fit=fields_fit)
    if problems:
        name = type(command).__name__.lower()
        raise ValidationError(f"cannot {name} case {command.case_id!r:.80}", problems)


def check_case_guardrails(case: Case, command: cmd.Command, policy: Policy) -> None:
    """Refuse with ``GuardrailViolation`` if a policy guardrail forbids ``command`` on ``case``."""
    if not policy.guardrails:
        return
    role = role_of(acting(case, command), policy.roles)
    name = role.name if role is not None else None
    lacks = partial(skill_gap, policy)
    check_guardrails(case, command, policy.guardrails, name, lacks)


def _meta(command: cmd.Command, policy: Policy, now: datetime) -> dict[str, Any]:
    return {"at": now, "by": command.by.strip(), "policy": policy.version}


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


def _as_client(case: Case, c: C) -> C:
    """Commands the client sends name the requester when no actor is given."""
    return c if c.by.strip() else evolve_command(c, by=client_actor(case.requester))


# --- command handlers ----------------------------------------------------------------------


def _submit(c: cmd.Submit, policy: Policy, now: datetime) -> ev.Submitted:
    problems: list[str] = []
    _required(problems, requester=c.requester, subject=c.subject)
    _known(problems, "channel", c.channel, policy.channels)
    _known(problems, "category", c.category, policy.category_map)
    _known(problems, "kind", c.kind, policy.kinds)
    _known(problems, "impact", c.impact, policy.priority.impacts)
    _known(problems, "urgency", c.urgency, policy.priority.urgencies)
    _known(problems, "tier", c.tier, policy.tier_map)
    if policy.languages:
        _known(problems, "language", c.language, policy.languages)
    elif c.language is not None and not c.language.strip():
        problems.append("language: must not be blank (leave it out when unknown)")
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
        language=c.language,
        fields=c.fields,
        at=now,
        by=c.by.strip() or client_actor(c.requester),
        policy=policy.version,
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
    problems.extend(f"tags: {t!r} is blank" for t in c.tags if not t.strip())
    _check(case.id, "classify", problems)
    fire(Subject(case, policy, now), "classify")
    assert category is not None
    assert kind is not None
    meta = _meta(c, policy, now)
    tags = tuple(dict.fromkeys(t.strip() for t in c.tags))
    return [ev.Classified(category=category, kind=kind, confidence=c.confidence, tags=tags, **meta)]


def _prioritize(case: Case, c: cmd.Prioritize, policy: Policy, now: datetime) -> list[ev.Event]:
    problems: list[str] = []
    _known(problems, "impact", c.impact, policy.priority.impacts)
    _known(problems, "urgency", c.urgency, policy.priority.urgencies)
    if c.priority is not None:
        _known(problems, "priority", c.priority, policy.priority.names)
        _required(problems, reason=c.reason)
    elif case.priority is not None and (c.reason is None or not c.reason.strip()):
        problems.append(f"reason: required to change the priority ({case.priority}) already set")
    _check(case.id, "prioritize", problems)
    fire(Subject(case, policy, now), "prioritize")
    impact, urgency = c.impact or case.impact, c.urgency or case.urgency
    if c.priority is not None:
        assert c.reason is not None
        priority, rule, reason = c.priority, "manual", c.reason.strip()
    else:
        decision = decide_priority(
            policy, impact=impact, urgency=urgency, category=case.category, tier=case.tier
        )
        priority, rule, reason = decision.priority, decision.rule, decision.reason
        if c.reason is not None and c.reason.strip():
            reason = f"{c.reason.strip()}: {reason}"
    meta = _meta(c, policy, now)
    return [
        ev.Prioritized(
            priority=priority, impact=impact, urgency=urgency, rule=rule, reason=reason, **meta
        )
    ]


def _assign(case: Case, c: cmd.Assign, policy: Policy, now: datetime) -> list[ev.Event]:
    problems: list[str] = []
    _required(problems, to=c.to)
    if same_actor(c.to, case.assignee):
        problems.append(f"to: the case is already assigned to {c.to}")
    _check(case.id, "assign", problems)
    fire(Subject(case, policy, now), "assign")
    meta = _meta(c, policy, now)
    reason = (c.reason or "").strip()
    return [
        ev.Assigned(assignee=c.to, previous=case.assignee, queue=c.queue, reason=reason, **meta)
    ]


def _unassign(case: Case, c: cmd.Unassign, policy: Policy, now: datetime) -> list[ev.Event]:
    problems: list[str] = []
    _required(problems, reason=c.reason)
    if c.queue is not None and not c.queue.strip():
        problems.append("queue: must not be blank (leave it out to keep the case's queue)")
    _check(case.id, "unassign", problems)
    fire(Subject(case, policy, now), "unassign")
    assert case.assignee is not None, "a case at work has an owner"
    queue = c.queue.strip() if c.queue is not None else None
    meta = _meta(c, policy, now)
    return [ev.Unassigned(previous=case.assignee, queue=queue, reason=c.reason.strip(), **meta)]


def _update_fields(
    case: Case, c: cmd.UpdateFields, policy: Policy, now: datetime
) -> list[ev.Event]:
    """Only what changes is recorded; asking for no change at all is refused."""
    problems = [f"fields: key {k!r} is blank" for k in c.fields if not k.strip()]
    problems += [
        f"remove: {k!r} is not a field of the case" for k in c.remove if k not in case.fields
    ]
    problems += [f"remove: {k!r} is also set in fields" for k in c.remove if k in c.fields]
    changed = {k: v for k, v in c.fields.items() if case.fields.get(k) != v}
    if not problems and not changed and not c.remove:
        problems.append("fields: nothing to change (every value is the case's already)")
    _check(case.id, "update fields", problems)
    fire(Subject(case, policy, now), "update_fields")
    meta = _meta(c, policy, now)
    removed = tuple(dict.fromkeys(c.remove))
    return [ev.FieldsChanged(fields=changed, removed=removed, reason=c.reason.strip(), **meta)]


def _text(
    trigger: str, event_type: Callable[..., ev.Event], field: str, *, client: bool = False
) -> Handler:
    """A command whose one required text becomes the event's field of the same name."""

    def handle(case: Case, c: Any, policy: Policy, now: datetime) -> list[ev.Event]:
        if client:
            c = _as_client(case, c)
        problems: list[str] = []
        _required(problems, **{field: getattr(c, field)})
        _check(case.id, trigger.replace("_", " "), problems)
        fire(Subject(case, policy, now), trigger)
        extra = {"template": c.template} if getattr(c, "template", None) else {}
        return [event_type(**{field: getattr(c, field)}, **extra, **_meta(c, policy, now))]

    return handle


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
    c = _as_client(case, c)
    fire(Subject(case, policy, now), "confirm")
    first = ev.Confirmed(comment=c.comment, **_meta(c, policy, now))
    return _close_if_done(case, first, c, policy, now)


def _close(case: Case, c: cmd.Close, policy: Policy, now: datetime) -> list[ev.Event]:
    fire(Subject(case, policy, now), "close")
    reason = "client_confirmed" if case.confirmed_at is not None else "auto_confirmed"
    return [ev.Closed(reason=reason, **_meta(c, policy, now))]


def _apply_level(
    case: Case, c: cmd.ApplyServiceLevel, policy: Policy, now: datetime
) -> list[ev.Event]:
    """Always an event, even when the level keeps its name: its targets may have changed."""
    fire(Subject(case, policy, now), "sla")
    level = policy.service_level(case)
    name = level.name if level is not None else None
    reason = f"{c.reason}; {_level_reason(case, level)}"
    return [ev.SlaApplied(level=name, reason=reason, **_meta(c, policy, now))]


_HANDLERS: dict[type[cmd.Command], Handler] = {
    cmd.Classify: _classify,
    cmd.Prioritize: _prioritize,
    cmd.Assign: _assign,
    cmd.Unassign: _unassign,
    cmd.Acknowledge: _text("acknowledge", ev.Acknowledged, "message"),
    cmd.Reply: _text("reply", ev.Replied, "message"),
    cmd.RequestInfo: _text("request_info", ev.InfoRequested, "message"),
    cmd.ClientReply: _text("client_reply", ev.ClientReplied, "message", client=True),
    cmd.Resolve: _text("resolve", ev.Resolved, "resolution"),
    cmd.Validate: _validate,
    cmd.Reject: _text("reject", ev.ValidationRejected, "reason"),
    cmd.Confirm: _confirm,
    cmd.Close: _close,
    cmd.Reopen: _text("reopen", ev.Reopened, "reason"),
    cmd.Cancel: _text("cancel", ev.Cancelled, "reason"),
    cmd.AddNote: _text("note", ev.NoteAdded, "text"),
    cmd.UpdateFields: _update_fields,
    cmd.ApplyServiceLevel: _apply_level,
    cmd.Escalate: decide_escalate,
    cmd.AcceptEscalation: decide_accept,
    cmd.Deescalate: decide_deescalate,
}

_HISTORY_HANDLERS: dict[type[cmd.Command], HistoryHandler] = {
    cmd.RecordSurvey: survey.decide_survey,
    cmd.ReviewQuality: quality.decide_review,
}

HISTORY_READS: Mapping[type[cmd.Command], frozenset[str]] = {  # a dict: looked up per command
    cmd.RecordSurvey: survey.READS,
    cmd.ReviewQuality: quality.READS,
}
"""Commands decided on the case's past events too, and the event types they read: a caller
passes those events (at least) as ``history``."""
