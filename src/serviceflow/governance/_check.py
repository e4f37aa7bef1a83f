"""One checklist item answered: what it asks, whether it needs attention, the findings that
say why and the figures behind them, written the same way by every cadence's checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attrs import field, frozen

from serviceflow.core._duration import format_duration
from serviceflow.core._readonly import ReadOnlyMap, read_only


@frozen
class Check:
    """One checklist item: what it asks, whether it needs attention, and why."""

    item: str
    asks: str
    status: str
    findings: tuple[str, ...]
    figures: Mapping[str, Any] = field(factory=ReadOnlyMap, converter=read_only)
    """The numbers behind the findings, as plain JSON-ready values."""


def answered(item: str, asks: str, findings: list[tuple[str, bool]], **figures: Any) -> Check:
    """A check from its findings, each with whether it calls for action."""
    status = "attention" if any(flag for _, flag in findings) else "ok"
    return Check(item, asks, status, tuple(text for text, _ in findings), figures)


def in_minutes(seconds: float) -> str:
    """A duration to the minute (or the second, under one)."""
    step = 60 if seconds >= 60 else 1
    return format_duration(timedelta(seconds=round(seconds / step) * step))
