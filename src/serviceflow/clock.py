"""Clocks: the only source of "now"; injected everywhere so tests and simulations control time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from serviceflow.errors import ValidationError


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock of the machine."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` in UTC, refusing anything but a datetime, and naive datetimes (their
    zone would be a guess)."""
    if not isinstance(value, datetime):
        raise ValidationError(
            f"{what} must be a datetime",
            [f"got {type(value).__name__} {value!r:.60}; pass e.g. datetime(..., tzinfo=UTC)"],
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{what} must be timezone-aware",
            [f"got naive {value.isoformat()}; attach a zone, e.g. datetime(..., tzinfo=UTC)"],
        )
    return value.astimezone(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests, demos and simulations."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "ManualClock start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current instant."""
        return self._now

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move forward by ``delta`` (or ``timedelta(**kwargs)``) and return the new instant."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValidationError("ManualClock.advance", [f"cannot move backwards by {step}"])
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (not earlier than now)."""
        target = require_aware(when, "ManualClock.set")
        with self._lock:
            if target < self._now:
                raise ValidationError(
                    "ManualClock.set",
                    [f"cannot move back from {self._now.isoformat()} to {target.isoformat()}"],
                )
            self._now = target
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
