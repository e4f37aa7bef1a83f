"""Which policy is in force: every replacement kept in one hash-chained desk stream.

``desk.reapply_policy`` appends a ``policy.applied`` event to ``policy:in-force`` (read and
appended in one store transaction, like the audit streams). A desk opened without a
policy takes the one the last replacement put in force, so a change made by one process
(an improvement cycle's Do or roll back, say) holds for every desk opened after it.
"""

from __future__ import annotations

import json
from functools import partial

from serviceflow import events as ev
from serviceflow.chain import next_records
from serviceflow.errors import IntegrityError
from serviceflow.policy import Policy, load_policy
from serviceflow.serialization import decode_event
from serviceflow.store import Store


def record(store: Store, event: ev.PolicyApplied) -> None:
    """Append ``event`` after whatever the stream holds."""
    store.append_next(ev.POLICY_LOG, partial(next_records, ev.POLICY_LOG, event=event))


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
