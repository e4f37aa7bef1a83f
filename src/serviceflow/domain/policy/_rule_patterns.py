"""RE2 patterns of classification rules: compiled within a memory and size budget, or
refused with what to write instead.
"""

from __future__ import annotations

import re
from typing import Protocol, cast

import re2

from serviceflow.errors import ValidationError

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


class RulePattern(Protocol):
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


def try_pattern(pattern: str) -> tuple[RulePattern | None, str | None]:
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
    return cast(RulePattern, compiled), None


def compile_pattern(pattern: str) -> RulePattern:
    compiled, problem = try_pattern(pattern)
    if compiled is None:
        raise ValidationError(
            "a classification rule is invalid", [f"when.pattern: {problem} (in {pattern!r})"]
        )
    return compiled
