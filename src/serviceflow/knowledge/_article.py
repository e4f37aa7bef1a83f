"""The knowledge article: its state, its lifecycle machine, and the pure decide and evolve.

An article is an event stream (``article:KB-12``) folded by ``evolve``; commands are
decided by the pure ``decide`` against one static ``transitions`` machine (draft →
in_review → published → review_due → retired). The article keeps two texts:

- ``published``: the live version (a number, a title and body per locale), what search,
  links and feedback see. It stays readable while a change is drafted and reviewed.
- ``draft``: the working copy. Editing a published article starts a draft from the
  published text and moves the article back to ``draft``; only the approval of that draft
  replaces the published text, as the next version number.

The review cycle follows the published text whatever the state: once it has passed,
``review_due`` moves a published article to ``review_due``, and flags an article whose
new draft is in ``draft`` or ``in_review`` (``review_overdue``) without changing its
state. Any approval clears the flag and restarts the cycle.

Four eyes: a reviewer who wrote none of the text under review must approve it
(``NotAuthorized`` otherwise). The service that reads and appends is ``knowledge``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from attrs import evolve as _replace
from attrs import field, frozen
from transitions import EventData

from serviceflow.clock import require_aware
from serviceflow.core._identity import canonical_actor, identity_problems, same_actor
from serviceflow.core._readonly import ReadOnlyMap, read_only
from serviceflow.desk._aggregate import Kind
from serviceflow.domain._events import Event
from serviceflow.domain._states import CLOSED, RESOLVED, VALIDATED
from serviceflow.errors import InvalidTransition, NotAuthorized, ValidationError
from serviceflow.knowledge._events import (
    ArticleApproved,
    ArticleDrafted,
    ArticleEdited,
    ArticleRejected,
    ArticleRetired,
    ArticleSubmitted,
    ArticleUsed,
    FeedbackGiven,
    ReviewDue,
)
from serviceflow.rules._workflow import Step, Workflow

__all__ = [
    "ALLOWED",
    "ARTICLES",
    "DEFAULT_LOCALE",
    "DEFAULT_REVIEW_EVERY",
    "DESTINATIONS",
    "DRAFT",
    "IN_REVIEW",
    "MACHINE",
    "MAX_REVIEW_EVERY",
    "MIN_REVIEW_EVERY",
    "PUBLISHED",
    "RESOLVED_STATES",
    "RETIRED",
    "REVIEW_DUE",
    "STATES",
    "TRANSITIONS",
    "WORKFLOW",
    "Approve",
    "Article",
    "ArticleCommand",
    "Draft",
    "Edit",
    "GiveFeedback",
    "InvalidArticleTransition",
    "Link",
    "LocaleText",
    "MarkReviewDue",
    "Reject",
    "Retire",
    "Revision",
    "Subject",
    "Submit",
    "Usage",
    "decide",
    "describe",
    "evolve",
    "fire",
    "linked_cases",
    "under_review",
]

DRAFT = "draft"
IN_REVIEW = "in_review"
PUBLISHED = "published"
REVIEW_DUE = "review_due"
RETIRED = "retired"
STATES = (DRAFT, IN_REVIEW, PUBLISHED, REVIEW_DUE, RETIRED)

DEFAULT_LOCALE = "en"
DEFAULT_REVIEW_EVERY = timedelta(days=180)
"""How long a published text may go without review unless the article says otherwise."""
MIN_REVIEW_EVERY = timedelta(days=1)
"""The shortest review cycle an article may have."""
MAX_REVIEW_EVERY = timedelta(days=3653)
"""The longest review cycle an article may have: ten years."""

RESOLVED_STATES = (RESOLVED, VALIDATED, CLOSED)
"""The case states in which an article may be linked to the case (resolution onwards)."""

_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_LIMIT_TITLE = 200
_LIMIT_BODY = 100_000


# --- state -----------------------------------------------------------------------------


@frozen
class LocaleText:
    """An article's title and body in one locale."""

    title: str
    body: str


