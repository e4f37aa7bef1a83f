"""Escalation as policy data: tiers, the rules that escalate, RACI per category, anti-flapping.

``escalation`` (rules) applies them; this module holds what the policy is made of and the
checks types cannot express, so the policy (domain) never imports the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import timedelta

from attrs import field, frozen

from serviceflow.domain._conditions import CaseCondition, condition_problems

MANUAL = "manual"
SLA_WARNING = "sla_warning"
SLA_BREACH = "sla_breach"
CRITICAL = "critical"
REOPENED = "reopened"
PLUGIN = "plugin"
TRIGGERS = (MANUAL, SLA_WARNING, SLA_BREACH, CRITICAL, REOPENED, PLUGIN)
"""What may ask for an escalation."""

NEXT = "next"
"""A rule's or command's target: the first tier one level up from the case's tier."""
RESPONSIBLE = "responsible"
"""A target: the tier the RACI of the case's category makes responsible."""
PREVIOUS = "previous"
"""A de-escalation's target: the tier the case came from."""

FUNCTIONAL = "functional"
HIERARCHICAL = "hierarchical"

ACCEPTANCE = "acceptance"
UPDATE = "escalation_update"
TIMELINE = "timeline"
HANDOFF = "handoff"
CLOCKS = (ACCEPTANCE, UPDATE, TIMELINE, HANDOFF)
"""The governance clocks an escalation runs, named as SLA metrics are (and fired alike)."""

_NAME = re.compile(r"[a-z][a-z0-9_-]*")


@frozen
class EscalationTier:
    """A tier (frontline, technical, management): who serves it and its clocks' targets.

    ``level`` orders tiers: escalating to the same level is functional (another team with
    the needed skill), to a higher one hierarchical. Members are agents of ``teams`` or
    actors whose role is in ``roles`` (neither given: anyone may act for the tier).
    """

    name: str
    level: int
    description: str = ""
    teams: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    acknowledge_within: timedelta = timedelta(minutes=30)
    update_every: timedelta | None = None
    handoff_within: timedelta | None = None
    """The internal target (OLA) for this tier's part of the work, charged to the tier."""
    calendar: str = "24/7"
    warnings: tuple[float, ...] = (0.75,)


@frozen
class EscalationRule:
    """When ``on`` happens to a case matching ``when``, escalate it ``to`` a tier.

    ``metric`` narrows SLA triggers to one clock (an SLA metric or an escalation clock);
    ``threshold`` narrows warnings; ``reopens`` is the reopen count that must be exceeded.
    """

    on: str
    to: str = NEXT
    metric: str | None = None
    threshold: float | None = None
    reopens: int = 0
    when: CaseCondition = field(factory=CaseCondition)


@frozen
class Raci:
    """Who is responsible (a tier), accountable (an actor), consulted and informed for a
    category whose cases cross functions (billing, product, logistics)."""

    category: str
    responsible: str
    accountable: str
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()


@frozen
class EscalationPolicy:
    """Tiers (lowest level first is where cases start), rules, RACI and anti-flapping limits.

    No tiers: escalation is off and escalation commands are refused.
    """

    tiers: tuple[EscalationTier, ...] = ()
    rules: tuple[EscalationRule, ...] = ()
    raci: tuple[Raci, ...] = ()
    process_owner: str | None = None
    min_dwell: timedelta = timedelta(0)
    max_bounces: int = 3

    @property
    def entry(self) -> EscalationTier | None:
        """The tier every case starts in: the first of the lowest level."""
        if not self.tiers:
            return None
        lowest = min(t.level for t in self.tiers)
        return next(t for t in self.tiers if t.level == lowest)

    def tier(self, name: str) -> EscalationTier | None:
        """The tier called ``name``, if declared."""
        return next((t for t in self.tiers if t.name == name), None)

    def above(self, name: str) -> EscalationTier | None:
        """The first tier one level up from ``name`` (``None`` at the top)."""
        current = self.tier(name)
        if current is None:
            return None
        higher = [t for t in self.tiers if t.level > current.level]
        if not higher:
            return None
        step = min(t.level for t in higher)
        return next(t for t in higher if t.level == step)

    def raci_for(self, category: str | None) -> Raci | None:
        """The RACI of ``category``, if the policy gives one."""
        return next((r for r in self.raci if r.category == category), None)


