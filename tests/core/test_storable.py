"""Text every store keeps alike."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from serviceflow.core._storable import text_problem


def test_nul_and_lone_surrogates_are_named() -> None:
    assert text_problem("plain") is None
    assert text_problem("ünïcödé ✓") is None
    assert text_problem("a\x00b") == "contains a NUL character (U+0000), which no store keeps alike"
    assert text_problem("a\udc80") == "contains a lone surrogate (U+DC80), which is not text"


@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_text_is_storable_exactly_when_utf8_encodes_it_and_it_holds_no_nul(text: str) -> None:
    try:
        text.encode("utf-8")
        encodes = True
    except UnicodeEncodeError:
        encodes = False
    assert (text_problem(text) is None) == (encodes and "\x00" not in text)
