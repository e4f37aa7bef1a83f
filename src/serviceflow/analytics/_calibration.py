"""Calibration sessions: several reviewers score the same cases, and the spread shows whether
they agree, so quality does not drift reviewer by reviewer.

Pure analytics over case histories (``calibration``), one case at a time; ``calibrate``
reads a desk's store. For one session it reports, per case: each reviewer's total, the
spread of the totals (min, max, range, standard deviation), each criterion's spread as a
share of its max points, and agreement, the share of reviewer pairs whose totals are within
the policy's ``calibration_tolerance``. Overall: the same agreement over every pair, the
mean and largest per-case spread, each criterion's typical spread, and each reviewer's
mean deviation from the consensus (the mean of the *other* reviewers of the same case), so
a lenient or harsh reviewer stands out. Totals of different cases are never pooled: cases
differ in quality, and calibration measures the reviewers. Standard deviations are of the
population (the reviewers present). A reviewer who scored a case twice in a session (only
imported data can hold that) counts with their latest review.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import combinations
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from serviceflow.core._convert import canonical_json
from serviceflow.core._readonly import read_only
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import decode_event, iso
from serviceflow.domain.policy._quality import QualityPolicy
from serviceflow.errors import ValidationError

if TYPE_CHECKING:
    from serviceflow.desk._desk import ServiceDesk
    from serviceflow.eventlog._store import EventRecord

_EPSILON = 1e-9
"""Totals are kept to 0.1: a difference of exactly the tolerance agrees despite float noise."""


@frozen
class Spread:
    """How far apart some values are: lowest, highest, their range and standard deviation."""

    count: int
    min: float
    max: float
    range: float
    stdev: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of ``values`` (at least one)."""
        low, high = min(values), max(values)
        mean = sum(values) / len(values)
        stdev = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        return cls(len(values), low, high, high - low, stdev)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers rounded to 4 places."""
        return {
            "count": self.count,
            "min": _r(self.min),
            "max": _r(self.max),
            "range": _r(self.range),
            "stdev": _r(self.stdev),
        }


@frozen
class ReviewerScore:
    """One reviewer's review of a case in the session."""

    reviewer: str
    total: float
    scores: Mapping[str, int] = field(converter=read_only)
    at: datetime
    deviation: float | None
    """Total minus the mean of the other reviewers' totals on this case (``None``: alone)."""


@frozen
class CriterionSpread:
    """How far apart the reviewers' points on one criterion of a case are."""

    criterion: str
    kind: str | None
    max: int | None
    """The criterion's max points in the policy (``None``: the rubric is not in the policy)."""
    spread: Spread
    """Of the points given."""

    @property
    def range_share(self) -> float | None:
        """The range as a share of the max points (0: all agree, 1: from 0 to max)."""
        return None if self.max is None else self.spread.range / self.max

    @property
    def stdev_share(self) -> float | None:
        """The standard deviation as a share of the max points."""
        return None if self.max is None else self.spread.stdev / self.max


@frozen
class CaseCalibration:
    """The reviews of one case in the session, and how far apart they are."""

    case_id: str
    rubric: str
    agent: str
    reviews: tuple[ReviewerScore, ...]
    spread: Spread
    """Of the totals."""
    criteria: tuple[CriterionSpread, ...]
    pairs: int
    agreeing: int

    @property
    def agreement(self) -> float | None:
        """The share of reviewer pairs within the tolerance (``None``: one reviewer)."""
        return self.agreeing / self.pairs if self.pairs else None


@frozen
class ReviewerCalibration:
    """One reviewer across the session: their level, and how far from the others."""

    reviewer: str
    cases: int
    compared: int
    """Cases on which at least one other reviewer of the session scored too."""
    mean_total: float
    mean_deviation: float | None
    """Mean of (own total − mean of the others), over the compared cases: above 0 lenient,
    below 0 harsh; ``None`` when no case was compared."""
    mean_absolute_deviation: float | None
    drifting: bool
    """The mean deviation is beyond the tolerance: this reviewer needs calibrating."""


@frozen
class CriterionSummary:
    """One criterion across the session's cases: how far apart reviewers typically are."""

    rubric: str
    criterion: str
    kind: str | None
    cases: int
    """Compared cases (two reviewers or more) that scored it."""
    mean_range_share: float | None
    max_range_share: float | None


