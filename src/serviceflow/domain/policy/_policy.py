"""Policy as data: the desk's rules, loaded from TOML or a mapping into frozen attrs types."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import timedelta
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import field, frozen

from serviceflow.core._calendar import BusinessCalendar
from serviceflow.core._convert import canonical_json, converter, structure_checked
from serviceflow.core._readonly import ReadOnlyMap, freeze_nested, read_only
from serviceflow.core._toml import parse_toml, read_text
from serviceflow.domain._case import Case
from serviceflow.domain._conditions import condition_problems
from serviceflow.domain.policy._authority import Role, authority_problems
from serviceflow.domain.policy._classification import ClassificationRule, classification_problems
from serviceflow.domain.policy._delivery import DeliveryPolicy, delivery_problems
from serviceflow.domain.policy._escalation import EscalationPolicy, escalation_problems
from serviceflow.domain.policy._guardrails import Guardrail, guardrail_problems
from serviceflow.domain.policy._limits import Limits, limits_problems
from serviceflow.domain.policy._quality import QualityPolicy, quality_problems
from serviceflow.domain.policy._routing import Agent, Queue, routing_problems
from serviceflow.domain.policy._sla import (
    ALWAYS,
    METRICS,
    CalendarSpec,
    ServiceLevel,
    calendars_of,
    sla_problems,
)
from serviceflow.domain.policy._surveys import SurveyPolicy, survey_problems
from serviceflow.domain.policy._templates import DEFAULT_TEMPLATES, template_problems
from serviceflow.errors import PolicyError


@frozen
class PriorityLevel:
    """One priority, from the most urgent down; ``response`` is how the desk acts on it."""

    name: str
    description: str = ""
    response: str = ""


@frozen
class PriorityPolicy:
    """Priority levels (most urgent first) and the impact × urgency matrix that picks one."""

    levels: tuple[PriorityLevel, ...]
    impacts: tuple[str, ...]
    urgencies: tuple[str, ...]
    matrix: Mapping[str, Mapping[str, str]] = field(converter=freeze_nested)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Priority names, most urgent first."""
        return tuple(level.name for level in self.levels)

    def rank(self, priority: str) -> int:
        """0 for the most urgent priority, increasing downwards."""
        return self.names.index(priority)


@frozen
class Category:
    """A category of request; ``priority`` overrides the matrix (e.g. outage → critical)."""

    name: str
    description: str = ""
    priority: str | None = None


@frozen
class Tier:
    """A service tier; ``raise_priority`` lifts the matrix result by that many levels."""

    name: str
    description: str = ""
    raise_priority: int = 0
    groups: tuple[str, ...] = ()


@frozen
class LifecyclePolicy:
    """Timing rules of the lifecycle: when silence counts as confirmation, how long reopen lasts."""

    auto_confirm_after: timedelta = timedelta(hours=72)
    reopen_window: timedelta = timedelta(days=14)


@frozen
class AutomationPolicy:
    """Which intake stages run without a person, and how sure a classifier must be."""

    classify: bool = False
    trust_intake: bool = False
    prioritize: bool = False
    route: bool = False
    confidence_threshold: float = 0.8


