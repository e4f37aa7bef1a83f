"""Import mappings: loading by name, from a file or a mapping, and every problem with its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from serviceflow.domain.policy._policy import default_policy, load_policy
from serviceflow.errors import ValidationError
from serviceflow.importing._mapping import (
    ImportMapping,
    builtin_mappings,
    check_against_policy,
    load_mapping,
)


def minimal(**sections: Any) -> dict[str, Any]:
    """The smallest valid mapping, with ``sections`` laid over it."""
    data: dict[str, Any] = {
        "source": {"name": "tiny"},
        "columns": {"case_id": "id", "at": "time", "state": "status", "requester": "who"},
        "defaults": {"channel": "email"},
        "values": {"state": {"open": "intake", "done": "closed"}},
    }
    for name, section in sections.items():
        data[name] = {**data.get(name, {}), **section}
    return data


def problems(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as caught:
        load_mapping(data)
    return caught.value.problems


def test_the_servicenow_mapping_ships_and_loads_by_name() -> None:
    assert "servicenow" in builtin_mappings()
    mapping = load_mapping("servicenow")
    assert mapping.name == "servicenow"
    assert mapping.columns.case_id == "number"
    assert mapping.source.null == ("?", "")
    assert mapping.values["state"]["Awaiting User Info"] == "waiting_on_client"
    assert mapping.values["state"]["-100"] == "skip"
    assert mapping.values["priority"]["3 - Moderate"] == "medium"
    assert mapping.columns.fields["symptom"] == "u_symptom"
    check_against_policy(mapping, default_policy())


def test_a_mapping_loads_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[source]\nname = "mine"\ndelimiter = ";"\ntimestamp = "%Y-%m-%d %H:%M"\n'
        'timezone = "Europe/Lisbon"\n'
        '[columns]\ncase_id = "id"\nat = "time"\nstate = "status"\nrequester = "who"\n'
        'channel = "via"\n'
        '[columns.fields]\nproduct = "prod"\n'
        '[values.state]\nopen = "in_progress"\n"in review" = "resolved"\n',
        encoding="utf-8",
    )
    for source in (path, str(path)):
        mapping = load_mapping(source)
        assert isinstance(mapping, ImportMapping)
        assert mapping.source.delimiter == ";"
        assert mapping.zone.key == "Europe/Lisbon"
        assert mapping.columns.fields == {"product": "prod"}
        assert mapping.actor == "import:mine"


def test_an_unknown_name_lists_the_built_in_mappings() -> None:
    with pytest.raises(ValidationError) as caught:
        load_mapping("jira")
    assert "no import mapping named 'jira'" in str(caught.value)
    assert "servicenow" in str(caught.value)


def test_an_unreadable_file_and_bad_toml_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read import mapping"):
        load_mapping(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[source\nname = 1", encoding="utf-8")
    with pytest.raises(ValidationError, match="is not valid TOML"):
        load_mapping(bad)
    with pytest.raises(ValidationError, match="expected a name, a file path or a mapping"):
        load_mapping(42)  # type: ignore[arg-type]


def test_types_and_unknown_keys_are_reported_with_their_paths() -> None:
    data = minimal()
    del data["columns"]["state"]
    data["columns"]["sate"] = "status"
    data["source"]["null"] = "?"
    data["options"] = {"team_owns_unassigned": "yes"}
    found = problems(data)
    assert any(p.startswith("$.columns") and "sate" in p for p in found), found
    assert any(p.startswith("$.columns.state") and "required" in p for p in found), found
    assert any(p.startswith("$.source.null") and "expected a list" in p for p in found), found
    assert any(p.startswith("$.options.team_owns_unassigned") for p in found), found


def test_every_semantic_problem_is_listed_at_once() -> None:
    data = minimal(
        source={"name": "a b", "delimiter": ";;", "timezone": "Mars/Base", "timestamp": "dd/mm"},
        columns={"category": "cat", "team": None, "made_sla": "sla"},
        options={"sla_metric": "speed", "team_owns_unassigned": True},
        values={
            "state": {"open": "intake", "gone": "merged", "odd": "done"},
            "made_sla": {"yes": "met", "no": "late"},
            "priority": {"P1": "critical"},
            "colour": {"red": "high"},
        },
        defaults={"actor": " "},
    )
    data["columns"] = {k: v for k, v in data["columns"].items() if v is not None}
    found = problems(data)
    expected = [
        "$.source.name: use letters",
        "$.source.delimiter: expected one character",
        "$.source.timezone: unknown time zone 'Mars/Base'",
        "$.source.timestamp: expected 'iso' or a strptime format",
        "$.values.state.gone: expected one of intake",
        "$.values.state.odd: expected one of",
        "$.values.made_sla.no: expected met or breached, got 'late'",
        "$.values.priority: $.columns.priority is not mapped",
        "$.values.colour: unknown column key",
        "$.defaults.kind: required when $.columns.category is mapped",
        "$.defaults.actor: must not be blank",
        "$.options.sla_metric: expected one of first_response",
        "$.options.team_owns_unassigned: needs $.columns.team",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == len(expected), found


def test_state_values_are_required_and_keys_with_spaces_are_quoted() -> None:
    data = minimal()
    del data["values"]["state"]
    assert problems(data) == (
        "$.values.state: required: map every state of the log to a lifecycle state "
        "(intake, classified, prioritized, assigned, in_progress, waiting_on_client, "
        "resolved, validated, closed, cancelled) or 'skip'",
    )
    spaced = minimal(values={"state": {"In Review": "review"}})
    assert problems(spaced)[0].startswith("$.values.state['In Review']: expected one of")


def test_requester_and_channel_may_be_left_out() -> None:
    data = minimal()
    del data["columns"]["requester"]
    del data["defaults"]
    loaded = load_mapping(data)
    assert (loaded.columns.requester, loaded.columns.channel) == (None, None)


def test_values_must_be_names_the_desks_policy_knows() -> None:
    mapping = load_mapping(
        minimal(
            columns={"priority": "prio", "channel": "via", "impact": "imp"},
            values={
                "priority": {"1 - Critical": "critical", "3 - Moderate": "moderate"},
                "channel": {"Fax": "fax"},
                "impact": {"big": "high"},
            },
            defaults={"tier": "gold", "kind": "incident"},
        )
    )
    with pytest.raises(ValidationError) as caught:
        check_against_policy(mapping, default_policy())
    assert "does not fit the policy 'default'" in str(caught.value)
    assert caught.value.problems == (
        "$.values.priority['3 - Moderate']: 'moderate' is not a priority of the policy "
        "(expected one of critical, high, medium, low)",
        "$.values.channel.Fax: 'fax' is not a channel of the policy "
        "(expected one of email, web, chat, phone, api)",
        "$.defaults.tier: 'gold' is not a tier of the policy (expected one of standard, premium)",
    )
    policy = load_policy(
        {"priority": {"levels": [{"name": "moderate"}, {"name": "critical"}],
                      "impacts": ["high"], "urgencies": ["high"],
                      "matrix": {"high": {"high": "critical"}}},
         "channels": ["email", "fax"],
         "tiers": [{"name": "standard"}, {"name": "gold"}]}
    )  # fmt: skip
    check_against_policy(mapping, policy)


def test_defaults_take_every_fact_a_column_can_give() -> None:
    defaults = {
        "requester": "walk-in",
        "channel": "phone",
        "subject": "Imported",
        "description": "No text in the log",
        "tier": "premium",
        "category": "howto",
        "kind": "question",
        "priority": "low",
        "impact": "low",
        "urgency": "medium",
        "assignee": "agent:desk",
        "team": "L1",
        "made_sla": "met",
        "resolution": "solved",
        "actor": "import:tiny",
    }
    mapping = load_mapping(minimal(defaults=defaults))
    assert {key: getattr(mapping.defaults, key) for key in defaults} == defaults
    check_against_policy(mapping, default_policy())
    for key in ("case_id", "at", "state", "opened_at", "by", "opened_by", "reopen_count"):
        found = problems(minimal(defaults={key: "x"}))
        assert found == (f"$.defaults: unknown field(s) {key}",), (key, found)


def test_defaults_get_the_checks_of_the_values_they_stand_in_for() -> None:
    found = problems(
        minimal(
            columns={"team": "grp"},
            options={"team_owns_unassigned": True},
            defaults={"assignee": "agent:desk", "category": " ", "made_sla": "late"},
        )
    )
    assert found == (
        "$.defaults.category: must not be blank",
        "$.defaults.made_sla: expected met or breached, got 'late'",
        "$.defaults.assignee: cannot be used with $.options.team_owns_unassigned "
        "(both name the owner of a case whose row names nobody)",
    )
    mapping = load_mapping(minimal(defaults={"priority": "urgent", "impact": "huge"}))
    with pytest.raises(ValidationError) as caught:
        check_against_policy(mapping, default_policy())
    assert caught.value.problems == (
        "$.defaults.priority: 'urgent' is not a priority of the policy "
        "(expected one of critical, high, medium, low)",
        "$.defaults.impact: 'huge' is not an impact of the policy "
        "(expected one of high, medium, low)",
    )


def test_a_support_line_maps_its_values_and_reserves_its_field_name() -> None:
    data = minimal(
        columns={"support_line": "line"},
        values={"support_line": {"1st": "frontline", "2nd": "technical"}},
    )
    mapping = load_mapping(data)
    assert mapping.columns.named()["support_line"] == "line"
    assert mapping.values["support_line"] == {"1st": "frontline", "2nd": "technical"}
    clash = minimal(columns={"support_line": "line", "fields": {"support_line": "line"}})
    assert problems(clash) == (
        "$.columns.fields.support_line: reserved when $.columns.support_line is mapped "
        "(it marks the cases whose log gives their escalations)",
    )
