"""The knowledge base: articles (model, events, decide, evolve), their search (a plugin) and
their effectiveness, and ``Knowledge``, the service over a desk's store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from serviceflow.core._faces import lazy_face

if TYPE_CHECKING:
    from serviceflow.knowledge._article import DEFAULT_LOCALE as DEFAULT_LOCALE
    from serviceflow.knowledge._article import DEFAULT_REVIEW_EVERY as DEFAULT_REVIEW_EVERY
    from serviceflow.knowledge._article import DRAFT as DRAFT
    from serviceflow.knowledge._article import IN_REVIEW as IN_REVIEW
    from serviceflow.knowledge._article import MAX_REVIEW_EVERY as MAX_REVIEW_EVERY
    from serviceflow.knowledge._article import MIN_REVIEW_EVERY as MIN_REVIEW_EVERY
    from serviceflow.knowledge._article import PUBLISHED as PUBLISHED
    from serviceflow.knowledge._article import RESOLVED_STATES as RESOLVED_STATES
    from serviceflow.knowledge._article import RETIRED as RETIRED
    from serviceflow.knowledge._article import REVIEW_DUE as REVIEW_DUE
    from serviceflow.knowledge._article import STATES as STATES
    from serviceflow.knowledge._article import Article as Article
    from serviceflow.knowledge._article import LocaleText as LocaleText
    from serviceflow.knowledge._article import Revision as Revision
    from serviceflow.knowledge._article import Usage as Usage
    from serviceflow.knowledge._article import linked_cases as linked_cases
    from serviceflow.knowledge._decide import Approve as Approve
    from serviceflow.knowledge._decide import ArticleCommand as ArticleCommand
    from serviceflow.knowledge._decide import Draft as Draft
    from serviceflow.knowledge._decide import Edit as Edit
    from serviceflow.knowledge._decide import GiveFeedback as GiveFeedback
    from serviceflow.knowledge._decide import Link as Link
    from serviceflow.knowledge._decide import MarkReviewDue as MarkReviewDue
    from serviceflow.knowledge._decide import Reject as Reject
    from serviceflow.knowledge._decide import Retire as Retire
    from serviceflow.knowledge._decide import Submit as Submit
    from serviceflow.knowledge._decide import decide as decide
    from serviceflow.knowledge._effectiveness import RETIRE as RETIRE
    from serviceflow.knowledge._effectiveness import REVISE as REVISE
    from serviceflow.knowledge._effectiveness import Effectiveness as Effectiveness
    from serviceflow.knowledge._effectiveness import Suggestion as Suggestion
    from serviceflow.knowledge._effectiveness import Thresholds as Thresholds
    from serviceflow.knowledge._effectiveness import effectiveness as effectiveness
    from serviceflow.knowledge._effectiveness import flags as flags
    from serviceflow.knowledge._effectiveness import rate as rate
    from serviceflow.knowledge._effectiveness import suggestions as suggestions
    from serviceflow.knowledge._events import ArticleApproved as ArticleApproved
    from serviceflow.knowledge._events import ArticleDrafted as ArticleDrafted
    from serviceflow.knowledge._events import ArticleEdited as ArticleEdited
    from serviceflow.knowledge._events import ArticleEvent as ArticleEvent
    from serviceflow.knowledge._events import ArticleRejected as ArticleRejected
    from serviceflow.knowledge._events import ArticleRetired as ArticleRetired
    from serviceflow.knowledge._events import ArticleSubmitted as ArticleSubmitted
    from serviceflow.knowledge._events import ArticleUsed as ArticleUsed
    from serviceflow.knowledge._events import FeedbackGiven as FeedbackGiven
    from serviceflow.knowledge._events import ReviewDue as ReviewDue
    from serviceflow.knowledge._evolve import ARTICLES as ARTICLES
    from serviceflow.knowledge._evolve import evolve as evolve
    from serviceflow.knowledge._search import ArticleHit as ArticleHit
    from serviceflow.knowledge._search import FtsIndex as FtsIndex
    from serviceflow.knowledge._search import normalise as normalise
    from serviceflow.knowledge._search import ranked as ranked
    from serviceflow.knowledge._search import search as search
    from serviceflow.knowledge._search import search_articles as search_articles
    from serviceflow.knowledge._search import words as words
    from serviceflow.knowledge._service import SYSTEM_REVIEWER as SYSTEM_REVIEWER
    from serviceflow.knowledge._service import Knowledge as Knowledge
    from serviceflow.knowledge._service import raise_due_reviews as raise_due_reviews
    from serviceflow.knowledge._workflow import ALLOWED as ALLOWED
    from serviceflow.knowledge._workflow import DESTINATIONS as DESTINATIONS
    from serviceflow.knowledge._workflow import MACHINE as MACHINE
    from serviceflow.knowledge._workflow import TRANSITIONS as TRANSITIONS
    from serviceflow.knowledge._workflow import WORKFLOW as WORKFLOW
    from serviceflow.knowledge._workflow import InvalidArticleTransition as InvalidArticleTransition
    from serviceflow.knowledge._workflow import Subject as Subject
    from serviceflow.knowledge._workflow import describe as describe
    from serviceflow.knowledge._workflow import fire as fire
    from serviceflow.knowledge._workflow import under_review as under_review

_NAMES = {
    "ALLOWED": "serviceflow.knowledge._workflow",
    "ARTICLES": "serviceflow.knowledge._evolve",
    "Approve": "serviceflow.knowledge._decide",
    "Article": "serviceflow.knowledge._article",
    "ArticleApproved": "serviceflow.knowledge._events",
    "ArticleCommand": "serviceflow.knowledge._decide",
    "ArticleDrafted": "serviceflow.knowledge._events",
    "ArticleEdited": "serviceflow.knowledge._events",
    "ArticleEvent": "serviceflow.knowledge._events",
    "ArticleHit": "serviceflow.knowledge._search",
    "ArticleRejected": "serviceflow.knowledge._events",
    "ArticleRetired": "serviceflow.knowledge._events",
    "ArticleSubmitted": "serviceflow.knowledge._events",
    "ArticleUsed": "serviceflow.knowledge._events",
    "DEFAULT_LOCALE": "serviceflow.knowledge._article",
    "DEFAULT_REVIEW_EVERY": "serviceflow.knowledge._article",
    "DESTINATIONS": "serviceflow.knowledge._workflow",
    "DRAFT": "serviceflow.knowledge._article",
    "Draft": "serviceflow.knowledge._decide",
    "Edit": "serviceflow.knowledge._decide",
    "Effectiveness": "serviceflow.knowledge._effectiveness",
    "FeedbackGiven": "serviceflow.knowledge._events",
    "FtsIndex": "serviceflow.knowledge._search",
    "GiveFeedback": "serviceflow.knowledge._decide",
    "IN_REVIEW": "serviceflow.knowledge._article",
    "InvalidArticleTransition": "serviceflow.knowledge._workflow",
    "Knowledge": "serviceflow.knowledge._service",
    "Link": "serviceflow.knowledge._decide",
    "LocaleText": "serviceflow.knowledge._article",
    "MACHINE": "serviceflow.knowledge._workflow",
    "MAX_REVIEW_EVERY": "serviceflow.knowledge._article",
    "MIN_REVIEW_EVERY": "serviceflow.knowledge._article",
    "MarkReviewDue": "serviceflow.knowledge._decide",
    "PUBLISHED": "serviceflow.knowledge._article",
    "RESOLVED_STATES": "serviceflow.knowledge._article",
    "RETIRE": "serviceflow.knowledge._effectiveness",
    "RETIRED": "serviceflow.knowledge._article",
    "REVIEW_DUE": "serviceflow.knowledge._article",
    "REVISE": "serviceflow.knowledge._effectiveness",
    "Reject": "serviceflow.knowledge._decide",
    "Retire": "serviceflow.knowledge._decide",
    "ReviewDue": "serviceflow.knowledge._events",
    "Revision": "serviceflow.knowledge._article",
    "STATES": "serviceflow.knowledge._article",
    "SYSTEM_REVIEWER": "serviceflow.knowledge._service",
    "Subject": "serviceflow.knowledge._workflow",
    "Submit": "serviceflow.knowledge._decide",
    "Suggestion": "serviceflow.knowledge._effectiveness",
    "TRANSITIONS": "serviceflow.knowledge._workflow",
    "Thresholds": "serviceflow.knowledge._effectiveness",
    "Usage": "serviceflow.knowledge._article",
    "WORKFLOW": "serviceflow.knowledge._workflow",
    "decide": "serviceflow.knowledge._decide",
    "describe": "serviceflow.knowledge._workflow",
    "effectiveness": "serviceflow.knowledge._effectiveness",
    "evolve": "serviceflow.knowledge._evolve",
    "fire": "serviceflow.knowledge._workflow",
    "flags": "serviceflow.knowledge._effectiveness",
    "linked_cases": "serviceflow.knowledge._article",
    "normalise": "serviceflow.knowledge._search",
    "raise_due_reviews": "serviceflow.knowledge._service",
    "ranked": "serviceflow.knowledge._search",
    "rate": "serviceflow.knowledge._effectiveness",
    "search": "serviceflow.knowledge._search",
    "search_articles": "serviceflow.knowledge._search",
    "suggestions": "serviceflow.knowledge._effectiveness",
    "under_review": "serviceflow.knowledge._workflow",
    "words": "serviceflow.knowledge._search",
}
"""Each public name and the module that defines it, imported on first use."""

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
    "RETIRE",
    "RETIRED",
    "REVIEW_DUE",
    "REVISE",
    "STATES",
    "SYSTEM_REVIEWER",
    "TRANSITIONS",
    "WORKFLOW",
    "Approve",
    "Article",
    "ArticleApproved",
    "ArticleCommand",
    "ArticleDrafted",
    "ArticleEdited",
    "ArticleEvent",
    "ArticleHit",
    "ArticleRejected",
    "ArticleRetired",
    "ArticleSubmitted",
    "ArticleUsed",
    "Draft",
    "Edit",
    "Effectiveness",
    "FeedbackGiven",
    "FtsIndex",
    "GiveFeedback",
    "InvalidArticleTransition",
    "Knowledge",
    "Link",
    "LocaleText",
    "MarkReviewDue",
    "Reject",
    "Retire",
    "ReviewDue",
    "Revision",
    "Subject",
    "Submit",
    "Suggestion",
    "Thresholds",
    "Usage",
    "decide",
    "describe",
    "effectiveness",
    "evolve",
    "fire",
    "flags",
    "linked_cases",
    "normalise",
    "raise_due_reviews",
    "ranked",
    "rate",
    "search",
    "search_articles",
    "suggestions",
    "under_review",
    "words",
]

__getattr__, __dir__ = lazy_face(__name__, _NAMES)
