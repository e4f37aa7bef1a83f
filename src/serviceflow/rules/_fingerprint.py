"""Fingerprints of cases: what a case is about, reduced so that repeats look alike.

A fingerprint is the case's category, the normalised terms of its subject, description and
symptom-like fields, and its configuration item. Two fingerprints are similar when their
terms overlap enough (Jaccard) and nothing they both name disagrees. Problem management
uses this to find recurring incidents; the knowledge base to match articles to cases.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re

from attrs import frozen

from serviceflow.domain._case import Case

__all__ = [
    "ITEM_KEYS",
    "SIMILAR",
    "STOP_WORDS",
    "SYMPTOM_KEYS",
    "Fingerprint",
    "fingerprint_case",
    "similar",
    "similarity",
    "stem",
    "terms",
]

SIMILAR = 0.5
"""The default threshold of ``similar``: half the terms of the two cases shared."""

SYMPTOM_KEYS: tuple[str, ...] = ("symptom", "symptoms", "error", "error_message")
"""Keys of ``case.fields`` whose text counts as describing the symptom."""

ITEM_KEYS: tuple[str, ...] = ("ci", "configuration_item")
"""Keys of ``case.fields`` naming the configuration item, the first present one wins."""

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about after again all also am an and any are as at be been before being but by can
    cannot could did do does doing down during each for from had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of
    off on once only or other our ours out over own please same she should so some still
    such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours hi hello thanks thank regards dear get got
    must shall might ought
    dont doesnt didnt isnt arent wasnt werent hasnt havent hadnt cant couldnt wont wouldnt
    shouldnt mustnt neednt shant aint
    don doesn didn isn aren wasn weren hasn haven hadn couldn won wouldn shouldn mustn
    needn shan ain
    """.split()  # noqa: SIM905 - a block of words reads better than a list of strings
)
"""Words too common to say anything about a case (a small English list plus greetings,
negations written without an apostrophe and the fragments of split contractions)."""

_TOKEN = re.compile(r"[^\W_]+")
_APOSTROPHE = "'\u2019\u02bc"  # ' and the typographic ’ and ʼ
_NEGATION = re.compile(rf"(?<![^\W_])([^\W_]+)n[{_APOSTROPHE}]t\b")  # from a word's start: linear
_IRREGULAR_NEGATION = {"wo": "will", "ca": "can", "sha": "shall", "ai": "is"}
"""``won't`` is ``will not``, ``can't`` is ``can not``: what is left of them without ``n't``."""
_CONTRACTION = re.compile(rf"(?<=[^\W_])[{_APOSTROPHE}](?:s|re|ll|ve|d|m)\b")
_KEEP_DOUBLE = frozenset("lsz")


@frozen
class Fingerprint:
    """What a case is about: its category, its normalised terms and its configuration item."""

    category: str | None
    terms: frozenset[str]
    item: str | None
    """The configuration item (``ci`` or ``configuration_item`` field), casefolded."""


def stem(word: str) -> str:
    """A very light suffix stripping: plurals, ``-ed``, ``-ing`` and a final ``e``, so that
    ``printers``/``printer`` and ``failed``/``failing``/``fail`` give the same term."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in _KEEP_DOUBLE and word[-1] not in "aeiou":
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


def _expand_negation(match: re.Match[str]) -> str:
    word = match[1]
    return f"{_IRREGULAR_NEGATION.get(word, word)} not"


def _drop_contractions(text: str) -> str:
    """``doesn't`` → ``does not``, ``won't`` → ``will not``; ``'s``, ``'re``, ``'ll``,
    ``'ve``, ``'d`` and ``'m`` dropped (``printer's`` → ``printer``); ``'`` or ``’``."""
    return _CONTRACTION.sub("", _NEGATION.sub(_expand_negation, text))


def terms(text: str) -> frozenset[str]:
    """The normalised terms of a free text: contractions dropped (``_drop_contractions``:
    ``doesn't`` gives the terms of ``does not``), then lowercase words of letters only,
    stop words, one-letter words, numbers and ids (anything with a digit) dropped, then
    ``stem``."""
    found: set[str] = set()
    for token in _TOKEN.findall(_drop_contractions(text.casefold())):
        if len(token) < 2 or not token.isalpha() or token in STOP_WORDS:
            continue
        found.add(stem(token))
    return frozenset(found)


def _item(case: Case) -> str | None:
    for key in ITEM_KEYS:
        value = case.fields.get(key, "").strip().casefold()
        if value:
            return value
    return None


def fingerprint_case(case: Case) -> Fingerprint:
    """The case's fingerprint: its category, the terms of its subject, description and
    ``SYMPTOM_KEYS`` fields, and its configuration item (the first of ``ITEM_KEYS``)."""
    texts = [case.subject, case.description]
    texts.extend(case.fields.get(key, "") for key in SYMPTOM_KEYS)
    return Fingerprint(case.category, terms("\n".join(texts)), _item(case))


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How alike two fingerprints are, 0 to 1: 0 when both name a category (or a
    configuration item) and they differ; otherwise the Jaccard index of their terms
    (two fingerprints without terms: 1 if identical, else 0)."""
    if a.category is not None and b.category is not None and a.category != b.category:
        return 0.0
    if a.item is not None and b.item is not None and a.item != b.item:
        return 0.0
    union = a.terms | b.terms
    if not union:
        return 1.0 if a == b else 0.0
    return len(a.terms & b.terms) / len(union)


def similar(a: Fingerprint, b: Fingerprint, threshold: float = SIMILAR) -> bool:
    """Whether two fingerprints are at least ``threshold`` alike."""
    return similarity(a, b) >= threshold
