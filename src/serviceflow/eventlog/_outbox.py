"""The transactional outbox: client messages stored with their events, delivered at least once.

The desk queues one ``OutboxRecord`` per notification in the same ``append`` as the events
(``outbox_records``), so a message exists if and only if its change was committed.
``Outbox.deliver`` hands due messages to every ``notify`` implementation, remembers which
notifiers took each one (``delivered_to``), and retries the others with the policy's backoff
until all have taken it or the message is dead-lettered (``failed``). Notifiers see a message
at least once; they drop repeats by its ``key``.

Deliverers in any number of processes share the queue: ``deliver`` claims the messages it
attempts (``Store.claim_outbox``), which pushes their ``due`` to the end of a lease, so no
other deliverer takes them meanwhile; the outcome then replaces that ``due``. A deliverer that
dies mid-run leaves its messages to the next claim after the lease. A message is sent twice
only when an attempt outlasts its lease or its outcome could not be stored: notifiers drop
the repeat by its key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs
import pluggy
from attrs import frozen

from serviceflow.clock import require_aware
from serviceflow.core._convert import (
    canonical_json,
    holds_floats,
    iso,
    record_json,
    structure_checked,
)
from serviceflow.domain._messages import Notification
from serviceflow.domain.policy._delivery import DeliveryPolicy
from serviceflow.errors import IntegrityError, NotFound, ServiceflowError, ValidationError
from serviceflow.eventlog._store import OutboxRecord, Store

__all__ = [
    "DEFAULT_LEASE",
    "DeliveryReport",
    "Outbox",
    "OutboxMessage",
    "check_lease",
    "decode_notification",
    "encode_notification",
    "lease_end",
    "notifier_names",
    "outbox_records",
]

log = logging.getLogger("serviceflow.outbox")

NOTIFICATION_SCHEMA = 1
"""The schema version (``"v"``) of a stored notification; bump it when its shape changes."""
ERROR_LIMIT = 500
"""``last_error`` keeps at most this many characters."""
DEFAULT_LEASE = timedelta(minutes=5)
"""How long a claim keeps timers and messages for the worker that took them."""


def check_lease(lease: timedelta) -> timedelta:
    """``lease`` if it is a positive duration, else a ``ValidationError``."""
    if not isinstance(lease, timedelta):
        got = repr(lease)
    elif lease <= timedelta(0):
        got = f"{lease.total_seconds():g} seconds"
    else:
        return lease
    raise ValidationError(
        "lease must be a positive duration",
        [f"got {got}; e.g. timedelta(minutes=5), longer than one batch of work takes"],
    )


def lease_end(now: datetime, lease: timedelta) -> str:
    """When a lease taken at ``now`` ends, as store text."""
    return iso(require_aware(now, "now") + check_lease(lease))


def encode_notification(notification: Notification) -> str:
    """The canonical JSON of a notification, with its schema version ``v``."""
    data = record_json(notification)
    data["v"] = NOTIFICATION_SCHEMA
    return canonical_json(data, floats=holds_floats(Notification))


def decode_notification(text: str) -> Notification:
    """A notification from its stored JSON; damaged or newer text is an ``IntegrityError``."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise IntegrityError(f"stored notification is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise IntegrityError(f"stored notification is not a JSON object: {text[:60]!r}")
    version = data.pop("v", 1)
    if version != NOTIFICATION_SCHEMA:
        raise IntegrityError(
            f"stored notification has schema version {version!r}; this serviceflow reads "
            f"version {NOTIFICATION_SCHEMA}"
        )
    try:
        return structure_checked(data, Notification, what="cannot read a notification")
    except ServiceflowError as exc:
        raise IntegrityError(str(exc)) from None


def outbox_records(
    notifications: Sequence[Notification], now: datetime
) -> tuple[OutboxRecord, ...]:
    """One pending record per notification, due at once; append them with the events."""
    at = iso(require_aware(now, "now"))
    return tuple(
        OutboxRecord(
            key=n.key, case_id=n.case_id, created=at, due=at, payload=encode_notification(n)
        )
        for n in notifications
    )


