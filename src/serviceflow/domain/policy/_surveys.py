"""Satisfaction surveys as policy data: which surveys the desk offers, when, to whom.

Three surveys with fixed scales (the definitions the metrics use, never configurable):
CSAT 1–5 (satisfied: 4 or 5), NPS 0–10 (promoters 9–10, detractors 0–6), CES 1–7 (higher
is easier). The ``[surveys]`` section only says which the desk *offers*, after closure or
resolution, with a delay, to a deterministic sample of cases; an answer may be recorded
whether or not it was offered. ``survey`` (rules) applies it; this module holds the data.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import timedelta

from attrs import frozen

from serviceflow.core._readonly import ReadOnlyMap, freeze_nested

CSAT = "csat"
NPS = "nps"
CES = "ces"
CLOSURE = "closure"
RESOLUTION = "resolution"
MOMENTS = (CLOSURE, RESOLUTION)
"""When a survey may be offered: after the case closes, or after each first resolution."""


@frozen
class Scale:
    """The scores a survey is answered with, ``low`` to ``high`` inclusive."""

    low: int
    high: int
    label: str

    def holds(self, score: int) -> bool:
        """Is ``score`` a possible answer?"""
        return self.low <= score <= self.high

    def __str__(self) -> str:
        return f"{self.label} is answered on {self.low}–{self.high}"


SCALES: Mapping[str, Scale] = ReadOnlyMap(
    {
        CSAT: Scale(1, 5, "CSAT"),
        NPS: Scale(0, 10, "NPS"),
        CES: Scale(1, 7, "CES"),
    }
)
"""Every survey and its fixed scale, in the order surveys are asked."""

CSAT_SATISFIED = 4
"""A CSAT answer at or above this counts as satisfied (CSAT is the share of 4–5)."""
NPS_PROMOTER = 9
"""An NPS answer at or above this is a promoter."""
NPS_DETRACTOR = 6
"""An NPS answer at or below this is a detractor (NPS = % promoters − % detractors)."""

QUESTIONS: Mapping[str, Mapping[str, str]] = freeze_nested(
    {
        "en": {
            CSAT: (
                "How satisfied are you with how we handled your request? "
                "From 1 (very dissatisfied) to 5 (very satisfied)."
            ),
            NPS: (
                "How likely are you to recommend us to a friend or colleague? "
                "From 0 (not at all likely) to 10 (extremely likely)."
            ),
            CES: (
                "How easy was it to get your request handled? "
                "From 1 (very difficult) to 7 (very easy)."
            ),
        },
        "fr": {
            CSAT: (
                "Êtes-vous satisfait(e) de la façon dont nous avons traité votre demande ? "
                "De 1 (pas du tout satisfait) à 5 (très satisfait)."
            ),
            NPS: (
                "Quelle est la probabilité que vous nous recommandiez à un ami ou à un "
                "collègue ? De 0 (pas du tout probable) à 10 (très probable)."
            ),
            CES: (
                "Vous a-t-il été facile de faire traiter votre demande ? "
                "De 1 (très difficile) à 7 (très facile)."
            ),
        },
    }
)
"""Each survey's question with its scale, per language (English for other languages)."""


def questions(surveys: Sequence[str], language: str) -> str:
    """The questions of ``surveys``, one line each (``- ...``), in ``language`` (else English)."""
    texts = QUESTIONS.get(language) or QUESTIONS["en"]
    return "\n".join(f"- {texts[name]}" for name in surveys if name in texts)


@frozen
class SurveyPolicy:
    """Which surveys are offered (none by default), ``after`` closure or resolution, sent
    ``delay`` later with ``template``, to the share ``sample`` of cases (picked by case id)."""

    offer: tuple[str, ...] = ()
    after: str = CLOSURE
    delay: timedelta = timedelta(0)
    sample: float = 1.0
    template: str = "survey"

    def samples(self, case_id: str) -> bool:
        """Is ``case_id`` in the sample? A hash of the id, so every replay picks the same."""
        if self.sample >= 1:
            return True
        digest = hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.sample


def survey_problems(policy: SurveyPolicy, templates: Collection[str]) -> Iterator[str]:
    """Known surveys offered once each, a known moment, a fraction, a template that exists."""
    path = "$.surveys"
    seen: set[str] = set()
    known = ", ".join(SCALES)
    for name in policy.offer:
        if name not in SCALES:
            yield f"{path}.offer: unknown survey {name!r} (surveys: {known})"
        elif name in seen:
            yield f"{path}.offer: {name!r} is listed twice"
        seen.add(name)
    if policy.after not in MOMENTS:
        yield f"{path}.after: expected one of {', '.join(MOMENTS)}, got {policy.after!r}"
    if not math.isfinite(policy.sample) or not 0 <= policy.sample <= 1:
        yield f"{path}.sample: a fraction between 0 and 1, got {policy.sample!r}"
    if policy.template not in templates:
        listing = ", ".join(sorted(templates)) or "none"
        yield f"{path}.template: unknown template {policy.template!r} (templates: {listing})"
