"""Who is on duty: the roster's shifts open at an instant, and a roll call of the members
active, on shift and not away, kept until the next shift or absence boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from serviceflow.core._calendar import BusinessCalendar
from serviceflow.errors import ValidationError
from serviceflow.rules._agent_match import Member

_HORIZON = timedelta(days=1)
"""A roll call of who is on duty holds at most this long."""
_US = timedelta(microseconds=1)


class Duty:
    """Who is on duty (active, on shift, not away) from ``start`` until ``end``.

    The set changes only at shift and absence boundaries, so every decision in between
    shares it, and candidate lists filtered by it.
    """

    __slots__ = ("end", "on", "start")

    def __init__(self, start: datetime, end: datetime, on: frozenset[int]) -> None:
        self.start = start
        self.end = end
        self.on = on


def _shift_at(calendar: BusinessCalendar, now: datetime, end: datetime) -> tuple[bool, datetime]:
    """Is ``calendar`` open at ``now``, and until when (at most ``end``) does that hold?"""
    if not calendar.is_open(now):
        try:
            return False, min(calendar.next_open(now), end)
        except ValidationError:  # never opens again
            return False, end
    span = end - now
    if calendar.between(now, end) == span:
        return True, end
    # Open now, closed before ``end``: the open stretch is the longest fully open prefix.
    low, high = 0, span // _US
    while high - low > 1:
        middle = (low + high) // 2
        step = middle * _US
        if calendar.between(now, now + step) == step:
            low = middle
        else:
            high = middle
    return True, now + low * _US


class Shifts:
    """The shifts of a roster's members (by calendar name): which are open at an instant,
    and who is on duty. An agent whose calendar is unknown is never on shift."""

    def __init__(
        self, calendars: Mapping[str, BusinessCalendar], ranked: tuple[Member, ...]
    ) -> None:
        self._calendars = dict(calendars)
        self._ranked = ranked
        self._open_at: tuple[datetime, dict[str, bool]] | None = None
        self._duty: Duty | None = None
        self._shift_names = sorted({m.shift for m in ranked if m.shift is not None})

    def duty_at(self, now: datetime) -> Duty:
        """Who is on duty at ``now``: the last roll call while it holds, else a new one."""
        duty = self._duty
        if duty is None or not duty.start <= now < duty.end:
            duty = self._duty = self._roll_call(now)
        return duty

    def _roll_call(self, now: datetime) -> Duty:
        """Who is on duty at ``now``, and until when nobody's shift or absence changes."""
        end = now + _HORIZON
        shifts: dict[str, bool] = {}
        for shift in self._shift_names:
            calendar = self._calendars.get(shift)
            if calendar is None:
                shifts[shift] = False
                continue
            shifts[shift], until = _shift_at(calendar, now, end)
            end = min(end, until)
        on: set[int] = set()
        for member in self._ranked:
            if not member.active or (member.shift is not None and not shifts[member.shift]):
                continue
            present = True
            for start, back in member.away:
                if start <= now < back:
                    present = False
                    end = min(end, back)
                elif now < start:
                    end = min(end, start)
            if present:
                on.add(member.rank)
        return Duty(now, end, frozenset(on))

    def opened(self, now: datetime) -> dict[str, bool]:
        """Which shifts are open at ``now``: filled in as candidates need them, kept for one
        instant (the decisions of one tick share it)."""
        last = self._open_at
        if last is None or last[0] != now:
            last = self._open_at = (now, {})
        return last[1]

    def is_open(self, shift: str, now: datetime, opened: dict[str, bool]) -> bool:
        is_open = opened.get(shift)
        if is_open is None:
            calendar = self._calendars.get(shift)
            is_open = opened[shift] = calendar is not None and calendar.is_open(now)
        return is_open
