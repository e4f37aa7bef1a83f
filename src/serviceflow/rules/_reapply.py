"""Whether a new policy changes how a case's clocks run, so reapplying it needs an event.

A case's SLA and escalation timers follow from its events, the service level it matches,
that level's calendar, the escalation rules and the priority order; a policy that changes
none of these for the case leaves its clocks as they are, and reapplying it writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from serviceflow.domain._case import Case
from serviceflow.domain.policy._policy import Policy


def clock_changes(old: Policy, new: Policy) -> Callable[[Case], bool]:
    """A test of whether ``new`` runs a case's clocks otherwise than ``old`` did: another
    level (or the same name with other targets), another level than the case records, or,
    for every case, other calendars, escalation rules or priority order. What concerns
    the whole policy is compared once, here, not per case."""
    if (
        old.escalation != new.escalation
        or old.priority.names != new.priority.names
        or old.calendar_map != new.calendar_map
    ):
        return lambda case: True
    same = frozenset(level.name for level in new.sla if old.level_named(level.name) == level)

    def changes(case: Case) -> bool:
        level = new.service_level(case)
        before = old.service_level(case)
        if level is None:
            return before is not None or case.sla is not None
        return (
            level.name not in same
            or before is None
            or before.name != level.name
            or case.sla != level.name
        )

    return changes
