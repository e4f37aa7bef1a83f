"""The rule classifier: keywords, patterns and facts in; the most confident proposal out."""

from __future__ import annotations

import json
import pickle
import signal
import string
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

from serviceflow.core._convert import canonical_json, converter, structure_checked
from serviceflow.domain._messages import Classification
from serviceflow.domain.policy._classification import (
    SOURCE,
    ClassificationRule,
    RuleMatch,
    RuleOutcome,
    classification_problems,
    classify_request,
)
from serviceflow.domain.policy._policy import load_policy
from serviceflow.errors import PolicyError, ValidationError

EXAMPLE_POLICY = Path(__file__).resolve().parents[3] / "examples" / "policy.toml"
HARDWARE = RuleOutcome(category="hardware", kind="incident")
RULES = tuple[ClassificationRule, ...]


def classify(
    rules: Sequence[ClassificationRule],
    *,
    subject: str = "",
    description: str = "",
    channel: str = "email",
    requester_group: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> Classification | None:
    return classify_request(
        rules,
        subject=subject,
        description=description,
        channel=channel,
        requester_group=requester_group,
        fields=fields or {},
    )


def reason(when: RuleMatch, **request: Any) -> str | None:
    """Why a rule with ``when`` matched the request, or ``None`` when it did not."""
    found = classify([ClassificationRule("r", when, HARDWARE)], **request)
    return None if found is None else found.reason.removeprefix("rule 'r': ")


# --- keywords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "matches"),
    [
        ("Printer JAM!", True),
        ("jam", True),
        ("the jam-packed tray", True),
        ("(jam)", True),
        ("pajamas", False),
        ("jammed", False),
        ("paper_jam", False),
        ("jam2", False),
        ("", False),
    ],
)
def test_keywords_match_whole_words_ignoring_case(subject: str, *, matches: bool) -> None:
    found = reason(RuleMatch(subject=("jam",)), subject=subject)
    assert found == ("subject has 'jam'" if matches else None)


def test_phrases_match_any_run_of_whitespace() -> None:
    when = RuleMatch(subject=("paper jam",))
    assert reason(when, subject="Paper \t JAM again") == "subject has 'paper jam'"
    assert reason(when, subject="paper\njam") == "subject has 'paper jam'"
    assert reason(when, subject="paper-jam") is None
    assert reason(when, subject="paperjam") is None
    assert reason(RuleMatch(subject=("  paper   jam ",)), subject="paper jam") is not None


def test_the_longest_keyword_at_a_position_is_named() -> None:
    when = RuleMatch(subject=("paper", "paper jam"))
    assert reason(when, subject="A paper jam") == "subject has 'paper jam'"
    assert reason(when, subject="A paper cut") == "subject has 'paper'"


def test_the_first_keyword_in_the_text_is_named() -> None:
    when = RuleMatch(subject=("toner", "jam"))
    assert reason(when, subject="Jam, then toner") == "subject has 'jam'"


def test_keywords_are_literal_text_not_regular_expressions() -> None:
    assert reason(RuleMatch(subject=("c++",)), subject="Help with C++ please") is not None
    assert reason(RuleMatch(subject=("c++",)), subject="Help with c++11") is None
    assert reason(RuleMatch(subject=("a.b",)), subject="axb") is None
    assert reason(RuleMatch(subject=("(urgent)",)), subject="(URGENT) down") is not None


def test_keywords_ignore_unicode_case_width_and_composition() -> None:
    assert reason(RuleMatch(subject=("straße",)), subject="STRASSE closed") is not None
    assert reason(RuleMatch(subject=("jam",)), subject="ＪＡＭ") is not None
    decomposed = unicodedata.normalize("NFD", "Café ouvert")
    assert reason(RuleMatch(subject=("café",)), subject=decomposed) is not None
    assert reason(RuleMatch(subject=("ΣΟΦΟΣ",)), subject="σοφος") is not None


