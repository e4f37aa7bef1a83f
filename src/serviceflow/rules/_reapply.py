"""Whether a new policy changes how a case's clocks run, so reapplying it needs an event.

A case's SLA and escalation timers follow from its events, the service level it matches,
that level's calendar, the escalation rules and the priority order; a policy that changes
none of these for the case leaves its clocks as they are, and reapplying it writes nothing.
"""

from __future__ import annotations

from serviceflow.domain._case import Case
from serviceflow.domain.policy._policy import Policy


def clocks_change(old: Policy, new: Policy, case: Case) -> bool:
    """True when ``new`` runs ``case``'s clocks otherwise than ``old`` did: another level
    (or the same name with other targets), another level than the case records, other
    calendars, escalation rules or priority order."""
    level = new.service_level(case)
    if level != old.service_level(case):
        return True
    if case.sla != (level.name if level is not None else None):
        return True
    return (
        old.escalation != new.escalation
        or old.priority.names != new.priority.names
        or old.calendar_map != new.calendar_map
    )
