"""The event: a frozen fact naming its actor, time and policy version; the events of every
stream (cases', the desk's, other aggregates') are its subclasses.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from attrs import frozen


@frozen(kw_only=True)
class Event:
    """Fields common to every event."""

    TYPE: ClassVar[str] = ""
    TRIGGER: ClassVar[str] = ""
    SCHEMA: ClassVar[int] = 1
    PUBLIC: ClassVar[bool] = False

    at: datetime
    by: str
    policy: str
    source: str | None = None
    """Where an imported fact came from (``servicenow:log.csv:42``); ``None`` for live events,
    which the desk decided. Imported events skipped the lifecycle guards a command passes."""
