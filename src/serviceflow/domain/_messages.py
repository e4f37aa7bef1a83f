"""What plugins exchange with the desk: classifier proposals and client-facing notifications."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen


@frozen(kw_only=True)
class Classification:
    """A classifier's proposal for a new case, and how sure it is (0 to 1)."""

    category: str
    kind: str
    confidence: float
    impact: str | None = None
    urgency: str | None = None
    tags: tuple[str, ...] = ()
    source: str = "classifier"
    reason: str = ""


AUDIENCES = ("client", "internal")
"""Who a notification is for: the case's client, or people of the desk (escalations)."""


@frozen(kw_only=True)
class Notification:
    """One message for a client (or, by ``audience``, the desk's people); ``key`` is stable,
    so a notifier can drop repeats. ``template`` and ``locale`` let a notifier render its own
    text; ``text`` is always set."""

    key: str
    case_id: str
    to: str
    kind: str
    subject: str
    text: str
    at: datetime
    audience: str = "client"
    template: str | None = None
    locale: str | None = None
    to_name: str = ""
