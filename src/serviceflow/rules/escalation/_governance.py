"""Escalation governance: which tier owns a case, how it moves, and what may not happen.

Pure rules over a case and the policy's ``escalation`` section:

- a case starts in the entry tier; ``escalate`` moves it up (hierarchical) or across
  (functional, same level), ``deescalate`` returns it down, each with a reason;
- an escalation waits for an owner *in the target tier* to accept it, stating a
  resolution timeline; the client is told at once, and again on acceptance (templates);
- anti-flapping: a person may not move a case out of a tier before the policy's minimum
  dwell, and a move that would bounce the case more than ``max_bounces`` times flags it
  as ping-pong and gives it to the process owner (the category's RACI accountable, else
  the policy's ``process_owner``) instead of bouncing it again;
- automatic triggers (priority critical, too many reopens) are escalations decided in the
  same command; SLA and plugin triggers come from the desk as ``Escalate`` commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from serviceflow.core._identity import canonical_actor, same_actor
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case, client_actor
from serviceflow.domain.policy._authority import INTERNAL
from serviceflow.domain.policy._escalation import (
    CRITICAL,
    FUNCTIONAL,
    HIERARCHICAL,
    MANUAL,
    NEXT,
    PREVIOUS,
    REOPENED,
    RESPONSIBLE,
    EscalationRule,
    EscalationTier,
)
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import NotAuthorized, ValidationError
from serviceflow.rules._authority import role_of
from serviceflow.rules._communication import render_for
from serviceflow.rules._evolve import fold
from serviceflow.rules._lifecycle import ALLOWED, Subject, fire

SYSTEM = "system:escalation"
"""The actor of escalations the policy's rules trigger."""
ESCALATION_TEMPLATE = "escalation_acknowledge"
TIMELINE_TEMPLATE = "escalation_timeline"


def tier_of(case: Case, policy: Policy) -> str | None:
    """The tier that owns ``case``: its escalation's, else the entry tier (``None``: no tiers)."""
    if case.escalation is not None:
        return case.escalation.tier
    entry = policy.escalation.entry
    return entry.name if entry is not None else None


def process_owner(case: Case, policy: Policy) -> str:
    """Who answers for a case that cannot find its tier: the category's accountable, or the
    policy's process owner."""
    raci = policy.escalation.raci_for(case.category)
    if raci is not None:
        return raci.accountable
    owner = policy.escalation.process_owner
    assert owner is not None, "the policy check requires a process owner with tiers"
    return owner


def serves(actor: str, tier: EscalationTier, policy: Policy) -> bool:
    """Is ``actor`` a member of ``tier`` (an agent of its teams, or holding one of its roles)?"""
    if not tier.teams and not tier.roles:
        return True
    agent = next((a for a in policy.agents if same_actor(a.id, actor)), None)
    if agent is not None and set(agent.teams) & set(tier.teams):
        return True
    role = role_of(actor, policy.roles)
    return role is not None and role.name in tier.roles


def rule_for(
    policy: Policy,
    on: str,
    case: Case,
    *,
    metric: str | None = None,
    threshold: float | None = None,
) -> EscalationRule | None:
    """The first rule that escalates ``case`` when ``on`` happens (for ``metric`` at
    ``threshold`` for SLA triggers)."""
    for rule in policy.escalation.rules:
        if rule.on != on or not rule.when.matches(case):
            continue
        if rule.metric is not None and rule.metric != metric:
            continue
        if rule.threshold is not None and rule.threshold != threshold:
            continue
        if on == REOPENED and case.reopen_count <= rule.reopens:
            continue
        return rule
    return None


def may_trigger(policy: Policy, on: str, metric: str | None = None) -> bool:
    """Could any rule escalate on ``on`` (for ``metric``)? A cheap test before loading cases."""
    return any(
        r.on == on and (r.metric is None or r.metric == metric) for r in policy.escalation.rules
    )


# --- commands ----------------------------------------------------------------------------