def test_subject_body_and_text_look_in_their_own_place() -> None:
    request = {"subject": "Invoice", "description": "The printer says jam"}
    assert reason(RuleMatch(subject=("invoice",)), **request) == "subject has 'invoice'"
    assert reason(RuleMatch(subject=("jam",)), **request) is None
    assert reason(RuleMatch(body=("jam",)), **request) == "description has 'jam'"
    assert reason(RuleMatch(body=("invoice",)), **request) is None
    assert reason(RuleMatch(text=("jam",)), **request) == "description has 'jam'"
    assert reason(RuleMatch(text=("jam", "invoice")), **request) == "subject has 'invoice'"
    assert reason(RuleMatch(text=("toner",)), **request) is None


def test_a_phrase_never_spans_subject_and_description() -> None:
    when = RuleMatch(text=("invoice printer",))
    assert reason(when, subject="Invoice", description="printer") is None


def test_not_text_excludes_requests_that_mention_a_keyword() -> None:
    when = RuleMatch(text=("invoice",), not_text=("test", "ignore me"))
    assert reason(when, subject="Invoice wrong") == (
        "subject has 'invoice'; text has none of 'test', 'ignore me'"
    )
    assert reason(when, subject="Invoice wrong", description="only a TEST") is None
    assert reason(when, subject="Ignore  me: invoice") is None
    assert reason(when, subject="Invoice testing") is not None


def test_blank_keywords_never_match() -> None:
    assert reason(RuleMatch(subject=(" ",)), subject="anything at all") is None
    assert reason(RuleMatch(subject=("", "jam")), subject="jam") == "subject has 'jam'"


# --- patterns ----------------------------------------------------------------------------


def test_pattern_is_searched_in_subject_newline_description() -> None:
    when = RuleMatch(pattern=r"(?i)\binv-\d+")
    assert reason(when, subject="Re: wrong total", description="see INV-0042") == (
        "pattern found 'INV-0042'"
    )
    assert reason(RuleMatch(pattern=r"inv-\d+"), description="see INV-0042") is None
    lines = RuleMatch(pattern=r"(?m)^refund$")
    assert reason(lines, subject="Money", description="refund") == "pattern found 'refund'"
    assert reason(RuleMatch(pattern=r"Money\nrefund"), subject="Money", description="refund")
    assert reason(RuleMatch(pattern=r"^refund"), subject="Money", description="refund") is None


def test_a_long_pattern_match_is_shortened_in_the_reason() -> None:
    found = reason(RuleMatch(pattern="x+"), description="x" * 100)
    assert found == f"pattern found {'x' * 39 + '…'!r}"


def test_a_broken_pattern_is_refused_when_used() -> None:
    rule = ClassificationRule("broken", RuleMatch(pattern="(unclosed"), HARDWARE)
    with pytest.raises(ValidationError) as info:
        classify([rule], subject="anything")
    assert info.value.problems == (
        "when.pattern: not a valid regular expression: missing ): (unclosed "
        "(see the RE2 syntax: https://github.com/google/re2/wiki/Syntax) (in '(unclosed')",
    )


