"""Firing due SLA timers: the events a tick records and their place in each case's chain.

A tick records warnings and breaches for thousands of cases at one instant, by one actor,
under one policy, so the distinct events are few: each is built and encoded once per
tick, and a case's write is only its hash chain. These events are bookkeeping (see
``evolve.BOOKKEEPING``): the case's document stays as it was and only its row moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from attrs import define, field

from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import encode_event, iso
from serviceflow.eventlog._chain import chain_records
from serviceflow.eventlog._store import EventRecord, TimerRecord

SLA_ACTOR = "system:sla"
"""The actor of every warning and breach a tick records."""


def firing_order(timer: TimerRecord) -> tuple[str, int, float]:
    """Earliest first; at the same moment warnings by threshold, then the breach."""
    if timer.kind == "breach":
        return (timer.due, 1, 0.0)
    return (timer.due, 0, float(timer.kind.partition(":")[2]))


def timer_event(timer: TimerRecord, at: datetime, policy: str) -> ev.SlaWarned | ev.SlaBreached:
    """The event that records ``timer`` firing at ``at``."""
    if timer.kind == "breach":
        return ev.SlaBreached(
            metric=timer.metric, cycle=timer.cycle, at=at, by=SLA_ACTOR, policy=policy
        )
    threshold = float(timer.kind.partition(":")[2])
    return ev.SlaWarned(
        metric=timer.metric,
        cycle=timer.cycle,
        threshold=threshold,
        at=at,
        by=SLA_ACTOR,
        policy=policy,
    )


@define
class Firing:
    """The events of one tick at ``at`` under ``policy``, each built and encoded once."""

    at: datetime
    policy: str
    _at_text: str = field(init=False)
    _known: dict[tuple[str, str, int], tuple[ev.Event, str]] = field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self._at_text = iso(self.at)

    def fire(
        self, stream: str, version: int, head: str, timers: Sequence[TimerRecord]
    ) -> tuple[tuple[TimerRecord, ...], list[ev.Event], tuple[EventRecord, ...]]:
        """Timers in firing order, their events, and the records that follow ``version``."""
        live = tuple(sorted(timers, key=firing_order))
        events: list[ev.Event] = []
        items: list[tuple[str, str, str]] = []
        for timer in live:
            key = (timer.kind, timer.metric, timer.cycle)
            known = self._known.get(key)
            if known is None:
                event = timer_event(timer, self.at, self.policy)
                known = self._known[key] = (event, encode_event(event))
            events.append(known[0])
            items.append((known[0].TYPE, self._at_text, known[1]))
        return live, events, chain_records(stream, version, head, items)
