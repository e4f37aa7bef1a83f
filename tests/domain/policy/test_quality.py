"""The [quality] section: rubrics of weighted criteria and the calibration tolerance."""

from __future__ import annotations

import pytest

from serviceflow import PolicyError, default_policy, load_policy
from serviceflow.domain.policy._quality import Criterion, QualityPolicy, Rubric, quality_problems

RUBRIC = """
[quality]
calibration_tolerance = 7.5

[[quality.rubrics]]
name = "email"
description = "Written replies"
criteria = [
  { name = "verified_identity", weight = 3, kind = "compliance", max = 1, critical = true },
  { name = "accurate", weight = 4, kind = "compliance", max = 5 },
  { name = "empathy", weight = 2, kind = "soft_skill", max = 5, description = "Tone" },
]
"""


def test_no_rubric_by_default_and_a_tolerance_of_ten_points() -> None:
    assert default_policy().quality == QualityPolicy()
    assert QualityPolicy().rubrics == ()
    assert QualityPolicy().calibration_tolerance == 10.0


def test_rubrics_are_read_from_toml() -> None:
    quality = load_policy(RUBRIC).quality
    assert quality.calibration_tolerance == 7.5
    email = quality.rubric("email")
    assert email is not None
    assert email.description == "Written replies"
    assert [c.name for c in email.criteria] == ["verified_identity", "accurate", "empathy"]
    assert email.criteria[0] == Criterion(
        name="verified_identity", weight=3.0, kind="compliance", max=1, critical=True
    )
    assert email.criterion("empathy") == Criterion(
        name="empathy", weight=2.0, kind="soft_skill", max=5, description="Tone"
    )
    assert email.criterion("speed") is None
    assert quality.rubric("phone") is None


def test_every_problem_is_reported_with_its_path() -> None:
    bad = QualityPolicy(
        rubrics=(
            Rubric(
                name="Email",
                criteria=(
                    Criterion(name="tone", weight=0, kind="soft_skill", max=5),
                    Criterion(name="tone", weight=-1, kind="style", max=0),
                    Criterion(name="Speed!", weight=float("inf"), kind="compliance", max=3),
                ),
            ),
            Rubric(name="chat", criteria=()),
            Rubric(name="chat", criteria=(Criterion("ok", 1, "compliance", 1),)),
        ),
        calibration_tolerance=120,
    )
    assert list(quality_problems(bad)) == [
        "$.quality.rubrics[0].name: 'Email' is not a rubric name (lowercase letters, digits, -, _)",
        "$.quality.rubrics[0].criteria[0].weight: must be a number above 0, got 0",
        "$.quality.rubrics[0].criteria[1].name: 'tone' is listed twice in rubric 'Email'",
        "$.quality.rubrics[0].criteria[1].weight: must be a number above 0, got -1",
        "$.quality.rubrics[0].criteria[1].kind: expected one of compliance, soft_skill, "
        "got 'style'",
        "$.quality.rubrics[0].criteria[1].max: at least 1 point, got 0",
        "$.quality.rubrics[0].criteria[2].name: 'Speed!' is not a criterion name "
        "(lowercase letters, digits, -, _)",
        "$.quality.rubrics[0].criteria[2].weight: must be a number above 0, got inf",
        "$.quality.rubrics[1].criteria: at least one criterion is required",
        "$.quality.rubrics[2].name: 'chat' is listed twice",
        "$.quality.calibration_tolerance: points out of 100 between 0 and 100, got 120",
    ]


def test_load_policy_reports_section_problems_and_structure() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(
            {
                "quality": {
                    "rubrics": [
                        {
                            "name": "a",
                            "criteria": [{"name": "x", "weight": 1, "kind": "vibe", "max": 2}],
                        }
                    ]
                }
            }
        )
    assert caught.value.problems == (
        "$.quality.rubrics[0].criteria[0].kind: expected one of compliance, soft_skill, got 'vibe'",
    )
    with pytest.raises(PolicyError) as structural:
        load_policy(
            {
                "quality": {
                    "rubrics": [{"name": "a", "criteria": [{"name": "x", "kind": "compliance"}]}]
                }
            }
        )
    text = str(structural.value)
    assert "$.quality.rubrics[0].criteria[0].weight: required field is missing" in text
    assert "$.quality.rubrics[0].criteria[0].max: required field is missing" in text
    with pytest.raises(PolicyError, match=r"\$\.quality: unknown field\(s\) reviewers"):
        load_policy({"quality": {"reviewers": ["qa:*"]}})


def test_the_policy_version_changes_with_a_rubric() -> None:
    assert load_policy(RUBRIC).version != default_policy().version
    assert load_policy(RUBRIC).version == load_policy(RUBRIC).version
