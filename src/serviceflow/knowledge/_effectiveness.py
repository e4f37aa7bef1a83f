"""Does an article help? And what keeps being solved without one?

- ``effectiveness``: per article, the cases it was linked to at resolution, how many of
  them are still resolved (resolution rate) and how many came back after the link (reopen
  rate), the feedback, and flags: ``revise`` or ``retire`` by documented ``Thresholds``.
- ``suggestions``: "heard three times → write it down". Resolved cases without a linked
  article whose fingerprints are similar and whose resolution texts are similar, ``times``
  or more of them, suggest a new article (or a template when their resolutions are the
  same words).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from attrs import evolve, frozen

from serviceflow.clock import require_aware
from serviceflow.desk._aggregate import Streams
from serviceflow.domain._case import Case
from serviceflow.errors import ValidationError
from serviceflow.knowledge._article import RESOLVED_STATES, RETIRED, Article, linked_cases
from serviceflow.knowledge._evolve import ARTICLES
from serviceflow.rules._fingerprint import SIMILAR, Fingerprint, fingerprint_case, similar, terms

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk

__all__ = [
    "RETIRE",
    "REVISE",
    "Effectiveness",
    "Suggestion",
    "Thresholds",
    "effectiveness",
    "flags",
    "rate",
    "suggestions",
]

REVISE = "revise"
RETIRE = "retire"


@frozen
class Thresholds:
    """When an article is flagged. Rates count only once there is enough evidence.

    - ``revise``: at least ``min_cases`` linked cases and a reopen rate of
      ``revise_reopen_rate`` or more, or a resolution rate under ``revise_resolution_rate``;
      or at least ``min_feedback`` answers and a not-helpful share of ``revise_unhelpful``
      or more.
    - ``retire``: at least ``min_feedback`` answers and a not-helpful share of
      ``retire_unhelpful`` or more; or published and not used for ``retire_unused``.
    """

    min_cases: int = 5
    min_feedback: int = 5
    revise_reopen_rate: float = 0.25
    revise_resolution_rate: float = 0.6
    revise_unhelpful: float = 0.4
    retire_unhelpful: float = 0.7
    retire_unused: timedelta = timedelta(days=365)


@frozen
class Effectiveness:
    """How well one article helps, read now."""

    article_id: str
    title: str
    state: str
    version: int
    cases: int
    """Distinct cases the article was linked to."""
    resolved: int
    """Of those, the ones still resolved, validated or closed."""
    reopened: int
    """Of those, the ones reopened after the article was linked."""
    helpful: int
    not_helpful: int
    last_used: datetime | None
    flags: tuple[str, ...]

    @property
    def resolution_rate(self) -> float | None:
        """Share of linked cases still resolved; ``None`` without linked cases."""
        return rate(self.resolved, self.cases)

    @property
    def reopen_rate(self) -> float | None:
        """Share of linked cases reopened after the link; ``None`` without linked cases."""
        return rate(self.reopened, self.cases)

    @property
    def helpful_rate(self) -> float | None:
        """Share of feedback answers saying the article helped; ``None`` without any."""
        return rate(self.helpful, self.helpful + self.not_helpful)


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when ``whole`` is 0."""
    return part / whole if whole else None


def flags(
    report: Effectiveness, since: datetime | None, now: datetime, thresholds: Thresholds
) -> tuple[str, ...]:
    """The flags ``thresholds`` raise for ``report``; ``since`` is when it was last
    published or used (what ``retire_unused`` counts from). Pure."""
    if report.state == RETIRED:
        return ()
    found: list[str] = []
    answers = report.helpful + report.not_helpful
    unhelpful = rate(report.not_helpful, answers) or 0.0
    enough_cases = report.cases >= thresholds.min_cases
    enough_answers = answers >= thresholds.min_feedback
    if (
        (enough_cases and (report.reopen_rate or 0.0) >= thresholds.revise_reopen_rate)
        or (enough_cases and (report.resolution_rate or 0.0) < thresholds.revise_resolution_rate)
        or (enough_answers and unhelpful >= thresholds.revise_unhelpful)
    ):
        found.append(REVISE)
    if (enough_answers and unhelpful >= thresholds.retire_unhelpful) or (
        since is not None and now - since >= thresholds.retire_unused
    ):
        found.append(RETIRE)
    return tuple(found)


