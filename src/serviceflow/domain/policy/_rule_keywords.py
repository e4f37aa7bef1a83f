"""Keywords of classification rules: whole words and phrases, found in text folded for
comparison (NFKC, then case-folded), the one found first named.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property

from attrs import frozen

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Text as keywords compare it: compatibility-normalised (NFKC), then case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@frozen
class Folded:
    """Text as keywords see it: folded, and its words for a quick first test."""

    text: str

    @cached_property
    def words(self) -> frozenset[str]:
        """Every run of word characters: a keyword's first word, if a word, is one of them."""
        return frozenset(_WORD.findall(self.text))


@frozen
class Keywords:
    """A keyword list made ready to search; ``find`` names the keyword that appears first."""

    searches: tuple[tuple[str, bool, re.Pattern[str], str], ...]
    """(first word, is it all word characters, search, keyword as written), longest first."""

    def find(self, folded: Folded) -> str | None:
        """The keyword (as written in the rule) found first in ``folded`` text, if any."""
        found: tuple[int, str] | None = None
        for first_word, is_word, search, keyword in self.searches:
            # A set or substring test is far cheaper than the search and rules most out.
            if first_word not in (folded.words if is_word else folded.text):
                continue
            hit = search.search(folded.text)
            if hit is not None and (found is None or hit.start() < found[0]):
                found = (hit.start(), keyword)
        return None if found is None else found[1]


def compile_keywords(keywords: tuple[str, ...]) -> Keywords | None:
    """``None`` for no keywords (no constraint); blank keywords never match."""
    if not keywords:
        return None
    phrases = [(fold(k).split(), k) for k in keywords]
    # At one position the longest phrase wins, so "paper jam" is named rather than "paper".
    phrases = sorted((p for p in phrases if p[0]), key=lambda p: -len(" ".join(p[0])))
    return Keywords(
        tuple(
            (words[0], _WORD.fullmatch(words[0]) is not None, _whole_words(words), k)
            for words, k in phrases
        )
    )


def _whole_words(words: list[str]) -> re.Pattern[str]:
    """A search for ``words`` in a row, not inside longer words.

    The "no word character before" test comes after the first word, not before it, so that
    the search can skip ahead on the literal first word: about 15 times faster.
    """
    first, *rest = words
    following = "".join(rf"\s+{re.escape(word)}" for word in rest)
    return re.compile(rf"{re.escape(first)}(?<!\w.{{{len(first)}}}){following}(?!\w)")
