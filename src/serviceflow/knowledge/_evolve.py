"""The pure fold of an article's events into its state, and the article streams' kind."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from attrs import evolve as _replace

from serviceflow.core._identity import same_actor
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.desk._aggregate import Kind
from serviceflow.domain._events import Event
from serviceflow.knowledge._article import DRAFT, Article, LocaleText, Revision, Usage
from serviceflow.knowledge._events import (
    ArticleApproved,
    ArticleDrafted,
    ArticleEdited,
    ArticleRetired,
    ArticleUsed,
    FeedbackGiven,
    ReviewDue,
)
from serviceflow.knowledge._workflow import DESTINATIONS

__all__ = ["ARTICLES", "evolve"]


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
