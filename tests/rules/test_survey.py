"""Survey rules: an answer per survey per case on its scale, and the offer a closure makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from serviceflow import InvalidTransition, NotAuthorized, Policy, ValidationError, load_policy
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.rules._decide import HISTORY_READS, decide
from serviceflow.rules._evolve import fold
from serviceflow.rules._survey import OFFER_READS, READS, SurveyOffer, may_offer, survey_offer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = load_policy({"surveys": {"offer": ["csat", "nps"], "delay": "2h"}})


def history_to(state: str, policy: Policy = POLICY) -> list[ev.Event]:
    """A case's events from submission to ``state`` (resolved, validated or closed)."""

    def meta(minutes: int, by: str = "agent:kim") -> dict[str, Any]:
        return {"at": T0 + timedelta(minutes=minutes), "by": by, "policy": policy.version}

    events: list[ev.Event] = [
        ev.Submitted(
            case_id="C1",
            requester="acme/jane@acme.test",
            channel="email",
            subject="Invoice wrong",
            tier="standard",
            **meta(0, "client:jane@acme.test"),
        ),
        ev.Classified(category="billing", kind="incident", **meta(1)),
        ev.Prioritized(priority="high", rule="manual", reason="vip", **meta(2)),
        ev.Assigned(assignee="agent:kim", **meta(3)),
        ev.Acknowledged(message="On it", **meta(4)),
        ev.Resolved(resolution="Fixed", **meta(5)),
    ]
    if state in ("validated", "closed"):
        events.append(ev.Validated(**meta(6, "qa:lee")))
    if state == "closed":
        events.append(ev.Confirmed(**meta(7, "client:jane@acme.test")))
        events.append(ev.Closed(reason="client_confirmed", **meta(7)))
    return events


def case_of(events: Sequence[ev.Event]) -> Case:
    case = fold(events)
    assert case is not None
    return case


def answer(
    events: Sequence[ev.Event], survey: str, score: int, by: str = "", comment: str = ""
) -> list[ev.Event]:
    command = cmd.RecordSurvey(case_id="C1", by=by, survey=survey, score=score, comment=comment)
    return decide(case_of(events), command, POLICY, T0 + timedelta(days=1), history=events)


def recorded(
    events: Sequence[ev.Event], survey: str, score: int, by: str = ""
) -> ev.SurveyRecorded:
    (event,) = answer(events, survey, score, by)
    assert isinstance(event, ev.SurveyRecorded)
    return event


def test_an_answer_is_an_event_of_the_client() -> None:
    events = history_to("closed")
    (recorded,) = answer(events, "csat", 4, comment="Quick and kind")
    assert recorded == ev.SurveyRecorded(
        survey="csat",
        score=4,
        comment="Quick and kind",
        at=T0 + timedelta(days=1),
        by="client:jane@acme.test",
        policy=POLICY.version,
    )
    after = fold([recorded], case_of(events))
    assert after is not None
    assert after.state == "closed"
    assert after.version == len(events) + 1
    assert HISTORY_READS[cmd.RecordSurvey] == READS == {"case.survey_recorded"}


@pytest.mark.parametrize(("survey", "low", "high"), [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)])
def test_each_survey_is_answered_on_its_own_scale(survey: str, low: int, high: int) -> None:
    events = history_to("resolved")
    assert recorded(events, survey, low).score == low
    assert recorded(events, survey, high).score == high
    for off in (low - 1, high + 1):
        with pytest.raises(ValidationError) as caught:
            answer(events, survey, off)
        assert caught.value.problems == (
            f"score: {survey.upper()} is answered on {low}–{high}, got {off}",
        )


def test_an_unknown_survey_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        answer(history_to("closed"), "sus", 3)
    assert caught.value.problems == ("survey: expected one of csat, nps, ces, got 'sus'",)


def test_one_answer_per_survey_per_case() -> None:
    events = history_to("closed")
    events += answer(events, "csat", 5)
    with pytest.raises(ValidationError) as caught:
        answer(events, "csat", 2)
    (problem,) = caught.value.problems
    assert problem.startswith("survey: case C1 already has a CSAT answer (5, recorded ")
    assert problem.endswith("by client:jane@acme.test); one answer per survey per case")
    assert recorded(events, "nps", 9).survey == "nps"


def test_a_survey_is_answered_only_after_resolution() -> None:
    events = history_to("resolved")[:-1]  # in progress
    with pytest.raises(InvalidTransition, match="cannot survey in state 'in_progress'"):
        answer(events, "csat", 4)
    assert answer(history_to("validated"), "ces", 6)


def test_only_the_cases_own_client_answers_but_the_desk_may_record_for_them() -> None:
    events = history_to("closed")
    with pytest.raises(NotAuthorized, match=r"client:bob@other\.test may not answer a survey"):
        answer(events, "csat", 1, by="client:bob@other.test")
    assert answer(events, "csat", 5, by="client:jane@acme.test")[0].by == "client:jane@acme.test"
    assert answer(events, "nps", 8, by="agent:sam")[0].by == "agent:sam", "a phone survey"


