"""Fingerprints: normalised terms, the case's parts that count, similarity and its laws."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from serviceflow.domain._case import Case
from serviceflow.rules._fingerprint import (
    SIMILAR,
    Fingerprint,
    fingerprint_case,
    similar,
    similarity,
    stem,
    terms,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _case(
    subject: str,
    description: str = "",
    *,
    category: str | None = "hardware",
    fields: dict[str, str] | None = None,
) -> Case:
    return Case(
        id="C-1",
        state="intake",
        version=1,
        requester="acme/jane@acme.test",
        channel="email",
        subject=subject,
        description=description,
        tier="standard",
        submitted_at=T0,
        updated_at=T0,
        policy="p",
        category=category,
        fields=fields or {},
    )


def test_terms_are_lowercase_words_without_stop_words_numbers_or_ids() -> None:
    assert terms("The PRINTER on floor 3 is broken, ticket INC-4411 x9") == {
        "printer",
        "floor",
        "broken",
        "ticket",
        "inc",
    }
    assert terms("") == frozenset()
    assert terms("42 a1b2 !!") == frozenset()


def test_light_stemming_joins_plurals_and_verb_forms() -> None:
    assert terms("printers") == terms("printer")
    assert terms("failed") == terms("failing") == terms("fail") == terms("fails")
    assert terms("crashes") == terms("crashed") == terms("crashing") == terms("crash")
    assert stem("stopped") == stem("stopping") == "stop"
    assert stem("queries") == "query"
    assert stem("access") == "access"
    assert stem("status") == "status"


def test_a_case_fingerprint_reads_subject_description_symptoms_and_item() -> None:
    case = _case(
        "Printer jammed",
        "Paper stuck again",
        fields={"symptom": "blinking light", "ci": " PRN-3F ", "other": "ignored words"},
    )
    fp = fingerprint_case(case)
    assert fp.category == "hardware"
    assert fp.item == "prn-3f"
    assert fp.terms == terms("printer jammed paper stuck again blinking light")
    assert "ignor" not in fp.terms
    alt = fingerprint_case(_case("x", fields={"configuration_item": "Mail-1"}, category=None))
    assert (alt.item, alt.category) == ("mail-1", None)
    assert fingerprint_case(_case("x", fields={"ci": "  "})).item is None


def test_similarity_is_jaccard_unless_category_or_item_disagree() -> None:
    a = Fingerprint("hardware", frozenset({"printer", "jam", "paper"}), None)
    b = Fingerprint("hardware", frozenset({"printer", "jam", "toner"}), None)
    assert similarity(a, b) == 2 / 4
    assert similar(a, b)
    assert similar(a, b, threshold=SIMILAR)
    assert not similar(a, b, threshold=0.6)
    assert similarity(a, Fingerprint("software", b.terms, None)) == 0.0
    assert similarity(a, Fingerprint(None, a.terms, None)) == 1.0
    with_item = Fingerprint("hardware", a.terms, "prn-1")
    assert similarity(with_item, Fingerprint("hardware", a.terms, "prn-2")) == 0.0
    assert similarity(with_item, a) == 1.0
    empty = Fingerprint(None, frozenset(), None)
    assert similarity(empty, empty) == 1.0
    assert similarity(empty, Fingerprint("x", frozenset(), None)) == 0.0


def test_repeats_of_one_incident_are_similar_and_different_ones_are_not() -> None:
    one = fingerprint_case(_case("Printer failed to print", "The printer failed again"))
    two = fingerprint_case(_case("printers failing", "printing failed on printer"))
    other = fingerprint_case(_case("Laptop battery drains", "battery empty after an hour"))
    assert similar(one, two)
    assert not similar(one, other)


_words = st.lists(st.sampled_from(["printer", "jam", "mail", "vpn", "slow", "down", "disk"]))
_fingerprints = st.builds(
    Fingerprint,
    st.none() | st.sampled_from(["hardware", "network"]),
    _words.map(frozenset),
    st.none() | st.sampled_from(["prn-1", "vpn-gw"]),
)


@given(_fingerprints, _fingerprints)
def test_similarity_is_symmetric_and_between_zero_and_one(a: Fingerprint, b: Fingerprint) -> None:
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0


@given(_fingerprints)
def test_a_fingerprint_is_fully_similar_to_itself(a: Fingerprint) -> None:
    assert similarity(a, a) == 1.0
    assert similar(a, a, threshold=1.0)


@given(st.text())
def test_terms_are_letters_only_lowercase_and_free_of_stop_words(text: str) -> None:
    found = terms(text)
    assert all(t.isalpha() and t == t.casefold() and t != "the" for t in found)


def test_contractions_do_not_make_unrelated_incidents_alike() -> None:
    # regression: "doesn't" gave the term "doesn", so these two scored 0.5 (similar)
    printer = fingerprint_case(_case("Printer doesn't work"))
    scanner = fingerprint_case(_case("Scanner doesn\u2019t work"))
    assert similarity(printer, scanner) < SIMILAR
    assert terms("printer doesn't work") == terms("printer does not work") == {"printer", "work"}
    assert terms("Mail won't send") == terms("mail will not send") == {"mail", "send"}
    assert terms("can\u2019t log in") == terms("cannot log in") == {"log"}
    assert terms("the printer's tray, it's stuck, we'll see, I'm out") == terms(
        "the printer tray, it stuck, we see, I out"
    )
    assert terms("you're, they've, I'd") == frozenset()
    assert terms("doesnt dont isnt") == frozenset()