@frozen
class Revision:
    """A text of the article in each of its locales, and who wrote it.

    ``version`` is the published version number (0 for a draft not yet approved).
    """

    texts: Mapping[str, LocaleText] = field(converter=read_only)
    authors: tuple[str, ...]
    version: int = 0


@frozen
class Usage:
    """One case the article helped resolve: which case, with which version, when."""

    case_id: str
    version: int
    at: datetime
    reopens: int = 0
    """The case's reopen count when it was linked."""


@frozen
class Article:
    """An article as its events leave it."""

    id: str
    state: str
    owner: str
    category: str
    default_locale: str
    review_every: timedelta
    created_at: datetime
    updated_at: datetime
    draft: Revision | None
    published: Revision | None = None
    reviewed_at: datetime | None = None
    """When the published text was last approved (by a change or a periodic review)."""
    uses: tuple[Usage, ...] = ()
    helpful: int = 0
    not_helpful: int = 0
    retired_reason: str | None = None
    review_overdue: bool = False
    """The published text's cycle passed and ``review_due`` was raised, with no approval
    since: true in ``review_due``, and in ``draft`` or ``in_review`` when a new version
    was being written meanwhile."""

    @property
    def version(self) -> int:
        """The published version number; 0 if never published."""
        return self.published.version if self.published is not None else 0

    @property
    def live(self) -> bool:
        """Whether the article has a published text that readers may find and use."""
        return self.published is not None and self.state != RETIRED

    @property
    def review_due_at(self) -> datetime | None:
        """When the published text is due for its periodic review; ``None`` if it was never
        approved, or if its cycle ends beyond the calendar (never due)."""
        if self.reviewed_at is None:
            return None
        try:
            return self.reviewed_at + self.review_every
        except OverflowError:  # a cycle stored before the ten-year bound existed
            return None

    def text(self, locale: str | None = None) -> LocaleText | None:
        """The published text in ``locale`` (default: the article's default locale)."""
        if self.published is None:
            return None
        return self.published.texts.get(locale or self.default_locale)

    @property
    def title(self) -> str:
        """The title readers see: published, else drafted, in the default locale."""
        revision = self.published or self.draft
        found = revision.texts.get(self.default_locale) if revision else None
        return found.title if found else ""


# --- the machine -----------------------------------------------------------------------


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


# --- commands ----------------------------------------------------------------------------


@frozen(kw_only=True)
class ArticleCommand:
    """What every article command names: the article and the actor."""

    article_id: str
    by: str


@frozen(kw_only=True)
class Draft(ArticleCommand):
    """Start an article with its first text in its default locale."""

    category: str
    title: str
    body: str
    owner: str | None = None
    locale: str = DEFAULT_LOCALE
    review_every: timedelta = DEFAULT_REVIEW_EVERY


@frozen(kw_only=True)
class Edit(ArticleCommand):
    """Write the draft's text in ``locale`` (default: the article's default locale)."""

    title: str
    body: str
    locale: str | None = None


@frozen(kw_only=True)
class Submit(ArticleCommand):
    """Hand the draft to review."""

    note: str = ""


@frozen(kw_only=True)
class Approve(ArticleCommand):
    """Approve the text under review (``by`` is the reviewer)."""

    note: str = ""


@frozen(kw_only=True)
class Reject(ArticleCommand):
    """Send the draft back to its authors, saying why."""

    reason: str


@frozen(kw_only=True)
class Retire(ArticleCommand):
    """Withdraw the article, saying why."""

    reason: str


@frozen(kw_only=True)
class MarkReviewDue(ArticleCommand):
    """The desk's own: the published text's review cycle has passed."""


@frozen(kw_only=True)
class Link(ArticleCommand):
    """Link the article to a case at its resolution; ``case_state`` is the case's state."""

    case_id: str
    case_state: str
    case_reopens: int = 0


@frozen(kw_only=True)
class GiveFeedback(ArticleCommand):
    """Say whether the article helped."""

    helpful: bool
    comment: str = ""
    case_id: str | None = None


_AUTHORING = (Draft, Edit, Submit, Approve, Reject, Retire, Link)
"""Commands a client may not give: the desk's staff write, review and link articles."""


