"""The built-in rule classifier: ordered policy rules propose a category, kind and more.

A rule has conditions on a new request (``when``), an outcome (``then``) and a confidence.
Every rule is evaluated against the request:

- among the matching rules that set both a category and a kind, the most confident one
  wins; on a tie the earlier rule wins;
- impact and urgency come from the winner, else (each on its own) from the first matching
  rule, in order, that sets it;
- the tags are those of every matching rule, in rule order, without repeats;
- when no matching rule sets both a category and a kind there is no proposal.

The proposal's ``reason`` names the winning rule and what it matched, then every other rule
that gave the impact, the urgency or a tag, so a person can see why.

Conditions (all that are given must hold; an empty list is no constraint):

- ``subject``, ``body`` (the description), ``text`` (either one): any one keyword or phrase
  appears as a whole word, ignoring case and Unicode width/compatibility forms (NFKC plus
  case folding); a run of spaces in a phrase matches any run of whitespace. ``jam`` matches
  "Printer JAM!" and "jam-packed" but not "pajamas" or "paper_jam".
- ``not_text``: none of these keywords appears in the subject or the description.
- ``pattern``: a regular expression in RE2 syntax, searched anywhere in the subject, a newline
  and the description (NFC-normalised, case kept): add ``(?i)`` for case-insensitive (Unicode
  case folding), ``(?m)`` for ``^``/``$`` at each line, ``(?s)`` for ``.`` to match a
  newline. RE2 runs in time linear in the text whatever the pattern, so client text cannot
  make intake hang; it has no backreferences, lookaround or possessive repeats (a policy
  using them is refused), ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII (use ``\\pL``,
  ``\\pN`` for any script) and ``$`` is only the very end of the text (or line, with
  ``(?m)``). A pattern whose compiled program exceeds RE2's memory budget, or with more
  than ``MAX_PATTERN_STEPS`` steps once counted repeats are expanded, is refused too.
- ``channel``, ``requester_group``: one of these values, exactly (no group never matches).
- ``fields``: for each custom field named, its value is one of the accepted values (compared
  like keywords, but as the whole value); a request without that field does not match.

A rule with no conditions matches every request: only the last rule may be one (the
fallback), so it never wins a tie nor shadows another rule's impact or urgency.

In TOML::

    [[classification]]
    name = "printer jam"
    confidence = 0.95
    when = { subject = ["jam", "paper jam"], channel = ["email", "web"] }
    then = { category = "hardware", kind = "incident", urgency = "high", tags = ["printer"] }

Keywords and patterns are compiled once per rule, on first use, and kept with the rule.
``classification_problems`` reports what types cannot say (a broken pattern, an unknown
category, a fallback that is not last, ...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Protocol, cast

import re2
from attrs import field, frozen

from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.domain._messages import Classification
from serviceflow.errors import ValidationError

SOURCE = "rules"
"""``Classification.source`` of this classifier's proposals."""

_KEYWORD_CONDITIONS = ("subject", "body", "text", "not_text")

_OUTCOME_VALUES = ("category", "kind", "impact", "urgency")

_SNIPPET = 40
_WORD = re.compile(r"\w+")


def _fold(text: str) -> str:
    """Text as keywords compare it: compatibility-normalised (NFKC), then case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _accepted_values(value: Mapping[str, Sequence[str]]) -> Mapping[str, tuple[str, ...]]:
    return ReadOnlyMap({name: tuple(values) for name, values in value.items()})


@frozen
class _Folded:
    """Text as keywords see it: folded, and its words for a quick first test."""

    text: str

    @cached_property
    def words(self) -> frozenset[str]:
        """Every run of word characters: a keyword's first word, if a word, is one of them."""
        return frozenset(_WORD.findall(self.text))


@frozen
class _Keywords:
    """A keyword list made ready to search; ``find`` names the keyword that appears first."""

    searches: tuple[tuple[str, bool, re.Pattern[str], str], ...]
    """(first word, is it all word characters, search, keyword as written), longest first."""

    def find(self, folded: _Folded) -> str | None:
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


