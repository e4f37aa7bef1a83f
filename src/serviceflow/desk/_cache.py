"""What a desk wrote last: the cases, their histories and timers, kept so the next command
skips reads (and leaves timers that did not change as they are).

Deciding on a cached version is safe: another writer's append makes ours collide on
``(stream, seq)``, and a refusal decided on cached state is checked against the store before
it is raised. Both maps are bounded LRUs guarded by one lock, so a desk may be shared by threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from serviceflow.domain import _events as ev
from serviceflow.domain._case import Case
from serviceflow.domain._serialization import decode_case
from serviceflow.errors import StoreError
from serviceflow.eventlog._store import CaseRow
from serviceflow.rules._evolve import caught_up
from serviceflow.rules._sla import Timer

SIZE = 2048
"""Cases, histories and timers, kept at most."""
_T = TypeVar("_T")


class Recent:
    """The bounded memory of one desk: case versions with their head hash, and the
    histories and stored timers of those versions."""

    def __init__(self, *, keep_cases: bool = True, size: int = SIZE) -> None:
        self.keep_cases = keep_cases
        """``False`` for a store that keeps the objects itself (the memory store)."""
        self.size = size
        self._cases: OrderedDict[str, tuple[Case, str]] = OrderedDict()
        self._histories: OrderedDict[str, tuple[int, tuple[ev.Event, ...]]] = OrderedDict()
        self._timers: OrderedDict[str, tuple[int, str, tuple[Timer, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def case(self, case_id: str) -> tuple[Case, str] | None:
        """The version of the case this desk wrote last, and its head hash."""
        with self._lock:
            return self._cases.get(case_id)

    def remember(self, case: Case, head: str) -> None:
        """Keep ``case`` as written with ``head`` (dropping the least recent beyond the size)."""
        if not self.keep_cases:
            return
        with self._lock:
            _keep(self._cases, case.id, (case, head), self.size)

    def forget(self, *case_ids: str) -> tuple[Case, str] | None:
        """Drop the cases (another writer moved them on); the first one's entry, if kept."""
        with self._lock:
            dropped = [self._cases.pop(case_id, None) for case_id in case_ids]
            for case_id in case_ids:
                self._timers.pop(case_id, None)
        return dropped[0] if dropped else None

    def clear(self, *, cases: bool = True, histories: bool = True) -> None:
        """Forget what is kept (as if evicted)."""
        with self._lock:
            if cases:
                self._cases.clear()
            if histories:
                self._histories.clear()
            self._timers.clear()

    def decode(self, row: CaseRow) -> Case:
        """The case a stored row holds: its object, the kept version when it is the same, or
        its document caught up with the row."""
        if isinstance(row.snapshot, Case):
            return row.snapshot
        kept = self.case(row.id)
        if kept is not None and kept[0].version == row.version and kept[1] == row.head:
            return kept[0]
        return stored_case(row)

    def history(self, case_id: str, version: int) -> tuple[ev.Event, ...] | None:
        """The case's events up to ``version``, if exactly that version is kept."""
        with self._lock:
            kept = self._histories.get(case_id)
        return kept[1] if kept is not None and kept[0] == version else None

    def remember_history(self, case_id: str, version: int, events: Sequence[ev.Event]) -> None:
        """Keep the case's events up to ``version``."""
        with self._lock:
            _keep(self._histories, case_id, (version, tuple(events)), self.size)

    def timers(
        self, case_id: str, version: int, policy: str | None = None
    ) -> tuple[Timer, ...] | None:
        """The timers stored with ``version`` of the case, if this desk wrote them (a new
        case has none); with ``policy``, only if they were worked out under that version."""
        if version == 0:
            return ()
        with self._lock:
            kept = self._timers.get(case_id)
        if kept is None or kept[0] != version or policy not in (None, kept[1]):
            return None
        return kept[2]

    def remember_timers(
        self, case_id: str, version: int, policy: str, timers: Sequence[Timer]
    ) -> None:
        """The case's timers as stored with ``version``, worked out under ``policy``."""
        with self._lock:
            _keep(self._timers, case_id, (version, policy, tuple(timers)), self.size)

    def extend_history(self, case_id: str, version: int, events: Sequence[ev.Event]) -> None:
        """The kept history of ``version`` grows by ``events`` (a tick fired timers after it)."""
        kept = self.history(case_id, version)
        if kept is not None:
            self.remember_history(case_id, version + len(events), (*kept, *events))

    def appended(self, case: Case, head: str, history: Sequence[ev.Event] | None = None) -> None:
        """``case`` was written with ``head``: keep it, and its history up to that version
        when the plan that wrote it read one."""
        self.remember(case, head)
        if history is not None:
            self.remember_history(case.id, case.version, history)


def _keep(kept: OrderedDict[str, _T], key: str, value: _T, size: int) -> None:
    """Keep ``value`` under ``key`` as the most recent; the least recent go beyond ``size``."""
    kept[key] = value
    kept.move_to_end(key)
    if len(kept) > size:
        kept.popitem(last=False)


def stored_case(row: CaseRow) -> Case:
    """The case a row holds: its document, caught up with the row's version and time."""
    if row.data is None:
        raise StoreError(f"case {row.id}: the store returned neither a document nor a snapshot")
    case = decode_case(row.data)
    if case.version == row.version:
        return case
    return caught_up(case, row.version, datetime.fromisoformat(row.updated_at))
