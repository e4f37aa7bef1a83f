"""The knowledge article as its events leave it: its states, its frozen state types, and
the cases articles are linked to. The machine, decide and evolve have modules of their own.

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

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from attrs import field, frozen

from serviceflow.core._readonly import read_only
from serviceflow.domain._states import CLOSED, RESOLVED, VALIDATED

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_REVIEW_EVERY",
    "DRAFT",
    "IN_REVIEW",
    "MAX_REVIEW_EVERY",
    "MIN_REVIEW_EVERY",
    "PUBLISHED",
    "RESOLVED_STATES",
    "RETIRED",
    "REVIEW_DUE",
    "STATES",
    "Article",
    "LocaleText",
    "Revision",
    "Usage",
    "linked_cases",
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


def linked_cases(articles: Iterable[Article]) -> Mapping[str, tuple[str, ...]]:
    """Each case id linked to any of ``articles`` and the articles it is linked to."""
    found: dict[str, list[str]] = {}
    for article in articles:
        for use in article.uses:
            found.setdefault(use.case_id, []).append(article.id)
    return {case: tuple(ids) for case, ids in found.items()}
