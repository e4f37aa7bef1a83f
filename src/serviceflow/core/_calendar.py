"""Business time: when a desk is open, and how much open time lies between two instants.

A calendar has a time zone, weekly opening intervals in wall-clock local time (several a
day; a day may be closed; ``00:00-24:00`` every day is 24/7), holidays (explicit dates
and, with the ``holidays`` extra, a country's public holidays), and special dates whose
hours replace the weekly ones (an empty list closes the day; a special date wins over a
holiday).

Conventions:

- An interval is the real time from the moment the wall clock first shows its start to
  the moment it first shows its end. So DST days have their real number of open seconds.
  A wall time that does not exist (skipped by a spring-forward switch) stands for the
  instant of the switch.
- ``add(t, d)`` is the earliest instant ``x`` with ``between(t, x) == d``. A start outside
  hours therefore counts from the next opening, and a deadline that lands exactly on a
  closing time is that closing time, not the next opening. ``add(t, 0)`` is ``t``.
- Inputs must be aware datetimes (naive ones are refused); outputs are aware, in UTC.

Each local year is turned, once, into a sorted list of disjoint open intervals in UTC
microseconds with prefix sums. Every operation is then a bisection, so its cost does not
grow with the horizon: a one-year target costs about what a one-hour target costs.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import field, frozen

from serviceflow.clock import require_aware
from serviceflow.core._readonly import ReadOnlyMap
from serviceflow.errors import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_SEARCH_YEARS = 12
_FIRST_US = (datetime(2, 1, 1, tzinfo=UTC) - _EPOCH) // _US
_LAST_US = (datetime(9998, 12, 31, tzinfo=UTC) - _EPOCH) // _US
_MEAN_YEAR_US = 31_556_952_000_000
"""A Gregorian year's mean length (365.2425 days) in µs: the year of an instant within one."""

Hours = tuple[tuple[int, int], ...]
"""Opening intervals of one day as ``(start, end)`` seconds after local midnight."""


