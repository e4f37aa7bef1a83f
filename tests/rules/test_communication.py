"""Client messages: variables from a case, locale fallback, time zones, and safe rendering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from serviceflow import Policy, ValidationError, default_policy, load_policy
from serviceflow.domain._case import Case
from serviceflow.domain.policy._templates import (
    DEFAULT_TEMPLATES,
    FALLBACKS,
    VARIABLES,
    template_problems,
)
from serviceflow.rules._communication import (
    Rendered,
    client_zone,
    format_time,
    locale_of,
    render,
    template_locale,
    template_variables,
)

from ..conftest import START

DUE = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
"""Tuesday 3 March 2026, 14:00 in Paris (CET), 08:00 in New York (EST)."""


def make_case(**changes: Any) -> Case:
    base: dict[str, Any] = {
        "id": "20260302-0001",
        "state": "new",
        "version": 1,
        "requester": "acme/jane.doe@acme.test",
        "channel": "email",
        "subject": "Invoice is wrong",
        "description": "",
        "tier": "standard",
        "submitted_at": START,
        "updated_at": START,
        "policy": "p",
    }
    base.update(changes)
    return Case(**base)


def templated(extra: Mapping[str, Mapping[str, str]], **data: Any) -> Policy:
    """A checked policy: the default templates plus ``extra``."""
    templates = {n: dict(v) for n, v in DEFAULT_TEMPLATES.items()}
    templates.update({n: dict(v) for n, v in extra.items()})
    return load_policy({"templates": templates, **data})


NEW_YORK = {
    "calendars": {"ny": {"zone": "America/New_York", "week": {"mon": ["09:00-17:00"]}}},
    "sla": [{"name": "std", "calendar": "ny", "targets": {"resolution": {"within": "4h"}}}],
    "agents": [{"id": "agent:ann", "name": "Ann Lee"}, {"id": "agent:bo"}],
}


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(DEFAULT_TEMPLATES))
def test_every_default_template_renders_for_a_fresh_case(name: str, locale: str) -> None:
    policy = default_policy()
    case = make_case(language=locale)
    rendered = render(policy, name, locale_of(case, policy), template_variables(case, policy))
    assert rendered == Rendered(name, locale, rendered.text)
    assert "$" not in rendered.text
    assert case.id in rendered.text
    assert "jane.doe" in rendered.text
    team = FALLBACKS[locale]["agent_name"]
    if "$agent_name" in DEFAULT_TEMPLATES[name][locale]:
        assert team in rendered.text


def test_variables_of_a_fresh_case_fall_back() -> None:
    values = template_variables(make_case(subject="  "), default_policy())
    assert set(values) == set(VARIABLES)
    assert values["subject"] == "your request"
    assert values["requester"] == "jane.doe@acme.test"
    assert values["requester_name"] == "jane.doe"
    assert values["agent"] == values["agent_name"] == "our team"
    assert values["due"] == values["timeline"] == "as soon as we can"
    assert values["priority"] == "to be assessed"
    assert values["timezone"] == "UTC"
    assert values["desk"] == "default"
    assert values["message"] == ""
    french = template_variables(make_case(language="fr"), default_policy())
    assert french["agent_name"] == "notre équipe"
    assert french["due"] == "dès que possible"


def test_variables_from_case_roster_and_caller() -> None:
    policy = load_policy({"name": "Acme support", **NEW_YORK})
    case = make_case(
        fields={"name": "Jane Doe"},
        assignee="agent:ann",
        priority="high",
        category="billing",
    )
    values = template_variables(
        case,
        policy,
        due=DUE,
        timeline=DUE,
        reason="the invoice needs a finance decision",
        message="We are on it.",
        escalation_tier="management",
    )
    assert values["requester_name"] == "Jane Doe"
    assert (values["agent"], values["agent_name"]) == ("agent:ann", "Ann Lee")
    assert (values["priority"], values["category"]) == ("high", "billing")
    assert values["due"] == values["timeline"] == "Tuesday 3 March 2026, 08:00 EST"
    assert values["timezone"] == "America/New_York"
    assert values["escalation_tier"] == "management"
    assert values["reason"] == "the invoice needs a finance decision"
    assert values["message"] == "We are on it."
    assert values["desk"] == "Acme support"
    nameless = template_variables(make_case(assignee="agent:bo"), policy)
    assert nameless["agent_name"] == "agent:bo"
    stranger = template_variables(make_case(assignee="agent:zed"), policy)
    assert stranger["agent_name"] == "agent:zed"


def test_time_zone_from_the_case_field() -> None:
    policy = load_policy(NEW_YORK)
    case = make_case(fields={"timezone": "Europe/Paris"})
    assert client_zone(case, policy).key == "Europe/Paris"
    values = template_variables(case, policy, due=DUE)
    assert values["due"] == "Tuesday 3 March 2026, 14:00 CET"
    assert values["timezone"] == "Europe/Paris"
    french = template_variables(case, policy, due=DUE, locale="fr-CA")
    assert french["due"] == "mardi 3 mars 2026, 14:00 CET"


@pytest.mark.parametrize("field", ["Mars/Olympus", "../../etc/passwd", "", "/abs"])
def test_a_bad_time_zone_field_falls_back_to_the_calendar(field: str) -> None:
    policy = load_policy(NEW_YORK)
    case = make_case(fields={"timezone": field})
    assert client_zone(case, policy).key == "America/New_York"
    assert client_zone(case, default_policy()).key == "UTC"


def test_summer_time_and_naive_times() -> None:
    paris = client_zone(make_case(fields={"timezone": "Europe/Paris"}), default_policy())
    summer = datetime(2026, 7, 14, 8, 5, tzinfo=UTC)
    assert format_time(summer, paris) == "Tuesday 14 July 2026, 10:05 CEST"
    with pytest.raises(ValidationError):
        format_time(datetime(2026, 7, 14, 8, 5), paris)  # noqa: DTZ001 - refused on purpose


def test_locale_fallback() -> None:
    policy = templated({"greet": {"en": "Hello", "fr": "Bonjour", "fr-CA": "Allô"}})
    assert render(policy, "greet", "fr-CA", {}) == Rendered("greet", "fr-CA", "Allô")
    assert render(policy, "greet", "fr-BE", {}) == Rendered("greet", "fr", "Bonjour")
    assert render(policy, "greet", "fr_FR", {}).text == "Bonjour"
    assert render(policy, "greet", "de", {}) == Rendered("greet", "en", "Hello")
    assert render(policy, "greet", None, {}).locale == "en"
    assert template_locale(policy, "greet", "fr-BE") == "fr"
    assert locale_of(make_case(), policy) == "en"
    assert locale_of(make_case(language="fr"), policy) == "fr"
    other = attrs.evolve(policy, templates={"greet": {"de": "Hallo"}}, default_locale="de")
    assert render(other, "greet", "fr", {}).locale == "de"


def test_unknown_template_lists_the_names() -> None:
    with pytest.raises(ValidationError) as caught:
        render(default_policy(), "welcome", "en", {})
    assert "unknown template 'welcome'" in str(caught.value)
    assert caught.value.problems[0].startswith("templates: acknowledge, clarify, confirm")


def test_escapes_braces_and_missing_values() -> None:
    policy = templated({"t": {"en": "Pay $$5 for ${case_id}x; $agent_name."}})
    assert render(policy, "t", "en", {"case_id": "C1"}).text == "Pay $5 for C1x; our team."


def test_hostile_templates_and_values_never_evaluate() -> None:
    policy = templated({"t": {"en": "$case_id.__class__ ${subject}"}})
    values = {"case_id": "C1", "subject": "${__class__} $desk {0.__class__}"}
    assert render(policy, "t", "en", values).text == "C1.__class__ ${__class__} $desk {0.__class__}"
    for hostile in ("${__class__}", "${case_id.__class__}", "$__import__", "${case_id[0]}"):
        assert any(template_problems({"t": {"en": hostile}}, "en"))


def test_an_unchecked_policy_fails_cleanly_at_render() -> None:
    templates = {n: dict(v) for n, v in DEFAULT_TEMPLATES.items()}
    templates["t"] = {"en": "Hi $nobody", "fr": "5$ !"}
    policy = Policy(templates=templates)
    with pytest.raises(ValidationError, match=r"\$\.templates\.t\.en: unknown variable \$nobody"):
        render(policy, "t", "en", {})
    with pytest.raises(ValidationError, match=r"\$\.templates\.t\.fr: Invalid placeholder"):
        render(policy, "t", "fr", {})


names = st.sampled_from(sorted(VARIABLES))
literal = st.text(max_size=12).map(lambda s: s.replace("$", "$$"))
placeholder = st.tuples(names, st.booleans()).map(
    lambda p: (p[0], f"${{{p[0]}}}" if p[1] else f"${p[0]} ")
)
pieces = st.lists(st.tuples(literal, placeholder), min_size=1, max_size=6)
BASE = default_policy()


@given(pieces, st.dictionaries(names, st.text(), min_size=len(VARIABLES)))
def test_known_variables_always_render_with_every_value(
    parts: list[tuple[str, tuple[str, str]]], values: dict[str, str]
) -> None:
    text = "".join(f"{lit}{ph}" for lit, (_, ph) in parts) + "."
    assert list(template_problems({"t": {"en": text}}, "en", locales=())) == [
        f"$.templates: missing template(s) {', '.join(DEFAULT_TEMPLATES)} "
        "(every communication step needs one)"
    ]
    policy = attrs.evolve(BASE, templates={"t": {"en": text}})
    rendered = render(policy, "t", "en", values).text
    for _, (name, _) in parts:
        assert values[name] in rendered