def over_defaults(templates: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    """A policy's templates laid over the shipped ones, text by text (name and locale), so a
    policy overrides or adds only what it writes."""
    merged = {name: dict(variants) for name, variants in DEFAULT_TEMPLATES.items()}
    for name, variants in templates.items():
        if isinstance(variants, Mapping):
            merged.setdefault(name, {}).update(variants)
        else:
            merged[name] = variants  # not a mapping: left for the policy check to report
    return freeze_nested(merged)


@cache
def default_policy() -> Policy:
    """The shipped default: the service-operations priority matrix and ITIL impact × urgency."""
    text = (
        resources.files("serviceflow.domain.policy")
        .joinpath("default_policy.toml")
        .read_text("utf-8")
    )
    data = parse_toml(text, "default policy is not valid TOML", error=PolicyError)
    return _from_mapping(data, where="default policy")


@frozen
class Policy:
    """The whole policy of a desk; ``version`` is a content hash that every event records.

    A section left out takes the shipped default policy's section (``default_policy.toml``).
    """

    name: str = "default"
    kinds: tuple[str, ...] = field(factory=lambda: default_policy().kinds)
    channels: tuple[str, ...] = field(factory=lambda: default_policy().channels)
    categories: tuple[Category, ...] = field(factory=lambda: default_policy().categories)
    priority: PriorityPolicy = field(factory=lambda: default_policy().priority)
    tiers: tuple[Tier, ...] = field(factory=lambda: default_policy().tiers)
    default_tier: str = "standard"
    languages: tuple[str, ...] = ()
    lifecycle: LifecyclePolicy = field(factory=lambda: default_policy().lifecycle)
    automation: AutomationPolicy = field(factory=lambda: default_policy().automation)
    calendars: Mapping[str, CalendarSpec] = field(factory=ReadOnlyMap, converter=read_only)
    sla: tuple[ServiceLevel, ...] = ()
    roles: tuple[Role, ...] = ()
    canned: Mapping[str, str] = field(factory=ReadOnlyMap, converter=read_only)
    guardrails: tuple[Guardrail, ...] = ()
    classification: tuple[ClassificationRule, ...] = ()
    agents: tuple[Agent, ...] = ()
    queues: tuple[Queue, ...] = ()
    templates: Mapping[str, Mapping[str, str]] = field(
        factory=lambda: DEFAULT_TEMPLATES, converter=over_defaults
    )
    default_locale: str = "en"
    escalation: EscalationPolicy = field(factory=EscalationPolicy)
    delivery: DeliveryPolicy = field(factory=DeliveryPolicy)
    surveys: SurveyPolicy = field(factory=SurveyPolicy)
    quality: QualityPolicy = field(factory=QualityPolicy)
    limits: Limits = field(factory=Limits)

    @cached_property
    def version(self) -> str:
        """A short content hash: equal documents give equal versions."""
        return hashlib.sha256(self.document().encode()).hexdigest()[:16]

    @cached_property
    def category_map(self) -> Mapping[str, Category]:
        """Categories by name (read-only)."""
        return ReadOnlyMap({c.name: c for c in self.categories})

    @cached_property
    def tier_map(self) -> Mapping[str, Tier]:
        """Tiers by name (read-only)."""
        return ReadOnlyMap({t.name: t for t in self.tiers})

    @cached_property
    def calendar_map(self) -> Mapping[str, BusinessCalendar]:
        """The named calendars, built, plus the built-in ``24/7``."""
        return ReadOnlyMap(calendars_of(self.calendars))

    def service_level(self, case: Case) -> ServiceLevel | None:
        """The first service level whose conditions match ``case`` (``None`` without SLAs)."""
        return next((level for level in self.sla if level.when.matches(case)), None)

    def level_named(self, name: str | None) -> ServiceLevel | None:
        """The service level called ``name`` in this policy, if any."""
        return next((level for level in self.sla if level.name == name), None)

    def tier_for(self, requester_group: str | None) -> str:
        """The tier a requester group is served in, or the default tier."""
        if requester_group is not None:
            for tier in self.tiers:
                if requester_group in tier.groups:
                    return tier.name
        return self.default_tier

    def document(self) -> str:
        """The canonical JSON form of this policy (what the version hashes and stores keep)."""
        return canonical_json(converter.unstructure(self))


def load_policy(source: str | Path | Mapping[str, Any] | None = None) -> Policy:
    """Load a policy from a TOML file, TOML text, or a mapping; ``None`` gives the default.

    A ``str`` is TOML text when it contains a newline, ``=`` or ``[``; otherwise it is a path
    (pass a ``Path`` to be explicit).

    Every problem is reported at once, each with its path, in one ``PolicyError``.
    """
    if source is None:
        return default_policy()
    if isinstance(source, Mapping):
        return _from_mapping(source, where="policy")
    if not isinstance(source, str | Path):
        raise PolicyError(
            "cannot load a policy",
            [f"expected a file path, TOML text or a mapping, got {type(source).__name__}"],
        )
    text, where = _read_source(source)
    data = parse_toml(text, f"policy {where} is not valid TOML", error=PolicyError)
    return _from_mapping(data, where=f"policy {where}")


def _read_source(source: str | Path) -> tuple[str, str]:
    if isinstance(source, Path) or not ("\n" in source or "=" in source or "[" in source):
        path = Path(source)
        return read_text(path, "policy file", error=PolicyError), str(path)
    return source, "text"


def _from_mapping(data: Mapping[str, Any], where: str) -> Policy:
    policy = structure_checked(data, Policy, what=f"{where} is invalid", error=PolicyError)
    problems = list(_semantic_problems(policy))
    if problems:
        raise PolicyError(f"{where} is invalid", problems)
    return policy


def check_policy(policy: Policy) -> Policy:
    """Run the checks types cannot express on a policy built in code; return it if sound."""
    if not isinstance(policy, Policy):
        raise PolicyError(
            "not a policy",
            [f"expected a Policy (load_policy(...) makes one), got {type(policy).__name__}"],
        )
    problems = list(_semantic_problems(policy))
    if problems:
        raise PolicyError(f"policy {policy.name!r} is invalid", problems)
    return policy


def _semantic_problems(policy: Policy) -> Iterator[str]:
    """Rules that types alone cannot say: totality of the matrix, references by name."""
    pri = policy.priority
    names = pri.names
    yield from _duplicates("$.priority.levels", names)
    yield from _duplicates("$.priority.impacts", pri.impacts)
    yield from _duplicates("$.priority.urgencies", pri.urgencies)
    yield from _duplicates("$.kinds", policy.kinds)
    yield from _duplicates("$.channels", policy.channels)
    yield from _duplicates("$.categories", [c.name for c in policy.categories])
    yield from _duplicates("$.tiers", [t.name for t in policy.tiers])
    yield from _duplicates("$.languages", policy.languages)
    if not names:
        yield "$.priority.levels: at least one priority level is required"
    if not policy.kinds:
        yield "$.kinds: at least one case kind is required"
    if not policy.channels:
        yield "$.channels: at least one channel is required"
    yield from _matrix_problems(pri)
    yield from _tier_problems(policy)
    if not 0.0 <= policy.automation.confidence_threshold <= 1.0:
        yield "$.automation.confidence_threshold: must be between 0 and 1"
    yield from _section_problems(policy)


def _matrix_problems(pri: PriorityPolicy) -> Iterator[str]:
    """The matrix covers every impact × urgency with a known priority, and nothing else."""
    names = pri.names
    known = ", ".join(names)
    for impact in pri.matrix:
        if impact not in pri.impacts:
            yield f"$.priority.matrix.{impact}: unknown impact (impacts: {', '.join(pri.impacts)})"
    for impact in pri.impacts:
        row = pri.matrix.get(impact)
        if row is None:
            yield f"$.priority.matrix.{impact}: missing row (the matrix must cover every impact)"
            continue
        for urgency in row:
            if urgency not in pri.urgencies:
                yield (
                    f"$.priority.matrix.{impact}.{urgency}: unknown urgency "
                    f"(urgencies: {', '.join(pri.urgencies)})"
                )
        for urgency in pri.urgencies:
            value = row.get(urgency)
            path = f"$.priority.matrix.{impact}.{urgency}"
            if value is None:
                yield f"{path}: missing (the matrix must cover every impact × urgency)"
            elif value not in names:
                yield f"{path}: expected one of {known}, got {value!r}"


def _tier_problems(policy: Policy) -> Iterator[str]:
    """Category priorities are known; tiers are known, raise within range, share no group."""
    names = policy.priority.names
    known = ", ".join(names)
    for i, category in enumerate(policy.categories):
        if category.priority is not None and category.priority not in names:
            yield (
                f"$.categories[{i}].priority: expected one of {known}, got {category.priority!r}"
            )
    tier_names = [t.name for t in policy.tiers]
    if policy.default_tier not in tier_names:
        yield (
            f"$.default_tier: expected one of {', '.join(tier_names) or '(no tiers)'}, "
            f"got {policy.default_tier!r}"
        )
    seen_groups: dict[str, str] = {}
    for i, tier in enumerate(policy.tiers):
        if not 0 <= tier.raise_priority < max(len(names), 1):
            yield f"$.tiers[{i}].raise_priority: must be between 0 and {max(len(names) - 1, 0)}"
        for group in tier.groups:
            if group in seen_groups:
                yield (
                    f"$.tiers[{i}].groups: {group!r} is already served by tier "
                    f"{seen_groups[group]!r}"
                )
            seen_groups[group] = tier.name


def _section_problems(policy: Policy) -> Iterator[str]:
    """The sections that refer to the policy's values by name (SLAs, roles, guardrails,
    templates) and those with checks of their own (delivery, surveys, quality)."""
    allowed_values = {
        "priority": policy.priority.names,
        "tier": tuple(t.name for t in policy.tiers),
        "category": tuple(c.name for c in policy.categories),
        "kind": policy.kinds,
        "channel": policy.channels,
        "requester_group": (),
    }
    yield from sla_problems(policy.sla, policy.calendars, allowed_values)
    categories = tuple(c.name for c in policy.categories)
    yield from authority_problems(policy.roles, categories, policy.canned)
    yield from guardrail_problems(policy.guardrails, tuple(r.name for r in policy.roles))
    for i, rail in enumerate(policy.guardrails):
        yield from condition_problems(f"$.guardrails[{i}].when", rail.when, allowed_values)
    proposals = {
        "category": allowed_values["category"],
        "kind": policy.kinds,
        "impact": policy.priority.impacts,
        "urgency": policy.priority.urgencies,
        "channel": policy.channels,
    }
    yield from classification_problems(policy.classification, proposals)
    calendars = (ALWAYS, *policy.calendars)
    yield from routing_problems(policy.agents, policy.queues, calendars, allowed_values)
    yield from template_problems(policy.templates, policy.default_locale, locales=policy.languages)
    yield from delivery_problems(policy.delivery)
    yield from survey_problems(policy.surveys, templates=tuple(policy.templates))
    yield from quality_problems(policy.quality)
    yield from limits_problems(policy.limits)
    yield from escalation_problems(
        policy.escalation,
        allowed_values,
        roles=tuple(r.name for r in policy.roles),
        calendars=calendars,
        metrics=METRICS,
    )


def _duplicates(path: str, values: Any) -> Iterator[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            yield f"{path}: {value!r} is listed twice"
        seen.add(value)