def decide_escalate(case: Case, c: cmd.Escalate, policy: Policy, now: datetime) -> list[ev.Event]:
    """The events of an escalation asked for by a person or a rule (see the module doc);
    a blank ``by`` is the requester asking."""
    if not c.by.strip():
        c = attrs.evolve(c, by=client_actor(case.requester))
    problems: list[str] = []
    if not c.reason.strip():
        problems.append("reason: required (say why the case needs another tier)")
    if not c.trigger.strip():
        problems.append("trigger: required ('manual' for a person)")
    _check(case, "escalate", problems)
    fire(Subject(case, policy, now), "escalate")
    current = _current_tier(case, policy, "escalate")
    target = _target(case, policy, c.to, current, "escalate")
    if target.level < current.level:
        raise ValidationError(
            f"cannot escalate case {case.id}",
            [f"to: tier {target.name!r} is below {current.name!r}; de-escalate instead"],
        )
    return _move(
        case,
        policy,
        now,
        c,
        current=current,
        target=target,
        trigger=c.trigger.strip(),
        reason=c.reason.strip(),
    )


def decide_deescalate(
    case: Case, c: cmd.Deescalate, policy: Policy, now: datetime
) -> list[ev.Event]:
    """Return an escalated case to a lower (or same-level) tier, with the reason."""
    problems: list[str] = []
    if not c.reason.strip():
        problems.append("reason: required (say why the case goes back)")
    _check(case, "de-escalate", problems)
    fire(Subject(case, policy, now), "deescalate")
    current = _current_tier(case, policy, "de-escalate")
    escalation = case.escalation
    assert escalation is not None  # the lifecycle guard refused a case never escalated
    to = c.to
    if to == PREVIOUS:
        earlier = [t for t in escalation.path[:-1] if t != current.name]
        if not earlier:
            raise ValidationError(
                f"cannot de-escalate case {case.id}", ["to: the case has no previous tier"]
            )
        to = earlier[-1]
    target = _target(case, policy, to, current, "de-escalate")
    if target.level > current.level:
        raise ValidationError(
            f"cannot de-escalate case {case.id}",
            [f"to: tier {target.name!r} is above {current.name!r}; escalate instead"],
        )
    return _move(
        case,
        policy,
        now,
        c,
        current=current,
        target=target,
        trigger=MANUAL,
        reason=c.reason.strip(),
    )


def decide_accept(
    case: Case, c: cmd.AcceptEscalation, policy: Policy, now: datetime
) -> list[ev.Event]:
    """An owner in the target tier takes the escalation and commits to a resolution time."""
    fire(Subject(case, policy, now), "accept_escalation")
    escalation = case.escalation
    assert escalation is not None  # the lifecycle guard: awaiting acceptance
    actor = c.by.strip()
    tier = policy.escalation.tier(escalation.tier)
    if tier is None:
        raise ValidationError(
            f"cannot accept the escalation of case {case.id}",
            [f"tier {escalation.tier!r} is no longer in the policy; escalate the case again"],
        )
    if canonical_actor(actor).startswith(INTERNAL) or not (
        serves(actor, tier, policy) or _owns(case, policy, actor)
    ):
        raise NotAuthorized(
            actor,
            f"accept the escalation of case {case.id} into tier {tier.name!r}",
            _members(tier),
        )
    if c.timeline.tzinfo is None:
        raise ValidationError(
            f"cannot accept the escalation of case {case.id}",
            ["timeline: a date and time with its time zone (naive times are ambiguous)"],
        )
    if c.timeline <= now:
        raise ValidationError(
            f"cannot accept the escalation of case {case.id}",
            [f"timeline: must be later than now ({now.isoformat()}), got {c.timeline.isoformat()}"],
        )
    meta = _meta(actor, policy, now)
    owned = attrs.evolve(case, assignee=actor)
    text = render_for(
        owned, policy, TIMELINE_TEMPLATE, timeline=c.timeline, escalation_tier=_shown(tier)
    ).text
    accepted: list[ev.Event] = [
        ev.EscalationAccepted(
            tier=tier.name,
            timeline=c.timeline,
            message=text,
            template=TIMELINE_TEMPLATE,
            **meta,
        )
    ]
    if not same_actor(case.assignee, actor):
        accepted.append(
            ev.Assigned(
                assignee=actor, previous=case.assignee, reason="accepted the escalation", **meta
            )
        )
    return accepted


