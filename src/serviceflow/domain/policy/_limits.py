"""Size limits on what people and systems write into a case, and how far a desk's clock may
lag behind a case: policy data, checked by ``limits`` before anything is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from attrs import frozen

from serviceflow.core._duration import format_duration

CEILING = 10_000_000
"""No limit may be set above ten million characters: one event must stay a small write."""
LONGEST_SKEW = timedelta(hours=1)


@frozen
class Limits:
    """Characters allowed per field, counts per list, and the clock skew tolerated.

    ``text`` covers the free text of a command (description, message, resolution, note,
    comment, reason); ``name`` every short value (actors, requester, category, tags, template
    names, custom field names); ``fields``/``field_value`` a request's custom fields.
    A desk whose clock is behind a case's last event by at most ``clock_skew`` records the
    command at that event's time; further behind, the command is refused (``ClockBehind``).
    """

    subject: int = 1_000
    text: int = 131_072
    name: int = 320
    fields: int = 64
    field_value: int = 4_096
    tags: int = 64
    clock_skew: timedelta = timedelta(minutes=5)


def limits_problems(limits: Limits) -> Iterator[str]:
    """Every limit at least 1 and at most ``CEILING``; the skew within an hour."""
    for name in ("subject", "text", "name", "fields", "field_value", "tags"):
        value = getattr(limits, name)
        if not 1 <= value <= CEILING:
            yield f"$.limits.{name}: must be between 1 and {CEILING:,}, got {value:,}"
    if limits.clock_skew > LONGEST_SKEW:
        yield (
            f"$.limits.clock_skew: must be at most {format_duration(LONGEST_SKEW)}, "
            f"got {format_duration(limits.clock_skew)}"
        )
