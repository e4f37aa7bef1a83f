"""Business calendars: worked examples from vendors, the conventions, and properties.

The properties are checked against a brute-force reference that steps minute by minute and
reads the local wall clock, on random calendars in zones with and without DST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from serviceflow import ValidationError
from serviceflow.core._calendar import DAYS, BusinessCalendar, always_open, business_calendar

WEEKDAYS = DAYS[:5]
H = timedelta(hours=1)


def weekdays(*spans: str) -> dict[str, list[str]]:
    return {day: list(spans) for day in WEEKDAYS}


def local(
    zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone))


# --- worked examples published by helpdesk vendors and open-source helpdesks -------------


def test_zammad_ticket_sla_test_calendar_eu_1() -> None:
    """zammad/zammad test/unit/ticket_sla_test.rb: 'EU 1', Europe/Berlin, Mon-Fri 09-17."""
    cal = business_calendar("EU 1", "Europe/Berlin", weekdays("09:00-17:00"))
    created = datetime(2013, 3, 21, 9, 30, tzinfo=UTC)
    assert cal.add(created, timedelta(minutes=60)) == datetime(2013, 3, 21, 10, 30, tzinfo=UTC)
    assert cal.add(created, timedelta(minutes=180)) == datetime(2013, 3, 21, 12, 30, tzinfo=UTC)
    assert cal.add(created, timedelta(minutes=240)) == datetime(2013, 3, 21, 13, 30, tzinfo=UTC)


def test_zammad_ticket_sla_test_calendar_eu_2() -> None:
    """zammad/zammad test/unit/ticket_sla_test.rb: 'EU 2', Europe/Berlin, Mon-Fri 08-18."""
    cal = business_calendar("EU 2", "Europe/Berlin", weekdays("08:00-18:00"))
    created = datetime(2013, 3, 21, 9, 30, tzinfo=UTC)
    assert cal.add(created, timedelta(minutes=120)) == datetime(2013, 3, 21, 11, 30, tzinfo=UTC)
    assert cal.add(created, timedelta(minutes=180)) == datetime(2013, 3, 21, 12, 30, tzinfo=UTC)
    first_response = datetime(2013, 3, 21, 14, 0, tzinfo=UTC)
    assert cal.between(created, first_response) == timedelta(minutes=270)  # first_response_in_min


def test_matrix42_example_4_escalation_points_outside_working_times() -> None:
    """Matrix42 Service Desk guide, 'Example 4': Mon-Fri 08-17, holiday Fri 1 May 2009."""
    cal = business_calendar(
        "Karlsruhe", "Europe/Berlin", weekdays("08:00-17:00"), holidays=["2009-05-01"]
    )
    created = local("Europe/Berlin", 2009, 4, 30, 12, 0)
    expected = {
        1: local("Europe/Berlin", 2009, 4, 30, 13, 0),
        8: local("Europe/Berlin", 2009, 5, 4, 11, 0),
        12: local("Europe/Berlin", 2009, 5, 4, 15, 0),
        24: local("Europe/Berlin", 2009, 5, 6, 9, 0),
        48: local("Europe/Berlin", 2009, 5, 8, 15, 0),
    }
    for hours, due in expected.items():
        assert cal.add(created, hours * H) == due, hours


def test_matrix42_example_2_creation_on_a_holiday() -> None:
    """Matrix42 Service Desk guide, 'Example 2': created at midnight on a holiday Monday.

    Matrix42 writes a deadline that ends a working day as the next opening (Tue 21 April
    08:00 for 5 days of 9 hours). Our convention is the closing time before it (Mon 20 April
    17:00); both hold the same business time, which is what is checked here.
    """
    cal = business_calendar(
        "Karlsruhe", "Europe/Berlin", weekdays("08:00-17:00"), holidays=["2009-04-13"]
    )
    created = local("Europe/Berlin", 2009, 4, 13, 0, 0)
    assert cal.add(created, H) == local("Europe/Berlin", 2009, 4, 14, 9, 0)
    for days, matrix42 in ((5, (2009, 4, 21, 8, 0)), (10, (2009, 4, 28, 8, 0))):
        assert cal.between(created, local("Europe/Berlin", *matrix42)) == days * 9 * H
    assert cal.add(created, 45 * H) == local("Europe/Berlin", 2009, 4, 20, 17, 0)


def test_ticket0_docs_business_hours_created_at_closing_time() -> None:
    """Ticket0 docs 'Business-hours SLA': Europe/Copenhagen Mon-Fri 09-17, Fri 17:00 + 4h."""
    cal = business_calendar("cph", "Europe/Copenhagen", weekdays("09:00-17:00"))
    friday_close = local("Europe/Copenhagen", 2026, 3, 6, 17, 0)
    assert cal.add(friday_close, 4 * H) == local("Europe/Copenhagen", 2026, 3, 9, 13, 0)
    saturday = local("Europe/Copenhagen", 2026, 3, 7, 11, 0)
    assert cal.add(saturday, 4 * H) == local("Europe/Copenhagen", 2026, 3, 9, 13, 0)


def test_thulium_support_sla_time_example() -> None:
    """Thulium support 'How is SLA time calculated': 08-16, 10:00 + 12h is 14:00 next day."""
    cal = business_calendar("office", "Europe/Warsaw", weekdays("08:00-16:00"))
    opened = local("Europe/Warsaw", 2024, 2, 21, 10, 0)
    assert cal.add(opened, 12 * H) == local("Europe/Warsaw", 2024, 2, 22, 14, 0)


# --- conventions ---------------------------------------------------------------------------

PARIS = business_calendar(
    "paris", "Europe/Paris", weekdays("09:00-12:30", "13:30-18:00"), holidays=["2026-05-14"]
)


def test_start_outside_hours_counts_from_next_opening() -> None:
    sunday = local("Europe/Paris", 2026, 3, 1, 23, 0)
    assert PARIS.add(sunday, H) == local("Europe/Paris", 2026, 3, 2, 10, 0)
    lunch = local("Europe/Paris", 2026, 3, 2, 12, 45)
    assert PARIS.add(lunch, H) == local("Europe/Paris", 2026, 3, 2, 14, 30)
    assert PARIS.next_open(lunch) == local("Europe/Paris", 2026, 3, 2, 13, 30)
    assert not PARIS.is_open(lunch)
    assert PARIS.is_open(local("Europe/Paris", 2026, 3, 2, 13, 30))
    assert not PARIS.is_open(local("Europe/Paris", 2026, 3, 2, 18, 0))


def test_a_deadline_exactly_at_closing_is_the_closing_time() -> None:
    monday = local("Europe/Paris", 2026, 3, 2, 9, 0)
    assert PARIS.add(monday, timedelta(hours=3, minutes=30)) == local(
        "Europe/Paris", 2026, 3, 2, 12, 30
    )
    assert PARIS.add(monday, timedelta(hours=8)) == local("Europe/Paris", 2026, 3, 2, 18, 0)
    assert PARIS.add(monday, timedelta(hours=8, seconds=1)) == local(
        "Europe/Paris", 2026, 3, 3, 9, 0, 1
    )
    assert PARIS.add(monday, timedelta(0)) == monday


def test_holidays_and_special_dates() -> None:
    wednesday = local("Europe/Paris", 2026, 5, 13, 17, 0)
    assert PARIS.add(wednesday, 2 * H) == local("Europe/Paris", 2026, 5, 15, 10, 0)
    special = business_calendar(
        "xmas",
        "Europe/Paris",
        weekdays("09:00-18:00"),
        holidays=["2026-12-24", "2026-12-25"],
        special={"2026-12-24": ["09:00-12:00"], "2026-12-28": []},
    )
    eve = local("Europe/Paris", 2026, 12, 24, 11, 0)
    assert special.is_open(eve), "a special date wins over a holiday"
    assert special.add(eve, 2 * H) == local("Europe/Paris", 2026, 12, 29, 10, 0)
    assert special.hours(date(2026, 12, 28)) == ()


def test_country_holidays_from_the_holidays_package() -> None:
    france = business_calendar("fr", "Europe/Paris", weekdays("09:00-17:00"), country="FR")
    assert not france.is_open(local("Europe/Paris", 2026, 5, 1, 10, 0))  # Fête du Travail
    assert france.is_open(local("Europe/Paris", 2026, 5, 4, 10, 0))
    bavaria = business_calendar(
        "by", "Europe/Berlin", weekdays("09:00-17:00"), country="DE", subdivision="BY"
    )
    berlin = business_calendar(
        "be", "Europe/Berlin", weekdays("09:00-17:00"), country="DE", subdivision="BE"
    )
    epiphany = local("Europe/Berlin", 2026, 1, 6, 10, 0)
    assert not bavaria.is_open(epiphany)
    assert berlin.is_open(epiphany)


def test_dst_days_have_their_real_length() -> None:
    nonstop = always_open("Europe/Paris")
    spring, fall = date(2026, 3, 29), date(2026, 10, 25)
    for day, hours in ((spring, 23), (fall, 25), (date(2026, 3, 30), 24)):
        start = local("Europe/Paris", day.year, day.month, day.day)
        end = start + timedelta(days=1)
        end = datetime(end.year, end.month, end.day, tzinfo=ZoneInfo("Europe/Paris"))
        assert nonstop.between(start, end) == hours * H, day
    night = business_calendar("night", "Europe/Paris", {"sun": ["01:00-04:00"]})
    assert night.between(*_day("Europe/Paris", spring)) == 2 * H
    assert night.between(*_day("Europe/Paris", fall)) == 4 * H
    gap = business_calendar("gap", "Europe/Paris", {"sun": ["02:30-04:00"]})
    switch = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
    assert gap.next_open(datetime(2026, 3, 29, tzinfo=UTC)) == switch
    office = business_calendar("office", "America/New_York", weekdays("09:00-17:00"))
    friday = local("America/New_York", 2026, 3, 6, 16, 0)
    assert office.add(friday, 2 * H) == local("America/New_York", 2026, 3, 9, 10, 0)


def _day(zone: str, day: date) -> tuple[datetime, datetime]:
    nxt = day + timedelta(days=1)
    return local(zone, day.year, day.month, day.day), local(zone, nxt.year, nxt.month, nxt.day)


def test_add_days_is_close_of_business() -> None:
    monday = local("Europe/Paris", 2026, 3, 2, 10, 0)
    assert PARIS.add_days(monday, 0) == local("Europe/Paris", 2026, 3, 2, 18, 0)
    assert PARIS.add_days(monday, 1) == local("Europe/Paris", 2026, 3, 3, 18, 0)
    assert PARIS.add_days(monday, 4) == local("Europe/Paris", 2026, 3, 6, 18, 0)
    assert PARIS.add_days(monday, 5) == local("Europe/Paris", 2026, 3, 9, 18, 0)
    evening = local("Europe/Paris", 2026, 3, 6, 19, 0)
    assert PARIS.add_days(evening, 0) == local("Europe/Paris", 2026, 3, 9, 18, 0)
    assert PARIS.add_days(local("Europe/Paris", 2026, 5, 13, 10), 1) == local(
        "Europe/Paris", 2026, 5, 15, 18
    )
    with pytest.raises(ValidationError, match="whole number"):
        PARIS.add_days(monday, -1)


def test_long_horizons_and_results_in_utc() -> None:
    start = local("Europe/Paris", 2026, 3, 2, 9, 0)
    year = PARIS.add(start, 2000 * H)
    assert year.tzinfo is UTC
    assert PARIS.between(start, year) == 2000 * H
    assert PARIS.between(year, start) == -2000 * H
    decade = always_open().add(start, timedelta(days=3653))
    assert decade == start + timedelta(days=3653)


def test_bad_input_is_refused_with_every_problem() -> None:
    with pytest.raises(ValidationError) as info:
        business_calendar(
            "bad",
            "Mars/Olympus",
            {
                "mon": ["09:00-08:00", "25:00-26:00", "nine to five"],
                "tue": "09:00-17:00",
                "funday": ["09:00-10:00"],
                "wed": ["09:00-12:00", "11:00-13:00"],
            },
            holidays=["someday"],
        )
    problems = info.value.problems
    assert "week: unknown day(s) funday (use mon, tue, wed, thu, fri, sat, sun)" in problems
    assert "week.mon[0]: '09:00-08:00' ends before it starts" in problems
    assert "week.mon[1]: '25:00-26:00' is not a time of day (00:00 to 24:00)" in problems
    assert "week.mon[2]: expected 'HH:MM-HH:MM', got 'nine to five'" in problems
    assert "week.tue: expected a list like ['09:00-17:00'], got '09:00-17:00'" in problems
    assert "week.wed[1]: '11:00-13:00' overlaps or precedes the one before" in problems
    assert "holidays: expected a date like 2026-12-25, got 'someday'" in problems
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        business_calendar("z", "Mars/Olympus", weekdays("09:00-17:00"))
    with pytest.raises(ValidationError, match="never open"):
        business_calendar("closed", "UTC", {})
    with pytest.raises(ValidationError, match="no public holidays known for 'XX'"):
        business_calendar("xx", "UTC", weekdays("09:00-17:00"), country="XX")
    with pytest.raises(ValidationError, match="timezone-aware"):
        PARIS.add(datetime(2026, 3, 2, 9), H)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValidationError, match="negative"):
        PARIS.add(local("Europe/Paris", 2026, 3, 2, 9), -H)


# --- properties against a brute-force reference --------------------------------------------

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
SWITCH_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
]


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Random weeks at 15-minute steps, away from the hours DST switches happen in."""
    week: dict[str, list[str]] = {}
    for day in DAYS:
        points = sorted(draw(st.sets(st.integers(16, 96), max_size=6)))
        if draw(st.booleans()) and points:
            points = [0, *points]
        spans = [
            f"{a // 4:02d}:{a % 4 * 15:02d}-{b // 4:02d}:{b % 4 * 15:02d}"
            for a, b in zip(points[::2], points[1::2], strict=False)
        ]
        week[day] = spans
    assume(any(week.values()))
    holidays = draw(
        st.lists(
            st.sampled_from(SWITCH_DAYS + [d + timedelta(days=1) for d in SWITCH_DAYS]), max_size=3
        )
    )
    return business_calendar("random", draw(st.sampled_from(ZONES)), week, holidays=holidays)


