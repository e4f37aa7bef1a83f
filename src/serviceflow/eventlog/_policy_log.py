"""Which policy is in force: every replacement kept in one hash-chained desk stream.

``desk.reapply_policy`` appends a ``policy.applied`` event to ``policy:in-force`` (read and
appended in one store transaction, like the audit streams). The first desk opened on the
store with a policy records it too (``record_first``). A desk opened without a policy takes
the one the last record put in force, so a change made by one process (an improvement
cycle's Do or roll back, say) holds for every desk opened after it.
"""

from __future__ import annotations

import json
from functools import partial

from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import decode_event
from serviceflow.domain.policy._policy import Policy, load_policy
from serviceflow.errors import IntegrityError
from serviceflow.eventlog._chain import next_records
from serviceflow.eventlog._store import CaseQuery, EventRecord, Store


def record(store: Store, event: ev.PolicyApplied) -> None:
    """Append ``event`` after whatever the stream holds."""
    store.append_next(ev.POLICY_LOG, partial(next_records, ev.POLICY_LOG, event=event))


def record_first(store: Store, event: ev.PolicyApplied) -> None:
    """Append ``event`` only if nothing is in force yet (checked inside the store's write
    lock: of desks opening a new store at once, the first one's policy is recorded)."""

    def build(version: int, head: str | None) -> tuple[EventRecord, ...]:
        return next_records(ev.POLICY_LOG, version, head, event) if version == 0 else ()

    store.append_next(ev.POLICY_LOG, build)


def history(store: Store) -> list[ev.PolicyApplied]:
    """Every replacement, oldest first."""
    found = [decode_event(r.data) for r in store.read(ev.POLICY_LOG)]
    return [e for e in found if isinstance(e, ev.PolicyApplied)]


def version_in_force(store: Store) -> str | None:
    """The version the last replacement put in force (``None``: never replaced)."""
    last = store.last(ev.POLICY_LOG)
    if last is None:
        return None
    event = decode_event(last.data)
    assert isinstance(event, ev.PolicyApplied)
    return event.version


def stored_policy(store: Store, version: str) -> Policy:
    """A policy the store keeps; a version it does not keep is an ``IntegrityError``."""
    document = store.load_policy(version)
    if document is None:
        raise IntegrityError(f"{store.url}: policy {version} is in force but not stored")
    return load_policy(json.loads(document))


def policy_in_force(store: Store) -> Policy | None:
    """The policy the last replacement put in force, or ``None``."""
    version = version_in_force(store)
    return stored_policy(store, version) if version is not None else None


def newest_named(store: Store) -> Policy | None:
    """For a store written before policies were recorded in force: the stored policy named
    by the last event of the case updated last (``None``: no case, or not stored). Reads
    every case row once."""
    newest = max(store.query(CaseQuery()), key=lambda r: (r.updated_at, r.id), default=None)
    last = store.last(newest.id) if newest is not None else None
    if last is None:
        return None
    document = store.load_policy(decode_event(last.data).policy)
    return load_policy(json.loads(document)) if document is not None else None
