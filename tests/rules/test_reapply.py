"""Whether a new policy changes how a case's clocks run (so reapplying it writes an event)."""

from __future__ import annotations

import attrs

from serviceflow import load_policy
from serviceflow.rules._reapply import clock_changes

from ..rules.test_plan import walked

LEVELS = {
    "sla": [
        {
            "name": "fast",
            "when": {"priority": ["critical"]},
            "targets": {"resolution": {"within": "2h"}},
        },
        {"name": "all", "targets": {"resolution": {"within": "8h"}}},
    ]
}


def test_only_what_moves_a_cases_clocks_counts() -> None:
    old = load_policy(LEVELS)
    case, _ = walked(old, steps=3)
    assert case.sla == "all"
    assert not clock_changes(old, old)(case)
    assert not clock_changes(old, attrs.evolve(old, canned={"hi": "Hello"}))(case)
    slower = load_policy(
        {"sla": [LEVELS["sla"][0], {"name": "all", "targets": {"resolution": {"within": "9h"}}}]}
    )
    assert clock_changes(old, slower)(case), "the same name with another target"
    assert clock_changes(old, load_policy({}))(case), "no level any more"
    assert clock_changes(old, attrs.evolve(old, calendars={}))(attrs.evolve(case, sla="fast")), (
        "the case records another level than the one it matches"
    )
