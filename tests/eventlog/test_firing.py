"""A tick's events: built and encoded once per distinct timer, fired in order, chained."""

from __future__ import annotations

from datetime import UTC, datetime

from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import encode_event, iso
from serviceflow.eventlog._chain import chain_records
from serviceflow.eventlog._firing import SLA_ACTOR, Firing, firing_order, timer_event
from serviceflow.eventlog._store import TimerRecord

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DUE = "2026-03-02T09:00:00.000000+00:00"


def _timer(case_id: str, kind: str, due: str = DUE, cycle: int = 1) -> TimerRecord:
    return TimerRecord(due, case_id, "resolution", cycle, kind, 3)


def test_warnings_fire_before_the_breach_of_the_same_moment() -> None:
    timers = [_timer("A", "breach"), _timer("A", "warning:0.9"), _timer("A", "warning:0.5")]
    earlier = _timer("A", "warning:0.75", due="2026-03-02T08:00:00.000000+00:00")
    ordered = sorted([*timers, earlier], key=firing_order)
    assert [t.kind for t in ordered] == ["warning:0.75", "warning:0.5", "warning:0.9", "breach"]


def test_timer_events_name_the_metric_cycle_and_threshold() -> None:
    warned = timer_event(_timer("A", "warning:0.75", cycle=2), AT, "p1")
    assert warned == ev.SlaWarned(
        metric="resolution", cycle=2, threshold=0.75, at=AT, by=SLA_ACTOR, policy="p1"
    )
    breached = timer_event(_timer("A", "breach"), AT, "p1")
    assert breached == ev.SlaBreached(
        metric="resolution", cycle=1, at=AT, by=SLA_ACTOR, policy="p1"
    )


def test_each_distinct_event_is_built_once_and_encoded_as_encode_event_would() -> None:
    firing = Firing(AT, "p1")
    live_a, events_a, records_a = firing.fire(
        "A", 4, "ha", [_timer("A", "breach"), _timer("A", "warning:0.5")]
    )
    _, events_b, records_b = firing.fire("B", 7, "hb", [_timer("B", "warning:0.5")])
    assert [t.kind for t in live_a] == ["warning:0.5", "breach"]
    assert events_b[0] is events_a[0], "the same warning is shared between cases"
    expected = chain_records("A", 4, "ha", [(e.TYPE, iso(AT), encode_event(e)) for e in events_a])
    assert records_a == expected
    assert [(r.stream, r.seq, r.prev) for r in records_b] == [("B", 8, "hb")]
