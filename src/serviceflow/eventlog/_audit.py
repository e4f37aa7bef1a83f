"""The audit streams: every refused command, one hash-chained stream per UTC day.

A refusal changes no case, but who tried what, and why it was refused, is kept: an
``audit.refused`` event in ``audit:YYYY-MM-DD``. Desks append concurrently: the head is
read and the event appended in one store transaction (``Store.append_next``), so no
refusal is lost to a race.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import decode_event
from serviceflow.errors import GuardrailViolation, NotAuthorized
from serviceflow.eventlog._chain import next_records
from serviceflow.eventlog._store import Store


def audit_stream(day: date) -> str:
    """The audit stream of a UTC day."""
    return f"{ev.AUDIT}{day.isoformat()}"


def refusal(
    command: cmd.Command,
    actor: str,
    error: NotAuthorized | GuardrailViolation,
    at: datetime,
    policy: str,
) -> ev.Refused:
    """The audit event for a refused command."""
    rule = f"guardrail:{error.guardrail}" if isinstance(error, GuardrailViolation) else "authority"
    return ev.Refused(
        case_id=command.case_id,
        command=command.NAME,
        rule=rule,
        reason=str(error),
        at=at,
        by=actor or "unknown",
        policy=policy,
    )


def record(store: Store, event: ev.Refused) -> None:
    """Append ``event`` at the end of its day's audit stream, after whatever is there."""
    stream = audit_stream(event.at.date())
    store.append_next(stream, partial(next_records, stream, event=event))


def read(store: Store, day: date) -> list[ev.Refused]:
    """The refusals recorded on ``day`` (UTC), in order."""
    found = []
    for record_ in store.read(audit_stream(day)):
        event = decode_event(record_.data)
        if isinstance(event, ev.Refused):
            found.append(event)
    return found
