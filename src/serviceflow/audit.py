"""The audit streams: every refused command, one hash-chained stream per UTC day.

A refusal changes no case, but who tried what, and why it was refused, is kept: an
``audit.refused`` event in ``audit:YYYY-MM-DD``. Desks append concurrently with the same
optimistic check as cases (a collision reads the new head and tries again).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from serviceflow import commands as cmd
from serviceflow import events as ev
from serviceflow.chain import chain_records
from serviceflow.errors import ConcurrencyConflict, GuardrailViolation, NotAuthorized
from serviceflow.serialization import GENESIS, decode_event, encode_event, iso
from serviceflow.store import Store, StreamWrite

log = logging.getLogger("serviceflow.audit")
_ATTEMPTS = 20


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
    """Append ``event`` to its day's audit stream, after whatever other desks appended."""
    stream = audit_stream(event.at.date())
    item = (event.TYPE, iso(event.at), encode_event(event))
    for _ in range(_ATTEMPTS):
        last = store.last(stream)
        version, head = (last.seq, last.hash) if last is not None else (0, GENESIS)
        try:
            store.append(
                [StreamWrite(stream, version, chain_records(stream, version, head, [item]), None)]
            )
            return
        except ConcurrencyConflict:
            continue
    log.error(
        "could not record refusal of %s on %s after %d attempts",
        event.command,
        event.case_id,
        _ATTEMPTS,
    )


def read(store: Store, day: date) -> list[ev.Refused]:
    """The refusals recorded on ``day`` (UTC), in order."""
    found = []
    for record_ in store.read(audit_stream(day)):
        event = decode_event(record_.data)
        if isinstance(event, ev.Refused):
            found.append(event)
    return found
