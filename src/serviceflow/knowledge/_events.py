"""Knowledge-article events: the facts of an article's stream (``article:KB-12``).

Each event names the lifecycle trigger it stands for (``TRIGGER``), so ``knowledge.evolve``
folds a stream with the article machine's destination table alone. Registered with
``events.register`` at import, so stores read them back like case events.
"""

from __future__ import annotations

from attrs import frozen

from serviceflow.domain._events import Event, register

__all__ = [
    "ArticleApproved",
    "ArticleDrafted",
    "ArticleEdited",
    "ArticleEvent",
    "ArticleRejected",
    "ArticleRetired",
    "ArticleSubmitted",
    "ArticleUsed",
    "FeedbackGiven",
    "ReviewDue",
]


@frozen(kw_only=True)
class ArticleDrafted(Event):
    """A new article: its owner, category, review cycle and first text in its default locale."""

    TYPE = "article.drafted"
    TRIGGER = "draft"

    article_id: str
    owner: str
    category: str
    locale: str
    title: str
    body: str
    review_every: int
    """Seconds between periodic reviews of the published text."""


@frozen(kw_only=True)
class ArticleEdited(Event):
    """The working draft's text in one locale was written (a new variant or a change)."""

    TYPE = "article.edited"
    TRIGGER = "edit"

    locale: str
    title: str
    body: str


@frozen(kw_only=True)
class ArticleSubmitted(Event):
    """The draft was handed to review."""

    TYPE = "article.submitted"
    TRIGGER = "submit"

    note: str = ""


@frozen(kw_only=True)
class ArticleApproved(Event):
    """A reviewer other than the authors approved: the draft (or, on a periodic review, the
    published text) is now the published ``version``."""

    TYPE = "article.approved"
    TRIGGER = "approve"

    version: int
    note: str = ""


@frozen(kw_only=True)
class ArticleRejected(Event):
    """The reviewer sent the draft back to its authors."""

    TYPE = "article.rejected"
    TRIGGER = "reject"

    reason: str


@frozen(kw_only=True)
class ReviewDue(Event):
    """The published text has gone a whole review cycle without a review."""

    TYPE = "article.review_due"
    TRIGGER = "review_due"


@frozen(kw_only=True)
class ArticleRetired(Event):
    """The article is withdrawn: no longer searchable, linkable or editable."""

    TYPE = "article.retired"
    TRIGGER = "retire"

    reason: str


@frozen(kw_only=True)
class ArticleUsed(Event):
    """The published ``version`` helped resolve case ``case_id`` (linked at resolution)."""

    TYPE = "article.used"
    TRIGGER = "use"

    case_id: str
    version: int
    reopens: int = 0
    """How often the case had been reopened when it was linked (later reopens count
    against the article)."""


@frozen(kw_only=True)
class FeedbackGiven(Event):
    """Someone (a client, an agent) said whether the published text helped."""

    TYPE = "article.feedback"
    TRIGGER = "feedback"

    helpful: bool
    version: int
    comment: str = ""
    case_id: str | None = None


ArticleEvent = (
    ArticleDrafted
    | ArticleEdited
    | ArticleSubmitted
    | ArticleApproved
    | ArticleRejected
    | ReviewDue
    | ArticleRetired
    | ArticleUsed
    | FeedbackGiven
)

register(
    ArticleDrafted,
    ArticleEdited,
    ArticleSubmitted,
    ArticleApproved,
    ArticleRejected,
    ReviewDue,
    ArticleRetired,
    ArticleUsed,
    FeedbackGiven,
)
