"""The store contract's plain records: what a query's filters let through."""

from __future__ import annotations

import attrs

from serviceflow.eventlog._store import CaseQuery
from serviceflow.testing.records import row


def test_a_query_matches_the_rows_that_pass_every_filter() -> None:
    base = attrs.evolve(row("A", 1), state="assigned", priority="high", channel="email")
    assert CaseQuery().matches(base)
    assert CaseQuery(states=("assigned", "in_progress"), priority="high").matches(base)
    assert not CaseQuery(states=("closed",)).matches(base)
    assert not CaseQuery(channel="phone").matches(base)
    assert CaseQuery(limit=0).matches(base), "the limit is the store's to apply"
