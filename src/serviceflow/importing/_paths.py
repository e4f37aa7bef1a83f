"""The lifecycle paths the importer may synthesise: the shortest run of triggers that takes
a case from one state to another.
"""

from __future__ import annotations

from collections.abc import Iterator

from serviceflow.domain._states import (
    ASSIGNED,
    CLASSIFIED,
    CLOSED,
    INTAKE,
    PRIORITIZED,
    RESOLVED,
    STATES,
    VALIDATED,
)
from serviceflow.rules._lifecycle import DESTINATIONS

PRE_WORK = frozenset({INTAKE, CLASSIFIED, PRIORITIZED, ASSIGNED})
"""Targets that mean "not yet worked": triage goes as far as the row's attributes allow."""
TRIAGE_GAP = {
    INTAKE: "no category",
    CLASSIFIED: "no priority",
    PRIORITIZED: "nobody assigned",
}
AFTER_RESOLUTION = frozenset({RESOLVED, VALIDATED, CLOSED})
"""States after a resolution: a reopen counter, not a path, explains going back."""

_PATH_TRIGGERS = (
    "acknowledge",
    "request_info",
    "client_reply",
    "resolve",
    "validate",
    "close",
    "cancel",
)
"""Triggers the importer may synthesise on the way to a row's state, in order of preference;
``reopen`` joins them when no reopen counter is mapped."""


def state_paths(*, reopen: bool) -> dict[tuple[str, str], tuple[str, ...]]:
    """The shortest run of synthesised triggers between each pair of states."""
    triggers = (*_PATH_TRIGGERS, "reopen") if reopen else _PATH_TRIGGERS
    moves: dict[str, list[tuple[str, str]]] = {}
    for trigger in triggers:
        for (name, source), dest in DESTINATIONS.items():
            if name == trigger and dest != source:
                moves.setdefault(source, []).append((trigger, dest))
    paths: dict[tuple[str, str], tuple[str, ...]] = {}
    for start in STATES:
        paths[(start, start)] = ()
        frontier = [start]
        while frontier:
            following = []
            for state in frontier:
                for trigger, dest in moves.get(state, ()):
                    if (start, dest) not in paths:
                        paths[(start, dest)] = (*paths[(start, state)], trigger)
                        following.append(dest)
            frontier = following
    return paths


def describe_paths(*, reopen: bool = False) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Each ``(from, to, triggers)`` the importer may synthesise (for the docs and tests)."""
    for (start, end), steps in sorted(state_paths(reopen=reopen).items()):
        if steps:
            yield start, end, steps