# --- decide --------------------------------------------------------------------------------


def decide(
    article: Article | None, command: ArticleCommand, now: datetime, policy: str
) -> list[Event]:
    """The events ``command`` leads to, or a serviceflow error; pure."""
    now = require_aware(now, "now")
    _check_shape(command)
    if isinstance(command, _AUTHORING) and canonical_actor(command.by).startswith("client:"):
        raise NotAuthorized(
            command.by, f"{type(command).__name__.lower()} article {command.article_id}", "staff"
        )
    base: dict[str, Any] = {"at": now, "by": command.by, "policy": policy}
    if isinstance(command, Draft):
        if article is not None:
            raise ValidationError(
                "cannot draft", [f"article_id: {command.article_id!r} already exists"]
            )
        return [
            ArticleDrafted(
                article_id=command.article_id,
                owner=command.owner or command.by,
                category=command.category,
                locale=command.locale,
                title=command.title,
                body=command.body,
                review_every=int(command.review_every.total_seconds()),
                **base,
            )
        ]
    if article is None:
        raise ValidationError("no such article", [f"article_id: {command.article_id!r}"])
    if isinstance(command, Approve):
        revision = under_review(article)
        if revision is not None and _wrote(command.by, revision):
            raise NotAuthorized(
                command.by,
                f"approve article {article.id}",
                f"a reviewer who wrote none of it (authors: {', '.join(revision.authors)})",
            )
    fire(Subject(article, command.by, now), _trigger(command))
    match command:
        case Edit():
            return [
                ArticleEdited(
                    locale=command.locale or article.default_locale,
                    title=command.title,
                    body=command.body,
                    **base,
                )
            ]
        case Submit():
            return [ArticleSubmitted(note=command.note, **base)]
        case Approve():
            changed = article.state == IN_REVIEW
            version = article.version + 1 if changed else article.version
            return [ArticleApproved(version=version, note=command.note, **base)]
        case Reject():
            return [ArticleRejected(reason=command.reason, **base)]
        case Retire():
            return [ArticleRetired(reason=command.reason, **base)]
        case MarkReviewDue():
            return [ReviewDue(**base)]
        case Link():
            if command.case_state not in RESOLVED_STATES:
                raise ValidationError(
                    f"cannot link article {article.id}",
                    [
                        f"case_id: {command.case_id} is {command.case_state!r}; an article is "
                        f"linked at resolution ({', '.join(RESOLVED_STATES)})"
                    ],
                )
            if any(u.case_id == command.case_id for u in article.uses):
                raise ValidationError(
                    f"cannot link article {article.id}",
                    [f"case_id: {command.case_id} is already linked"],
                )
            return [
                ArticleUsed(
                    case_id=command.case_id,
                    version=article.version,
                    reopens=command.case_reopens,
                    **base,
                )
            ]
        case GiveFeedback():
            return [
                FeedbackGiven(
                    helpful=command.helpful,
                    version=article.version,
                    comment=command.comment,
                    case_id=command.case_id,
                    **base,
                )
            ]
    raise ValidationError("unknown article command", [type(command).__name__])


_TRIGGER_OF: dict[type[ArticleCommand], str] = {
    Edit: "edit",
    Submit: "submit",
    Approve: "approve",
    Reject: "reject",
    Retire: "retire",
    MarkReviewDue: "review_due",
    Link: "use",
    GiveFeedback: "feedback",
}


def _trigger(command: ArticleCommand) -> str:
    trigger = _TRIGGER_OF.get(type(command))
    if trigger is None:
        raise ValidationError("unknown article command", [type(command).__name__])
    return trigger


