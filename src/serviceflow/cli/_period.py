"""The period options of reports and audits (``--from``, ``--to``, ``--at``) read as instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click


def parse_instant(text: str, option: str, *, end_of_day: bool) -> datetime:
    """A --from/--to value as an aware instant: a bare date is a UTC day's start (or, for
    the end, the next day's start); a naive date-time is read as UTC."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date like 2026-03-02 or a date-time like 2026-03-02T09:00+01:00",
            param_hint=option,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
