"""The knowledge base end to end on a manual clock, and its refusals writing nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from serviceflow import ManualClock, ServiceDesk
from serviceflow.desk._aggregate import Streams
from serviceflow.domain._events import Event
from serviceflow.errors import InvalidTransition, NotAuthorized, NotFound, ValidationError
from serviceflow.governance._reviews import review
from serviceflow.knowledge import _service as knowledge_module
from serviceflow.knowledge._article import (
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    RETIRED,
    REVIEW_DUE,
    Article,
)
from serviceflow.knowledge._decide import ArticleCommand, decide
from serviceflow.knowledge._events import ArticleApproved, ArticleDrafted, ArticleUsed, ReviewDue
from serviceflow.knowledge._evolve import ARTICLES
from serviceflow.knowledge._service import SCAN_EVERY, SYSTEM_REVIEWER, Knowledge, raise_due_reviews

from ..conftest import walk_to

AUTHOR = "agent:kim"
REVIEWER = "lead:ana"


def _published(kb: Knowledge, **extra: object) -> str:
    article = kb.draft(
        by=AUTHOR,
        category="billing",
        title="Correct a wrong invoice",
        body="Open the invoice, issue a credit note, send the corrected invoice.",
        review_every=timedelta(days=30),
        **extra,  # type: ignore[arg-type]
    )
    kb.submit_for_review(article.id, by=AUTHOR)
    kb.approve(article.id, by=REVIEWER)
    return article.id


def test_an_article_is_reviewed_published_used_searched_and_comes_due(
    store_url: str, clock: ManualClock
) -> None:
    with ServiceDesk.open(store_url, clock=clock, entry_points=False) as desk:
        kb = Knowledge(desk)
        drafted = kb.draft(
            by=AUTHOR,
            category="billing",
            title="Correct a wrong invoice",
            body="Open the invoice, issue a credit note, send the corrected invoice.",
            review_every=timedelta(days=30),
        )
        assert (drafted.id, drafted.state, drafted.owner, drafted.version) == (
            "KB-1",
            DRAFT,
            AUTHOR,
            0,
        )
        assert kb.search("invoice") == [], "a draft is not searchable"
        assert kb.submit_for_review("KB-1", by=AUTHOR).state == IN_REVIEW
        clock.advance(timedelta(hours=1))
        published = kb.approve("KB-1", by=REVIEWER, note="clear")
        assert (published.state, published.version) == (PUBLISHED, 1)
        assert published.review_due_at == clock.now() + timedelta(days=30)

        case_id = walk_to(desk, "resolved")
        used = kb.link("KB-1", case_id, by=AUTHOR)
        assert [(u.case_id, u.version) for u in used.uses] == [(case_id, 1)]
        assert [h.article_id for h in kb.search("credit note invoice")] == ["KB-1"]

        clock.advance(timedelta(days=29))
        desk.tick()
        assert kb.get("KB-1").state == PUBLISHED
        clock.advance(timedelta(days=1))
        desk.tick()  # the built-in tick hook raises the review
        assert kb.get("KB-1").state == REVIEW_DUE
        desk.tick()
        assert raise_due_reviews(desk) == [], "raised once"
        assert [h.article_id for h in kb.search("invoice")] == ["KB-1"], "still readable"

        with pytest.raises(NotAuthorized, match="agent:kim may not approve"):
            kb.approve("KB-1", by=AUTHOR)
        again = kb.approve("KB-1", by=REVIEWER, note="still right")
        assert (again.state, again.version, again.reviewed_at) == (PUBLISHED, 1, clock.now())
        history = kb.history("KB-1")
        assert [type(e) for e in history[-3:]] == [ArticleUsed, ReviewDue, ArticleApproved]
        assert history[-2].by == SYSTEM_REVIEWER
        assert desk.verify("article:KB-1").ok


def test_an_edit_to_a_published_article_is_reviewed_again(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article_id = _published(kb)
    edited = kb.edit(article_id, by="agent:sam", title="Fix an invoice", body="Use the wizard.")
    assert (edited.state, edited.version) == (DRAFT, 1)
    live = edited.text()
    assert live is not None
    assert live.title == "Correct a wrong invoice"
    assert [h.title for h in kb.search("invoice")] == ["Correct a wrong invoice"]
    assert kb.search("wizard") == [], "the draft is not live yet"
    kb.submit_for_review(article_id, by="agent:sam")
    with pytest.raises(NotAuthorized):
        kb.approve(article_id, by="agent:sam")
    rejected = kb.reject(article_id, by=REVIEWER, reason="say which wizard")
    assert rejected.state == DRAFT
    kb.edit(article_id, by="agent:sam", title="Fix an invoice", body="Use the billing wizard.")
    kb.submit_for_review(article_id, by="agent:sam")
    approved = kb.approve(article_id, by=AUTHOR)  # kim wrote none of this version
    assert (approved.state, approved.version, approved.draft) == (PUBLISHED, 2, None)
    assert [h.version for h in kb.search("wizard")] == [2]
    assert kb.search("credit") == []


def test_locale_variants_travel_with_the_version(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article = kb.draft(by=AUTHOR, category="billing", title="Invoice", body="Credit note")
    kb.edit(article.id, by=AUTHOR, locale="fr", title="Facture", body="Avoir de crédit")
    kb.submit_for_review(article.id, by=AUTHOR)
    published = kb.approve(article.id, by=REVIEWER)
    assert sorted(published.published.texts) == ["en", "fr"]  # type: ignore[union-attr]
    assert published.text("fr").title == "Facture"  # type: ignore[union-attr]
    assert [(h.article_id, h.locale) for h in kb.search("facture", locale="fr")] == [
        (article.id, "fr")
    ]
    assert kb.search("facture", locale="en") == []


def test_the_author_approving_is_not_authorized_and_writes_nothing(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article = kb.draft(by=AUTHOR, category="billing", title="T", body="B")
    kb.submit_for_review(article.id, by=AUTHOR)
    before = kb.history(article.id)
    with pytest.raises(NotAuthorized, match="a reviewer who wrote none of it"):
        kb.approve(article.id, by=AUTHOR)
    assert kb.history(article.id) == before
    assert kb.get(article.id).state == IN_REVIEW


@pytest.mark.parametrize(
    ("act", "error", "match"),
    [
        (lambda kb, a: kb.approve(a, by=REVIEWER), InvalidTransition, "cannot approve in state"),
        (lambda kb, a: kb.link(a, "nope", by=AUTHOR), NotFound, "case 'nope'"),
        (lambda kb, a: kb.retire(a, by=AUTHOR, reason=" "), ValidationError, "reason"),
        (lambda kb, a: kb.edit(a, by=AUTHOR, title="", body="x"), ValidationError, "title"),
        (
            lambda kb, a: kb.edit(a, by=AUTHOR, title="t", body="b", locale="E N"),
            ValidationError,
            "locale",
        ),
        (
            lambda kb, a: kb.feedback(a, helpful=True, by="client:jo"),
            InvalidTransition,
            "no published",
        ),
        (lambda kb, a: kb.edit(a, by="client:jo", title="t", body="b"), NotAuthorized, "staff"),
        (lambda kb, a: kb.edit("KB-9", by=AUTHOR, title="t", body="b"), NotFound, "KB-9"),
    ],
)
def test_bad_commands_are_clear_errors_and_write_nothing(
    desk: ServiceDesk, act: object, error: type[Exception], match: str
) -> None:
    kb = Knowledge(desk)
    article = kb.draft(by=AUTHOR, category="billing", title="T", body="B")
    before = kb.history(article.id)
    with pytest.raises(error, match=match):
        act(kb, article.id)  # type: ignore[operator]
    assert kb.history(article.id) == before


def test_links_need_a_resolved_case_once(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article_id = _published(kb)
    open_case = walk_to(desk, "in_progress")
    with pytest.raises(ValidationError, match="linked at resolution"):
        kb.link(article_id, open_case, by=AUTHOR)
    closed = walk_to(desk, "closed")
    kb.link(article_id, closed, by=AUTHOR)
    with pytest.raises(ValidationError, match="already linked"):
        kb.link(article_id, closed, by=AUTHOR)
    assert len(kb.get(article_id).uses) == 1


def test_retired_articles_are_not_searchable_nor_usable(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article_id = _published(kb)
    assert kb.search("invoice")
    retired = kb.retire(article_id, by=REVIEWER, reason="billing moved to the portal")
    assert (retired.state, retired.retired_reason) == (RETIRED, "billing moved to the portal")
    assert kb.search("invoice") == []
    with pytest.raises(InvalidTransition, match="terminal state"):
        kb.feedback(article_id, helpful=True, by="client:jo")
    assert raise_due_reviews(desk, desk.clock.now() + timedelta(days=400)) == []


def test_feedback_is_counted(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    article_id = _published(kb)
    case_id = walk_to(desk, "resolved")
    kb.feedback(article_id, helpful=True, by="client:jane@acme.test", case_id=case_id)
    rated = kb.feedback(article_id, helpful=False, by="agent:sam", comment="outdated")
    assert (rated.helpful, rated.not_helpful) == (1, 1)
    with pytest.raises(NotFound):
        kb.feedback(article_id, helpful=True, by="agent:sam", case_id="nope")


def test_ids_are_given_or_numbered(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    kb.draft(by=AUTHOR, category="c", title="t", body="b")
    kb.draft(by=AUTHOR, category="c", title="t", body="b", article_id="howto-vpn", owner="lead:ana")
    assert kb.draft(by=AUTHOR, category="c", title="t", body="b").id == "KB-3"
    assert [a.id for a in kb.all()] == ["KB-1", "KB-3", "howto-vpn"]
    assert kb.get("howto-vpn").owner == "lead:ana"
    with pytest.raises(ValidationError, match="already exists"):
        kb.draft(by=AUTHOR, category="c", title="t", body="b", article_id="KB-1")
    with pytest.raises(ValidationError, match="article id"):
        kb.draft(by=AUTHOR, category="c", title="t", body="b", article_id="has space")


def test_tick_sees_an_article_another_desk_published_within_the_hour(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with (
        ServiceDesk.open(url, clock=clock, entry_points=False) as ticking,
        ServiceDesk.open(url, clock=clock, entry_points=False) as writing,
    ):
        ticking.tick()  # nothing is due: the next look is an hour away at most
        kb = Knowledge(writing)
        article = kb.draft(
            by=AUTHOR, category="billing", title="T", body="B", review_every=timedelta(days=1)
        )
        kb.submit_for_review(article.id, by=AUTHOR)
        kb.approve(article.id, by=REVIEWER)
        clock.advance(timedelta(days=1))
        ticking.tick()
        assert Knowledge(ticking).get(article.id).state == REVIEW_DUE


def test_automatic_ids_skip_the_ids_taken(desk: ServiceDesk) -> None:
    kb = Knowledge(desk)
    kb.draft(by=AUTHOR, category="c", title="t", body="b")
    kb.draft(by=AUTHOR, category="c", title="t", body="b", article_id="KB-3")
    assert kb.draft(by=AUTHOR, category="c", title="t", body="b").id == "KB-4"
    kb.draft(by=AUTHOR, category="c", title="t", body="b", article_id="KB-5")
    assert kb.draft(by=AUTHOR, category="c", title="t", body="b").id == "KB-6"
    assert [a.id for a in kb.all()] == ["KB-1", "KB-3", "KB-4", "KB-5", "KB-6"]


@pytest.mark.parametrize("every", [timedelta(days=999_999_999), timedelta(days=3654)])
def test_a_review_cycle_over_ten_years_is_refused_and_writes_nothing(
    desk: ServiceDesk, every: timedelta
) -> None:
    kb = Knowledge(desk)
    with pytest.raises(ValidationError, match=r"review_every: .* longer than ten years"):
        kb.draft(by=AUTHOR, category="c", title="t", body="b", review_every=every)
    assert list(kb.all()) == []
    desk.tick()


def test_a_cycle_stored_beyond_the_calendar_stops_neither_tick_nor_governance(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    """An article drafted before the bound existed, with the longest timedelta."""
    kb = Knowledge(desk)
    drafted = ArticleDrafted(
        article_id="KB-1",
        owner=AUTHOR,
        category="billing",
        locale="en",
        title="Old",
        body="Drafted long ago",
        review_every=int(timedelta(days=999_999_999).total_seconds()),
        at=clock.now(),
        by=AUTHOR,
        policy=desk.policy.version,
    )
    Streams(desk.store, ARTICLES).append("KB-1", [drafted], None)
    kb.submit_for_review("KB-1", by=AUTHOR)
    kb.approve("KB-1", by=REVIEWER)
    other = _published(kb)
    assert kb.get("KB-1").review_due_at is None
    clock.advance(timedelta(days=31))
    desk.tick()
    assert (kb.get("KB-1").state, kb.get(other).state) == (PUBLISHED, REVIEW_DUE)
    assert review(desk, "monthly").checks


def test_one_failing_article_is_logged_and_never_stops_a_tick(
    desk: ServiceDesk,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kb = Knowledge(desk)
    first, second = _published(kb), _published(kb)
    real = decide

    def failing(
        article: Article | None, command: ArticleCommand, now: datetime, policy: str
    ) -> list[Event]:
        if command.article_id == first:
            raise OverflowError("date value out of range")
        return real(article, command, now, policy)

    monkeypatch.setattr(knowledge_module, "decide", failing)  # what the tick decides with
    clock.advance(timedelta(days=30))
    with caplog.at_level(logging.ERROR, logger="serviceflow.knowledge"):
        desk.tick()
    assert (kb.get(first).state, kb.get(second).state) == (PUBLISHED, REVIEW_DUE)
    logged = [r for r in caplog.records if r.name == "serviceflow.knowledge"]
    assert len(logged) == 1
    assert first in logged[0].getMessage()
    assert "OverflowError" in logged[0].getMessage()
    with pytest.raises(OverflowError):
        raise_due_reviews(desk)  # called directly, an error is the caller's
    monkeypatch.setattr(knowledge_module, "decide", real)
    clock.advance(SCAN_EVERY)
    desk.tick()
    assert kb.get(first).state == REVIEW_DUE, "looked at again within the hour"


@pytest.mark.parametrize("submitted", [False, True])
def test_an_abandoned_draft_keeps_the_live_text_in_its_review_cycle(
    desk: ServiceDesk, clock: ManualClock, submitted: bool
) -> None:
    kb = Knowledge(desk)
    article_id = _published(kb)
    kb.edit(article_id, by="agent:sam", title="Fix an invoice", body="Use the wizard.")
    if submitted:
        kb.submit_for_review(article_id, by="agent:sam")
    state = IN_REVIEW if submitted else DRAFT
    clock.advance(timedelta(days=30))
    desk.tick()
    flagged = kb.get(article_id)
    assert (flagged.state, flagged.review_overdue, flagged.version) == (state, True, 1)
    assert isinstance(kb.history(article_id)[-1], ReviewDue)
    assert kb.history(article_id)[-1].by == SYSTEM_REVIEWER
    assert [h.version for h in kb.search("invoice")] == [1], "the live text stays searchable"
    assert raise_due_reviews(desk) == [], "raised once"

    if not submitted:
        kb.submit_for_review(article_id, by="agent:sam")
    approved = kb.approve(article_id, by=REVIEWER)
    assert (approved.state, approved.version, approved.review_overdue) == (PUBLISHED, 2, False)
    clock.advance(timedelta(days=30))
    desk.tick()
    assert kb.get(article_id).state == REVIEW_DUE, "the new version's cycle runs"