instants = st.builds(
    lambda day, minute: (
        datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
    ),
    st.sampled_from(SWITCH_DAYS) | st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    st.integers(-2 * 1440, 2 * 1440),
)
durations = st.integers(0, 3 * 1440).map(lambda m: timedelta(minutes=m))


def reference_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Minute by minute: open if the local wall clock reads inside that date's hours."""
    zone = ZoneInfo(cal.zone)
    minutes = 0
    t = a
    while t < b:
        wall = t.astimezone(zone)
        seconds = wall.hour * 3600 + wall.minute * 60
        if any(start <= seconds < end for start, end in cal.hours(wall.date())):
            minutes += 1
        t += timedelta(minutes=1)
    return timedelta(minutes=minutes)


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(calendars(), instants, durations)
def test_between_of_add_is_the_duration(cal: BusinessCalendar, t: datetime, d: timedelta) -> None:
    assert cal.between(t, cal.add(t, d)) == d


@PROPS
@given(calendars(), instants, durations, durations)
def test_add_composes_and_is_monotonic(
    cal: BusinessCalendar, t: datetime, a: timedelta, b: timedelta
) -> None:
    assert cal.add(cal.add(t, a), b) == cal.add(t, a + b)
    assert cal.add(t, min(a, b)) <= cal.add(t, max(a, b))
    assert cal.add(t, a) <= cal.add(t + b, a)


@PROPS
@given(calendars(), instants, durations, durations)
def test_between_is_additive(
    cal: BusinessCalendar, t: datetime, a: timedelta, b: timedelta
) -> None:
    middle, end = t + a, t + a + b
    assert cal.between(t, end) == cal.between(t, middle) + cal.between(middle, end)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars(), instants, st.integers(0, 2 * 1440).map(lambda m: timedelta(minutes=m)))
def test_agrees_with_minute_stepping(cal: BusinessCalendar, t: datetime, span: timedelta) -> None:
    assert cal.between(t, t + span) == reference_between(cal, t, t + span)
    assert cal.is_open(t) == (
        reference_between(cal, t, t + timedelta(minutes=1)) == timedelta(minutes=1)
    )


def test_country_holidays_without_the_extra_say_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from serviceflow.core import _calendar as cal_module

    monkeypatch.setitem(sys.modules, "holidays", None)
    monkeypatch.setattr(cal_module, "_HOLIDAYS", {})
    with pytest.raises(ValidationError) as info:
        business_calendar("gb", "Europe/London", weekdays("09:00-17:00"), country="GB")
    assert info.value.problems == (
        "country: 'GB' needs the extra: pip install 'serviceflow[holidays]'",
    )
