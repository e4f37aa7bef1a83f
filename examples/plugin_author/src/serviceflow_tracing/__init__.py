"""A small serviceflow plugin: a store that traces every write, and a notifier inbox.

``trace+<url>`` opens the store at ``<url>`` (``trace+sqlite:///desk.db``) and logs one line
per write naming the streams it touched. ``Inbox`` keeps each client message once, by its
idempotency key. This is the plugin built step by step in serviceflow's docs/plugins.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from serviceflow import Notification, StoreError, hookimpl
from serviceflow.eventlog import (
    CaseQuery,
    CaseRow,
    CheckpointRecord,
    EventRecord,
    FactsRecord,
    HeadRecord,
    OutboxRecord,
    Store,
    StreamWrite,
    TimerRecord,
)
from serviceflow.plugins import plugin_manager

log = logging.getLogger("serviceflow.tracing")
PREFIX = "trace+"


class TracingStore:
    """Every call goes to ``inner``; each write is logged first, with the streams it touches."""

    def __init__(self, inner: Store, url: str) -> None:
        self.inner = inner
        self.url = url
        self.keeps_objects = inner.keeps_objects

    def append(self, writes: Sequence[StreamWrite]) -> None:
        """Log the streams, then append them all (or none) in the inner store."""
        log.info("append %s", ", ".join(f"{w.stream}@{w.expected}" for w in writes))
        self.inner.append(writes)

    def append_next(
        self, stream: str, build: Callable[[int, str | None], Sequence[EventRecord]]
    ) -> None:
        """Log the desk stream, then append to its end."""
        log.info("append_next %s", stream)
        self.inner.append_next(stream, build)

    def update_outbox(self, records: Sequence[OutboxRecord]) -> None:
        """Log the keys, then record the deliveries."""
        log.info("update_outbox %s", ", ".join(r.key for r in records))
        self.inner.update_outbox(records)

    def save_facts(self, records: Sequence[FactsRecord]) -> None:
        """Log the cases, then keep their KPI facts."""
        log.info("save_facts %s", ", ".join(f"{r.case_id}@{r.version}" for r in records))
        self.inner.save_facts(records)

    def save_checkpoint(self, record: CheckpointRecord, heads: Sequence[HeadRecord]) -> None:
        """Log the checkpoint, then store it with its changed heads."""
        log.info("save_checkpoint %d (%d heads moved)", record.seq, len(heads))
        self.inner.save_checkpoint(record, heads)

    def heads(self) -> Iterator[HeadRecord]:
        """Every stream's head."""
        return self.inner.heads()

    def checkpoints(self) -> Iterator[CheckpointRecord]:
        """The checkpoints by seq."""
        return self.inner.checkpoints()

    def last_checkpoint(self) -> CheckpointRecord | None:
        """The newest checkpoint."""
        return self.inner.last_checkpoint()

    def heads_since(self, position: int) -> tuple[list[HeadRecord], int]:
        """The heads that moved after append ``position``, and the newest position."""
        return self.inner.heads_since(position)

    def checkpoint_heads(
        self, seq: int, streams: Sequence[str] | None = None
    ) -> Iterator[HeadRecord]:
        """The heads checkpoint ``seq`` covers (or only those of ``streams``)."""
        return self.inner.checkpoint_heads(seq, streams)

    def checkpoint_delta(self, seq: int) -> Iterator[HeadRecord]:
        """The heads checkpoint ``seq`` itself recorded."""
        return self.inner.checkpoint_delta(seq)

    def claim_timers(self, now: str, limit: int, until: str) -> list[TimerRecord]:
        """Lease due timers (see ``Store.claim_timers``)."""
        return self.inner.claim_timers(now, limit, until)

    def claim_outbox(self, now: str, limit: int, until: str) -> list[OutboxRecord]:
        """Lease due messages (see ``Store.claim_outbox``)."""
        return self.inner.claim_outbox(now, limit, until)

    def save_policy(self, version: str, document: str, at: str) -> None:
        """Keep a policy document."""
        self.inner.save_policy(version, document, at)

    def read(self, stream: str) -> list[EventRecord]:
        """A stream's events."""
        return self.inner.read(stream)

    def case_timers(self, case_ids: Sequence[str]) -> dict[str, list[TimerRecord]]:
        """The cases' timers."""
        return self.inner.case_timers(case_ids)

    def load(self, stream: str) -> CaseRow | None:
        """A case's row."""
        return self.inner.load(stream)

    def last(self, stream: str) -> EventRecord | None:
        """A stream's head."""
        return self.inner.last(stream)

    def load_many(self, streams: Sequence[str]) -> dict[str, CaseRow]:
        """Rows by id."""
        return self.inner.load_many(streams)

    def query(self, query: CaseQuery) -> Iterator[CaseRow]:
        """Matching rows."""
        return self.inner.query(query)

    def count(self, query: CaseQuery) -> int:
        """How many rows match."""
        return self.inner.count(query)

    def workload(self, states: Sequence[str]) -> dict[tuple[str, str], int]:
        """Cases held per assignee and channel."""
        return self.inner.workload(states)

    def streams(self, prefix: str = "") -> Iterator[str]:
        """Every stream (whose id starts with ``prefix``)."""
        return self.inner.streams(prefix)

    def histories(
        self,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord]]:
        """Whole case streams in submission order."""
        return self.inner.histories(
            submitted_before=submitted_before, updated_since=updated_since, or_states=or_states
        )

    def histories_or_facts(
        self,
        key: str,
        *,
        submitted_before: str | None = None,
        updated_since: str | None = None,
        or_states: Sequence[str] = (),
    ) -> Iterator[list[EventRecord] | FactsRecord]:
        """Whole case streams, or their kept facts where they hold, in submission order."""
        return self.inner.histories_or_facts(
            key, submitted_before=submitted_before, updated_since=updated_since, or_states=or_states
        )

    def due_timers(self, now: str, limit: int) -> list[TimerRecord]:
        """Due timers, leased or not."""
        return self.inner.due_timers(now, limit)

    def due_outbox(self, now: str, limit: int) -> list[OutboxRecord]:
        """Due pending messages."""
        return self.inner.due_outbox(now, limit)

    def outbox(self, status: str | None = None, limit: int | None = None) -> list[OutboxRecord]:
        """Messages by creation."""
        return self.inner.outbox(status, limit)

    def outbox_counts(self) -> dict[str, int]:
        """Messages per status."""
        return self.inner.outbox_counts()

    def load_policy(self, version: str) -> str | None:
        """A stored policy document."""
        return self.inner.load_policy(version)

    def close(self) -> None:
        """Close the inner store."""
        self.inner.close()


def open_tracing(url: str) -> TracingStore:
    """The tracing store for ``trace+<url>``, on the store the other plugins open for ``<url>``."""
    inner_url = url.removeprefix(PREFIX)
    inner = plugin_manager(entry_points=False).hook.open_store(url=inner_url)
    if inner is None:
        raise StoreError(f"{url}: no plugin opens the inner store {inner_url!r}")
    return TracingStore(inner, url)


@hookimpl
def open_store(url: str) -> Store | None:
    """Open ``trace+<url>`` stores; leave every other URL to other plugins."""
    return open_tracing(url) if url.startswith(PREFIX) else None


class Inbox:
    """A notifier that keeps each client message once: ``notify`` may be called again with
    the same ``notification.key`` after a retry, and the key is what makes that harmless."""

    def __init__(self) -> None:
        self.messages: dict[str, Notification] = {}

    @hookimpl
    def notify(self, notification: Notification) -> None:
        """Keep the message unless its key was already delivered."""
        self.messages.setdefault(notification.key, notification)
