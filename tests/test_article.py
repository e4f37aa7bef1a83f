"""The article machine and the pure decide/evolve: every state reachable, replay equals live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.article import (
    ALLOWED,
    DESTINATIONS,
    DRAFT,
    IN_REVIEW,
    MACHINE,
    PUBLISHED,
    RETIRED,
    REVIEW_DUE,
    STATES,
    Approve,
    Article,
    ArticleCommand,
    Draft,
    Edit,
    GiveFeedback,
    InvalidArticleTransition,
    Link,
    MarkReviewDue,
    Reject,
    Retire,
    Submit,
    decide,
    describe,
    evolve,
    linked_cases,
    under_review,
)
from serviceflow.errors import InvalidTransition, NotAuthorized, ServiceflowError
from serviceflow.events import Event

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ID = "KB-1"


def _fold(events: list[Event], article: Article | None = None) -> Article:
    for event in events:
        article = evolve(article, event)
    assert article is not None
    return article


def test_the_machine_is_static_and_introspectable() -> None:
    assert set(MACHINE.states) == set(STATES)
    assert not MACHINE.models
    rows = describe()
    assert ("approve", IN_REVIEW, PUBLISHED, ("reviewer_not_author",)) in rows
    assert ("edit", PUBLISHED, DRAFT, ()) in rows
    assert ALLOWED[RETIRED] == ()
    assert "review_due" not in ALLOWED[PUBLISHED], "the desk's own trigger"
    reachable = {DRAFT} | set(DESTINATIONS.values())
    assert reachable == set(STATES)


def test_an_invalid_trigger_names_the_article_and_what_is_allowed() -> None:
    article = _fold(decide(None, _draft(), T0, "p"))
    with pytest.raises(InvalidArticleTransition) as caught:
        decide(article, Approve(article_id=ID, by="lead:ana"), T0, "p")
    assert isinstance(caught.value, InvalidTransition)
    assert str(caught.value) == (
        "article KB-1: cannot approve in state 'draft' (allowed here: edit, feedback, "
        "retire, submit, use)"
    )


def test_review_due_waits_for_the_cycle() -> None:
    article = _fold(
        [
            *decide(None, _draft(), T0, "p"),
        ]
    )
    article = _fold(decide(article, Submit(article_id=ID, by="agent:kim"), T0, "p"), article)
    article = _fold(decide(article, Approve(article_id=ID, by="lead:ana"), T0, "p"), article)
    with pytest.raises(InvalidTransition, match="review cycle has not passed"):
        decide(article, MarkReviewDue(article_id=ID, by="system"), T0 + timedelta(days=1), "p")
    due = decide(article, MarkReviewDue(article_id=ID, by="system"), T0 + timedelta(days=2), "p")
    assert _fold(due, article).state == REVIEW_DUE


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ServiceflowError, match="timezone-aware"):
        decide(None, _draft(), datetime(2026, 3, 2), "p")  # noqa: DTZ001


def _draft() -> Draft:
    return Draft(
        article_id=ID,
        by="agent:kim",
        category="billing",
        title="Invoice",
        body="Credit note",
        review_every=timedelta(days=2),
    )


ACTORS = ("agent:kim", "lead:ana", "agent:sam")
COMMANDS = st.one_of(
    st.builds(
        Edit,
        article_id=st.just(ID),
        by=st.sampled_from(ACTORS),
        title=st.just("T"),
        body=st.text("abc ", min_size=1).filter(str.strip),
        locale=st.sampled_from([None, "fr"]),
    ),
    st.builds(Submit, article_id=st.just(ID), by=st.sampled_from(ACTORS)),
    st.builds(Approve, article_id=st.just(ID), by=st.sampled_from(ACTORS)),
    st.builds(Reject, article_id=st.just(ID), by=st.sampled_from(ACTORS), reason=st.just("no")),
    st.builds(Retire, article_id=st.just(ID), by=st.sampled_from(ACTORS), reason=st.just("old")),
    st.builds(MarkReviewDue, article_id=st.just(ID), by=st.just("system:knowledge")),
    st.builds(
        Link,
        article_id=st.just(ID),
        by=st.sampled_from(ACTORS),
        case_id=st.sampled_from(["C-1", "C-2"]),
        case_state=st.sampled_from(["resolved", "in_progress"]),
    ),
    st.builds(GiveFeedback, article_id=st.just(ID), by=st.just("client:jo"), helpful=st.booleans()),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(COMMANDS, st.integers(0, 3)), max_size=25))
def test_replay_equals_live_and_the_rules_hold(steps: list[tuple[ArticleCommand, int]]) -> None:
    now = T0
    events = decide(None, _draft(), now, "p")
    live = _fold(events)
    for command, days in steps:
        now += timedelta(days=days)
        before = live
        try:
            new = decide(live, command, now, "p")
        except (InvalidTransition, NotAuthorized, ServiceflowError):
            continue
        live = _fold(new, live)
        events += new
        if isinstance(command, Approve):
            reviewed = under_review(before)
            assert reviewed is not None
            assert command.by not in reviewed.authors
            assert live.version in (before.version, before.version + 1)
        if before.published is not None and live.state != RETIRED:
            assert live.published is not None, "a published text stays readable"
    assert _fold(events) == live
    assert len({u.case_id for u in live.uses}) == len(live.uses)
    assert all(ids == (ID,) for ids in linked_cases([live]).values())