def effectiveness(
    desk: ServiceDesk, article_id: str | None = None, *, thresholds: Thresholds | None = None
) -> list[Effectiveness]:
    """The effectiveness of every article (or of ``article_id``), by id; reads the linked
    cases as they stand now and compare their reopen counts with those at the link."""
    limits = thresholds or Thresholds()
    now = require_aware(desk.clock.now(), "clock.now()")
    streams = Streams(desk.store, ARTICLES)
    articles: Iterable[Article] = (
        [streams.get(article_id).state]
        if article_id is not None
        else (s.state for s in streams.all())
    )
    return [_report(desk, article, now, limits) for article in articles]


def _report(
    desk: ServiceDesk, article: Article, now: datetime, limits: Thresholds
) -> Effectiveness:
    first_link: dict[str, int] = {}
    for use in article.uses:
        first_link.setdefault(use.case_id, use.reopens)
    resolved = reopened = 0
    for case_id, reopens in first_link.items():
        case = desk.case(case_id)
        resolved += case.state in RESOLVED_STATES
        reopened += case.reopen_count > reopens
    last_used = max((u.at for u in article.uses), default=None)
    report = Effectiveness(
        article_id=article.id,
        title=article.title,
        state=article.state,
        version=article.version,
        cases=len(first_link),
        resolved=resolved,
        reopened=reopened,
        helpful=article.helpful,
        not_helpful=article.not_helpful,
        last_used=last_used,
        flags=(),
    )
    since = last_used or (article.reviewed_at if article.published is not None else None)
    return evolve(report, flags=flags(report, since, now, limits))


# --- heard three times -----------------------------------------------------------------


@frozen
class Suggestion:
    """Resolutions that keep coming back without an article: write them down."""

    kind: str
    """``template`` when the resolutions are the same words, else ``article``."""
    category: str | None
    cases: tuple[str, ...]
    terms: tuple[str, ...]
    """The terms the cases' descriptions share, sorted."""
    resolution: str
    """The first case's resolution text, as a starting point."""


@frozen
class _Seen:
    case_id: str
    fingerprint: Fingerprint
    resolution: Fingerprint
    text: str


def suggestions(
    desk: ServiceDesk,
    *,
    times: int = 3,
    threshold: float = SIMILAR,
    since: datetime | None = None,
) -> list[Suggestion]:
    """Groups of ``times`` or more resolved cases, none linked to an article, alike in
    fingerprint and in resolution text (both ``similar`` at ``threshold``), largest first.

    ``since`` keeps only cases resolved at or after it. Each case joins the first group
    whose first case it is like, in submission order.
    """
    if not isinstance(times, int) or times < 2:
        raise ValidationError("invalid suggestions", [f"times: expected 2 or more, got {times!r}"])
    start = require_aware(since, "since") if since is not None else None
    linked = linked_cases(s.state for s in Streams(desk.store, ARTICLES).all())
    groups: list[list[_Seen]] = []
    for case in desk.cases(state=RESOLVED_STATES):
        if case.id in linked or not case.resolution:
            continue
        if start is not None and (case.resolved_at is None or case.resolved_at < start):
            continue
        seen = _seen(case)
        for group in groups:
            head = group[0]
            if similar(head.fingerprint, seen.fingerprint, threshold) and similar(
                head.resolution, seen.resolution, threshold
            ):
                group.append(seen)
                break
        else:
            groups.append([seen])
    found = [_suggestion(group) for group in groups if len(group) >= times]
    return sorted(found, key=lambda s: (-len(s.cases), s.cases[0]))


def _seen(case: Case) -> _Seen:
    text = case.resolution or ""
    return _Seen(
        case.id, fingerprint_case(case), Fingerprint(case.category, terms(text), None), text
    )


def _suggestion(group: Sequence[_Seen]) -> Suggestion:
    shared = frozenset.intersection(*(s.fingerprint.terms for s in group))
    same_words = len({" ".join(s.text.casefold().split()) for s in group}) == 1
    return Suggestion(
        kind="template" if same_words else "article",
        category=group[0].fingerprint.category,
        cases=tuple(s.case_id for s in group),
        terms=tuple(sorted(shared)),
        resolution=group[0].text,
    )