@frozen
class CalibrationReport:
    """A calibration session: every case, every reviewer and every criterion (module doc)."""

    session: str
    tolerance: float
    cases: tuple[CaseCalibration, ...]
    reviewers: tuple[ReviewerCalibration, ...]
    criteria: tuple[CriterionSummary, ...]

    @property
    def reviews(self) -> int:
        """How many reviews the session holds."""
        return sum(len(c.reviews) for c in self.cases)

    @property
    def pairs(self) -> int:
        """Reviewer pairs that scored the same case, over all cases."""
        return sum(c.pairs for c in self.cases)

    @property
    def agreeing(self) -> int:
        """Of those pairs, the ones within the tolerance."""
        return sum(c.agreeing for c in self.cases)

    @property
    def agreement(self) -> float | None:
        """The share of all pairs within the tolerance (``None``: no case had two reviewers)."""
        return self.agreeing / self.pairs if self.pairs else None

    @property
    def mean_range(self) -> float | None:
        """The mean range of totals over the compared cases."""
        return _mean([c.spread.range for c in self.cases if c.pairs])

    @property
    def max_range(self) -> float | None:
        """The largest range of totals on one case."""
        return max((c.spread.range for c in self.cases if c.pairs), default=None)

    @property
    def mean_stdev(self) -> float | None:
        """The mean standard deviation of totals over the compared cases."""
        return _mean([c.spread.stdev for c in self.cases if c.pairs])

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (instants in ISO 8601 UTC, numbers to 4 places)."""
        return {
            "session": self.session,
            "tolerance": self.tolerance,
            "summary": {
                "cases": len(self.cases),
                "reviews": self.reviews,
                "reviewers": [r.reviewer for r in self.reviewers],
                "pairs": self.pairs,
                "agreeing": self.agreeing,
                "agreement": _r(self.agreement),
                "mean_range": _r(self.mean_range),
                "max_range": _r(self.max_range),
                "mean_stdev": _r(self.mean_stdev),
            },
            "cases": [_case_dict(c) for c in self.cases],
            "reviewers": [
                {
                    "reviewer": r.reviewer,
                    "cases": r.cases,
                    "compared": r.compared,
                    "mean_total": _r(r.mean_total),
                    "mean_deviation": _r(r.mean_deviation),
                    "mean_absolute_deviation": _r(r.mean_absolute_deviation),
                    "drifting": r.drifting,
                }
                for r in self.reviewers
            ],
            "criteria": [
                {
                    "rubric": c.rubric,
                    "criterion": c.criterion,
                    "kind": c.kind,
                    "cases": c.cases,
                    "mean_range_share": _r(c.mean_range_share),
                    "max_range_share": _r(c.max_range_share),
                }
                for c in self.criteria
            ],
        }


def calibration(
    histories: Iterable[Sequence[ev.Event]],
    session: str,
    *,
    quality: QualityPolicy | None = None,
) -> CalibrationReport:
    """The calibration report of ``session`` over ``histories`` (each one case's events in
    order, its ``Submitted`` first; the reviews suffice besides it). ``quality`` gives the
    tolerance and the criteria's max points (default: no rubrics, tolerance 10)."""
    if not session.strip():
        raise ValidationError("cannot calibrate", ["session: required, must not be blank"])
    policy = quality if quality is not None else QualityPolicy()
    tolerance = policy.calibration_tolerance
    cases: list[CaseCalibration] = []
    for history in histories:
        found = _case(history, session, policy, tolerance)
        if found is not None:
            cases.append(found)
    return CalibrationReport(
        session=session,
        tolerance=tolerance,
        cases=tuple(cases),
        reviewers=_reviewers(cases, tolerance),
        criteria=_criteria(cases),
    )


def calibrate(desk: ServiceDesk, session: str) -> CalibrationReport:
    """The calibration report of ``session`` from ``desk``'s store under its policy.

    Streams every case's records but decodes only the session's reviews (and the
    submission of the cases that have some).
    """
    if not session.strip():
        raise ValidationError("cannot calibrate", ["session: required, must not be blank"])
    marker = f'"session":{canonical_json(session)}'
    histories = (_session_history(records, marker) for records in desk.store.histories())
    return calibration((h for h in histories if h), session, quality=desk.policy.quality)


def _session_history(records: Sequence[EventRecord], marker: str) -> list[ev.Event]:
    """The case's submission and its reviews that may be in the session (the marker is a
    cheap filter on the stored JSON; ``calibration`` checks the decoded session)."""
    reviews = [r for r in records if r.type == ev.QualityReviewed.TYPE and marker in r.data]
    if not reviews:
        return []
    return [decode_event(records[0].data), *(decode_event(r.data) for r in reviews)]