@frozen
class _Year:
    """One local year as disjoint UTC intervals (µs) with the open time before each."""

    first: int
    last: int
    starts: list[int]
    ends: list[int]
    before: list[int]
    total: int

    def open_before(self, t: int) -> int:
        """Open µs in this year before instant ``t`` (``first <= t <= last``)."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        return self.before[i] + min(t, self.ends[i]) - self.starts[i]

    def instant_at(self, amount: int) -> int:
        """The earliest instant with ``amount`` open µs before it (``0 < amount <= total``)."""
        j = bisect_left(self.before, amount) - 1
        return self.starts[j] + amount - self.before[j]


def _read_only_special(special: Mapping[date, Hours]) -> Mapping[date, Hours]:
    return ReadOnlyMap(special)


@frozen
class BusinessCalendar:
    """When a desk is open; see the module docstring for the conventions."""

    name: str
    zone: str
    week: tuple[Hours, ...]
    holidays: frozenset[date] = frozenset()
    special: Mapping[date, Hours] = field(factory=ReadOnlyMap, converter=_read_only_special)
    country: str | None = None
    subdivision: str | None = None
    _years: dict[int, _Year] = field(init=False, factory=dict, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ValidationError(f"calendar {self.name!r} is invalid", problems)

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.zone)

    # --- the operations ----------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        """Is the desk open at instant ``t``?"""
        us = _micros(t)
        year = self._year_of(us)
        i = bisect_right(year.starts, us) - 1
        return i >= 0 and us < year.ends[i]

    def next_open(self, t: datetime) -> datetime:
        """``t`` if open, else the next opening after it."""
        us = _micros(t)
        year = self._year_of(us)
        for _ in range(_SEARCH_YEARS):
            i = bisect_right(year.starts, us) - 1
            if i >= 0 and us < year.ends[i]:
                return _instant(us)
            if i + 1 < len(year.starts):
                return _instant(year.starts[i + 1])
            year = self._year_of(year.last)
            us = year.first
        raise ValidationError(
            f"calendar {self.name!r}", [f"never opens in the {_SEARCH_YEARS} years after {t}"]
        )

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Open time from ``a`` to ``b`` (negative if ``b`` is before ``a``)."""
        start, end = _micros(a), _micros(b)
        if end < start:
            return -self.between(b, a)
        year = self._year_of(start)
        total = -year.open_before(start)
        while end >= year.last:
            total += year.total
            year = self._year_of(year.last)
        return timedelta(microseconds=total + year.open_before(end))

    def add(self, t: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of open time has passed since ``t``."""
        if duration < timedelta(0):
            raise ValidationError("business time", [f"cannot add a negative duration {duration}"])
        us = _micros(t)
        wanted = duration // _US
        if wanted == 0:
            return _instant(us)
        year = self._year_of(us)
        amount = year.open_before(us) + wanted
        weekly = self._weekly_minimum()
        for _ in range((wanted // (weekly * 52) if weekly else 0) + _SEARCH_YEARS):
            if amount <= year.total:
                return _instant(year.instant_at(amount))
            amount -= year.total
            year = self._year_of(year.last)
        raise ValidationError(
            f"calendar {self.name!r}", [f"no open time to fit {duration} after {t}"]
        )

    def add_days(self, t: datetime, days: int) -> datetime:
        """Close of business ``days`` business days after the current one.

        A business day is a local date with opening hours. The current business day is
        ``t``'s own date if it has opening hours that close after ``t``, else the next
        business day. So ``add_days(t, 0)`` is "by close of business", ``1`` is "by close
        of the next business day".
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValidationError("business days", [f"expected a whole number ≥ 0, got {days!r}"])
        after = _micros(t)
        day = _instant(after).astimezone(self.tz).date()
        counted = -1
        for _ in range(366 * _SEARCH_YEARS):
            hours = self.hours(day)
            if hours:
                close = self._micros_of(day, hours[-1][1], self.tz)
                if close > after:
                    counted += 1
                    if counted == days:
                        return _instant(close)
            day += timedelta(days=1)
        raise ValidationError(f"calendar {self.name!r}", ["no business days ahead"])

    def closed_days(self, a: datetime, b: datetime) -> tuple[date, ...]:
        """Local dates from ``a`` to ``b`` that the week would open but a holiday closes."""
        zone = self.tz
        day = require_aware(a, "closed_days").astimezone(zone).date()
        end = require_aware(b, "closed_days")
        last = (end - _US if end > a else end).astimezone(zone).date()
        closed = []
        while day <= last:
            if self.week[day.weekday()] and not self.hours(day):
                closed.append(day)
            day += timedelta(days=1)
        return tuple(closed)

    def hours(self, day: date) -> Hours:
        """The opening hours of a local date, after holidays and special dates."""
        special = self.special.get(day)
        if special is not None:
            return special
        if day in self.holidays or day in self._public_holidays(day.year):
            return ()
        return self.week[day.weekday()]

    # --- building ----------------------------------------------------------------------

    def _year_of(self, us: int) -> _Year:
        if not _FIRST_US <= us < _LAST_US:
            raise ValidationError(
                f"calendar {self.name!r}", [f"{_instant(us)} is outside the years 2 to 9998"]
            )
        year = 1970 + us // _MEAN_YEAR_US  # the UTC year, or a neighbour: all three are tried
        for candidate in (year, year - 1, year + 1):
            block = self._years.get(candidate) or self._build(candidate)
            if block.first <= us < block.last:
                return block
        raise AssertionError(f"no calendar year holds {us}")  # pragma: no cover

    def _build(self, year: int) -> _Year:
        zone = self.tz
        starts: list[int] = []
        ends: list[int] = []
        before: list[int] = []
        total = 0
        day = date(year, 1, 1)
        while day.year == year:
            for start, end in self.hours(day):
                a = self._micros_of(day, start, zone)
                b = self._micros_of(day, end, zone)
                if b <= a:
                    continue
                if starts and a <= ends[-1]:
                    if b > ends[-1]:
                        total += b - ends[-1]
                        ends[-1] = b
                    continue
                starts.append(a)
                ends.append(b)
                before.append(total)
                total += b - a
            day += timedelta(days=1)
        first = self._micros_of(date(year, 1, 1), 0, zone)
        last = self._micros_of(date(year + 1, 1, 1), 0, zone)
        block = _Year(first, last, starts, ends, before, total)
        self._years[year] = block
        return block

    @staticmethod
    def _micros_of(day: date, seconds: int, zone: ZoneInfo) -> int:
        """The instant the wall clock first shows ``seconds`` after midnight on ``day``."""
        if seconds >= _DAY:
            return BusinessCalendar._micros_of(day + timedelta(days=1), seconds - _DAY, zone)
        wall = datetime.combine(day, time(seconds // 3600, seconds // 60 % 60, seconds % 60))
        early = wall.replace(tzinfo=zone)
        back = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back == wall:
            return (early - _EPOCH) // _US
        # The wall time was skipped by a switch: find the switch between the two readings.
        low = (wall.replace(tzinfo=zone, fold=1) - _EPOCH) // _US
        high = (early - _EPOCH) // _US
        offset = early.utcoffset()
        while high - low > 1:
            mid = (low + high) // 2
            if _instant(mid).astimezone(zone).utcoffset() == offset:
                low = mid
            else:
                high = mid
        return high

    def _public_holidays(self, year: int) -> frozenset[date]:
        if self.country is None:
            return frozenset()
        return _country_holidays(self.country, self.subdivision, year)

    def _weekly_minimum(self) -> int:
        return sum(end - start for day in self.week for start, end in day) * 1_000_000


def business_calendar(
    name: str,
    zone: str,
    week: Mapping[str, Sequence[str]],
    *,
    holidays: Iterable[date | str] = (),
    special: Mapping[date, Sequence[str]] | Mapping[str, Sequence[str]] | None = None,
    country: str | None = None,
    subdivision: str | None = None,
) -> BusinessCalendar:
    """A calendar from what people write: ``{"mon": ["09:00-12:30", "13:30-18:00"], ...}``.

    Days left out are closed; ``"24:00"`` is allowed as an end. Every problem is listed.
    """
    problems: list[str] = []
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(f"zone: unknown time zone {zone!r} (use an IANA name like Europe/Paris)")
    unknown = sorted(set(week) - set(DAYS))
    if unknown:
        problems.append(f"week: unknown day(s) {', '.join(unknown)} (use {', '.join(DAYS)})")
    parsed_week = tuple(_parse_hours(f"week.{d}", week.get(d, ()), problems) for d in DAYS)
    parsed_holidays = frozenset(
        h for h in (_parse_date("holidays", raw, problems) for raw in holidays) if h
    )
    parsed_special: dict[date, Hours] = {}
    for raw, spans in (special or {}).items():
        day = _parse_date("special", raw, problems)
        if day is not None:
            parsed_special[day] = _parse_hours(f"special.{day}", spans, problems)
    if problems:
        raise ValidationError(f"calendar {name!r} is invalid", problems)
    return BusinessCalendar(
        name,
        zone,
        parsed_week,
        parsed_holidays,
        parsed_special,
        country,
        subdivision,
    )


def always_open(zone: str = "UTC", name: str = "24/7") -> BusinessCalendar:
    """The 24/7 calendar."""
    return business_calendar(name, zone, {day: ["00:00-24:00"] for day in DAYS})


def _micros(t: datetime) -> int:
    if t.tzinfo is None or t.utcoffset() is None:
        require_aware(t, "business time")  # raises, naming the naive value
    return (t - _EPOCH) // _US


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _parse_hours(path: str, spans: Any, problems: list[str]) -> Hours:
    if isinstance(spans, str) or not isinstance(spans, Sequence):
        problems.append(f"{path}: expected a list like ['09:00-17:00'], got {spans!r}")
        return ()
    hours: list[tuple[int, int]] = []
    for i, span in enumerate(spans):
        match = _SPAN.match(span) if isinstance(span, str) else None
        if match is None:
            problems.append(f"{path}[{i}]: expected 'HH:MM-HH:MM', got {span!r}")
            continue
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if h1 > 23 or m1 > 59 or m2 > 59 or end > _DAY:
            problems.append(f"{path}[{i}]: {span!r} is not a time of day (00:00 to 24:00)")
        elif end <= start:
            problems.append(f"{path}[{i}]: {span!r} ends before it starts")
        elif hours and start < hours[-1][1]:
            problems.append(f"{path}[{i}]: {span!r} overlaps or precedes the one before")
        else:
            hours.append((start, end))
    return tuple(hours)


def as_date(raw: object) -> date | None:
    """A date from a ``date`` or an ISO string (``2026-12-25``); ``None`` if it is neither."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _parse_date(path: str, raw: object, problems: list[str]) -> date | None:
    day = as_date(raw)
    if day is None:
        problems.append(f"{path}: expected a date like 2026-12-25, got {raw!r}")
    return day


def _problems(calendar: BusinessCalendar) -> Iterable[str]:
    try:
        ZoneInfo(calendar.zone)
    except (ZoneInfoNotFoundError, ValueError):
        yield f"zone: unknown time zone {calendar.zone!r} (use an IANA name like Europe/Paris)"
    if len(calendar.week) != 7:
        yield f"week: expected 7 days, got {len(calendar.week)}"
    elif not any(calendar.week) and not calendar.special:
        yield "week: the calendar is never open"
    if calendar.country is not None:
        try:
            _country_holidays(calendar.country, calendar.subdivision, 2026)
        except ValidationError as exc:
            yield from exc.problems


_HOLIDAYS: dict[tuple[str, str | None, int], frozenset[date]] = {}


def _country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    key = (country, subdivision, year)
    known = _HOLIDAYS.get(key)
    if known is not None:
        return known
    try:
        import holidays  # noqa: PLC0415 - optional extra, imported only when asked for
    except ImportError:
        raise ValidationError(
            "public holidays",
            [f"country: {country!r} needs the extra: pip install 'serviceflow[holidays]'"],
        ) from None
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        raise ValidationError(
            "public holidays", [f"country: no public holidays known for {country!r}"]
        ) from None
    _HOLIDAYS[key] = frozenset(found)
    return _HOLIDAYS[key]