@frozen
class OutboxMessage:
    """An outbox record as people read it: times as datetimes, the notification decoded.

    ``notification`` is ``None`` when the stored payload cannot be read.
    """

    key: str
    case_id: str
    status: str
    attempts: int
    created: datetime
    due: datetime
    last_error: str
    delivered_to: tuple[str, ...]
    delivered_at: datetime | None
    notification: Notification | None

    @classmethod
    def of(cls, record: OutboxRecord) -> OutboxMessage:
        """The readable form of a stored record."""
        try:
            notification: Notification | None = decode_notification(record.payload)
        except IntegrityError:
            notification = None
        return cls(
            key=record.key,
            case_id=record.case_id,
            status=record.status,
            attempts=record.attempts,
            created=datetime.fromisoformat(record.created),
            due=datetime.fromisoformat(record.due),
            last_error=record.last_error,
            delivered_to=record.delivered_to,
            delivered_at=(
                None if record.delivered_at is None else datetime.fromisoformat(record.delivered_at)
            ),
            notification=notification,
        )


@frozen
class DeliveryReport:
    """What one delivery run did, by message key.

    ``retried`` messages failed and wait for their next attempt; ``failed`` ones were
    dead-lettered; ``held`` ones stay pending because no notifier is installed.
    """

    delivered: tuple[str, ...] = ()
    retried: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    held: tuple[str, ...] = ()

    def __str__(self) -> str:
        line = (
            f"delivered {len(self.delivered)}, to retry {len(self.retried)}, "
            f"failed {len(self.failed)}"
        )
        if self.held:
            line += f", held {len(self.held)} (no notifier is installed)"
        if self.failed:
            line += "\nfailed (see `outbox failed`, retry by key): " + ", ".join(self.failed)
        return line


Notifier = tuple[str, Callable[..., object]]
"""A notifier's stable name and the hook caller that delivers to it alone."""


def notifier_names(plugins: pluggy.PluginManager) -> list[Notifier]:
    """Every notifier in pluggy's call order, with a name that stays the same across
    restarts and a caller of ``notify`` through pluggy that reaches that notifier alone.

    Each notifier is its own delivery with its own retry state, so each is called on its
    own, inside every ``notify`` wrapper. A plugin registered without a name gets its
    class's dotted path (pluggy would name it by ``id``); a second plugin of the same name
    gets ``#2``, and so on, counted in registration order as 0.1 did (``delivered_to``
    keeps these names).
    """
    impls = plugins.hook.notify.get_hookimpls()
    wrappers = [i for i in impls if i.wrapper or i.hookwrapper]
    named: list[tuple[str, pluggy.HookImpl]] = []
    seen: dict[str, int] = {}
    for impl in impls:
        if impl.wrapper or impl.hookwrapper:
            continue
        name = impl.plugin_name
        if name == str(id(impl.plugin)):
            kind = type(impl.plugin)
            name = f"{kind.__module__}.{kind.__qualname__}"
        seen[name] = seen.get(name, 0) + 1
        named.append((name if seen[name] == 1 else f"{name}#{seen[name]}", impl))
    return [(name, _alone(plugins, impl, wrappers)) for name, impl in reversed(named)]


def _alone(
    plugins: pluggy.PluginManager, impl: pluggy.HookImpl, wrappers: Sequence[pluggy.HookImpl]
) -> Callable[..., object]:
    """Call ``notify`` on one notifier through pluggy's executor, inside the wrappers.

    ``subset_hook_caller`` would do this but puts plugins in a set, which a notifier that
    cannot be hashed (an attrs or dataclass object) breaks; the executor takes the list."""
    methods = [impl, *wrappers]  # pluggy's order: answers first, wrappers after, run from the end

    def deliver(**kwargs: object) -> object:
        return plugins._hookexec("notify", methods, kwargs, False)

    return deliver


