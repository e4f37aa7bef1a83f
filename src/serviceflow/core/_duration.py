"""Durations as people write them in policies: ``"72h"``, ``"1d 4h"``, ``"PT30M"``, seconds."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from serviceflow.errors import ValidationError

LONGEST = timedelta(days=36525)
"""The longest duration a policy may name (a hundred years): anything longer is a typo, and
would overflow date arithmetic."""
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_COMPACT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(w|d|h|m|s)\s*", re.IGNORECASE)
_ISO = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse ``value`` into a non-negative timedelta, or raise ``ValidationError`` saying why."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValidationError("duration", [f"expected a duration, got boolean {value!r}"])
    elif isinstance(value, int | float):
        seconds = float(value) if not abs(value) >= 1e18 else math.inf  # NaN stays NaN
    elif isinstance(value, str):
        seconds = _parse_text(value.strip())
    else:
        raise ValidationError("duration", [f"expected a duration, got {type(value).__name__}"])
    if math.isnan(seconds):
        raise ValidationError("duration", [f"expected a number of seconds, got {value!r}"])
    if seconds < 0:
        raise ValidationError("duration", [f"must not be negative, got {value!r:.60}"])
    if seconds > LONGEST.total_seconds():
        raise ValidationError(
            "duration",
            [f"{value!r:.60} is longer than the longest allowed, 100 years ({LONGEST.days}d)"],
        )
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Render a duration compactly (``"3d 4h"``) in the same syntax ``parse_duration`` reads."""
    micros = value // timedelta(microseconds=1)
    total, fraction = divmod(micros, 1_000_000)
    if micros == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        if unit == "w":
            continue
        count, total = divmod(total, size)
        if unit == "s" and fraction:
            parts.append(f"{count}.{fraction:06d}".rstrip("0") + "s")
        elif count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def _parse_text(text: str) -> float:
    if not text:
        raise ValidationError("duration", ["empty text; write e.g. '4h', '1d 2h' or 'PT30M'"])
    iso = _ISO.match(text)
    if iso and text.upper() not in {"P", "PT"}:
        return sum(_number(v) * _UNITS[k] for k, v in iso.groupdict().items() if v is not None)
    position, seconds = 0, 0.0
    for match in _COMPACT.finditer(text):
        if match.start() != position:
            break
        seconds += _number(match.group(1)) * _UNITS[match.group(2).lower()]
        position = match.end()
    if position != len(text) or position == 0:
        raise ValidationError(
            "duration",
            [
                f"cannot read {text!r}; write e.g. '45m', '4h', '1d 2h', 'PT30M' "
                "or a number of seconds"
            ],
        )
    return seconds


def _number(digits: str) -> float:
    """A count from the text; absurdly long digit runs read as infinite (then refused)."""
    return float(digits) if len(digits) < 19 else math.inf
