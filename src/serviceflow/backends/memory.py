"""The in-memory store: for tests, simulations and throw-away desks (``memory://``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import pluggy

from serviceflow.errors import ConcurrencyConflict
from serviceflow.store import CaseQuery, CaseRow, EventRecord, Store, StreamWrite

hookimpl = pluggy.HookimplMarker("serviceflow")


class MemoryStore:
    """Streams, rows and policies in dicts; keeps case objects as they are (no encoding)."""

    keeps_objects = True

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._events: dict[str, list[EventRecord]] = {}
        self._rows: dict[str, CaseRow] = {}
        self._policies: dict[str, str] = {}
        self._lock = threading.Lock()

    def append(self, writes: Sequence[StreamWrite]) -> None:
        """Check every expected version first, then apply all writes."""
        with self._lock:
            for write in writes:
                current = len(self._events.get(write.stream, ()))
                if current != write.expected:
                    raise ConcurrencyConflict(write.stream, write.expected, current)
            for write in writes:
                self._events.setdefault(write.stream, []).extend(write.events)
                self._rows[write.stream] = write.row

    def read(self, stream: str) -> list[EventRecord]:
        """A copy of the stream's events."""
        return list(self._events.get(stream, ()))

    def load(self, stream: str) -> CaseRow | None:
        """The stored row, or ``None``."""
        return self._rows.get(stream)

    def query(self, query: CaseQuery) -> Iterator[CaseRow]:
        """Matching rows by submission time, then id (the order every store uses)."""
        with self._lock:
            rows = sorted(self._rows.values(), key=lambda r: (r.submitted_at, r.id))
        found = 0
        for row in rows:
            if query.limit is not None and found >= query.limit:
                return
            if _matches(row, query):
                found += 1
                yield row

    def count(self, query: CaseQuery) -> int:
        """Number of matching rows."""
        with self._lock:
            return sum(1 for row in self._rows.values() if _matches(row, query))

    def streams(self) -> Iterator[str]:
        """Stream ids, sorted (the order every store uses)."""
        with self._lock:
            return iter(sorted(self._events))

    def save_policy(self, version: str, document: str, at: str) -> None:
        """Keep the first document stored under ``version``."""
        self._policies.setdefault(version, document)

    def load_policy(self, version: str) -> str | None:
        """The document stored under ``version``."""
        return self._policies.get(version)

    def close(self) -> None:
        """Nothing to release."""


def _matches(row: CaseRow, q: CaseQuery) -> bool:
    return (
        (q.states is None or row.state in q.states)
        and (q.priority is None or row.priority == q.priority)
        and (q.category is None or row.category == q.category)
        and (q.assignee is None or row.assignee == q.assignee)
        and (q.requester is None or row.requester == q.requester)
        and (q.channel is None or row.channel == q.channel)
    )


@hookimpl
def open_store(url: str) -> Store | None:
    """Open ``memory://`` stores."""
    if url.startswith("memory://"):
        return MemoryStore(url)
    return None
