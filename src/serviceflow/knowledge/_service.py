"""The knowledge base of a desk: articles drafted, reviewed, published, used and rated.

``Knowledge(desk)`` reads an article's stream, lets the pure ``article.decide`` turn a
command into events and appends them at the version they were decided on (another writer
first: decided again, up to five times). Search, effectiveness and "heard three times"
suggestions live in ``article_search`` and ``article_effectiveness``; this is their front.
``raise_due_reviews(desk, now)`` is what the desk's ``tick`` calls; there, an article
that cannot be handled is logged and skipped, so it never stops a tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from serviceflow.clock import require_aware
from serviceflow.core import _retry as retry
from serviceflow.core._arguments import checked_methods, whole_number
from serviceflow.desk._aggregate import Streams
from serviceflow.domain._events import Event
from serviceflow.errors import ConcurrencyConflict, ValidationError
from serviceflow.knowledge._article import (
    DEFAULT_LOCALE,
    DEFAULT_REVIEW_EVERY,
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    Article,
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
from serviceflow.knowledge._effectiveness import (
    Effectiveness,
    Suggestion,
    Thresholds,
    effectiveness,
    suggestions,
)
from serviceflow.knowledge._evolve import ARTICLES
from serviceflow.knowledge._search import ArticleHit, search
from serviceflow.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

__all__ = ["SYSTEM_REVIEWER", "Knowledge", "raise_due_reviews"]

_ATTEMPTS = 5
_log = logging.getLogger("serviceflow.knowledge")

_REVIEWED = (PUBLISHED, DRAFT, IN_REVIEW)
"""The states in which a published text's review cycle runs (a new version may be in
``draft`` or ``in_review`` while the published text stays live)."""

SYSTEM_REVIEWER = "system:knowledge"
"""Who raises a review due: the desk itself."""


@checked_methods
class Knowledge:
    """The articles of a desk's store, and every command on them."""

    def __init__(self, desk: ServiceDesk) -> None:
        self.desk = desk
        self.streams: Streams[Article] = Streams(
            desk.store, ARTICLES, longest=desk.policy.limits.text
        )

    # --- commands ---------------------------------------------------------------------

    def draft(
        self,
        *,
        by: str,
        category: str,
        title: str,
        body: str,
        article_id: str | None = None,
        owner: str | None = None,
        locale: str = DEFAULT_LOCALE,
        review_every: timedelta = DEFAULT_REVIEW_EVERY,
    ) -> Article:
        """Start an article (id ``KB-<n>``, the first free from the count of articles,
        unless given); ``owner`` defaults to ``by``."""
        for _ in range(_ATTEMPTS):
            ident = article_id or self.streams.next_id("KB")
            command = Draft(
                article_id=ident,
                by=by,
                category=category,
                title=title,
                body=body,
                owner=owner,
                locale=locale,
                review_every=review_every,
            )
            found = self.streams.load(ident)
            if found is not None and article_id is None:
                continue  # taken since the ids were listed: number again
            events = decide(found.state if found else None, command, self._now(), self._policy())
            try:
                return self.streams.append(ident, events, None).state
            except ConcurrencyConflict:
                if article_id is not None:
                    raise ValidationError(
                        "cannot draft", [f"article_id: {article_id!r} already exists"]
                    ) from None
        raise ConcurrencyConflict(ARTICLES.prefix, 0)  # pragma: no cover - ids raced 5 times

    def edit(
        self, article_id: str, *, by: str, title: str, body: str, locale: str | None = None
    ) -> Article:
        """Write the draft's text in ``locale`` (default: the article's); on a published
        article, start a new draft while the published text stays live."""
        return self._run(Edit(article_id=article_id, by=by, title=title, body=body, locale=locale))

    def submit_for_review(self, article_id: str, *, by: str, note: str = "") -> Article:
        """Hand the draft to review."""
        return self._run(Submit(article_id=article_id, by=by, note=note))

    def approve(self, article_id: str, *, by: str, note: str = "") -> Article:
        """Publish the draft in review as the next version, or pass a periodic review;
        ``by`` must have written none of the text (``NotAuthorized``)."""
        approved = self._run(Approve(article_id=article_id, by=by, note=note))
        _next_scan.pop(self.desk.store, None)  # its next review may come before the next look
        return approved

    def reject(self, article_id: str, *, by: str, reason: str) -> Article:
        """Send the draft in review back to its authors."""
        return self._run(Reject(article_id=article_id, by=by, reason=reason))

    def retire(self, article_id: str, *, by: str, reason: str) -> Article:
        """Withdraw the article from search, links and feedback."""
        return self._run(Retire(article_id=article_id, by=by, reason=reason))

    def link(self, article_id: str, case_id: str, *, by: str) -> Article:
        """Record that the article helped resolve ``case_id`` (resolved, validated or
        closed; ``NotFound`` if there is no such case)."""
        case = self.desk.case(case_id)
        return self._run(
            Link(
                article_id=article_id,
                by=by,
                case_id=case.id,
                case_state=case.state,
                case_reopens=case.reopen_count,
            )
        )

    def feedback(
        self,
        article_id: str,
        *,
        helpful: bool,
        by: str,
        comment: str = "",
        case_id: str | None = None,
    ) -> Article:
        """Record whether the published text helped (about ``case_id``, if given)."""
        if case_id is not None:
            self.desk.case(case_id)  # NotFound before anything is written
        return self._run(
            GiveFeedback(
                article_id=article_id, by=by, helpful=helpful, comment=comment, case_id=case_id
            )
        )

    def raise_due_reviews(self, now: datetime | None = None) -> list[Article]:
        """Raise ``review_due`` on every live article whose published text's review cycle
        has passed by ``now``."""
        return raise_due_reviews(self.desk, now)

    # --- reading -----------------------------------------------------------------------

    def get(self, article_id: str) -> Article:
        """The article; ``NotFound`` if it does not exist."""
        return self.streams.get(article_id).state

    def history(self, article_id: str) -> tuple[Event, ...]:
        """The article's events, oldest first."""
        return self.streams.get(article_id).events

    def all(self) -> Iterator[Article]:
        """Every article, by id."""
        return (stored.state for stored in self.streams.all())

    def search(self, query: str, *, locale: str | None = None, limit: int = 10) -> list[ArticleHit]:
        """Published, unretired articles matching ``query``, best first."""
        whole_number(limit, "limit", low=1, high=10_000)
        return search(self.desk, query, locale=locale, limit=limit)

    def effectiveness(
        self, article_id: str | None = None, *, thresholds: Thresholds | None = None
    ) -> list[Effectiveness]:
        """How well each article (or one) helps: linked cases, rates, feedback, flags."""
        return effectiveness(self.desk, article_id, thresholds=thresholds)

    def suggestions(self, *, times: int = 3, since: datetime | None = None) -> list[Suggestion]:
        """Resolutions without an article that repeat ``times`` or more: write them down."""
        return suggestions(self.desk, times=times, since=since)

    # --- plumbing ----------------------------------------------------------------------

    def _run(self, command: ArticleCommand) -> Article:
        tries = retry.WRITE.start()
        while True:  # another writer moved the article: decide again after a jittered wait
            stored = self.streams.get(command.article_id)
            events = decide(stored.state, command, self._now(), self._policy())
            try:
                return self.streams.append(command.article_id, events, stored).state
            except ConcurrencyConflict:
                if not tries.wait():
                    raise

    def _now(self) -> datetime:
        return require_aware(self.desk.clock.now(), "clock.now()")

    def _policy(self) -> str:
        return self.desk.policy.version


