"""The plan of a command: everything it will write, worked out by pure functions.

``admit`` checks a command's shape, its case and its actor's authority; ``with_template``
fills its template from the case and its history; the desk then asks the guardrail plugins;
``plan`` refuses on their objection, decides, folds, and derives the SLA timers and the
messages. The desk reads the history (once) only after ``admit`` and only when
``needs_history`` asks for it, appends what the plan says, and publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import attrs

from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._messages import Notification
from serviceflow.domain.policy._escalation import PLUGIN
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._sla import RESOLUTION
from serviceflow.errors import GuardrailViolation, NotFound, ValidationError
from serviceflow.rules._authority import authorize
from serviceflow.rules._communication import render_for
from serviceflow.rules._decide import HISTORY_READS, check_shape, decide_folded, decide_merge
from serviceflow.rules._evolve import fold
from serviceflow.rules._limits import check_limits, plainly_within
from serviceflow.rules._notices import notifications, survey_notification
from serviceflow.rules._sla import Timer
from serviceflow.rules._sla import report as sla_report
from serviceflow.rules._sla import timers as sla_timers
from serviceflow.rules._survey import OFFER_READS, may_offer, survey_offer
from serviceflow.rules.escalation._clocks import escalation_timers


class Message(NamedTuple):
    """A message a change sends: created with its events, due at once or later (a survey)."""

    notification: Notification
    created: datetime
    due: datetime

    @property
    def at_once(self) -> bool:
        """Due when it is created: sent right after the commit, not left for later."""
        return self.due <= self.created


class Change(NamedTuple):
    """One stream's part of a plan: its events, the case after them, and what they imply.

    A named tuple, like the store's records: one is built per command."""

    stream: str
    before: Case | None
    after: Case
    events: tuple[ev.Event, ...]
    history: tuple[ev.Event, ...] | None
    """The stream's events after the change; ``None`` when the plan did not need them."""
    timers: tuple[Timer, ...] | None
    """The case's SLA and escalation timers now; ``None`` when no clock can run."""
    messages: tuple[Message, ...]


class Plan(NamedTuple):
    """What one command writes: the command as admitted, and a change per stream (a merge
    changes two), appended in one transaction."""

    command: cmd.Command
    changes: tuple[Change, ...]


def needs_history(case: Case | None, command: cmd.Command, policy: Policy) -> bool:
    """Does planning ``command`` on ``case`` read the case's past events? (Its clocks, its
    template's due time, a survey or review, a survey offer.) The desk reads them once."""
    if case is None:
        return False
    return bool(
        _clocks_run(case, policy)
        or getattr(command, "template", None)
        or type(command) in HISTORY_READS
        or policy.surveys.offer
    )


def admit(case: Case | None, command: cmd.Command, policy: Policy) -> None:
    """Refuse ``command`` unless its shape is right, its case exists (but for a submit), its
    actor may run it and it fits the policy's size limits: the cheap checks, made before
    anything is read."""
    plain = plainly_within(command, policy.limits)
    check_shape(command, fields_fit=plain)
    if case is None and not isinstance(command, cmd.Submit):
        raise NotFound("case", command.case_id)
    authorize(case, command, policy.roles, policy.canned)
    if not plain:
        check_limits(command, policy.limits)


def with_template(
    case: Case | None,
    command: cmd.Command,
    policy: Policy,
    now: datetime,
    *,
    history: Sequence[ev.Event] | None = None,
) -> cmd.Command:
    """The admitted command with its template (if any) rendered for the case: the client's
    locale and time zone, the resolution due time (from ``history``), any escalation
    timeline; the writer's own text is ``$message``."""
    name: str | None = getattr(command, "template", None)
    if case is None or not name:
        return command
    if history is None:
        raise ValidationError(
            f"cannot {command.NAME} case {case.id}",
            ["history: required: a template is rendered with the case's due time"],
        )
    field = "resolution" if isinstance(command, cmd.Resolve) else "message"
    escalation = case.escalation
    rendered = render_for(
        case,
        policy,
        name,
        due=_resolution_due(case, history, policy, now),
        timeline=escalation.timeline if escalation is not None else None,
        escalation_tier=escalation.tier if escalation is not None else None,
        message=getattr(command, field),
    )
    return attrs.evolve(command, **{field: rendered.text})