def escalation_problems(
    policy: EscalationPolicy,
    known: Mapping[str, tuple[str, ...]],
    *,
    roles: tuple[str, ...],
    calendars: tuple[str, ...],
    metrics: tuple[str, ...],
) -> Iterator[str]:
    """Every problem of the escalation section with its path; ``known`` names case values."""
    names = [t.name for t in policy.tiers]
    yield from _tier_problems(policy, roles, calendars)
    targets = (*names, NEXT, RESPONSIBLE)
    clocks = (*metrics, *CLOCKS)
    for i, rule in enumerate(policy.rules):
        path = f"$.escalation.rules[{i}]"
        if not policy.tiers:
            yield f"{path}: the policy declares no escalation tiers"
        if rule.on not in TRIGGERS:
            yield f"{path}.on: expected one of {', '.join(TRIGGERS)}, got {rule.on!r}"
        if rule.to not in targets:
            yield f"{path}.to: expected one of {', '.join(targets)}, got {rule.to!r}"
        if rule.metric is not None and rule.metric not in clocks:
            yield f"{path}.metric: expected one of {', '.join(clocks)}, got {rule.metric!r}"
        if rule.metric is not None and rule.on not in (SLA_WARNING, SLA_BREACH):
            yield f"{path}.metric: only {SLA_WARNING} and {SLA_BREACH} rules name a clock"
        if rule.threshold is not None and (rule.on != SLA_WARNING or not 0 < rule.threshold < 1):
            yield f"{path}.threshold: a fraction between 0 and 1, on {SLA_WARNING} rules only"
        if rule.reopens < 0 or (rule.reopens and rule.on != REOPENED):
            yield f"{path}.reopens: a count of at least 0, on {REOPENED} rules only"
        if rule.on == MANUAL:
            yield f"{path}.on: manual escalations need no rule (anyone allowed may escalate)"
        yield from condition_problems(f"{path}.when", rule.when, known)
    categories = known.get("category", ())
    seen: set[str] = set()
    for i, raci in enumerate(policy.raci):
        path = f"$.escalation.raci[{i}]"
        if raci.category not in categories:
            yield f"{path}.category: expected one of {', '.join(categories)}, got {raci.category!r}"
        if raci.category in seen:
            yield f"{path}.category: {raci.category!r} has two RACI entries"
        seen.add(raci.category)
        if raci.responsible not in names:
            tiers = ", ".join(names)
            yield f"{path}.responsible: expected a tier ({tiers}), got {raci.responsible!r}"
        if not raci.accountable.strip():
            yield f"{path}.accountable: required (the actor who answers for the category)"
    if policy.max_bounces < 1:
        yield "$.escalation.max_bounces: must be at least 1"
    if policy.min_dwell < timedelta(0):
        yield "$.escalation.min_dwell: must not be negative"
    if policy.tiers and (policy.process_owner is None or not policy.process_owner.strip()):
        yield (
            "$.escalation.process_owner: required with tiers (who takes ping-pong cases, "
            "e.g. 'agent:olga')"
        )


def _tier_problems(
    policy: EscalationPolicy, roles: tuple[str, ...], calendars: tuple[str, ...]
) -> Iterator[str]:
    seen: set[str] = set()
    for i, tier in enumerate(policy.tiers):
        path = f"$.escalation.tiers[{i}]"
        if not _NAME.fullmatch(tier.name):
            yield f"{path}.name: {tier.name!r} is not a tier name (lowercase letters, digits, -, _)"
        if tier.name in seen:
            yield f"{path}.name: {tier.name!r} is listed twice"
        seen.add(tier.name)
        if tier.name in (NEXT, RESPONSIBLE, PREVIOUS):
            yield f"{path}.name: {tier.name!r} is reserved (it names a target)"
        for role in tier.roles:
            if role not in roles:
                yield f"{path}.roles: unknown role {role!r} (roles: {', '.join(roles) or 'none'})"
        if tier.calendar not in calendars:
            yield f"{path}.calendar: expected one of {', '.join(calendars)}, got {tier.calendar!r}"
        durations = {
            "acknowledge_within": tier.acknowledge_within,
            "update_every": tier.update_every,
            "handoff_within": tier.handoff_within,
        }
        for name, value in durations.items():
            if value is not None and value <= timedelta(0):
                yield f"{path}.{name}: must be longer than zero"
        if list(tier.warnings) != sorted(set(tier.warnings)) or any(
            not 0 < w < 1 for w in tier.warnings
        ):
            yield f"{path}.warnings: fractions between 0 and 1, ascending, no repeats"
