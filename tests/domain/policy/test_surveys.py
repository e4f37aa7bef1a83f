"""The [surveys] section: fixed scales, what is offered and when, a deterministic sample."""

from __future__ import annotations

from datetime import timedelta

import pytest

from serviceflow import PolicyError, default_policy, load_policy
from serviceflow.domain.policy._surveys import (
    CES,
    CSAT,
    NPS,
    SCALES,
    SurveyPolicy,
    questions,
    survey_problems,
)


def test_no_survey_is_offered_by_default() -> None:
    surveys = default_policy().surveys
    assert surveys == SurveyPolicy()
    assert surveys.offer == ()
    assert (surveys.after, surveys.delay, surveys.sample, surveys.template) == (
        "closure",
        timedelta(0),
        1.0,
        "survey",
    )
    assert load_policy({"surveys": {}}).surveys == SurveyPolicy()


def test_the_scales_are_the_definitions() -> None:
    assert [(n, s.low, s.high) for n, s in SCALES.items()] == [
        (CSAT, 1, 5),
        (NPS, 0, 10),
        (CES, 1, 7),
    ]
    csat = SCALES[CSAT]
    assert csat.holds(1)
    assert csat.holds(5)
    assert not csat.holds(0)
    assert not csat.holds(6)
    assert SCALES[NPS].holds(0)
    assert not SCALES[CES].holds(8)
    assert str(SCALES[NPS]) == "NPS is answered on 0–10"


def test_a_section_is_read_with_durations_as_policies_write_them() -> None:
    policy = load_policy(
        """
        [surveys]
        offer = ["nps", "csat"]
        after = "resolution"
        delay = "1d 2h"
        sample = 0.25
        """
    )
    assert policy.surveys == SurveyPolicy(
        offer=("nps", "csat"), after="resolution", delay=timedelta(hours=26), sample=0.25
    )


def test_every_problem_is_reported_with_its_path() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(
            {
                "surveys": {
                    "offer": ["csat", "sus", "csat"],
                    "after": "payment",
                    "sample": 1.5,
                    "template": "poll",
                }
            }
        )
    problems = caught.value.problems
    assert "$.surveys.offer: unknown survey 'sus' (surveys: csat, nps, ces)" in problems
    assert "$.surveys.offer: 'csat' is listed twice" in problems
    assert "$.surveys.after: expected one of closure, resolution, got 'payment'" in problems
    assert "$.surveys.sample: a fraction between 0 and 1, got 1.5" in problems
    assert any(
        p.startswith("$.surveys.template: unknown template 'poll' (templates: ") for p in problems
    )


def test_structural_problems_name_their_path() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy({"surveys": {"offer": "csat", "delay": "soon", "scale": 5}})
    text = str(caught.value)
    assert "$.surveys.offer: expected a list" in text
    assert "$.surveys.delay: cannot read 'soon'" in text
    assert "$.surveys: unknown field(s) scale" in text


def test_a_policy_may_name_its_own_template() -> None:
    policy = load_policy(
        {
            "surveys": {"offer": ["ces"], "template": "feedback"},
            "templates": {"feedback": {"en": "Hello $requester_name:\n$surveys"}},
        }
    )
    assert policy.surveys.template == "feedback"
    assert list(survey_problems(policy.surveys, templates=("feedback",))) == []
    assert list(survey_problems(SurveyPolicy(sample=float("nan")), ("survey",))) == [
        "$.surveys.sample: a fraction between 0 and 1, got nan"
    ]


def test_the_sample_is_picked_by_case_id_so_every_replay_agrees() -> None:
    half = SurveyPolicy(offer=(CSAT,), sample=0.3)
    ids = [f"2026-{n:05d}" for n in range(2000)]
    picked = [i for i in ids if half.samples(i)]
    assert picked == [i for i in ids if SurveyPolicy(sample=0.3).samples(i)], "deterministic"
    assert 0.25 < len(picked) / len(ids) < 0.35
    assert all(SurveyPolicy(sample=1.0).samples(i) for i in ids[:50])
    assert not any(SurveyPolicy(sample=0.0).samples(i) for i in ids[:50])
    assert set(picked) <= {i for i in ids if SurveyPolicy(sample=0.6).samples(i)}, (
        "a larger sample keeps the cases of a smaller one"
    )


def test_questions_come_in_the_clients_language_with_their_scale() -> None:
    english = questions([CSAT, NPS], "en")
    assert english.splitlines() == [
        "- How satisfied are you with how we handled your request? "
        "From 1 (very dissatisfied) to 5 (very satisfied).",
        "- How likely are you to recommend us to a friend or colleague? "
        "From 0 (not at all likely) to 10 (extremely likely).",
    ]
    assert "De 1 (très difficile) à 7 (très facile)" in questions([CES], "fr")
    assert questions([CES], "de") == questions([CES], "en")
    assert questions([], "en") == ""