def plan(
    case: Case | None,
    command: cmd.Command,
    policy: Policy,
    now: datetime,
    *,
    history: Sequence[ev.Event] | None = None,
    objection: str | None = None,
    target: tuple[Case | None, Sequence[ev.Event] | None] | None = None,
    timers: tuple[Timer, ...] | None = None,
) -> Plan:
    """Everything an admitted ``command`` writes on ``case`` (``history``: its past events,
    when ``needs_history`` says so). ``objection`` is a guardrail plugin's; a merge is given
    its ``target`` case and that case's history. ``timers``: the case's timers as they stand,
    worked out under this policy, when the caller knows them (see ``change``)."""
    if objection and case is not None:
        action = f"{command.NAME} case {case.id}"
        raise GuardrailViolation(PLUGIN, action, objection)
    if isinstance(command, cmd.Merge):
        return _merge(case, command, policy, now, history=history, target=target)
    reads = HISTORY_READS.get(type(command))
    past = None
    if reads is not None and case is not None and history is not None:
        past = [e for e in history if e.TYPE in reads]
    events, after = decide_folded(case, command, policy, now, history=past)
    planned = change(command.case_id, case, events, policy, history, after=after, timers=timers)
    return Plan(command, (planned,))


def change(
    stream: str,
    case: Case | None,
    events: Sequence[ev.Event],
    policy: Policy,
    history: Sequence[ev.Event] | None,
    *,
    after: Case | None = None,
    timers: tuple[Timer, ...] | None = None,
) -> Change:
    """``events`` applied to ``case``: the case after them (``after``, when the caller has
    folded them already), its timers and its messages. Events no clock reads leave the
    ``timers`` given (the case's, worked out under ``policy``) as they are; else they are
    worked out from the whole history."""
    after = after if after is not None else fold(events, case)
    assert after is not None
    past = tuple(history) if history is not None else (() if case is None else None)
    full = (*past, *events) if past is not None else None
    if timers is None or case is None or not untimed(case, after, events):
        timers = _timers(stream, case, full, policy, events[-1].at)
    version = case.version if case is not None else 0
    messages = [
        Message(notice, events[-1].at, events[-1].at)
        for seq, event in enumerate(events, start=version + 1)
        for notice in notifications(after, event, seq, policy)
    ]
    if may_offer(events, policy) and after.requester_address:  # nobody to ask: no offer
        reads = [e for e in past or () if e.TYPE in OFFER_READS]
        offer = survey_offer(after, reads, events, policy)
        if offer is not None:
            notice = survey_notification(after, offer, policy)
            messages.append(Message(notice, offer.at, offer.due))
    return Change(stream, case, after, tuple(events), full, timers, tuple(messages))


def _merge(
    source: Case | None,
    command: cmd.Merge,
    policy: Policy,
    now: datetime,
    *,
    history: Sequence[ev.Event] | None,
    target: tuple[Case | None, Sequence[ev.Event] | None] | None,
) -> Plan:
    """The plan of a merge: the duplicate's stream and the target's, in one append."""
    if source is None:
        raise NotFound("case", command.case_id)
    into, into_history = target if target is not None else (None, None)
    if into is not None:  # the target's topic must be the actor's to engage too
        authorize(into, command, policy.roles, policy.canned)
    source_events, target_events = decide_merge(source, into, command, policy, now)
    assert into is not None
    changes = (
        change(source.id, source, source_events, policy, history),
        change(into.id, into, target_events, policy, into_history),
    )
    return Plan(command, changes)


def _timers(
    stream: str,
    case: Case | None,
    full: Sequence[ev.Event] | None,
    policy: Policy,
    at: datetime,
) -> tuple[Timer, ...] | None:
    """The case's SLA and escalation timers after ``full``, its whole history (``None``
    when no clock can run). A due instant depends on the ledgers, not on ``at``."""
    if not _clocks_run(case, policy):
        return None
    assert full is not None, "the plan of a case with clocks needs its history"
    report = sla_report(stream, full, policy, at)
    return (*sla_timers(report, policy), *escalation_timers(full, policy, at))


UNTIMED: frozenset[type[ev.Event]] = frozenset(
    {ev.NoteAdded, ev.FieldsChanged, ev.SurveyRecorded, ev.QualityReviewed}
)
"""Events neither clock ledger reads (``rules._sla`` and ``rules.escalation._clocks``):
unless the state moves, they leave every SLA and escalation timer as it was."""


def untimed(before: Case, after: Case, events: Sequence[ev.Event]) -> bool:
    """Do ``events`` (taking the case from ``before`` to ``after``) leave its timers alone?"""
    return after.state == before.state and all(type(e) in UNTIMED for e in events)


def _clocks_run(case: Case | None, policy: Policy) -> bool:
    """Can any SLA or escalation clock run on ``case`` under ``policy``?"""
    return bool(
        policy.sla or (case is not None and case.sla is not None) or policy.escalation.tiers
    )


def _resolution_due(
    case: Case, history: Sequence[ev.Event], policy: Policy, now: datetime
) -> datetime | None:
    """When the case's resolution clock is due, if it runs."""
    if case.sla is None:
        return None
    clock = sla_report(case.id, history, policy, now).current(RESOLUTION)
    return clock.due if clock is not None and clock.active else None