def _compile_keywords(keywords: tuple[str, ...]) -> _Keywords | None:
    """``None`` for no keywords (no constraint); blank keywords never match."""
    if not keywords:
        return None
    phrases = [(_fold(k).split(), k) for k in keywords]
    # At one position the longest phrase wins, so "paper jam" is named rather than "paper".
    phrases = sorted((p for p in phrases if p[0]), key=lambda p: -len(" ".join(p[0])))
    return _Keywords(
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


PATTERN_MAX_MEM = 8 << 20
"""RE2's memory budget for one pattern (its program and DFA cache); a bigger one is refused."""

MAX_PATTERN_STEPS = 500
"""Most steps a pattern may have once counted repeats are expanded (``[a-z]{2000}`` has 2000).

The DFA's states, and the work per character when RE2 falls back from the DFA, grow with it.
"""

_HINTS = (
    (
        r"invalid escape sequence: \\[1-9]",
        "backreferences are not supported; match the text itself, or use keyword conditions",
    ),
    (
        r"invalid perl operator: \(\?<?[=!]",
        "lookahead and lookbehind are not supported; match "
        "the text itself, or use not_text for what must be absent",
    ),
    (
        r"invalid perl operator: \(\?P[=>]?$",
        "named backreferences ((?P=name)) are not supported; match the text itself",
    ),
    (
        r"bad repetition operator: [*+?}]\+",
        "possessive repeats are not needed (RE2 never backtracks): write a plain repeat",
    ),
    (r"invalid escape sequence: \\Z", "write \\z for the end of the text"),
    (r"invalid escape sequence: \\[uUN]", "write a character as \\x{e9}"),
    (r"invalid perl operator: \(\?[a-zA-Z]", "the flags are i, m, s and U"),
    (r"invalid perl operator: \(\?#", "comments are not supported"),
    (r"invalid repetition size", "a count is at most 1000"),
    (r"pattern too large", "split it into several rules or use smaller counts"),
)
"""(RE2 error, what to write instead) for the Python ``re`` habits RE2 refuses."""


class _Hit(Protocol):
    def group(self) -> str: ...


class _Pattern(Protocol):
    """A compiled RE2 pattern, as the classifier uses it."""

    def search(self, text: str) -> _Hit | None: ...


def _options(*, latin1: bool = False) -> re2.Options:
    options = re2.Options()
    options.max_mem = PATTERN_MAX_MEM
    options.log_errors = False
    # Only the whole match is shown; no groups lets RE2 find it with its DFAs alone.
    options.never_capture = True
    if latin1:
        options.encoding = re2.Options.Encoding.LATIN1
    return options


def _steps(pattern: str, program_size: int) -> int:
    """The pattern's size in steps: its program compiled on bytes, where a class is one step.

    A class such as ``\\pL`` is a large program over UTF-8 but one step of work; when the
    byte form does not compile, ``program_size`` (the UTF-8 program's) is taken.
    """
    try:
        return int(re2.compile(pattern.encode(), _options(latin1=True)).programsize)
    except re2.error:
        return program_size


def _why_not(exc: Exception) -> str:
    """RE2's reason a pattern does not compile, with what to write instead when known."""
    why = exc.args[0] if exc.args else str(exc)
    why = why.decode("utf-8", "replace") if isinstance(why, bytes) else str(why)
    for found, instead in _HINTS:
        if re.search(found, why):
            return f"{why} ({instead})"
    return f"{why} (see the RE2 syntax: https://github.com/google/re2/wiki/Syntax)"


def _try_pattern(pattern: str) -> tuple[_Pattern | None, str | None]:
    """The compiled pattern, or why it is refused (RE2 cannot compile it, or it is too big)."""
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        return None, f"not a valid regular expression: {_why_not(exc)}"
    steps = _steps(pattern, int(compiled.programsize))
    if steps > MAX_PATTERN_STEPS:
        return None, (
            f"too large: {steps} steps once repeats are expanded, at most {MAX_PATTERN_STEPS} "
            "(use smaller counts, or split it into several rules)"
        )
    return cast(_Pattern, compiled), None


def _compile_pattern(pattern: str) -> _Pattern:
    compiled, problem = _try_pattern(pattern)
    if compiled is None:
        raise ValidationError(
            "a classification rule is invalid", [f"when.pattern: {problem} (in {pattern!r})"]
        )
    return compiled


@frozen
class _Compiled:
    """A rule's conditions made ready to match: regexes compiled, accepted values folded."""

    subject: _Keywords | None
    body: _Keywords | None
    text: _Keywords | None
    not_text: _Keywords | None
    pattern: _Pattern | None
    fields: tuple[tuple[str, frozenset[str]], ...]


@frozen
class _Request:
    """A new request as rules see it: raw text for patterns, folded text for keywords."""

    subject: _Folded
    description: _Folded
    text: str
    channel: str
    requester_group: str | None
    fields: Mapping[str, str]


@frozen
class RuleMatch:
    """Conditions on a new request; all that are given must hold, an empty list is any."""

    subject: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    not_text: tuple[str, ...] = ()
    pattern: str | None = None
    channel: tuple[str, ...] = ()
    requester_group: tuple[str, ...] = ()
    fields: Mapping[str, tuple[str, ...]] = field(factory=ReadOnlyMap, converter=_accepted_values)

    @property
    def is_fallback(self) -> bool:
        """True when the rule has no conditions, so it matches every request."""
        return self.pattern is None and not any(
            (
                self.subject,
                self.body,
                self.text,
                self.not_text,
                self.channel,
                self.requester_group,
                self.fields,
            )
        )

    @cached_property
    def _compiled(self) -> _Compiled:
        return _Compiled(
            subject=_compile_keywords(self.subject),
            body=_compile_keywords(self.body),
            text=_compile_keywords(self.text),
            not_text=_compile_keywords(self.not_text),
            pattern=_compile_pattern(self.pattern) if self.pattern is not None else None,
            fields=tuple(
                (name, frozenset(_fold(v) for v in values)) for name, values in self.fields.items()
            ),
        )


@frozen
class RuleOutcome:
    """What a matching rule proposes; a rule that wins must set both category and kind."""

    category: str | None = None
    kind: str | None = None
    impact: str | None = None
    urgency: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def proposes(self) -> bool:
        """True when the outcome can win: it sets both a category and a kind."""
        return self.category is not None and self.kind is not None


@frozen
class ClassificationRule:
    """One rule of the policy's ``classification`` list: if ``when`` holds, propose ``then``."""

    name: str
    when: RuleMatch
    then: RuleOutcome
    confidence: float = 0.9


_Matched = tuple[int, ClassificationRule, list[str]]
"""A matching rule: its position, the rule, and what it matched."""


def _snippet(text: str) -> str:
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def _evidence(when: RuleMatch, request: _Request) -> list[str] | None:
    """What matched, one phrase per condition, or ``None`` when a condition fails."""
    compiled = when._compiled
    # Cheap exact checks first; the explanation keeps the documented order below.
    if when.channel and request.channel not in when.channel:
        return None
    if when.requester_group and request.requester_group not in when.requester_group:
        return None
    field_values: list[str] = []
    for name, accepted in compiled.fields:
        value = request.fields.get(name)
        if value is None or _fold(value) not in accepted:
            return None
        field_values.append(f"field {name} is {value!r}")
    found: list[str] = []
    for keywords, text, where in (
        (compiled.subject, request.subject, "subject"),
        (compiled.body, request.description, "description"),
    ):
        if keywords is not None:
            keyword = keywords.find(text)
            if keyword is None:
                return None
            found.append(f"{where} has {keyword!r}")
    if compiled.text is not None:
        in_subject = compiled.text.find(request.subject)
        if in_subject is not None:
            found.append(f"subject has {in_subject!r}")
        else:
            in_description = compiled.text.find(request.description)
            if in_description is None:
                return None
            found.append(f"description has {in_description!r}")
    if compiled.not_text is not None:
        if (
            compiled.not_text.find(request.subject) is not None
            or compiled.not_text.find(request.description) is not None
        ):
            return None
        found.append(f"text has none of {', '.join(map(repr, when.not_text))}")
    if compiled.pattern is not None:
        hit = compiled.pattern.search(request.text)
        if hit is None:
            return None
        found.append(f"pattern found {_snippet(hit.group())!r}")
    if when.channel:
        found.append(f"channel {request.channel}")
    if when.requester_group:
        found.append(f"requester group {request.requester_group}")
    return [*found, *field_values] or ["matches every request"]


def classify_request(
    rules: Sequence[ClassificationRule],
    *,
    subject: str,
    description: str,
    channel: str,
    requester_group: str | None,
    fields: Mapping[str, str],
) -> Classification | None:
    """The rules' proposal for a new request, with its reason; ``None`` when none proposes.

    Raises ``ValidationError`` when a rule's pattern is refused (see ``classification_problems``).
    """
    request = _Request(
        subject=_Folded(_fold(subject)),
        description=_Folded(_fold(description)),
        text=unicodedata.normalize("NFC", f"{subject}\n{description}"),
        channel=channel,
        requester_group=requester_group,
        fields=fields,
    )
    matched = [
        (i, rule, evidence)
        for i, rule in enumerate(rules)
        if (evidence := _evidence(rule.when, request)) is not None
    ]
    winner: _Matched | None = None
    for entry in matched:
        rule = entry[1]
        if rule.then.proposes and (winner is None or rule.confidence > winner[1].confidence):
            winner = entry
    if winner is None:
        return None
    best_at, best, best_evidence = winner
    assert best.then.category is not None
    assert best.then.kind is not None
    impact_from = _setting(winner, matched, "impact")
    urgency_from = _setting(winner, matched, "urgency")
    tags: dict[str, int] = {}
    for i, rule, _ in matched:
        for tag in rule.then.tags:
            tags.setdefault(tag, i)
    reason = [f"rule {best.name!r}: {'; '.join(best_evidence)}"]
    for i, rule, evidence in matched:
        gave = [
            what
            for what, source in (("impact", impact_from), ("urgency", urgency_from))
            if source is not None and source[0] == i
        ]
        if i in tags.values():
            gave.append("tags")
        if i != best_at and gave:
            reason.append(f"also rule {rule.name!r} ({', '.join(gave)}): {'; '.join(evidence)}")
    return Classification(
        category=best.then.category,
        kind=best.then.kind,
        confidence=best.confidence,
        impact=impact_from[1].then.impact if impact_from is not None else None,
        urgency=urgency_from[1].then.urgency if urgency_from is not None else None,
        tags=tuple(tags),
        source=SOURCE,
        reason="; ".join(reason),
    )


def _setting(winner: _Matched, matched: list[_Matched], what: str) -> _Matched | None:
    """Who gives impact or urgency: the winner, else the first matching rule that sets it."""
    if getattr(winner[1].then, what) is not None:
        return winner
    return next((entry for entry in matched if getattr(entry[1].then, what) is not None), None)


def classification_problems(
    rules: Sequence[ClassificationRule],
    allowed: Mapping[str, tuple[str, ...]],
    *,
    path: str = "$.classification",
) -> Iterator[str]:
    """Problems types cannot express, each with its path.

    ``allowed`` names the policy's values for ``category``, ``kind``, ``impact``, ``urgency``
    and ``channel``; a key left out is not checked.
    """
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        at = f"{path}[{i}]"
        if not rule.name.strip():
            yield f"{at}.name: must not be blank"
        elif rule.name in seen:
            yield f"{at}.name: {rule.name!r} is listed twice"
        seen.add(rule.name)
        yield from _match_problems(f"{at}.when", rule.when, allowed)
        if rule.when.is_fallback and i != len(rules) - 1:
            yield (
                f"{at}.when: no conditions, so the rule matches every request; "
                "only the last rule may (the fallback)"
            )
        yield from _outcome_problems(f"{at}.then", rule.then, allowed)
        if not 0.0 <= rule.confidence <= 1.0:
            yield f"{at}.confidence: must be between 0 and 1, got {rule.confidence}"


def _match_problems(
    at: str, when: RuleMatch, allowed: Mapping[str, tuple[str, ...]]
) -> Iterator[str]:
    for condition in _KEYWORD_CONDITIONS:
        for j, keyword in enumerate(getattr(when, condition)):
            if not _fold(keyword).split():
                yield f"{at}.{condition}[{j}]: a keyword must not be blank"
    if when.pattern is not None:
        if not when.pattern:
            yield f"{at}.pattern: must not be empty (leave it out to match any text)"
        else:
            problem = _try_pattern(when.pattern)[1]
            if problem is not None:
                yield f"{at}.pattern: {problem}"
    yield from _unknown(f"{at}.channel", when.channel, allowed.get("channel"))
    for name, values in when.fields.items():
        if not values:
            yield f"{at}.fields.{name}: list at least one accepted value"


def _outcome_problems(
    at: str, then: RuleOutcome, allowed: Mapping[str, tuple[str, ...]]
) -> Iterator[str]:
    for what in _OUTCOME_VALUES:
        value = getattr(then, what)
        if value is not None:
            yield from _unknown(f"{at}.{what}", (value,), allowed.get(what))
    if then.category is not None and then.kind is None:
        yield f"{at}.kind: required with a category (a rule proposes both or neither)"
    if then.kind is not None and then.category is None:
        yield f"{at}.category: required with a kind (a rule proposes both or neither)"
    if not then.tags and all(getattr(then, what) is None for what in _OUTCOME_VALUES):
        yield f"{at}: sets nothing (set category and kind, impact, urgency or tags)"
    for j, tag in enumerate(then.tags):
        if not tag.strip():
            yield f"{at}.tags[{j}]: a tag must not be blank"


def _unknown(at: str, values: Sequence[str], allowed: tuple[str, ...] | None) -> Iterator[str]:
    if allowed is None:
        return
    for value in values:
        if value not in allowed:
            yield f"{at}: expected one of {', '.join(allowed) or '(none)'}, got {value!r}"