def test_decide_needs_the_past_answers() -> None:
    events = history_to("closed")
    command = cmd.RecordSurvey(case_id="C1", by="", survey="csat", score=4)
    with pytest.raises(ValidationError, match="history: required"):
        decide(case_of(events), command, POLICY, events[-1].at)


def test_the_shape_check_refuses_a_score_that_is_not_a_whole_number() -> None:
    events = history_to("closed")
    for score in (4.5, True, "4"):
        command = cmd.RecordSurvey(case_id="C1", by="", survey="csat", score=score)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="score: expected an integer"):
            decide(case_of(events), command, POLICY, T0, history=events)


# --- offers ----------------------------------------------------------------------------


def offer_after(
    events: list[ev.Event], new: int = 1, policy: Policy = POLICY
) -> SurveyOffer | None:
    """The offer the last ``new`` events make (the rest is the past)."""
    past, added = events[:-new], events[-new:]
    return survey_offer(case_of(events), past, added, policy)


def test_a_closure_offers_the_surveys_after_the_delay() -> None:
    events = history_to("closed")
    offer = survey_offer(case_of(events), events[:-2], events[-2:], POLICY)
    assert offer is not None
    closed = events[-1]
    assert (offer.case_id, offer.surveys, offer.moment, offer.cycle) == (
        "C1",
        ("csat", "nps"),
        "closure",
        1,
    )
    assert offer.at == closed.at
    assert offer.due == closed.at + timedelta(hours=2)
    assert offer.key == "C1/survey/closure/1"
    assert offer.template == "survey"
    assert may_offer(events[-2:], POLICY)
    assert not may_offer(events[:-2], POLICY), "no closure, no offer"
    assert {"case.closed", "case.resolved", "case.reopened", "case.survey_recorded"} == OFFER_READS


def test_no_offer_without_surveys_in_the_policy_or_outside_the_sample() -> None:
    default = Policy()
    events = history_to("closed", default)
    assert not may_offer(events, default)
    assert survey_offer(case_of(events), events[:-1], events[-1:], default) is None
    never = load_policy({"surveys": {"offer": ["csat"], "sample": 0}})
    assert survey_offer(case_of(events), events[:-1], events[-1:], never) is None


def test_surveys_already_answered_are_not_offered_again() -> None:
    closing: list[ev.Event] = [
        ev.Confirmed(at=T0 + timedelta(days=2), by="client:jane@acme.test", policy="p"),
        ev.Closed(reason="client_confirmed", at=T0 + timedelta(days=2), by="x", policy="p"),
    ]
    events = history_to("validated")
    events += answer(events, "csat", 5)
    offer = offer_after([*events, *closing], 2)
    assert offer is not None
    assert offer.surveys == ("nps",)
    events += answer(events, "nps", 3)
    assert offer_after([*events, *closing], 2) is None, "everything offered was answered"


def test_a_reopened_case_closing_again_is_a_new_cycle_with_a_new_key() -> None:
    events = history_to("closed")
    events += answer(events, "csat", 2)
    late = T0 + timedelta(days=3)
    events += [
        ev.Reopened(reason="still wrong", at=late, by="client:jane@acme.test", policy="p"),
        ev.Resolved(resolution="Really fixed", at=late, by="agent:kim", policy="p"),
        ev.Validated(at=late, by="qa:lee", policy="p"),
        ev.Confirmed(at=late, by="client:jane@acme.test", policy="p"),
        ev.Closed(reason="client_confirmed", at=late, by="agent:kim", policy="p"),
    ]
    offer = offer_after(events, 2)
    assert offer is not None
    assert (offer.cycle, offer.key, offer.surveys) == (
        2,
        "C1/survey/closure/2",
        ("nps",),
    )


def test_after_resolution_offers_once_per_cycle_even_after_a_rejected_validation() -> None:
    policy = load_policy({"surveys": {"offer": ["ces"], "after": "resolution"}})
    events = history_to("resolved", policy)
    first = offer_after(events, 1, policy)
    assert first is not None
    assert first.key == "C1/survey/resolution/1"
    assert first.due == events[-1].at
    later = T0 + timedelta(hours=5)
    events += [
        ev.ValidationRejected(reason="typo", at=later, by="qa:lee", policy="p"),
        ev.Resolved(resolution="Fixed, typo too", at=later, by="agent:kim", policy="p"),
    ]
    assert offer_after(events, 1, policy) is None, "the same cycle: offered already"
    events += [
        ev.Reopened(reason="broken again", at=later, by="client:jane@acme.test", policy="p"),
        ev.Resolved(resolution="Fixed at last", at=later, by="agent:kim", policy="p"),
    ]
    again = offer_after(events, 1, policy)
    assert again is not None
    assert again.key == "C1/survey/resolution/2"


def test_an_imported_closure_offers_nothing() -> None:
    events = history_to("closed")
    imported = ev.Closed(
        reason="client_confirmed", at=T0, by="agent:kim", policy="p", source="servicenow:1"
    )
    events[-1] = imported
    assert not may_offer([imported], POLICY)
    assert survey_offer(case_of(events), events[:-1], [imported], POLICY) is None