class Outbox:
    """Delivers stored messages to the ``notify`` plugins, retries with backoff, shows the rest.

    Holds no messages itself: the store is the queue, so any process can deliver.
    """

    def __init__(
        self,
        store: Store,
        plugins: pluggy.PluginManager,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.store = store
        self.plugins = plugins
        self.policy = policy if policy is not None else DeliveryPolicy()
        self._warned = False
        self._named: tuple[list[pluggy.HookImpl], list[Notifier]] = ([], [])
        """The ``notify`` implementations as last seen, and their notifiers."""

    def notifiers(self) -> list[Notifier]:
        """``notifier_names`` of the plugins, worked out again only when they changed."""
        impls = self.plugins.hook.notify.get_hookimpls()
        if impls != self._named[0]:
            self._named = (impls, notifier_names(self.plugins))
        return self._named[1]

    def deliver(
        self, now: datetime, *, limit: int = 1000, lease: timedelta = DEFAULT_LEASE
    ) -> DeliveryReport:
        """Claim up to ``limit`` pending messages due by ``now``, earliest first, for
        ``lease``, and attempt them; without notifiers nothing is claimed (all are held)."""
        at = require_aware(now, "now")
        until = lease_end(at, lease)
        if not self.notifiers():
            return self.send(self.store.due_outbox(iso(at), limit), at)
        return self.send(self.store.claim_outbox(iso(at), limit, until), at)

    def send(
        self,
        records: Sequence[OutboxRecord],
        now: datetime,
        known: Mapping[str, Notification] | None = None,
    ) -> DeliveryReport:
        """Attempt ``records`` as given (right after their commit), then store the outcome.

        Only pending records are attempted. The outcomes go to the store in one call, even
        when a notifier raised something that is not an ``Exception``. ``known``: the
        notifications the committing desk built, by key, so it need not read them back.
        """
        at = require_aware(now, "now")
        todo = [r for r in records if r.status == "pending"]
        notifiers = self.notifiers()
        if not notifiers:
            if todo and not self._warned:
                self._warned = True
                log.warning(
                    "no notify plugin is installed: %d outbox message(s) stay pending", len(todo)
                )
            return DeliveryReport(held=tuple(r.key for r in todo))
        outcome: dict[str, list[str]] = {"delivered": [], "pending": [], "failed": []}
        updated: list[OutboxRecord] = []
        try:
            for record in todo:
                told = known.get(record.key) if known is not None else None
                after = self._attempt(record, notifiers, at, told)
                updated.append(after)
                outcome[after.status].append(after.key)
        finally:
            if updated:
                self.store.update_outbox(updated)
        return DeliveryReport(
            tuple(outcome["delivered"]), tuple(outcome["pending"]), tuple(outcome["failed"])
        )

    def _attempt(
        self,
        record: OutboxRecord,
        notifiers: Sequence[Notifier],
        now: datetime,
        known: Notification | None = None,
    ) -> OutboxRecord:
        """One attempt: each notifier that has not taken the message yet, on its own.

        The attempt ends the claim's lease: a message put back by ``retry`` is due at once."""
        at = iso(now)
        if at < record.due:
            record = attrs.evolve(record, due=at)
        attempts = record.attempts + 1
        try:
            notification = known if known is not None else decode_notification(record.payload)
        except IntegrityError as exc:
            log.error("outbox message %s cannot be read; dead-lettered: %s", record.key, exc)
            error = _clip(f"payload: IntegrityError: {exc}")
            return attrs.evolve(record, status="failed", attempts=attempts, last_error=error)
        done = list(record.delivered_to)
        errors: list[str] = []
        for name, deliver in notifiers:
            if name in done:
                continue
            try:
                deliver(notification=notification)
            except Exception as exc:
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
                log.warning(
                    "notifier %s failed on %s (attempt %d): %s: %s",
                    name,
                    record.key,
                    attempts,
                    type(exc).__name__,
                    exc,
                )
            else:
                done.append(name)
        if not errors:
            return attrs.evolve(
                record,
                status="delivered",
                attempts=attempts,
                delivered_to=tuple(done),
                last_error="",
                delivered_at=at,
            )
        error = _clip("; ".join(errors))
        if attempts >= self.policy.max_attempts:
            log.error(
                "outbox message %s failed %d times; dead-lettered: %s", record.key, attempts, error
            )
            return attrs.evolve(
                record,
                status="failed",
                attempts=attempts,
                delivered_to=tuple(done),
                last_error=error,
            )
        return attrs.evolve(
            record,
            attempts=attempts,
            due=iso(now + self.policy.delay(attempts)),
            delivered_to=tuple(done),
            last_error=error,
        )

    def pending(self, limit: int | None = None) -> list[OutboxMessage]:
        """Messages waiting for their first or next attempt, oldest first."""
        return [OutboxMessage.of(r) for r in self.store.outbox("pending", limit)]

    def failed(self, limit: int | None = None) -> list[OutboxMessage]:
        """Dead letters: messages that failed ``max_attempts`` times, oldest first."""
        return [OutboxMessage.of(r) for r in self.store.outbox("failed", limit)]

    def counts(self) -> dict[str, int]:
        """How many messages are pending, delivered and failed."""
        return self.store.outbox_counts()

    def retry(self, key: str) -> OutboxMessage:
        """Put a dead letter back in the queue with its attempts reset (an operator's action).

        It is due at once; notifiers that already took it are still skipped.
        """
        record = next((r for r in self.store.outbox("failed") if r.key == key), None)
        if record is None:
            raise NotFound("failed outbox message", key)
        again = attrs.evolve(record, status="pending", attempts=0)
        self.store.update_outbox([again])
        return OutboxMessage.of(again)


def _clip(text: str) -> str:
    """At most ``ERROR_LIMIT`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"
