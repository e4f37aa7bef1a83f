"""The desk's case filters as a store query, refusing states and limits that cannot match."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from serviceflow.core import _arguments as arguments
from serviceflow.errors import ValidationError
from serviceflow.eventlog._store import CaseQuery
from serviceflow.rules._lifecycle import STATES


def case_query(
    *,
    state: str | Iterable[str] | None,
    priority: str | None,
    category: str | None,
    assignee: str | None,
    requester: str | None,
    channel: str | None,
    limit: int | None = None,
) -> CaseQuery:
    """A store query from the desk's filters, refusing states and limits that cannot match."""
    states: tuple[str, ...] | None
    if state is None or isinstance(state, str):
        states = None if state is None else (state,)
    elif isinstance(state, Iterable) and not isinstance(state, Mapping | bytes):
        states = tuple(state)
    else:
        raise ValidationError("cannot query cases", [f"state: expected text, got {state!r:.60}"])
    problems = [
        f"state: expected one of {', '.join(STATES)}, got {s!r}"
        for s in states or ()
        if s not in STATES
    ]
    filters = {
        "priority": priority,
        "category": category,
        "assignee": assignee,
        "requester": requester,
        "channel": channel,
    }
    problems += [
        problem
        for name, value in filters.items()
        if value is not None
        for problem in arguments.text_problems(name, value)
    ]
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        problems.append(f"limit: expected a whole number ≥ 0, got {limit!r}")
    if problems:
        raise ValidationError("cannot query cases", problems)
    return CaseQuery(states=states, limit=limit, **filters)
