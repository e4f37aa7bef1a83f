"""The article machine and the pure decide/evolve: every state reachable, replay equals live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.domain._events import Event
from serviceflow.errors import (
    InvalidTransition,
    NotAuthorized,
    ServiceflowError,
    ValidationError,
)
from serviceflow.knowledge._article import (
    DRAFT,
    IN_REVIEW,
    MAX_REVIEW_EVERY,
    PUBLISHED,
    RETIRED,
    REVIEW_DUE,
    STATES,
    Article,
    linked_cases,
)
from serviceflow.knowledge._decide import (
    Approve,
    ArticleCommand,
    Draft,
    Edit,
    GiveFeedback,
    Link,
    MarkReviewDue,
    Reject,
    Retire,
    Submit,
    decide,
)
from serviceflow.knowledge._events import ArticleDrafted
from serviceflow.knowledge._evolve import evolve
from serviceflow.knowledge._workflow import (
    ALLOWED,
    DESTINATIONS,
    MACHINE,
    InvalidArticleTransition,
    describe,
    under_review,
)

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
        "article KB-1: cannot approve in state 'draft' (allowed here: edit, retire, submit)"
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


@pytest.mark.parametrize(
    ("every", "match"),
    [
        (timedelta(days=999_999_999), "review_every: .* longer than ten years"),
        (MAX_REVIEW_EVERY + timedelta(seconds=1), "review_every: .* longer than ten years"),
        (timedelta(hours=23), "review_every: .* shorter than a day"),
        ("180 days", "review_every: expected a timedelta"),
    ],
)
def test_the_review_cycle_is_bounded(every: object, match: str) -> None:
    command = Draft(
        article_id=ID,
        by="agent:kim",
        category="billing",
        title="Invoice",
        body="Credit note",
        review_every=every,  # type: ignore[arg-type]
    )
    with pytest.raises(ValidationError, match=f"(?s)article KB-1.*{match}"):
        decide(None, command, T0, "p")
    longest = _fold(decide(None, _draft(review_every=MAX_REVIEW_EVERY), T0, "p"))
    assert longest.review_every == MAX_REVIEW_EVERY


def test_a_stored_cycle_beyond_the_calendar_is_never_due() -> None:
    """An article drafted before the bound existed folds, and is simply never due."""
    drafted = ArticleDrafted(
        article_id=ID,
        owner="agent:kim",
        category="billing",
        locale="en",
        title="Invoice",
        body="Credit note",
        review_every=int(timedelta(days=999_999_999).total_seconds()),
        at=T0,
        by="agent:kim",
        policy="p",
    )
    article = _fold([drafted])
    article = _fold(decide(article, Submit(article_id=ID, by="agent:kim"), T0, "p"), article)
    article = _fold(decide(article, Approve(article_id=ID, by="lead:ana"), T0, "p"), article)
    assert article.reviewed_at == T0
    assert article.review_due_at is None
    later = T0 + timedelta(days=3650)
    with pytest.raises(InvalidTransition, match="review cycle has not passed"):
        decide(article, MarkReviewDue(article_id=ID, by="system"), later, "p")


def test_the_cycle_of_the_live_text_runs_while_a_new_version_is_written() -> None:
    """Rule: ``review_due`` in draft or in_review flags the article and keeps its state;
    the approval of the new version clears the flag."""
    due = MarkReviewDue(article_id=ID, by="system:knowledge")
    article = _fold(decide(None, _draft(), T0, "p"))
    with pytest.raises(InvalidTransition, match="review cycle has not passed"):
        decide(article, due, T0 + timedelta(days=9), "p")  # never published: no cycle
    article = _fold(decide(article, Submit(article_id=ID, by="agent:kim"), T0, "p"), article)
    article = _fold(decide(article, Approve(article_id=ID, by="lead:ana"), T0, "p"), article)
    edit = Edit(article_id=ID, by="agent:sam", title="T", body="New text")
    article = _fold(decide(article, edit, T0, "p"), article)
    assert (article.state, article.review_overdue) == (DRAFT, False)

    later = T0 + timedelta(days=2)
    flagged = _fold(decide(article, due, later, "p"), article)
    assert (flagged.state, flagged.review_overdue, flagged.version) == (DRAFT, True, 1)
    with pytest.raises(InvalidTransition, match="already flagged"):
        decide(flagged, due, later, "p")
    assert "review_due" not in ALLOWED[DRAFT], "still the desk's own trigger"
    assert ("review_due", DRAFT, DRAFT, ("cycle_passed", "not_flagged")) in describe()
    assert ("review_due", IN_REVIEW, IN_REVIEW, ("cycle_passed", "not_flagged")) in describe()

    submitted = _fold(decide(flagged, Submit(article_id=ID, by="agent:sam"), later, "p"), flagged)
    assert (submitted.state, submitted.review_overdue) == (IN_REVIEW, True)
    approved = _fold(
        decide(submitted, Approve(article_id=ID, by="lead:ana"), later, "p"), submitted
    )
    assert (approved.state, approved.version, approved.review_overdue) == (PUBLISHED, 2, False)
    assert approved.review_due_at == later + timedelta(days=2)

    # in_review from the start, and a review_due article edited: the flag follows the text
    in_review = _fold(decide(article, Submit(article_id=ID, by="agent:sam"), T0, "p"), article)
    in_review = _fold(decide(in_review, due, later, "p"), in_review)
    assert (in_review.state, in_review.review_overdue) == (IN_REVIEW, True)
    review_due = _fold(decide(approved, due, later + timedelta(days=2), "p"), approved)
    assert (review_due.state, review_due.review_overdue) == (REVIEW_DUE, True)
    edited = _fold(decide(review_due, edit, later + timedelta(days=2), "p"), review_due)
    assert (edited.state, edited.review_overdue) == (DRAFT, True)
    retire = Retire(article_id=ID, by="lead:ana", reason="gone")
    retired = _fold(decide(edited, retire, later + timedelta(days=2), "p"), edited)
    assert (retired.state, retired.review_overdue) == (RETIRED, False)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ServiceflowError, match="timezone-aware"):
        decide(None, _draft(), datetime(2026, 3, 2), "p")  # noqa: DTZ001


def _draft(review_every: timedelta = timedelta(days=2)) -> Draft:
    return Draft(
        article_id=ID,
        by="agent:kim",
        category="billing",
        title="Invoice",
        body="Credit note",
        review_every=review_every,
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
        if live.review_overdue:
            assert live.state in (DRAFT, IN_REVIEW, REVIEW_DUE), "flagged while live"
            assert live.review_due_at is not None
            assert now >= live.review_due_at
    assert _fold(events) == live
    assert len({u.case_id for u in live.uses}) == len(live.uses)
    assert all(ids == (ID,) for ids in linked_cases([live]).values())
