"""The period options of reports and audits (``--from``, ``--to``, ``--at``) read as instants.

``Instant`` checks them when the options are parsed, so a malformed date is click's usage
error (exit status 2) before a desk is opened.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""Instants outside these years are refused: period arithmetic near the ends of
``datetime``'s range overflows, and no desk has cases there."""


class Instant(click.ParamType[datetime]):
    """A date or date-time option as an aware instant (``end_of_day``: a bare date ends
    at the next day's start)."""

    name = "date"

    def __init__(self, *, end_of_day: bool) -> None:
        self.end_of_day = end_of_day

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = _instant(str(value), end_of_day=self.end_of_day)
        except ValueError:
            self.fail(_wrong(str(value)), param, ctx)
        except OverflowError:  # the end of 9999-12-31
            moment = LATEST + timedelta(days=1)
        if not EARLIEST <= moment <= LATEST:
            self.fail(
                f"{value!r} is out of range: pick a date from {EARLIEST:%Y-%m-%d} to "
                f"{LATEST - timedelta(days=1):%Y-%m-%d}",
                param,
                ctx,
            )
        return moment


def _instant(text: str, *, end_of_day: bool) -> datetime:
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end_of_day else moment
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _wrong(text: str) -> str:
    return f"{text!r} is not a date like 2026-03-02 or a date-time like 2026-03-02T09:00+01:00"
