"""Aggregate streams: append at a version, fold on read, list by kind, chained like cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from attrs import frozen

from serviceflow import ServiceDesk
from serviceflow.desk._aggregate import Kind, Streams
from serviceflow.domain._events import Event, register
from serviceflow.errors import ConcurrencyConflict, NotFound, ValidationError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@frozen(kw_only=True)
class Counted(Event):
    """A test event: add ``n``."""

    TYPE = "tally.counted"

    n: int


register(Counted)


def _evolve(state: int | None, event: Event) -> int:
    assert isinstance(event, Counted)
    return (state or 0) + event.n


TALLY = Kind("problem", _evolve)  # a kind whose prefix the desk knows as its own


def _counted(n: int) -> Counted:
    return Counted(n=n, at=T0, by="agent:kim", policy="p")


def test_append_then_load_folds_the_stream(store_url: str) -> None:
    with ServiceDesk.open(store_url, entry_points=False) as desk:
        streams = Streams(desk.store, TALLY)
        assert streams.load("T-1") is None
        first = streams.append("T-1", [_counted(2), _counted(3)], None)
        assert (first.state, first.version) == (5, 2)
        again = streams.append("T-1", [_counted(4)], first)
        assert streams.get("T-1") == again
        assert (again.state, again.version, len(again.events)) == (9, 3, 3)
        assert desk.verify("problem:T-1").ok
        assert [s.id for s in streams.all()] == ["T-1"]


def test_a_stale_version_is_a_conflict_and_writes_nothing(store_url: str) -> None:
    with ServiceDesk.open(store_url, entry_points=False) as desk:
        streams = Streams(desk.store, TALLY)
        first = streams.append("T-1", [_counted(1)], None)
        streams.append("T-1", [_counted(1)], first)
        with pytest.raises(ConcurrencyConflict):
            streams.append("T-1", [_counted(10)], first)
        assert streams.get("T-1").state == 2


def test_unknown_ids_and_bad_ids_are_clear_errors(store_url: str) -> None:
    with ServiceDesk.open(store_url, entry_points=False) as desk:
        streams = Streams(desk.store, TALLY)
        with pytest.raises(NotFound, match="problem"):
            streams.get("nope")
        with pytest.raises(ValidationError, match="problem id"):
            streams.load("has space")
        with pytest.raises(ValueError, match="nothing to append"):
            streams.append("T-2", [], None)


def test_a_type_taken_twice_is_refused() -> None:
    @frozen(kw_only=True)
    class Other(Event):
        TYPE = "tally.counted"

    with pytest.raises(ValueError, match="already"):
        register(Other)
    register(Counted)  # the same class again is fine
