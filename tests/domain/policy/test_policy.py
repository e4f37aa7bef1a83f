"""Policy as data: TOML or mapping in, frozen types out, every problem listed with its path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from serviceflow import Policy, PolicyError, default_policy, load_policy

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "policy.toml"


def test_default_policy_is_the_literature_matrix() -> None:
    policy = default_policy()
    assert [(lv.name, lv.response) for lv in policy.priority.levels] == [
        ("critical", "immediate"),
        ("high", "accelerated"),
        ("medium", "standard"),
        ("low", "scheduled"),
    ]
    assert policy.priority.levels[0].description == "Service outage or disruption"
    assert policy.priority.matrix["high"]["high"] == "critical"
    assert policy.priority.matrix["low"]["low"] == "low"
    assert policy.category_map["outage"].priority == "critical"
    assert policy.lifecycle.auto_confirm_after == timedelta(hours=72)
    assert load_policy() is policy


def test_default_matrix_is_total() -> None:
    pri = default_policy().priority
    for impact in pri.impacts:
        for urgency in pri.urgencies:
            assert pri.matrix[impact][urgency] in pri.names


def test_load_from_toml_file_text_and_mapping_agree(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    path = tmp_path / "p.toml"
    path.write_text(text)
    from_file = load_policy(path)
    assert load_policy(str(path)) == from_file
    assert load_policy(text) == from_file
    assert from_file.name == "Acme support"


def test_version_is_a_content_hash() -> None:
    base = default_policy()
    data: dict[str, Any] = {"name": "x"}
    assert load_policy(data).version == load_policy(dict(data)).version
    assert load_policy({"name": "y"}).version != load_policy(data).version
    assert len(base.version) == 16
    assert Policy().version == load_policy({}).version


def test_document_round_trips() -> None:
    import json

    policy = default_policy()
    assert load_policy(json.loads(policy.document())) == policy


def test_structural_problems_are_all_listed_with_paths() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(
            {
                "name": 3,
                "kinds": "incident",
                "lifecycle": {"reopen_windw": "3d", "auto_confirm_after": "soon"},
                "automation": {"classify": "yes"},
                "tiers": [{"description": "no name"}],
            }
        )
    problems = info.value.problems
    assert "$.name: expected text, got 3" in problems
    assert any(p.startswith("$.lifecycle.auto_confirm_after: cannot read 'soon'") for p in problems)
    assert "$.lifecycle: unknown field(s) reopen_windw" in problems
    assert "$.automation.classify: expected true or false, got 'yes'" in problems
    assert "$.tiers[0].name: required field is missing" in problems
    assert any(p.startswith("$.kinds") for p in problems)


def test_semantic_problems_are_all_listed_with_paths() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(
            {
                "priority": {
                    "levels": [{"name": "p1"}, {"name": "p2"}, {"name": "p1"}],
                    "impacts": ["big", "small"],
                    "urgencies": ["now", "later"],
                    "matrix": {
                        "big": {"now": "p1", "later": "urgent"},
                        "small": {"now": "p2", "soon": "p2"},
                        "huge": {"now": "p1", "later": "p1"},
                    },
                },
                "categories": [{"name": "outage", "priority": "p0"}],
                "default_tier": "gold",
                "tiers": [
                    {"name": "std", "raise_priority": 5, "groups": ["acme"]},
                    {"name": "vip", "groups": ["acme"]},
                ],
                "automation": {"confidence_threshold": 1.5},
            }
        )
    problems = info.value.problems
    assert problems == (
        "$.priority.levels: 'p1' is listed twice",
        "$.priority.matrix.huge: unknown impact (impacts: big, small)",
        "$.priority.matrix.big.later: expected one of p1, p2, p1, got 'urgent'",
        "$.priority.matrix.small.soon: unknown urgency (urgencies: now, later)",
        "$.priority.matrix.small.later: missing (the matrix must cover every impact × urgency)",
        "$.categories[0].priority: expected one of p1, p2, p1, got 'p0'",
        "$.default_tier: expected one of std, vip, got 'gold'",
        "$.tiers[0].raise_priority: must be between 0 and 2",
        "$.tiers[1].groups: 'acme' is already served by tier 'std'",
        "$.automation.confidence_threshold: must be between 0 and 1",
    )


def test_missing_matrix_row_is_reported() -> None:
    with pytest.raises(PolicyError, match=r"\$\.priority\.matrix\.low: missing row"):
        load_policy(
            {
                "priority": {
                    "levels": [{"name": "a"}],
                    "impacts": ["high", "low"],
                    "urgencies": ["u"],
                    "matrix": {"high": {"u": "a"}},
                }
            }
        )


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML") as info:
        load_policy("name = \n")
    assert info.value.problems
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.toml")


def test_tier_for_requester_group() -> None:
    policy = load_policy(
        {"tiers": [{"name": "standard"}, {"name": "premium", "groups": ["globex"]}]}
    )
    assert policy.tier_for("globex") == "premium"
    assert policy.tier_for("acme") == "standard"
    assert policy.tier_for(None) == "standard"


def test_sections_left_out_take_the_shipped_defaults() -> None:
    import tomllib
    from importlib import resources

    shipped = tomllib.loads(
        resources.files("serviceflow.domain.policy").joinpath("default_policy.toml").read_text()
    )
    import attrs

    assert set(shipped) == {f.name for f in attrs.fields(Policy)}, (
        "the default TOML must set every section"
    )
    partial = load_policy({"automation": {"classify": True}})
    default = default_policy()
    assert partial.categories == default.categories
    assert partial.tiers == default.tiers
    assert partial.priority == default.priority
    assert partial.automation.classify is True
    assert Policy() == default


def test_policies_are_immutable_and_hashable() -> None:
    policy = load_policy({"name": "x"})
    with pytest.raises(TypeError):
        policy.priority.matrix["high"]["high"] = "low"  # type: ignore[index]
    assert default_policy().priority.matrix["high"]["high"] == "critical"
    assert hash(default_policy()) == hash(load_policy({}))


def test_a_policy_built_in_code_is_checked_when_a_desk_opens() -> None:
    from serviceflow import ServiceDesk

    with pytest.raises(PolicyError, match=r"\$\.channels: at least one channel is required"):
        ServiceDesk.open("memory://", policy=Policy(channels=()), entry_points=False)


def test_paths_text_and_wrong_types(tmp_path: Path) -> None:
    conf = tmp_path / "mypolicy.conf"
    conf.write_text('name = "conf"\n')
    assert load_policy(str(conf)).name == "conf"
    assert load_policy('name = "inline"').name == "inline"
    with pytest.raises(PolicyError, match="expected a file path, TOML text or a mapping, got int"):
        load_policy(123)  # type: ignore[arg-type]
    with pytest.raises(
        PolicyError, match=r"\$\.priority\.matrix: expected a table, got the text 'none'"
    ):
        load_policy(
            {
                "priority": {
                    "levels": [{"name": "a"}],
                    "impacts": [],
                    "urgencies": [],
                    "matrix": "none",
                }
            }
        )


def test_policies_survive_pickle_and_copy_and_stay_read_only() -> None:
    import copy
    import pickle

    from serviceflow.domain.policy._policy import Category

    policy = load_policy(EXAMPLE)
    for clone in (pickle.loads(pickle.dumps(policy)), copy.deepcopy(policy)):
        assert clone == policy
        assert clone.version == policy.version
    with pytest.raises(TypeError):
        policy.category_map["outage"] = Category("outage")  # type: ignore[index]
    built = Policy(priority=attrs.evolve(policy.priority, matrix={"high": {"high": "low"}}))
    with pytest.raises(TypeError):
        built.priority.matrix["high"]["high"] = "critical"  # type: ignore[index]


def test_the_triage_guide_examples_make_one_valid_policy() -> None:
    """Every TOML example of docs/triage.md loads, together, as a sound policy."""
    import re
    import tomllib
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[3] / "docs" / "triage.md").read_text("utf-8")
    merged: dict[str, Any] = {
        "calendars": {"paris": {"zone": "Europe/Paris", "week": {"mon": ["09:00-17:00"]}}},
        "categories": [{"name": n} for n in ("billing", "functional", "outage", "howto")],
    }
    blocks = re.findall(r"```toml\n(.*?)```", guide, flags=re.DOTALL)
    assert len(blocks) == 4
    for block in blocks:
        for key, value in tomllib.loads(block).items():
            if isinstance(value, list):
                merged[key] = [*merged.get(key, []), *value]
            elif isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    policy = load_policy(merged)
    assert [r.name for r in policy.roles] == ["lead", "billing", "responder", "agent"]
    assert [q.name for q in policy.queues] == ["billing", "premium", "everything else"]
    assert len(policy.guardrails) == 4
    assert len(policy.classification) == 2


def test_a_number_that_is_not_finite_is_refused_with_its_path() -> None:
    with pytest.raises(
        PolicyError, match=r"\$\.automation\.confidence_threshold: expected a finite"
    ):
        load_policy("[automation]\nconfidence_threshold = nan\n")