def automatic(before: Case, events: Sequence[ev.Event], policy: Policy) -> list[ev.Event]:
    """Escalations the policy's rules add to a command's events: the priority became the most
    urgent, or the case was reopened more often than allowed. Never refuses the command."""
    if not policy.escalation.rules or not events:
        return []
    after = fold(events, before)
    if after is None or "escalate" not in ALLOWED[after.state]:
        return []
    urgent = policy.priority.names[0]
    rule = None
    prioritized = any(isinstance(e, ev.Prioritized) for e in events)
    if prioritized and after.priority == urgent and before.priority != urgent:
        rule = rule_for(policy, CRITICAL, after)
    if rule is None and any(isinstance(e, ev.Reopened) for e in events):
        rule = rule_for(policy, REOPENED, after)
    if rule is None:
        return []
    on = rule.on
    reason = (
        f"the priority became {urgent}"
        if on == CRITICAL
        else f"reopened {after.reopen_count} times (the policy allows {rule.reopens})"
    )
    command = cmd.Escalate(case_id=after.id, by=SYSTEM, reason=reason, to=rule.to, trigger=on)
    try:
        return decide_escalate(after, command, policy, events[-1].at)
    except ValidationError:
        return []  # already at the top, or nowhere to go: the command itself stands


# --- moving between tiers ----------------------------------------------------------------


def _move(
    case: Case,
    policy: Policy,
    now: datetime,
    c: cmd.Escalate | cmd.Deescalate,
    *,
    current: EscalationTier,
    target: EscalationTier,
    trigger: str,
    reason: str,
) -> list[ev.Event]:
    """Escalate or return the case, unless anti-flapping stops it (see the module doc)."""
    actor = c.by.strip()
    escalation = case.escalation
    if escalation is not None and escalation.flagged and not _owns(case, policy, actor):
        owner = escalation.owner
        raise ValidationError(
            f"cannot move case {case.id}",
            [f"it was flagged as ping-pong; only its process owner ({owner}) moves it now"],
        )
    if not canonical_actor(actor).startswith(INTERNAL) and not _owns(case, policy, actor):
        _check_dwell(case, policy, now, current)
    path = escalation.path if escalation is not None else (current.name,)
    bounces = escalation.bounces if escalation is not None else 0
    bounce = target.name in path
    meta = _meta(actor, policy, now)
    notify = _informed(case, policy)
    limit = policy.escalation.max_bounces
    if bounce and bounces >= limit and not _owns(case, policy, actor):
        return _flagged(
            case, policy, meta, current=current, path=path, bounces=bounces, notify=notify
        )
    if isinstance(c, cmd.Deescalate):
        return [
            ev.Deescalated(
                from_tier=current.name, to_tier=target.name, reason=reason, notify=notify, **meta
            )
        ]
    kind = FUNCTIONAL if target.level == current.level else HIERARCHICAL
    explanation = f"{kind} escalation from {current.name} to {target.name}: {reason}"
    text = render_for(
        case, policy, ESCALATION_TEMPLATE, reason=reason, escalation_tier=_shown(target)
    ).text
    return [
        ev.Escalated(
            from_tier=current.name,
            to_tier=target.name,
            kind=kind,
            trigger=trigger,
            reason=explanation,
            message=text,
            template=ESCALATION_TEMPLATE,
            notify=notify,
            **meta,
        )
    ]


