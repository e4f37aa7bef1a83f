"""The article lifecycle: one static machine with its guards (four eyes, the review cycle),
which ``decide`` fires and whose destinations ``evolve`` folds with."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from transitions import EventData

from serviceflow.core._identity import same_actor
from serviceflow.errors import InvalidTransition
from serviceflow.knowledge._article import (
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    RETIRED,
    REVIEW_DUE,
    STATES,
    Article,
    Revision,
)
from serviceflow.rules._workflow import Step, Workflow

__all__ = [
    "ALLOWED",
    "DESTINATIONS",
    "MACHINE",
    "TRANSITIONS",
    "WORKFLOW",
    "InvalidArticleTransition",
    "Subject",
    "describe",
    "fire",
    "under_review",
]


class Subject:
    """What a trigger is fired on: the article's state plus what guards look at."""

    __slots__ = ("actor", "article", "now", "state")

    def __init__(self, article: Article, actor: str, now: datetime) -> None:
        self.state = article.state
        self.article = article
        self.actor = actor
        self.now = now


def _subject(event: EventData) -> Subject:
    return cast(Subject, event.model)


def under_review(article: Article) -> Revision | None:
    """The text a reviewer approves: the draft in review, else (periodic review) the
    published text."""
    return article.draft if article.state == IN_REVIEW else article.published


def reviewer_not_author(event: EventData) -> bool:
    """The reviewer wrote none of the text under review (four eyes)."""
    subject = _subject(event)
    revision = under_review(subject.article)
    return revision is not None and not _wrote(subject.actor, revision)


def _wrote(actor: str, revision: Revision) -> bool:
    """Is ``actor`` one of the authors of ``revision`` (compared canonically)?"""
    return any(same_actor(actor, author) for author in revision.authors)


def has_published(event: EventData) -> bool:
    """The article has a published text to use or rate."""
    return _subject(event).article.published is not None


def cycle_passed(event: EventData) -> bool:
    """The published text has gone its whole review cycle without a review."""
    subject = _subject(event)
    due = subject.article.review_due_at
    return due is not None and subject.now >= due


def not_flagged(event: EventData) -> bool:
    """The passed review cycle has not been flagged yet (``review_due`` is raised once)."""
    return not _subject(event).article.review_overdue


GUARD_REASONS = {
    "reviewer_not_author": "the reviewer is an author of the text under review",
    "has_published": "the article has no published version yet",
    "cycle_passed": "the review cycle has not passed yet",
    "not_flagged": "the review is already flagged as due",
}


_HAS_TEXT = (DRAFT, IN_REVIEW, PUBLISHED, REVIEW_DUE)

TRANSITIONS: tuple[Step, ...] = (
    Step("edit", (DRAFT,), None, doc="write a locale variant of the draft"),
    Step("edit", (PUBLISHED, REVIEW_DUE), DRAFT, doc="start a new version"),
    Step("submit", (DRAFT,), IN_REVIEW, doc="ask for review"),
    Step("approve", (IN_REVIEW,), PUBLISHED, (reviewer_not_author,), doc="publish"),
    Step("approve", (REVIEW_DUE,), PUBLISHED, (reviewer_not_author,), doc="periodic review"),
    Step("reject", (IN_REVIEW,), DRAFT, doc="back to the authors"),
    Step("review_due", (PUBLISHED,), REVIEW_DUE, (cycle_passed,), doc="cycle passed"),
    Step(
        "review_due",
        (DRAFT, IN_REVIEW),
        None,
        (cycle_passed, not_flagged),
        doc="cycle of the live text passed while a new version is written: flag it",
    ),
    Step("retire", _HAS_TEXT, RETIRED, doc="withdraw"),
    Step("use", _HAS_TEXT, None, (has_published,), doc="linked at a resolution"),
    Step("feedback", _HAS_TEXT, None, (has_published,), doc="helpful or not"),
)


class InvalidArticleTransition(InvalidTransition):
    """A trigger is not allowed in the article's state, or one of its guards failed."""

    KIND = "article"


WORKFLOW = Workflow(
    "article",
    STATES,
    TRANSITIONS,
    start="draft",
    finals=(RETIRED,),
    guard_reasons=GUARD_REASONS,
    internal=frozenset({"review_due"}),
    refusal=InvalidArticleTransition,
)
"""The article lifecycle; ``review_due`` is the desk's own trigger."""
MACHINE = WORKFLOW.machine
"""The one article-lifecycle machine; it never holds a model."""
DESTINATIONS = WORKFLOW.destinations
"""``(trigger, state) -> next state``; ``evolve`` folds with it."""
ALLOWED = WORKFLOW.allowed
"""The triggers a caller may ask for in each state (before guards)."""
describe = WORKFLOW.describe


def fire(subject: Subject, trigger: str) -> str:
    """Fire ``trigger`` on ``subject``: the new state, or ``InvalidArticleTransition``."""
    return WORKFLOW.fire(subject, trigger, subject.article.id)
