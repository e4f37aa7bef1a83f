"""Benchmark classifying 100 kB of hostile client text against catastrophic patterns, same run.

The rules: a policy's classification list holding the patterns a backtracking engine takes
exponential time on (``(a+)+$``, ``(a|aa)+$``, ``(.*a){20}``, ``(\\w+\\s?)+$``), an
ordinary pattern (``(?i)\\binv-\\d+``), keyword rules and a fallback. The texts: 100 kB of
``a`` then ``!`` (each catastrophic pattern fails only at the very end), ``aab`` repeated,
and a Unicode one. Only ``classify_request`` is timed (the entry the desk's classifier uses):
normalising the text, every keyword rule and every pattern search.

Baselines, same run and same text: a plain ``in`` test for an absent word, and Python's
``re`` searching the safe ``(?i)\\binv-\\d+``. For scale, the run also times ``re`` on
``(a+)+$`` against 22 characters (as the classifier did before RE2; each character more
doubles it), and the most DFA-hostile pattern the step limit admits on random ``ab`` text.
"""

from __future__ import annotations

import argparse
import operator
import random
import re
import time
from collections.abc import Callable
from functools import partial

from report import Row, machine, print_table, section

from serviceflow.domain.policy._classification import (
    ClassificationRule,
    RuleMatch,
    RuleOutcome,
    classify_request,
)

TEXT_SIZE = 100_000
TARGET_MS = 50.0
HOSTILE = (r"(a+)+$", r"(a|aa)+$", r"(.*a){20}", r"(\w+\s?)+$")
SAFE = r"(?i)\binv-\d+"
DFA_HOSTILE = r"[ab]*a[ab]{490}x"
"""About 500 steps, just under the limit: on random ``ab`` text the DFA thrashes."""


def rules() -> list[ClassificationRule]:
    """Catastrophic patterns, an ordinary one, keyword rules and a fallback."""
    outcome = RuleOutcome(category="billing", kind="question")
    found = [
        ClassificationRule(f"hostile {n}", RuleMatch(pattern=p), outcome, 0.5)
        for n, p in enumerate(HOSTILE)
    ]
    return [
        *found,
        ClassificationRule("invoice", RuleMatch(pattern=SAFE), outcome, 0.9),
        ClassificationRule("jam", RuleMatch(subject=("jam", "paper jam")), outcome, 0.8),
        ClassificationRule("refund", RuleMatch(text=("refund",), not_text=("test",)), outcome),
        ClassificationRule("fallback", RuleMatch(), outcome, 0.1),
    ]


def texts() -> dict[str, str]:
    """Three 100 kB descriptions a client could send."""
    return {
        "a…a!": "a" * TEXT_SIZE + "!",
        "aab…": ("aab" * TEXT_SIZE)[:TEXT_SIZE] + "!",
        "Unicode": ("é à ü ß 😀 a\n" * TEXT_SIZE)[:TEXT_SIZE] + "!",
    }


def best_ms(run: Callable[[], object], rounds: int) -> float:
    """The fastest of ``rounds`` calls of ``run``, in milliseconds."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best * 1e3


def main() -> None:
    """Print the time to classify each hostile text, next to its baselines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    quick = parser.parse_args().quick
    rounds = 3 if quick else 10
    print(machine("classification"))
    policy = rules()
    safe = re.compile(SAFE)
    rows: list[Row] = []
    with section(f"classify {TEXT_SIZE:,}-character texts, {len(policy)} rules, best of {rounds}"):
        for name, text in texts().items():

            def classify(text: str = text) -> object:
                return classify_request(
                    policy,
                    subject="help",
                    description=text,
                    channel="email",
                    requester_group=None,
                    fields={},
                )

            classify()  # compile the patterns once, as the desk does per policy
            ms = best_ms(classify, rounds)
            find_ms = best_ms(partial(operator.contains, text, "zebra"), rounds)
            re_ms = best_ms(partial(safe.search, text), rounds)
            met = "met" if ms < TARGET_MS else "NOT met"
            rows.append(
                Row(
                    f"classify, 100 kB {name}",
                    f"{ms:.2f} ms",
                    f"`in` {find_ms:.3f} ms; re safe {re_ms:.2f} ms",
                    f"{ms / find_ms:,.0f}× / {ms / re_ms:.1f}×",
                    f"< {TARGET_MS:.0f} ms",
                    met,
                )
            )
    with section("for scale: re on (a+)+$, and the most DFA-hostile accepted pattern"):
        short = "a" * 22 + "!"
        catastrophic = re.compile(HOSTILE[0])
        before_ms = best_ms(lambda: catastrophic.search(short), 1)
        rows.append(Row("before: re (a+)+$, 23 chars", f"{before_ms:,.0f} ms", "", "", "", ""))
        rng = random.Random(7)
        noise = "".join(rng.choice("ab") for _ in range(TEXT_SIZE))
        worst = [ClassificationRule("worst", RuleMatch(pattern=DFA_HOSTILE), rules()[-1].then)]

        def thrash() -> object:
            return classify_request(
                worst,
                subject="",
                description=noise,
                channel="email",
                requester_group=None,
                fields={},
            )

        thrash()
        worst_ms = best_ms(thrash, 3)
        rows.append(
            Row(f"{DFA_HOSTILE}, 100 kB random ab", f"{worst_ms:.0f} ms", "", "", "linear", "")
        )
    print_table(rows)


if __name__ == "__main__":
    main()