def _flagged(
    case: Case,
    policy: Policy,
    meta: dict[str, Any],
    *,
    current: EscalationTier,
    path: tuple[str, ...],
    bounces: int,
    notify: tuple[str, ...],
) -> list[ev.Event]:
    owner = process_owner(case, policy)
    reason = (
        f"ping-pong: {bounces} bounces between tiers ({' → '.join(path)}); the process owner "
        f"{owner} holds the case and decides where it goes"
    )
    flagged: list[ev.Event] = [
        ev.PingPongFlagged(
            tier=current.name,
            owner=owner,
            bounces=bounces,
            path=path,
            reason=reason,
            notify=notify,
            **meta,
        )
    ]
    if case.assignee != owner:
        flagged.append(
            ev.Assigned(
                assignee=owner,
                previous=case.assignee,
                reason="ping-pong: the process owner takes the case",
                **meta,
            )
        )
    return flagged


def _check_dwell(case: Case, policy: Policy, now: datetime, current: EscalationTier) -> None:
    dwell = policy.escalation.min_dwell
    since = case.escalation.since if case.escalation is not None else case.submitted_at
    if now - since < dwell:
        raise ValidationError(
            f"cannot move case {case.id} out of tier {current.name!r} yet",
            [
                f"it arrived at {since.isoformat()} and must stay at least {dwell} "
                f"($.escalation.min_dwell), until {(since + dwell).isoformat()}"
            ],
        )


def _current_tier(case: Case, policy: Policy, verb: str) -> EscalationTier:
    name = tier_of(case, policy)
    if name is None:
        raise ValidationError(
            f"cannot {verb} case {case.id}", ["the policy declares no escalation tiers"]
        )
    tier = policy.escalation.tier(name)
    if tier is None:
        entry = policy.escalation.entry
        assert entry is not None
        return entry  # its tier left the policy: it counts as being at the entry tier
    return tier


def _target(
    case: Case, policy: Policy, to: str, current: EscalationTier, verb: str
) -> EscalationTier:
    """The tier ``to`` names for ``case``; ``next`` and ``responsible`` resolved."""
    where = f"cannot {verb} case {case.id}"
    names = ", ".join(t.name for t in policy.escalation.tiers)
    if to == NEXT:
        above = policy.escalation.above(current.name)
        if above is None:
            raise ValidationError(where, [f"to: tier {current.name!r} is the top tier"])
        return above
    if to == RESPONSIBLE:
        raci = policy.escalation.raci_for(case.category)
        if raci is None:
            raise ValidationError(
                where, [f"to: no RACI names the tier responsible for category {case.category!r}"]
            )
        to = raci.responsible
    target = policy.escalation.tier(to)
    if target is None:
        raise ValidationError(where, [f"to: unknown tier {to!r} (tiers: {names})"])
    if target.name == current.name:
        raise ValidationError(where, [f"to: the case is already in tier {current.name!r}"])
    return target


def _owns(case: Case, policy: Policy, actor: str) -> bool:
    """The process owner of the case (who may move a flagged case, and skips the dwell)."""
    return bool(policy.escalation.tiers) and same_actor(actor, process_owner(case, policy))


def _informed(case: Case, policy: Policy) -> tuple[str, ...]:
    raci = policy.escalation.raci_for(case.category)
    if raci is None:
        return ()
    return tuple(dict.fromkeys((*raci.consulted, *raci.informed)))


def _members(tier: EscalationTier) -> str:
    parts = []
    if tier.teams:
        parts.append(f"teams {', '.join(tier.teams)}")
    if tier.roles:
        parts.append(f"roles {', '.join(tier.roles)}")
    return f"a member of tier {tier.name!r} ({'; '.join(parts)}) or the process owner"


def _shown(tier: EscalationTier) -> str:
    """How a tier is named to the client: its description, else its name."""
    return tier.description or tier.name


def _meta(actor: str, policy: Policy, now: datetime) -> dict[str, Any]:
    return {"at": now, "by": actor, "policy": policy.version}


def _check(case: Case, verb: str, problems: list[str]) -> None:
    if problems:
        raise ValidationError(f"cannot {verb} case {case.id}", problems)


__all__ = [
    "SYSTEM",
    "automatic",
    "decide_accept",
    "decide_deescalate",
    "decide_escalate",
    "may_trigger",
    "process_owner",
    "rule_for",
    "serves",
    "tier_of",
]