@contextmanager
def finishes_within(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: a generous guard, not a timing check (backtracking takes hours)."""

    def give_up(signum: int, frame: object) -> None:
        pytest.fail(f"still matching after {seconds} s: the matching is not linear")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


CATASTROPHIC = (r"(a+)+$", r"(a|aa)+$", r"(.*a){20}", r"(a*)*b", r"^(a|a?)+$", r"(\w+\s?)+$")
"""Patterns a backtracking engine takes exponential (or high polynomial) time on."""


@settings(max_examples=40, deadline=None, phases=(Phase.explicit, Phase.generate))
@given(
    pattern=st.sampled_from(CATASTROPHIC),
    unit=st.sampled_from(("a", "aa", "a ", "é", "ab")),
    repeat=st.integers(20, 50_000),
    tail=st.sampled_from(("!", "b", "", "\n!")),
    where=st.sampled_from(("subject", "description")),
)
def test_hostile_text_never_makes_a_pattern_hang(
    pattern: str, unit: str, repeat: int, tail: str, where: str
) -> None:
    rules = [ClassificationRule("r", RuleMatch(pattern=pattern), HARDWARE)]
    text = unit * repeat + tail
    subject, description = (text, "") if where == "subject" else ("", text)
    with finishes_within(10):
        classify(rules, subject=subject, description=description)


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_pattern_classifies_100_kb_of_hostile_text(pattern: str) -> None:
    rules = [
        ClassificationRule("hostile", RuleMatch(pattern=pattern), HARDWARE),
        ClassificationRule("end", RuleMatch(pattern=r"!\z"), RuleOutcome("billing", "question")),
    ]
    with finishes_within(10):
        found = classify(rules, subject="a" * 30, description="a" * 100_000 + "!")
    assert found is not None
    assert found.category in {"hardware", "billing"}


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(\w+) \1", r"invalid escape sequence: \1 (backreferences are not supported"),
        (r"(?P<w>\w+) (?P=w)", "invalid perl operator: (?P (named backreferences"),
        (r"refund(?! request)", "invalid perl operator: (?! (lookahead and lookbehind"),
        (r"(?=.*vpn)", "invalid perl operator: (?= (lookahead and lookbehind"),
        (r"(?<=INV-)\d+", "invalid perl operator: (?<= (lookahead and lookbehind"),
        (r"(?<!re: )refund", "invalid perl operator: (?<! (lookahead and lookbehind"),
        (r"a++b", "bad repetition operator: ++ (possessive repeats are not needed"),
        (r"(?>a+)b", "invalid perl operator: (?> (see the RE2 syntax"),
        (r"refund\Z", r"invalid escape sequence: \Z (write \z for the end of the text)"),
        (r"caf\u00e9", r"invalid escape sequence: \u (write a character as \x{e9})"),
        (r"(?x) refund", "invalid perl operator: (?x (the flags are i, m, s and U)"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_with_its_path(pattern: str, why: str) -> None:
    rules = (
        ClassificationRule("ok", RuleMatch(pattern="x"), RuleOutcome("billing", "incident")),
        ClassificationRule("bad", RuleMatch(pattern=pattern), RuleOutcome("billing", "incident")),
    )
    [problem] = classification_problems(rules, ALLOWED)
    assert problem.startswith(
        f"$.classification[1].when.pattern: not a valid regular expression: {why}"
    )
    with pytest.raises(ValidationError, match=r"when\.pattern: not a valid regular expression"):
        classify(rules, subject="x")


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (
            r"[a-z]{1000}[a-z]{1000}",
            "too large: 2004 steps once repeats are expanded, at most 500",
        ),
        (r"(.*a){1000}", "too large: 3004 steps once repeats are expanded, at most 500"),
        (r"\pL{1,1000}", "not a valid regular expression: pattern too large - compile failed"),
        (r"a{1001}", "not a valid regular expression: invalid repetition size: {1001}"),
    ],
)
def test_a_pattern_too_big_for_the_budget_is_refused(pattern: str, why: str) -> None:
    rules = (ClassificationRule("big", RuleMatch(pattern=pattern), HARDWARE),)
    [problem] = classification_problems(rules, {})
    assert problem.startswith(f"$.classification[0].when.pattern: {why}")


def test_patterns_keep_their_unicode_and_flag_semantics() -> None:
    assert reason(RuleMatch(pattern=r"(?i)café"), subject="CAFÉ au lait") == "pattern found 'CAFÉ'"
    assert reason(RuleMatch(pattern=r"café"), subject="CAFÉ") is None
    # NFC on both sides: a decomposed é in the text is found by a composed one.
    assert reason(RuleMatch(pattern="é"), description="cafe\u0301") == "pattern found 'é'"
    assert reason(RuleMatch(pattern=r"(?m)^..$"), description="é😀") == "pattern found 'é😀'"
    assert reason(RuleMatch(pattern=r"\pL+"), subject="42 Ünïcödé!") == ("pattern found 'Ünïcödé'")
    assert reason(RuleMatch(pattern=r"(?s)a.b"), subject="a", description="b") == (
        "pattern found 'a\\nb'"
    )
    assert reason(RuleMatch(pattern=r"a.b"), subject="a", description="b") is None
    found = reason(RuleMatch(pattern=r"(?P<n>\d+)(x)"), description="€€ 12x")
    assert found == "pattern found '12x'"


HOSTILE_RULES = r"""
[[classification]]
name = "harmless"
when = { pattern = '(a+)+$' }
then = { category = "billing", kind = "question" }

[[classification]]
name = "repeated word"
when = { pattern = '(\w+) \1' }
then = { category = "billing", kind = "question" }

[[classification]]
name = "not a reply"
when = { pattern = '(?<!Re: )refund' }
then = { category = "billing", kind = "question" }
"""


def test_load_policy_refuses_a_pattern_re2_cannot_run(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text(EXAMPLE_POLICY.read_text() + HOSTILE_RULES)
    with pytest.raises(PolicyError) as info:
        load_policy(file)
    assert [p for p in info.value.problems if "pattern" in p] == [
        "$.classification[1].when.pattern: not a valid regular expression: invalid escape "
        "sequence: \\1 (backreferences are not supported; match the text itself, or use "
        "keyword conditions)",
        "$.classification[2].when.pattern: not a valid regular expression: invalid perl "
        "operator: (?<! (lookahead and lookbehind are not supported; match the text itself, "
        "or use not_text for what must be absent)",
    ]


def test_a_rule_with_a_used_pattern_pickles() -> None:
    rule = ClassificationRule("r", RuleMatch(pattern=r"(?i)inv-\d+"), HARDWARE)
    assert classify([rule], subject="INV-1") is not None
    again = pickle.loads(pickle.dumps(rule))
    assert again == rule
    assert classify([again], subject="inv-2") is not None


# --- facts -------------------------------------------------------------------------------


def test_channel_and_requester_group_match_exactly() -> None:
    when = RuleMatch(channel=("email", "web"), requester_group=("acme",))
    assert reason(when, channel="web", requester_group="acme") == (
        "channel web; requester group acme"
    )
    assert reason(when, channel="phone", requester_group="acme") is None
    assert reason(when, channel="Email", requester_group="acme") is None
    assert reason(when, channel="email", requester_group="ACME") is None
    assert reason(RuleMatch(requester_group=("acme",))) is None


def test_custom_fields_match_whole_values_ignoring_case() -> None:
    when = RuleMatch(fields={"plan": ("gold", "platinum"), "product": ("LaserJet 4",)})
    found = classify(
        [ClassificationRule("r", when, HARDWARE)],
        fields={"plan": "GOLD", "product": "laserjet 4", "other": "x"},
    )
    assert found is not None
    assert found.reason == "rule 'r': field plan is 'GOLD'; field product is 'laserjet 4'"
    for fields in ({"plan": "gold"}, {"plan": "gold plus", "product": "laserjet 4"}, {}):
        assert classify([ClassificationRule("r", when, HARDWARE)], fields=fields) is None


def test_every_given_condition_must_hold_and_is_explained_in_order() -> None:
    when = RuleMatch(
        subject=("jam",),
        body=("tray",),
        text=("printer",),
        not_text=("test",),
        pattern=r"\d+",
        channel=("email",),
        requester_group=("acme",),
        fields={"floor": ("3",)},
    )
    request = {
        "subject": "Printer jam",
        "description": "tray 2 is stuck",
        "requester_group": "acme",
    }
    assert reason(when, **request, fields={"floor": "3"}) == (
        "subject has 'jam'; description has 'tray'; subject has 'printer'; "
        "text has none of 'test'; pattern found '2'; channel email; requester group acme; "
        "field floor is '3'"
    )
    assert reason(when, **request, fields={"floor": "4"}) is None
    assert reason(when, **request) is None


# --- choosing the proposal ---------------------------------------------------------------


def test_no_proposal_without_a_matching_rule_that_sets_category_and_kind() -> None:
    rules = (
        ClassificationRule("half", RuleMatch(subject=("jam",)), RuleOutcome(category="hardware")),
        ClassificationRule("tags", RuleMatch(subject=("jam",)), RuleOutcome(tags=("printer",))),
        ClassificationRule("other", RuleMatch(subject=("toner",)), HARDWARE),
    )
    assert classify(rules, subject="jam") is None
    assert classify((), subject="jam") is None


def test_the_most_confident_matching_rule_wins() -> None:
    rules = (
        ClassificationRule("low", RuleMatch(subject=("jam",)), HARDWARE, confidence=0.6),
        ClassificationRule(
            "high", RuleMatch(text=("printer",)), RuleOutcome("printing", "incident"), 0.95
        ),
        ClassificationRule(
            "unmatched", RuleMatch(subject=("toner",)), RuleOutcome("x", "y"), confidence=1.0
        ),
    )
    found = classify(rules, subject="Printer jam")
    assert found == Classification(
        category="printing",
        kind="incident",
        confidence=0.95,
        source=SOURCE,
        reason="rule 'high': subject has 'printer'",
    )


def test_a_tie_goes_to_the_earlier_rule() -> None:
    first = ClassificationRule("first", RuleMatch(subject=("jam",)), HARDWARE, 0.8)
    second = ClassificationRule("second", RuleMatch(subject=("jam",)), RuleOutcome("a", "b"), 0.8)
    assert (found := classify((first, second), subject="jam")) is not None
    assert (found.category, found.reason) == ("hardware", "rule 'first': subject has 'jam'")
    assert (found := classify((second, first), subject="jam")) is not None
    assert (found.category, found.reason) == ("a", "rule 'second': subject has 'jam'")


def test_tags_are_the_union_of_every_matching_rule_in_order() -> None:
    rules = (
        ClassificationRule("a", RuleMatch(subject=("jam",)), RuleOutcome(tags=("printer", "x"))),
        ClassificationRule("b", RuleMatch(subject=("toner",)), RuleOutcome(tags=("unmatched",))),
        ClassificationRule(
            "c", RuleMatch(), RuleOutcome("hardware", "incident", tags=("x", "floor3", "printer"))
        ),
    )
    assert (found := classify(rules, subject="jam")) is not None
    assert found.tags == ("printer", "x", "floor3")
    assert found.reason == (
        "rule 'c': matches every request; also rule 'a' (tags): subject has 'jam'"
    )


def test_impact_and_urgency_come_from_the_winner_else_the_first_matching_rule() -> None:
    rules = (
        ClassificationRule(
            "vip", RuleMatch(requester_group=("acme",)), RuleOutcome(impact="high", urgency="high")
        ),
        ClassificationRule("unmatched", RuleMatch(channel=("phone",)), RuleOutcome(impact="low")),
        ClassificationRule("later", RuleMatch(), RuleOutcome(impact="medium", urgency="low")),
    )
    winner = ClassificationRule(
        "jam", RuleMatch(subject=("jam",)), RuleOutcome("hardware", "incident", urgency="medium")
    )
    listed = (*rules[:2], winner, rules[2])
    assert (found := classify(listed, subject="jam", requester_group="acme")) is not None
    assert (found.impact, found.urgency) == ("high", "medium")
    assert found.reason == (
        "rule 'jam': subject has 'jam'; also rule 'vip' (impact): requester group acme"
    )
    assert (found := classify(listed, subject="jam", requester_group="x")) is not None
    assert (found.impact, found.urgency) == ("medium", "medium")
    assert found.reason == (
        "rule 'jam': subject has 'jam'; also rule 'later' (impact): matches every request"
    )
    bare = attrs.evolve(winner, then=HARDWARE)
    assert (found := classify((bare,), subject="jam")) is not None
    assert (found.impact, found.urgency) == (None, None)


def test_the_reason_lists_each_contributing_rule_once() -> None:
    rules = (
        ClassificationRule(
            "vip", RuleMatch(requester_group=("acme",)), RuleOutcome(urgency="high", tags=("vip",))
        ),
        ClassificationRule("loser", RuleMatch(text=("jam",)), RuleOutcome("a", "b"), 0.5),
        ClassificationRule(
            "printer jam",
            RuleMatch(subject=("jam",), channel=("email",)),
            RuleOutcome("hardware", "incident", tags=("printer",)),
            0.95,
        ),
    )
    found = classify(rules, subject="Printer JAM!", requester_group="acme")
    assert found == Classification(
        category="hardware",
        kind="incident",
        confidence=0.95,
        urgency="high",
        tags=("vip", "printer"),
        source="rules",
        reason=(
            "rule 'printer jam': subject has 'jam'; channel email; "
            "also rule 'vip' (urgency, tags): requester group acme"
        ),
    )


def test_rules_compile_once() -> None:
    when = RuleMatch(subject=("jam",), pattern="x")
    rule = ClassificationRule("r", when, HARDWARE)
    classify([rule], subject="jam")
    compiled = when._compiled
    classify([rule], subject="jam x")
    assert when._compiled is compiled


# --- problems ----------------------------------------------------------------------------

ALLOWED = {
    "category": ("billing", "outage"),
    "kind": ("incident", "question"),
    "impact": ("high", "low"),
    "urgency": ("high", "low"),
    "channel": ("email", "web"),
}


def test_sound_rules_have_no_problems() -> None:
    rules = (
        ClassificationRule("a", RuleMatch(subject=("down",)), RuleOutcome("outage", "incident")),
        ClassificationRule("b", RuleMatch(channel=("web",)), RuleOutcome(urgency="low")),
        ClassificationRule("c", RuleMatch(), RuleOutcome("billing", "question"), 0.0),
    )
    assert list(classification_problems(rules, ALLOWED)) == []
    assert list(classification_problems((), ALLOWED)) == []


def test_every_problem_is_listed_with_its_path() -> None:
    propose = RuleOutcome("billing", "incident")
    rules = (
        ClassificationRule("dup", RuleMatch(subject=("a",)), propose),
        ClassificationRule("dup", RuleMatch(subject=("b",)), propose, confidence=1.5),
        ClassificationRule(" ", RuleMatch(subject=("c",)), propose, confidence=-0.1),
        ClassificationRule(
            "blank keywords",
            RuleMatch(subject=("ok", " "), body=("",), text=("\t",), not_text=("\u3000",)),
            propose,
        ),
        ClassificationRule("bad pattern", RuleMatch(pattern="(unclosed"), propose),
        ClassificationRule("empty pattern", RuleMatch(pattern=""), propose),
        ClassificationRule(
            "unknown values",
            RuleMatch(channel=("email", "fax")),
            RuleOutcome("x", "y", impact="huge", urgency="now"),
        ),
        ClassificationRule(
            "fields", RuleMatch(fields={"plan": (), "tier": ("gold",)}), RuleOutcome(tags=("a",))
        ),
        ClassificationRule("category only", RuleMatch(text=("d",)), RuleOutcome(category="outage")),
        ClassificationRule("kind only", RuleMatch(text=("e",)), RuleOutcome(kind="incident")),
        ClassificationRule("nothing", RuleMatch(text=("f",)), RuleOutcome()),
        ClassificationRule("blank tag", RuleMatch(text=("g",)), RuleOutcome(tags=("ok", " "))),
        ClassificationRule("early fallback", RuleMatch(), propose),
        ClassificationRule("last", RuleMatch(text=("h",)), propose),
    )
    assert list(classification_problems(rules, ALLOWED)) == [
        "$.classification[1].name: 'dup' is listed twice",
        "$.classification[1].confidence: must be between 0 and 1, got 1.5",
        "$.classification[2].name: must not be blank",
        "$.classification[2].confidence: must be between 0 and 1, got -0.1",
        "$.classification[3].when.subject[1]: a keyword must not be blank",
        "$.classification[3].when.body[0]: a keyword must not be blank",
        "$.classification[3].when.text[0]: a keyword must not be blank",
        "$.classification[3].when.not_text[0]: a keyword must not be blank",
        "$.classification[4].when.pattern: not a valid regular expression: missing ): "
        "(unclosed (see the RE2 syntax: https://github.com/google/re2/wiki/Syntax)",
        "$.classification[5].when.pattern: must not be empty (leave it out to match any text)",
        "$.classification[6].when.channel: expected one of email, web, got 'fax'",
        "$.classification[6].then.category: expected one of billing, outage, got 'x'",
        "$.classification[6].then.kind: expected one of incident, question, got 'y'",
        "$.classification[6].then.impact: expected one of high, low, got 'huge'",
        "$.classification[6].then.urgency: expected one of high, low, got 'now'",
        "$.classification[7].when.fields.plan: list at least one accepted value",
        "$.classification[8].then.kind: required with a category (a rule proposes both or neither)",
        "$.classification[9].then.category: required with a kind (a rule proposes both or neither)",
        "$.classification[10].then: sets nothing (set category and kind, impact, urgency or tags)",
        "$.classification[11].then.tags[1]: a tag must not be blank",
        "$.classification[12].when: no conditions, so the rule matches every request; "
        "only the last rule may (the fallback)",
    ]


def test_values_are_checked_only_against_the_kinds_given() -> None:
    rule = ClassificationRule("r", RuleMatch(channel=("fax",)), RuleOutcome("x", "y"))
    assert list(classification_problems((rule,), {})) == []
    assert list(classification_problems((rule,), {"category": ()}, path="$.rules")) == [
        "$.rules[0].then.category: expected one of (none), got 'x'"
    ]


# --- policy text -------------------------------------------------------------------------

POLICY = """
[[classification]]
name = "printer jam"
confidence = 0.95
when = { subject = ["jam", "paper jam"], channel = ["email", "web"] }
then = { category = "hardware", kind = "incident", urgency = "high", tags = ["printer"] }

[[classification]]
name = "gold customers"
[classification.when]
requester_group = ["acme"]
fields = { plan = ["gold"] }
[classification.then]
impact = "high"
tags = ["vip"]

[[classification]]
name = "everything else"
when = {}
then = { category = "general", kind = "question" }
confidence = 0.3
"""


def load_rules(text: str) -> RULES:
    data = tomllib.loads(text)["classification"]
    return structure_checked(data, RULES, what="classification is invalid", error=PolicyError)


def test_rules_are_read_from_policy_toml() -> None:
    rules = load_rules(POLICY)
    assert rules[0] == ClassificationRule(
        "printer jam",
        RuleMatch(subject=("jam", "paper jam"), channel=("email", "web")),
        RuleOutcome("hardware", "incident", urgency="high", tags=("printer",)),
        0.95,
    )
    assert rules[1].when.fields == {"plan": ("gold",)}
    assert rules[2].when.is_fallback
    found = classify(
        rules, subject="Paper jam", channel="web", requester_group="acme", fields={"plan": "Gold"}
    )
    assert found is not None
    assert (found.category, found.impact, found.urgency, found.tags) == (
        "hardware",
        "high",
        "high",
        ("printer", "vip"),
    )
    assert (found := classify(rules, subject="Hello")) is not None
    assert (found.category, found.confidence, found.reason) == (
        "general",
        0.3,
        "rule 'everything else': matches every request",
    )


def test_rules_round_trip_through_canonical_json_and_pickle() -> None:
    rules = load_rules(POLICY)
    classify(rules, subject="jam")
    document = json.loads(canonical_json(converter.unstructure(rules)))
    assert converter.structure(document, RULES) == rules
    assert pickle.loads(pickle.dumps(rules)) == rules
    assert hash(rules) == hash(load_rules(POLICY))


def test_malformed_rules_are_refused_with_every_path() -> None:
    text = """
    [[classification]]
    name = "ok"
    when = { subject = ["jam"] }
    then = { category = "hardware", kind = "incident" }

    [[classification]]
    name = 7
    confidence = "high"
    when = { subject = "jam", colour = ["red"], fields = { plan = "gold" } }
    then = { tags = ["a", 1] }

    [[classification]]
    name = "no outcome"
    when = {}
    """
    with pytest.raises(PolicyError) as info:
        load_rules(text)
    assert str(info.value).startswith("classification is invalid:\n")
    assert sorted(info.value.problems) == [
        "$[1].confidence: expected a number, got 'high'",
        "$[1].name: expected text, got 7",
        "$[1].then.tags[1]: expected text, got 1",
        "$[1].when.fields['plan']: expected a list of texts, got the text 'gold'",
        "$[1].when.subject: expected a list of texts, got the text 'jam'",
        "$[1].when: unknown field(s) colour",
        "$[2].then: required field is missing",
    ]


# --- properties --------------------------------------------------------------------------

WORDS = ("jam", "printer", "paper jam", "refund", "login", "down", "Jam")
words = st.lists(st.sampled_from(WORDS), max_size=2).map(tuple)
values = st.none() | st.sampled_from(("a", "b"))
outcomes = st.builds(
    RuleOutcome,
    category=values,
    kind=values,
    impact=values,
    urgency=values,
    tags=st.lists(st.sampled_from(("t1", "t2", "t3")), max_size=2).map(tuple),
)
matches = st.builds(
    RuleMatch,
    subject=words,
    body=words,
    text=words,
    not_text=st.lists(st.sampled_from(WORDS), max_size=1).map(tuple),
    pattern=st.none() | st.sampled_from((r"\d", "(?i)error", "^re:")),
    channel=st.lists(st.sampled_from(("email", "web")), max_size=1).map(tuple),
    requester_group=st.lists(st.sampled_from(("acme", "globex")), max_size=1).map(tuple),
    fields=st.dictionaries(st.sampled_from(("plan",)), st.just(("gold",)), max_size=1),
)
rules_ = st.builds(
    ClassificationRule,
    name=st.sampled_from(("r1", "r2", "r3", "r4")),
    when=matches,
    then=outcomes,
    confidence=st.sampled_from((0.5, 0.8, 0.9)),
)
sentences = st.lists(st.sampled_from((*WORDS, "error 42", "Re:", "pajamas", "x")), max_size=5)
requests = st.fixed_dictionaries(
    {
        "subject": sentences.map(" ".join),
        "description": sentences.map(" ".join),
        "channel": st.sampled_from(("email", "web")),
        "requester_group": st.none() | st.sampled_from(("acme", "globex")),
        "fields": st.sampled_from(({}, {"plan": "gold"}, {"plan": "GOLD"}, {"plan": "free"})),
    }
)


@settings(max_examples=300, deadline=None)
@given(rules=st.lists(rules_, max_size=6), extra=rules_, request=requests, data=st.data())
def test_a_rule_that_does_not_match_changes_nothing(
    rules: list[ClassificationRule],
    extra: ClassificationRule,
    request: dict[str, Any],
    data: st.DataObject,
) -> None:
    probe = attrs.evolve(extra, then=HARDWARE)
    assume(classify_request([probe], **request) is None)
    at = data.draw(st.integers(0, len(rules)), label="at")
    before = classify_request(rules, **request)
    after = classify_request([*rules[:at], extra, *rules[at:]], **request)
    assert after == before


@settings(max_examples=300, deadline=None)
@given(keyword=st.text(min_size=1), before=st.text(), after=st.text())
def test_a_keyword_matches_when_written_between_spaces(
    keyword: str, before: str, after: str
) -> None:
    assume(keyword.strip())
    rule = ClassificationRule("r", RuleMatch(text=(keyword,)), HARDWARE)
    text = f"{before} {keyword} {after}"
    assert classify([rule], subject=text) is not None
    assert classify([rule], description=text) is not None


@settings(max_examples=200, deadline=None)
@given(
    keyword=st.text(string.ascii_letters + string.digits + " -.", min_size=1),
    before=st.text(string.printable),
)
def test_an_ascii_keyword_matches_in_any_case(keyword: str, before: str) -> None:
    assume(keyword.strip())
    rule = ClassificationRule("r", RuleMatch(subject=(keyword,)), HARDWARE)
    assert classify([rule], subject=f"{before} {keyword.swapcase()}!") is not None
    assert classify([rule], subject=f"{before} {keyword.upper()}") is not None