def _check_shape(command: ArticleCommand) -> None:
    problems: list[str] = []
    if not isinstance(command.by, str) or not command.by.strip():
        problems.append("by: expected a non-empty actor, e.g. 'agent:kim'")
    else:
        problems += identity_problems("by", command.by)
    texts: dict[str, object] = {}
    if isinstance(command, Draft | Edit):
        texts = {"title": command.title, "body": command.body}
        locale = command.locale
        if locale is not None and (not isinstance(locale, str) or not _LOCALE.fullmatch(locale)):
            problems.append(f"locale: {locale!r} is not a locale like 'en' or 'pt-BR'")
    if isinstance(command, Draft):
        texts["category"] = command.category
        if command.owner is not None and not command.owner.strip():
            problems.append("owner: expected a non-empty actor, or leave it out")
        elif command.owner is not None:
            problems += identity_problems("owner", command.owner)
        every = command.review_every
        if not isinstance(every, timedelta):
            problems.append(f"review_every: expected a timedelta, got {every!r:.60}")
        elif every < MIN_REVIEW_EVERY:
            problems.append(f"review_every: {every} is shorter than a day")
        elif every > MAX_REVIEW_EVERY:
            problems.append(
                f"review_every: {every} is longer than ten years ({MAX_REVIEW_EVERY.days} days)"
            )
    if isinstance(command, Reject | Retire):
        texts["reason"] = command.reason
    if isinstance(command, Link):
        texts["case_id"] = command.case_id
    for name, value in texts.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name}: expected non-empty text")
        elif name == "title" and len(value) > _LIMIT_TITLE:
            problems.append(f"title: longer than {_LIMIT_TITLE} characters")
        elif len(value) > _LIMIT_BODY:
            problems.append(f"{name}: longer than {_LIMIT_BODY} characters")
    if problems:
        raise ValidationError(
            f"invalid {type(command).__name__} of article {command.article_id}", problems
        )


# --- evolve --------------------------------------------------------------------------------


def evolve(article: Article | None, event: Event) -> Article:
    """The article after ``event``; pure. Destinations come from the machine's table."""
    if article is None:
        if not isinstance(event, ArticleDrafted):
            raise ValueError(f"an article stream starts with article.drafted, not {event.TYPE}")
        text = LocaleText(event.title, event.body)
        return Article(
            id=event.article_id,
            state=DRAFT,
            owner=event.owner,
            category=event.category,
            default_locale=event.locale,
            review_every=timedelta(seconds=event.review_every),
            created_at=event.at,
            updated_at=event.at,
            draft=Revision(ReadOnlyMap({event.locale: text}), (event.by,)),
        )
    state = DESTINATIONS[(event.TRIGGER, article.state)]
    article = _replace(article, state=state, updated_at=event.at)
    match event:
        case ArticleEdited():
            base = article.draft or _replace(cast(Revision, article.published), authors=())
            texts = dict(base.texts)
            texts[event.locale] = LocaleText(event.title, event.body)
            wrote = any(same_actor(event.by, a) for a in base.authors)
            authors = base.authors if wrote else (*base.authors, event.by)
            return _replace(article, draft=Revision(ReadOnlyMap(texts), authors))
        case ArticleApproved():
            article = _replace(article, reviewed_at=event.at, review_overdue=False)
            if article.draft is not None and event.version != article.version:
                published = _replace(article.draft, version=event.version)
                return _replace(article, published=published, draft=None)
            return article
        case ReviewDue():
            return _replace(article, review_overdue=True)
        case ArticleRetired():
            return _replace(article, retired_reason=event.reason, review_overdue=False)
        case ArticleUsed():
            return _replace(
                article,
                uses=(*article.uses, Usage(event.case_id, event.version, event.at, event.reopens)),
            )
        case FeedbackGiven():
            if event.helpful:
                return _replace(article, helpful=article.helpful + 1)
            return _replace(article, not_helpful=article.not_helpful + 1)
    return article


ARTICLES: Kind[Article] = Kind("article", evolve)
"""The article streams' kind: prefix ``article:``, folded by ``evolve``."""


def linked_cases(articles: Iterable[Article]) -> Mapping[str, tuple[str, ...]]:
    """Each case id linked to any of ``articles`` and the articles it is linked to."""
    found: dict[str, list[str]] = {}
    for article in articles:
        for use in article.uses:
            found.setdefault(use.case_id, []).append(article.id)
    return {case: tuple(ids) for case, ids in found.items()}
