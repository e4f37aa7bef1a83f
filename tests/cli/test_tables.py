"""The one table helper of the command line: whole cells, a layout that fits, plain values."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from types import MappingProxyType

from rich.console import Console

from serviceflow.cli._tables import TEXT_FLOOR, Col, Listing, nothing, plain

SUBJECT = "Checkout page is down for every client paying by card since the release"


def _printed(listing: Listing, width: int) -> str:
    into = io.StringIO()
    listing.print(Console(file=into, width=width, highlight=False))
    return into.getvalue()


def _cases() -> Listing:
    shown = Listing("id", "state", Col("n", "right"), "subject", title="Cases", things="cases")
    shown.add_row("06EAVGG6M00CNM7M", "critical", 17, SUBJECT)
    shown.add_row("06EAVJ3F81HTTH38", "waiting_on_client", 2, "[/x] is text, not markup")
    return shown


def test_a_table_that_fits_keeps_its_columns_on_one_line() -> None:
    text = _printed(_cases(), 200)
    assert "Cases\n" in text
    assert SUBJECT in text, "room enough: the subject on one line"
    assert "[/x] is text, not markup" in text
    assert max(len(line) for line in text.splitlines()) <= 200


def test_a_narrower_table_wraps_text_at_spaces_only() -> None:
    text = _printed(_cases(), 80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "┃ id " in text, "still a table"
    for word in (*SUBJECT.split(), "06EAVGG6M00CNM7M", "critical", "waiting_on_client"):
        assert any(word in line.split() for line in (ln.replace("│", " ") for ln in lines)), word


def test_a_table_that_cannot_fit_turns_into_records() -> None:
    listing = _cases()
    assert listing.widths(40) is None
    text = _printed(listing, 40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "id:      06EAVGG6M00CNM7M" in text
    assert "state:   waiting_on_client" in text
    assert "subject: Checkout page is down for every" in text, "wraps under itself"
    assert "\n         client paying" in text
    assert "\n\nid:      06EAVJ3F81HTTH38" in text, "a blank line between records"


def test_widths_give_text_the_room_and_never_less_than_a_word() -> None:
    listing = _cases()
    widths = listing.widths(80)
    assert widths is not None
    assert widths[:3] == [16, 17, 2], "short cells whole, on one line"
    assert TEXT_FLOOR <= widths[3] < len(SUBJECT)
    assert sum(widths) + 3 * 4 + 1 == 80


def test_a_key_value_table_prints_its_own_lines_as_records() -> None:
    facts = Listing("field", "value", show_header=False)
    facts.add_row("a rather long field name that takes room", "x " * 30)
    facts.add_row("state", "")
    text = _printed(facts, 30)
    assert not text.startswith("field"), "no header"
    assert "state" not in text, "an empty value says nothing in a record"
    assert "a rather long field name that takes room:" in text


def test_an_empty_listing_says_so() -> None:
    assert _printed(Listing("id", things="open problems"), 80) == "No open problems.\n"
    assert _printed(Listing("id"), 80) == "", "a listing that names no things: nothing"
    assert nothing("cases") == "No cases."


def test_plain_values() -> None:
    assert plain(MappingProxyType({})) == "none"
    assert plain({"ci": "PRN-3F", "n": 2}) == "ci: PRN-3F, n: 2"
    assert plain(()) == "none"
    assert plain(("a", "b")) == "a, b"
    assert plain(frozenset({"b", "a"})) == "a, b"
    assert plain(None) == "none"
    assert plain("") == "none"
    assert plain(datetime(2026, 3, 2, 8, 55, tzinfo=UTC)) == "2026-03-02 08:55"
    assert plain(0.5) == "0.5"
    assert plain(3) == "3"
