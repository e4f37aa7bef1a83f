"""Article commands and the pure ``decide`` that checks one (its shape, who may give it)
against an article and returns the events it leads to."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen

from serviceflow.clock import require_aware
from serviceflow.core._identity import canonical_actor, identity_problems
from serviceflow.domain._events import Event
from serviceflow.errors import NotAuthorized, ValidationError
from serviceflow.knowledge._article import (
    DEFAULT_LOCALE,
    DEFAULT_REVIEW_EVERY,
    IN_REVIEW,
    MAX_REVIEW_EVERY,
    MIN_REVIEW_EVERY,
    RESOLVED_STATES,
    Article,
)
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
from serviceflow.knowledge._workflow import Subject, _wrote, fire, under_review

__all__ = [
    "Approve",
    "ArticleCommand",
    "Draft",
    "Edit",
    "GiveFeedback",
    "Link",
    "MarkReviewDue",
    "Reject",
    "Retire",
    "Submit",
    "decide",
]

_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_LIMIT_TITLE = 200
_LIMIT_BODY = 100_000


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
