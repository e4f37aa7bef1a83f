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

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property

from attrs import field, frozen

from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.domain._messages import Classification
from serviceflow.domain.policy._rule_keywords import Folded, Keywords, compile_keywords, fold
from serviceflow.domain.policy._rule_patterns import (
    MAX_PATTERN_STEPS,
    PATTERN_MAX_MEM,
    RulePattern,
    compile_pattern,
    try_pattern,
)

# The pattern limits too: this module is 0.1's ``serviceflow.classifier``, which had them
# (until 0.3).
__all__ = [
    "MAX_PATTERN_STEPS",
    "PATTERN_MAX_MEM",
    "SOURCE",
    "ClassificationRule",
    "RuleMatch",
    "RuleOutcome",
    "classification_problems",
    "classify_request",
]

SOURCE = "rules"
"""``Classification.source`` of this classifier's proposals."""

_KEYWORD_CONDITIONS = ("subject", "body", "text", "not_text")

_OUTCOME_VALUES = ("category", "kind", "impact", "urgency")

_SNIPPET = 40


def _accepted_values(value: Mapping[str, Sequence[str]]) -> Mapping[str, tuple[str, ...]]:
    return ReadOnlyMap({name: tuple(values) for name, values in value.items()})


@frozen
class _Compiled:
    """A rule's conditions made ready to match: regexes compiled, accepted values folded."""

    subject: Keywords | None
    body: Keywords | None
    text: Keywords | None
    not_text: Keywords | None
    pattern: RulePattern | None
    fields: tuple[tuple[str, frozenset[str]], ...]


@frozen
class _Request:
    """A new request as rules see it: raw text for patterns, folded text for keywords."""

    subject: Folded
    description: Folded
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
            subject=compile_keywords(self.subject),
            body=compile_keywords(self.body),
            text=compile_keywords(self.text),
            not_text=compile_keywords(self.not_text),
            pattern=compile_pattern(self.pattern) if self.pattern is not None else None,
            fields=tuple(
                (name, frozenset(fold(v) for v in values)) for name, values in self.fields.items()
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
        if value is None or fold(value) not in accepted:
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
        subject=Folded(fold(subject)),
        description=Folded(fold(description)),
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
            if not fold(keyword).split():
                yield f"{at}.{condition}[{j}]: a keyword must not be blank"
    if when.pattern is not None:
        if not when.pattern:
            yield f"{at}.pattern: must not be empty (leave it out to match any text)"
        else:
            problem = try_pattern(when.pattern)[1]
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
