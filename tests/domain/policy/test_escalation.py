"""The escalation section of a policy: tiers, rules, RACI, anti-flapping, and their checks."""

from __future__ import annotations

from typing import Any

import pytest

from serviceflow import PolicyError, load_policy


def section(**overrides: Any) -> dict[str, Any]:
    """A sound escalation section, with ``overrides`` applied."""
    base: dict[str, Any] = {
        "process_owner": "agent:olga",
        "tiers": [
            {"name": "frontline", "level": 1},
            {"name": "billing-desk", "level": 1},
            {"name": "technical", "level": 2, "update_every": "2h"},
            {"name": "management", "level": 3},
        ],
        "rules": [{"on": "sla_breach", "metric": "resolution", "to": "next"}],
    }
    return {**base, **overrides}


def test_a_sound_section_loads_with_its_tiers_in_order() -> None:
    escalation = load_policy({"escalation": section()}).escalation
    assert escalation.entry is not None
    assert escalation.entry.name == "frontline"
    assert escalation.above("frontline") == escalation.tier("technical")
    assert escalation.above("billing-desk") == escalation.tier("technical")
    assert escalation.above("management") is None
    assert escalation.tier("nowhere") is None


def test_no_tiers_means_escalation_is_off() -> None:
    escalation = load_policy({}).escalation
    assert escalation.entry is None
    assert escalation.above("frontline") is None


def test_every_problem_is_reported_with_its_path() -> None:
    bad = section(
        process_owner=None,
        max_bounces=0,
        tiers=[
            {"name": "frontline", "level": 1, "roles": ["boss"], "calendar": "office"},
            {"name": "frontline", "level": 2, "acknowledge_within": "0s"},
            {"name": "next", "level": 3, "warnings": [0.9, 0.5]},
        ],
        rules=[
            {"on": "lunch", "to": "nowhere"},
            {"on": "critical", "metric": "resolution"},
            {"on": "sla_warning", "threshold": 1.5},
            {"on": "sla_breach", "metric": "mood"},
            {"on": "manual"},
            {"on": "critical", "reopens": 2},
        ],
        raci=[
            {"category": "gardening", "responsible": "legal", "accountable": " "},
            {"category": "billing", "responsible": "frontline", "accountable": "agent:fiona"},
            {"category": "billing", "responsible": "frontline", "accountable": "agent:fiona"},
        ],
    )
    with pytest.raises(PolicyError) as caught:
        load_policy({"escalation": bad})
    problems = caught.value.problems
    expected = [
        "$.escalation.tiers[0].roles: unknown role 'boss' (roles: none)",
        "$.escalation.tiers[0].calendar: expected one of 24/7, got 'office'",
        "$.escalation.tiers[1].name: 'frontline' is listed twice",
        "$.escalation.tiers[1].acknowledge_within: must be longer than zero",
        "$.escalation.tiers[2].name: 'next' is reserved (it names a target)",
        "$.escalation.tiers[2].warnings: fractions between 0 and 1, ascending, no repeats",
        "$.escalation.rules[0].on: expected one of manual, sla_warning, sla_breach, critical, "
        "reopened, plugin, got 'lunch'",
        "$.escalation.rules[0].to: expected one of frontline, frontline, next, next, "
        "responsible, got 'nowhere'",
        "$.escalation.rules[1].metric: only sla_warning and sla_breach rules name a clock",
        "$.escalation.rules[2].threshold: a fraction between 0 and 1, on sla_warning rules only",
        "$.escalation.rules[3].metric: expected one of first_response, next_reply, "
        "periodic_update, resolution, acceptance, escalation_update, timeline, handoff, "
        "got 'mood'",
        "$.escalation.rules[4].on: manual escalations need no rule (anyone allowed may escalate)",
        "$.escalation.rules[5].reopens: a count of at least 0, on reopened rules only",
        "$.escalation.raci[0].category: expected one of outage, billing, access, functional, "
        "howto, got 'gardening'",
        "$.escalation.raci[0].responsible: expected a tier (frontline, frontline, next), "
        "got 'legal'",
        "$.escalation.raci[0].accountable: required (the actor who answers for the category)",
        "$.escalation.raci[2].category: 'billing' has two RACI entries",
        "$.escalation.max_bounces: must be at least 1",
        "$.escalation.process_owner: required with tiers (who takes ping-pong cases, "
        "e.g. 'agent:olga')",
    ]
    for line in expected:
        assert line in problems, line
    assert len(problems) == len(expected), problems


def test_rules_without_tiers_are_refused() -> None:
    with pytest.raises(PolicyError, match=r"rules\[0\]: the policy declares no escalation tiers"):
        load_policy({"escalation": {"rules": [{"on": "critical"}]}})


def test_a_rule_condition_names_known_values() -> None:
    rules = [{"on": "critical", "when": {"category": ["gardening"]}}]
    with pytest.raises(PolicyError, match=r"rules\[0\]\.when"):
        load_policy({"escalation": section(rules=rules)})


def test_raci_is_found_by_category() -> None:
    raci = [{"category": "billing", "responsible": "billing-desk", "accountable": "agent:fiona"}]
    escalation = load_policy({"escalation": section(raci=raci)}).escalation
    found = escalation.raci_for("billing")
    assert found is not None
    assert found.accountable == "agent:fiona"
    assert escalation.raci_for("access") is None