SCAN_EVERY = timedelta(hours=1)
"""How often ``tick`` looks for articles due for review when none is due sooner (another
process may have published one meanwhile)."""
_next_scan: WeakKeyDictionary[object, datetime] = WeakKeyDictionary()
"""Per store: when ``tick`` next needs to look (the earliest review due, at most an hour)."""


@hookimpl
def tick(desk: ServiceDesk, now: datetime) -> None:
    """Raise the reviews that came due, looking only when one may have. An article that
    fails is logged (``serviceflow.knowledge``) and skipped: the others are still raised
    and the tick goes on."""
    last = _next_scan.get(desk.store)
    if last is not None and last - SCAN_EVERY <= now < last:
        return
    raise_due_reviews(desk, now, on_error=_log_failure)


def _log_failure(article_id: str, error: Exception) -> None:
    _log.error(
        "article %s: could not raise its review: %s: %s",
        article_id,
        type(error).__name__,
        error,
        exc_info=error,
    )


def raise_due_reviews(
    desk: ServiceDesk,
    now: datetime | None = None,
    *,
    on_error: Callable[[str, Exception], None] | None = None,
) -> list[Article]:
    """Append ``article.review_due`` to every article whose published text's review cycle
    has passed by ``now`` (default: the desk's clock) and is not flagged yet: what
    ``desk.tick`` calls. A published article moves to ``review_due``; one with a new
    version in ``draft`` or ``in_review`` keeps its state and is flagged
    (``review_overdue``). An article that moved meanwhile is left for the next tick.

    An error on one article is raised, unless ``on_error(article_id, error)`` is given:
    then it is told and the other articles are still handled."""
    at = require_aware(now if now is not None else desk.clock.now(), "now")
    streams: Streams[Article] = Streams(desk.store, ARTICLES)
    raised: list[Article] = []
    soonest = at + SCAN_EVERY
    prefix = ARTICLES.prefix
    for stream in desk.store.streams(prefix):
        article_id = stream[len(prefix) :]
        try:
            stored = streams.load(article_id)
            if stored is None:
                continue
            article = stored.state
            due = article.review_due_at
            if article.state not in _REVIEWED or article.review_overdue or due is None:
                continue
            if at < due:
                soonest = min(soonest, due)
                continue
            command = MarkReviewDue(article_id=article.id, by=SYSTEM_REVIEWER)
            events = decide(article, command, at, desk.policy.version)
            try:
                raised.append(streams.append(article.id, events, stored).state)
            except ConcurrencyConflict:
                soonest = at  # look again at the next tick
        except Exception as error:
            if on_error is None:
                raise
            on_error(article_id, error)  # looked at again within SCAN_EVERY
    _next_scan[desk.store] = soonest
    return raised
