"""The policy a desk runs: chosen on open, kept in the store, put in force on first use.

The store keeps every policy a desk ran (``policy_log``) and which one is in force, so every
desk opened on it later runs the same one unless told otherwise (``docs/policy.md``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import iso
from serviceflow.domain.policy._policy import Policy, check_policy, default_policy
from serviceflow.eventlog import _policy_log as policy_log
from serviceflow.eventlog._store import Store

log = logging.getLogger("serviceflow.desk")


def policy_to_use(store: Store, policy: Policy | None) -> Policy:
    """The given policy, else the one in force in the store; in a store written before
    that was recorded, the newest its cases name; the default only in an empty store."""
    in_force = policy_log.version_in_force(store)
    if policy is None:
        if in_force:
            return policy_log.stored_policy(store, in_force)
        if next(iter(store.streams()), None) is None:
            return default_policy()
        found = policy_log.newest_named(store)
        log.warning(
            "no policy is recorded in force in %s; this desk uses %s (open it once with "
            "the policy it runs to record it)",
            store.url,
            f"policy {found.version}, the newest its cases name" if found else "the default",
        )
        return found or default_policy()
    chosen = check_policy(policy)
    if in_force is not None and chosen.version != in_force:
        log.warning(
            "policy %s is in force in %s (desk.reapply_policy); this desk uses %s, as given",
            in_force,
            store.url,
            chosen.version,
        )
    return chosen


def keep_policy(store: Store, policy: Policy, now: datetime, *, given: bool) -> None:
    """On open: a given policy (or the default, in an empty store) is stored, and put in
    force if none is (its first use). A desk that took the store's policy writes nothing."""
    if not given and next(iter(store.streams()), None) is not None:
        return
    store_policy(store, policy, now, warn=True)
    if policy_log.version_in_force(store) is None:
        version = policy.version
        first = ev.PolicyApplied(
            version=version,
            previous="",
            reason="first use: the policy of the first desk opened with one",
            at=now,
            by="system:policy",
            policy=version,
        )
        policy_log.record_first(store, first)


def store_policy(store: Store, policy: Policy, now: datetime, *, warn: bool) -> None:
    """Keep the desk's policy in the store; on open, say if stored timers predate it."""
    new = store.load_policy(policy.version) is None
    if warn and new and store.due_timers("9999-12-31", 1):
        log.warning(
            "policy %s is new to %s: stored SLA timers keep their old due dates until "
            "desk.reapply_policy(policy) is called",
            policy.version,
            store.url,
        )
    store.save_policy(policy.version, policy.document(), iso(now))
