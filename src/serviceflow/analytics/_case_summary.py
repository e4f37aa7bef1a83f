"""What the KPIs read of each case, its summary (facts and SLA clocks): worked out from its
events, or read from the facts an earlier pass kept, and kept again for the next pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from serviceflow.analytics._case_facts import CaseFacts, before, case_facts
from serviceflow.analytics._kept_facts import Clock, decode_facts, encode_facts
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import decode_stored, iso
from serviceflow.domain.policy._policy import Policy
from serviceflow.eventlog._store import EventRecord, FactsRecord, Store
from serviceflow.rules._sla import report as sla_report


def decoded(histories: Iterable[Sequence[EventRecord]]) -> Iterator[list[ev.Event]]:
    """Each stored history as events (internal notes, which no KPI reads, left out)."""
    for records in histories:
        yield _events(records)


def _events(records: Sequence[EventRecord]) -> list[ev.Event]:
    return [decode_stored(r.data) for r in records if r.type not in _UNREAD]


_UNREAD = frozenset({ev.NoteAdded.TYPE, ev.SlaWarned.TYPE})

Summary = tuple[CaseFacts, list[Clock] | None]
"""What the KPIs read of one case: its facts and its SLA clocks at its last event."""


def summary(events: Sequence[ev.Event], policy: Policy, end: datetime) -> Summary | None:
    """The facts and clocks of the case whose stream is ``events``, from what happened
    before ``end`` (``None`` if nothing did)."""
    history = before(events, end)
    if not history:
        return None
    facts = case_facts(history)
    level = policy.level_named(facts.level) if facts.level else None
    if level is None:
        return facts, None
    latest = max(e.at for e in history)
    sla = sla_report(facts.case_id, history, policy, latest)
    return facts, [(c.metric, c.status, c.due, c.stopped_at) for c in sla.clocks]


class Reader:
    """Turns what the store gives (kept facts or histories) into summaries, keeping the
    facts it works out from whole histories (``remember``), 500 cases a write."""

    def __init__(
        self, store: Store, policy: Policy, key: str, end: datetime, remember: bool
    ) -> None:
        self.store = store
        self.policy = policy
        self.key = key
        self.end = end
        self.until = iso(end)
        self.remember = remember
        self.pending: list[FactsRecord] = []

    def summaries(self, items: Iterable[list[EventRecord] | FactsRecord]) -> Iterator[Summary]:
        for item in items:
            found = self.kept(item) if isinstance(item, FactsRecord) else self.worked_out(item)
            if found is not None:
                yield found
        self.flush()

    def kept(self, record: FactsRecord) -> Summary | None:
        try:
            return decode_facts(record.data)
        except ValueError:  # damaged: work them out again, and keep them anew
            return self.worked_out(self.store.read(record.case_id))

    def worked_out(self, records: list[EventRecord]) -> Summary | None:
        if not records:
            return None
        found = summary(_events(records), self.policy, self.end)
        last = records[-1].at
        # Kept only when every event came before the end, as the store checks by the
        # case's last event: then the facts are the same for any later end.
        if found is None or not self.remember or last >= self.until:
            return found
        if all(r.at <= last for r in records):
            data = encode_facts(*found)
            self.pending.append(FactsRecord(records[0].stream, records[-1].seq, self.key, data))
            if len(self.pending) >= _KEEP_BATCH:
                self.flush()
        return found

    def flush(self) -> None:
        if self.pending:
            self.store.save_facts(self.pending)
            self.pending = []


_KEEP_BATCH = 500
