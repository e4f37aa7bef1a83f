"""Clocks: aware UTC time, manual control, naive datetimes refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from serviceflow import Clock, ManualClock, SystemClock, ValidationError
from serviceflow.clock import require_aware


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert isinstance(SystemClock(), Clock)


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.advance(hours=2) == datetime(2026, 1, 1, 2, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=30)) == datetime(2026, 1, 1, 2, 30, tzinfo=UTC)
    assert clock.set(datetime(2026, 1, 2, tzinfo=UTC)) == clock.now()
    with pytest.raises(ValidationError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValidationError, match="cannot move back"):
        clock.set(datetime(2026, 1, 1, tzinfo=UTC))


def test_manual_clock_converts_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    assert ManualClock(datetime(2026, 1, 1, 10, tzinfo=cet)).now() == datetime(
        2026, 1, 1, 9, tzinfo=UTC
    )
    assert ManualClock(datetime(2026, 1, 1, 10, tzinfo=cet)).now().tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValidationError, match="naive 2026-01-01T00:00:00"):
        require_aware(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose
