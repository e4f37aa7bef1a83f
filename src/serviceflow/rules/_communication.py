"""Client messages from the policy's templates: variables from a case, rendered safely.

Rendering is ``string.Template.substitute``: a value is inserted as text and never read as a
template, and a template cannot reach attributes or run code. Unknown variables are refused
when the policy loads (``template_policy``), so rendering a checked policy never fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from string import Template
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import frozen

from serviceflow.clock import require_aware
from serviceflow.domain._case import Case
from serviceflow.domain.policy._policy import Policy
from serviceflow.domain.policy._surveys import questions
from serviceflow.domain.policy._templates import VARIABLES, fallbacks, language_of
from serviceflow.errors import ValidationError

_NAMES = {
    "en": (
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    ),
    "fr": (
        ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        (
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
    ),
}


_ALONE = re.compile(r"\s*\$(?:(\w+)|\{(\w+)\})\s*")
"""A line that holds one placeholder and nothing else."""


def _without_empty_lines(text: str, values: Mapping[str, str]) -> str:
    """Drop a line that is only a placeholder with nothing to say (an empty ``$message``),
    with the blank line after it, so no hole is left in the message."""
    lines = text.split("\n")
    kept: list[str] = []
    skip_blank = False
    for line in lines:
        alone = _ALONE.fullmatch(line)
        if alone and not values.get(alone.group(1) or alone.group(2) or "", "x"):
            skip_blank = bool(kept) and not kept[-1].strip()
            continue
        if skip_blank and not line.strip():
            skip_blank = False
            continue
        skip_blank = False
        kept.append(line)
    return "\n".join(kept)


@frozen
class Rendered:
    """A message ready to send: the template's name, the locale used, and the text."""

    name: str
    locale: str
    text: str


def locale_of(case: Case, policy: Policy) -> str:
    """The locale to write to the client in: the case's language, else the policy's default."""
    return case.language or policy.default_locale


def client_zone(case: Case, policy: Policy) -> ZoneInfo:
    """The client's time zone: the case's ``timezone`` field if it is a valid IANA name, else
    the zone of the case's service-level calendar, else UTC."""
    zone = _zone(case.fields.get("timezone", ""))
    if zone is not None:
        return zone
    level = policy.service_level(case)
    calendar = policy.calendar_map.get(level.calendar) if level is not None else None
    return calendar.tz if calendar is not None else ZoneInfo("UTC")


def _zone(key: str) -> ZoneInfo | None:
    if not key.strip():
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def format_time(moment: datetime, zone: ZoneInfo, locale: str = "en") -> str:
    """``Tuesday 3 March 2026, 14:00 CET``: ``moment`` on the wall clock of ``zone``.

    Day and month names follow the locale's language (English or French; English else).
    """
    local = require_aware(moment, "time to show").astimezone(zone)
    days, months = _NAMES.get(language_of(locale), _NAMES["en"])
    return (
        f"{days[local.weekday()]} {local.day} {months[local.month - 1]} {local.year}, "
        f"{local:%H:%M} {local.tzname() or zone.key}"
    )


def template_variables(
    case: Case,
    policy: Policy,
    *,
    due: datetime | None = None,
    timeline: datetime | None = None,
    reason: str = "",
    message: str = "",
    escalation_tier: str | None = None,
    surveys: Sequence[str] = (),
    locale: str | None = None,
) -> dict[str, str]:
    """Every variable's value for ``case``; an unknown or blank value takes its fallback text.

    ``locale`` (default: the case's) picks the language of fallbacks, dates and survey
    questions (``surveys`` names the surveys offered); pass ``template_locale(...)`` when the
    template may lack the case's locale.
    """
    locale = locale or locale_of(case, policy)
    zone = client_zone(case, policy)
    address = case.requester_address
    agent = next((a for a in policy.agents if a.id == case.assignee), None)
    values = {
        "case_id": case.id,
        "subject": case.subject,
        "requester": address,
        "requester_name": case.fields.get("name", "").strip() or address.partition("@")[0],
        "priority": case.priority or "",
        "category": case.category or "",
        "agent": case.assignee or "",
        "agent_name": (agent.name.strip() if agent is not None else "") or case.assignee or "",
        "due": format_time(due, zone, locale) if due is not None else "",
        "timezone": zone.key,
        "escalation_tier": escalation_tier or "",
        "timeline": format_time(timeline, zone, locale) if timeline is not None else "",
        "reason": reason,
        "message": message,
        "desk": policy.name,
        "surveys": questions(surveys, language_of(locale)),
    }
    fallback = fallbacks(locale)
    return {name: values[name] if values[name].strip() else fallback[name] for name in VARIABLES}


def template_locale(policy: Policy, name: str, locale: str | None) -> str:
    """The locale ``render`` uses for template ``name``: exact, its language, else the default.

    Raises ``ValidationError`` for an unknown template, listing the available names.
    """
    variants = policy.templates.get(name)
    if variants is None:
        raise ValidationError(
            f"unknown template {name!r}",
            [f"templates: {', '.join(sorted(policy.templates)) or 'none'}"],
        )
    wanted = [locale, language_of(locale)] if locale else []
    chosen = next((c for c in [*wanted, policy.default_locale] if c in variants), None)
    if chosen is None:
        raise ValidationError(
            f"template {name!r} has no text for {locale!r} nor the default locale "
            f"{policy.default_locale!r}",
            [f"locales: {', '.join(variants) or 'none'}"],
        )
    return chosen


def render(policy: Policy, name: str, locale: str | None, variables: Mapping[str, str]) -> Rendered:
    """Template ``name`` in ``locale`` (exact, then its language, then the policy's default).

    Variables missing from ``variables`` take their fallback text. An unknown template name,
    or a template the policy checks would refuse, raises ``ValidationError``.
    """
    chosen = template_locale(policy, name, locale)
    variants = policy.templates[name]
    values = {**fallbacks(chosen), **variables}
    try:
        text = Template(_without_empty_lines(variants[chosen], values)).substitute(values)
    except KeyError as exc:
        raise ValidationError(
            f"template {name!r} ({chosen}) cannot be rendered",
            [f"$.templates.{name}.{chosen}: unknown variable ${exc.args[0]}"],
        ) from None
    except ValueError as exc:
        raise ValidationError(
            f"template {name!r} ({chosen}) cannot be rendered",
            [f"$.templates.{name}.{chosen}: {exc}"],
        ) from None
    return Rendered(name, chosen, text)


def render_for(
    case: Case,
    policy: Policy,
    name: str,
    *,
    due: datetime | None = None,
    timeline: datetime | None = None,
    reason: str = "",
    message: str = "",
    escalation_tier: str | None = None,
    surveys: Sequence[str] = (),
) -> Rendered:
    """Template ``name`` for ``case``: in the client's locale (or the nearest the template
    has), with the case's variables plus the values given."""
    locale = template_locale(policy, name, locale_of(case, policy))
    values = template_variables(
        case,
        policy,
        due=due,
        timeline=timeline,
        reason=reason,
        message=message,
        escalation_tier=escalation_tier,
        surveys=surveys,
        locale=locale,
    )
    return render(policy, name, locale, values)