def _case(
    history: Sequence[ev.Event], session: str, policy: QualityPolicy, tolerance: float
) -> CaseCalibration | None:
    """One case's row, or ``None`` when it has no review in the session."""
    if not history or not isinstance(history[0], ev.Submitted):
        return None
    latest: dict[str, ev.QualityReviewed] = {}
    for event in history:
        if isinstance(event, ev.QualityReviewed) and event.session == session:
            latest.pop(event.by, None)
            latest[event.by] = event
    if not latest:
        return None
    reviews = list(latest.values())
    first = reviews[0]
    totals = [r.total for r in reviews]
    scored = [
        ReviewerScore(
            reviewer=r.by,
            total=r.total,
            scores=r.scores,
            at=r.at,
            deviation=_deviation(totals, i),
        )
        for i, r in enumerate(reviews)
    ]
    pairs = list(combinations(totals, 2))
    agreeing = sum(1 for a, b in pairs if abs(a - b) <= tolerance + _EPSILON)
    return CaseCalibration(
        case_id=history[0].case_id,
        rubric=first.rubric,
        agent=first.agent,
        reviews=tuple(scored),
        spread=Spread.of(totals),
        criteria=_criterion_spreads(reviews, policy),
        pairs=len(pairs),
        agreeing=agreeing,
    )


def _deviation(totals: Sequence[float], i: int) -> float | None:
    """``totals[i]`` minus the mean of the others (``None`` when there are none)."""
    others = [t for j, t in enumerate(totals) if j != i]
    return totals[i] - sum(others) / len(others) if others else None


def _criterion_spreads(
    reviews: Sequence[ev.QualityReviewed], policy: QualityPolicy
) -> tuple[CriterionSpread, ...]:
    """Each criterion's spread of points, in the rubric's order (then any others by name)."""
    rubric = policy.rubric(reviews[0].rubric)
    order = [c.name for c in rubric.criteria] if rubric is not None else []
    names = order + sorted({n for r in reviews for n in r.scores} - set(order))
    spreads = []
    for name in names:
        points = [float(r.scores[name]) for r in reviews if name in r.scores]
        if not points:
            continue
        criterion = rubric.criterion(name) if rubric is not None else None
        spreads.append(
            CriterionSpread(
                criterion=name,
                kind=criterion.kind if criterion is not None else None,
                max=criterion.max if criterion is not None else None,
                spread=Spread.of(points),
            )
        )
    return tuple(spreads)


def _reviewers(
    cases: Sequence[CaseCalibration], tolerance: float
) -> tuple[ReviewerCalibration, ...]:
    """Each reviewer's mean total and mean deviation from the others, by name."""
    rows: dict[str, list[ReviewerScore]] = {}
    for case in cases:
        for review in case.reviews:
            rows.setdefault(review.reviewer, []).append(review)
    found = []
    for reviewer in sorted(rows):
        reviews = rows[reviewer]
        deviations = [r.deviation for r in reviews if r.deviation is not None]
        mean_deviation = _mean(deviations)
        found.append(
            ReviewerCalibration(
                reviewer=reviewer,
                cases=len(reviews),
                compared=len(deviations),
                mean_total=sum(r.total for r in reviews) / len(reviews),
                mean_deviation=mean_deviation,
                mean_absolute_deviation=_mean([abs(d) for d in deviations]),
                drifting=mean_deviation is not None and abs(mean_deviation) > tolerance + _EPSILON,
            )
        )
    return tuple(found)


def _criteria(cases: Sequence[CaseCalibration]) -> tuple[CriterionSummary, ...]:
    """Each (rubric, criterion) over the compared cases, in the order first met."""
    shares: dict[tuple[str, str], tuple[str | None, list[float | None]]] = {}
    for case in cases:
        if not case.pairs:
            continue
        for spread in case.criteria:
            if spread.spread.count < 2:
                continue
            key = (case.rubric, spread.criterion)
            shares.setdefault(key, (spread.kind, []))[1].append(spread.range_share)
    found = []
    for (rubric, criterion), (kind, values) in shares.items():
        known = [v for v in values if v is not None]
        found.append(
            CriterionSummary(
                rubric=rubric,
                criterion=criterion,
                kind=kind,
                cases=len(values),
                mean_range_share=_mean(known),
                max_range_share=max(known, default=None),
            )
        )
    return tuple(found)


def _case_dict(case: CaseCalibration) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "rubric": case.rubric,
        "agent": case.agent,
        "reviews": [
            {
                "reviewer": r.reviewer,
                "total": r.total,
                "scores": dict(r.scores),
                "at": iso(r.at),
                "deviation": _r(r.deviation),
            }
            for r in case.reviews
        ],
        "spread": case.spread.as_dict(),
        "criteria": [
            {
                "criterion": c.criterion,
                "kind": c.kind,
                "max": c.max,
                "spread": c.spread.as_dict(),
                "range_share": _r(c.range_share),
                "stdev_share": _r(c.stdev_share),
            }
            for c in case.criteria
        ],
        "pairs": case.pairs,
        "agreeing": case.agreeing,
        "agreement": _r(case.agreement),
    }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _r(value: float | None) -> float | None:
    """A number for JSON: rounded to 4 places (``None`` stays)."""
    return None if value is None else round(value, 4)
