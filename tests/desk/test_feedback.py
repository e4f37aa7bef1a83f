"""Surveys and quality reviews through the desk: recorded, refused unchanged, offered once
through the outbox after closure, and calibrated across reviewers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from serviceflow import (
    InvalidTransition,
    ManualClock,
    NotAuthorized,
    Notification,
    Policy,
    ServiceDesk,
    ValidationError,
    hookimpl,
    load_policy,
)
from serviceflow.analytics._calibration import calibrate
from serviceflow.domain import _events as ev
from serviceflow.rules._notices import SURVEY_OFFERED

from ..conftest import walk_to

FEEDBACK = """
[surveys]
offer = ["csat", "nps"]
delay = "2d"

[quality]
calibration_tolerance = 10

[[quality.rubrics]]
name = "email"
criteria = [
  { name = "verified", weight = 1, kind = "compliance", max = 1, critical = true },
  { name = "accurate", weight = 2, kind = "compliance", max = 5 },
  { name = "empathy", weight = 2, kind = "soft_skill", max = 5 },
]
"""
ROLES = """
[[roles]]
name = "agents"
actors = ["agent:*", "lead:*"]

[[roles]]
name = "qa"
actors = ["qa:*"]
may = ["validate", "review", "note"]

[[roles]]
name = "trainees"
actors = ["trainee:*"]
may = ["note"]
"""


class Inbox:
    """A notifier that keeps every message it is given."""

    def __init__(self) -> None:
        self.got: list[Notification] = []

    @hookimpl
    def notify(self, notification: Notification) -> None:
        self.got.append(notification)

    def surveys(self) -> list[Notification]:
        return [n for n in self.got if n.kind == SURVEY_OFFERED]


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def open_desk(url: str, clock: ManualClock, policy: Policy, *plugins: object) -> ServiceDesk:
    return ServiceDesk.open(url, policy=policy, clock=clock, plugins=plugins, entry_points=False)


@pytest.fixture
def desk(store_url: str, clock: ManualClock, inbox: Inbox) -> Iterator[ServiceDesk]:
    """A desk that offers CSAT and NPS two days after closure and has an email rubric."""
    with open_desk(store_url, clock, load_policy(FEEDBACK), inbox) as opened:
        yield opened


def unchanged(desk: ServiceDesk, case_id: str, call: Any, error: type[Exception]) -> Exception:
    """Run ``call``, expect ``error``, and check the case and its stream did not move."""
    before = desk.case(case_id)
    events = len(desk.history(case_id))
    with pytest.raises(error) as caught:
        call()
    assert desk.case(case_id).version == before.version
    assert len(desk.history(case_id)) == events
    return caught.value


def test_a_survey_answer_is_recorded_on_the_case(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "closed")
    before = desk.case(case_id)
    after = desk.record_survey(case_id, survey="csat", score=5, comment="Great")
    assert (after.state, after.version) == ("closed", before.version + 1)
    last = desk.history(case_id)[-1].event
    assert last == ev.SurveyRecorded(
        survey="csat",
        score=5,
        comment="Great",
        at=last.at,
        by="client:jane@acme.test",
        policy=desk.policy.version,
    )
    desk.record_survey(case_id, survey="ces", score=6, by="agent:sam")
    assert desk.verify(case_id).ok
    assert desk.replay(case_id) == desk.case(case_id)


def test_a_refused_survey_leaves_the_case_untouched(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "closed")
    desk.record_survey(case_id, survey="nps", score=9)
    twice = unchanged(
        desk, case_id, lambda: desk.record_survey(case_id, survey="nps", score=10), ValidationError
    )
    assert "one answer per survey per case" in str(twice)
    off = unchanged(
        desk, case_id, lambda: desk.record_survey(case_id, survey="csat", score=0), ValidationError
    )
    assert "score: CSAT is answered on 1–5, got 0" in str(off)
    early = walk_to(desk, "in_progress")
    unchanged(
        desk, early, lambda: desk.record_survey(early, survey="csat", score=4), InvalidTransition
    )


def test_a_client_may_not_answer_someone_elses_case(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "closed")
    refused = unchanged(
        desk,
        case_id,
        lambda: desk.record_survey(case_id, survey="csat", score=1, by="client:bob@other.test"),
        NotAuthorized,
    )
    assert "to be its requester (acme/jane@acme.test)" in str(refused)
    assert [r.command for r in desk.audit()] == ["survey"], "the refusal is audited"


def test_with_roles_a_client_answers_only_on_their_own_case(
    store_url: str, clock: ManualClock
) -> None:
    with open_desk(store_url, clock, load_policy(FEEDBACK + ROLES)) as governed:
        case_id = walk_to(governed, "closed")
        unchanged(
            governed,
            case_id,
            lambda: governed.record_survey(
                case_id, survey="csat", score=1, by="client:bob@other.test"
            ),
            NotAuthorized,
        )
        assert governed.record_survey(case_id, survey="csat", score=4).state == "closed", (
            "the client answers on their own case"
        )


def test_reviews_are_recorded_and_refused_unchanged(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "closed")
    scores = {"verified": 1, "accurate": 4, "empathy": 5}
    desk.review_quality(case_id, by="qa:lee", rubric="email", scores=scores, comment="Good")
    review = desk.history(case_id)[-1].event
    assert isinstance(review, ev.QualityReviewed)
    assert (review.agent, review.total, review.session) == ("agent:kim", 92.0, None)
    own = unchanged(
        desk,
        case_id,
        lambda: desk.review_quality(case_id, by="agent:kim", rubric="email", scores=scores),
        NotAuthorized,
    )
    assert "may not review their own handling of case" in str(own)
    unchanged(
        desk,
        case_id,
        lambda: desk.review_quality(case_id, by="qa:lee", rubric="email", scores=scores),
        ValidationError,
    )
    unchanged(
        desk,
        case_id,
        lambda: desk.review_quality(case_id, by="qa:max", rubric="chat", scores=scores),
        ValidationError,
    )
    unchanged(
        desk,
        case_id,
        lambda: desk.review_quality(case_id, by="qa:max", rubric="email", scores={"verified": 3}),
        ValidationError,
    )
    failed = desk.review_quality(
        case_id, by="qa:max", rubric="email", scores={**scores, "verified": 0}, session="s1"
    )
    assert failed.version == desk.case(case_id).version
    last = desk.history(case_id)[-1].event
    assert isinstance(last, ev.QualityReviewed)
    assert last.total == 0.0, "a critical criterion at zero fails the review"
    assert desk.verify(case_id).ok


def test_roles_say_who_may_review(store_url: str, clock: ManualClock) -> None:
    with open_desk(store_url, clock, load_policy(FEEDBACK + ROLES)) as desk:
        case_id = walk_to(desk, "resolved")
        scores = {"verified": 1, "accurate": 3, "empathy": 3}
        desk.review_quality(case_id, by="qa:lee", rubric="email", scores=scores)
        unchanged(
            desk,
            case_id,
            lambda: desk.review_quality(case_id, by="trainee:tom", rubric="email", scores=scores),
            NotAuthorized,
        )


def test_a_survey_is_offered_once_two_days_after_closure(
    desk: ServiceDesk, clock: ManualClock, inbox: Inbox
) -> None:
    case_id = walk_to(desk, "closed")
    closed_at = desk.case(case_id).closed_at
    assert closed_at is not None
    (offer,) = [m for m in desk.outbox.pending() if m.key.startswith(f"{case_id}/survey/")]
    assert offer.key == f"{case_id}/survey/closure/1"
    assert (offer.created, offer.due) == (closed_at, closed_at + timedelta(days=2))
    assert offer.notification is not None
    assert offer.notification.kind == SURVEY_OFFERED
    assert offer.notification.to == "jane@acme.test"
    assert "How likely are you to recommend us" in offer.notification.text
    assert inbox.surveys() == [], "the closure message went at once; the survey waits"
    assert [n.kind for n in inbox.got][-1] == "case.closed"
    desk.record_survey(case_id, survey="csat", score=4)  # more writes queue no offer
    clock.advance(timedelta(days=1, hours=23))
    desk.tick()
    assert inbox.surveys() == []
    clock.advance(timedelta(hours=1))
    desk.tick()
    assert [n.key for n in inbox.surveys()] == [f"{case_id}/survey/closure/1"]
    desk.deliver()
    desk.tick()
    assert len(inbox.surveys()) == 1, "delivered once"
    assert desk.outbox.pending() == []


def test_a_reopened_case_closing_again_offers_what_is_unanswered(
    desk: ServiceDesk, clock: ManualClock, inbox: Inbox
) -> None:
    case_id = walk_to(desk, "closed")
    desk.record_survey(case_id, survey="csat", score=2, comment="Not fixed")
    desk.reopen(case_id, by="client:jane@acme.test", reason="Still wrong")
    desk.resolve(case_id, by="agent:kim", resolution="Fixed for real")
    desk.validate(case_id, by="qa:lee")
    desk.confirm(case_id)
    offers = {m.key: m for m in desk.outbox.pending()}
    second = offers[f"{case_id}/survey/closure/2"]
    assert second.notification is not None
    assert "recommend us" in second.notification.text
    assert "How satisfied" not in second.notification.text, "CSAT was answered already"
    clock.advance(timedelta(days=2))
    desk.tick()
    assert sorted(n.key for n in inbox.surveys()) == [
        f"{case_id}/survey/closure/1",
        f"{case_id}/survey/closure/2",
    ]


def test_the_offer_is_written_in_the_clients_language(store_url: str, clock: ManualClock) -> None:
    with open_desk(store_url, clock, load_policy(FEEDBACK)) as desk:
        case = desk.submit(
            requester="marie@exemple.fr", channel="email", subject="Facture", language="fr"
        )
        desk.classify(case.id, by="agent:kim", category="billing", kind="incident")
        desk.prioritize(case.id, by="agent:kim", impact="low", urgency="low")
        desk.assign(case.id, by="lead:ana", to="agent:kim")
        desk.acknowledge(case.id, by="agent:kim", message="Nous regardons.")
        desk.resolve(case.id, by="agent:kim", resolution="Corrigé")
        desk.validate(case.id, by="qa:lee")
        desk.confirm(case.id)
        (offer,) = [m for m in desk.outbox.pending() if "/survey/" in m.key]
        assert offer.notification is not None
        assert offer.notification.locale == "fr"
        assert "Pourriez-vous prendre une minute" in offer.notification.text
        assert "De 0 (pas du tout probable) à 10 (très probable)." in offer.notification.text


def test_calibration_of_three_reviewers_from_the_desk(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "closed")
    other = walk_to(desk, "resolved")
    # totals: (1 × v + 2 × a/5 + 2 × e/5) / 5 × 100
    for reviewer, accurate, empathy in (("qa:ann", 4, 4), ("qa:bob", 3, 3), ("qa:cid", 5, 5)):
        desk.review_quality(
            case_id,
            by=reviewer,
            rubric="email",
            scores={"verified": 1, "accurate": accurate, "empathy": empathy},
            session="march",
        )
    desk.review_quality(
        other,
        by="qa:ann",
        rubric="email",
        scores={"verified": 1, "accurate": 5, "empathy": 5},
        session="april",
    )
    report = calibrate(desk, "march")
    (case,) = report.cases
    assert case.case_id == case_id
    # ann (1 + 1.6 + 1.6) / 5 = 84, bob (1 + 1.2 + 1.2) / 5 = 68, cid 100
    assert [(r.reviewer, r.total) for r in case.reviews] == [
        ("qa:ann", 84.0),
        ("qa:bob", 68.0),
        ("qa:cid", 100.0),
    ]
    assert (case.spread.min, case.spread.max, case.spread.range) == (68.0, 100.0, 32.0)
    assert case.spread.stdev == pytest.approx(13.064, abs=1e-3)  # mean 84: √((0+256+256)/3)
    assert (case.pairs, case.agreeing) == (3, 0), "16, 16 and 32 points apart: none within 10"
    assert [r.deviation for r in case.reviews] == [0.0, -24.0, 24.0]
    drifting = [r.reviewer for r in report.reviewers if r.drifting]
    assert drifting == ["qa:bob", "qa:cid"]
    spread = case.criteria[1]
    assert spread.criterion == "accurate"
    assert spread.range_share == pytest.approx(0.4), "3 to 5 points of 5"
    assert calibrate(desk, "april").reviews == 1
    assert calibrate(desk, "may").cases == ()


def test_without_a_delay_the_offer_goes_at_once_after_resolution(
    store_url: str, clock: ManualClock, inbox: Inbox
) -> None:
    policy = load_policy({"surveys": {"offer": ["ces"], "after": "resolution"}})
    with open_desk(store_url, clock, policy, inbox) as desk:
        case_id = walk_to(desk, "resolved")
        assert [n.key for n in inbox.surveys()] == [f"{case_id}/survey/resolution/1"]
        assert "From 1 (very difficult) to 7 (very easy)." in inbox.surveys()[0].text
        desk.reject(case_id, by="qa:lee", reason="Typo in the answer")
        desk.resolve(case_id, by="agent:kim", resolution="Fixed, typo too")
        desk.validate(case_id, by="qa:lee")
        desk.confirm(case_id)
        assert len(inbox.surveys()) == 1, "one offer per resolution cycle"
        assert desk.outbox.pending() == []


def test_two_desks_cannot_record_the_same_survey_twice(tmp_path: Any, clock: ManualClock) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    policy = load_policy(FEEDBACK)
    with open_desk(url, clock, policy) as first, open_desk(url, clock, policy) as second:
        case_id = walk_to(first, "closed")
        second.record_survey(case_id, survey="nps", score=9)  # second caches this version
        first.record_survey(case_id, survey="csat", score=5)
        with pytest.raises(ValidationError, match=r"one answer per survey per case"):
            second.record_survey(case_id, survey="csat", score=1)
        answers = [
            r.event for r in first.history(case_id) if isinstance(r.event, ev.SurveyRecorded)
        ]
        assert [(a.survey, a.score) for a in answers] == [("nps", 9), ("csat", 5)]
