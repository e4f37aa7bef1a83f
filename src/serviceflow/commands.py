"""Commands: what someone asks the desk to do to a case. Each names its actor (``by``)."""

from __future__ import annotations

from attrs import frozen


@frozen(kw_only=True)
class Command:
    """Fields common to every command."""

    case_id: str
    by: str


@frozen(kw_only=True)
class Submit(Command):
    """Intake of a new request."""

    requester: str
    channel: str
    subject: str
    description: str = ""
    category: str | None = None
    kind: str | None = None
    impact: str | None = None
    urgency: str | None = None
    tier: str | None = None


@frozen(kw_only=True)
class Classify(Command):
    """Set category and kind (``confidence`` when a classifier decided)."""

    category: str | None = None
    kind: str | None = None
    confidence: float | None = None


@frozen(kw_only=True)
class Prioritize(Command):
    """Set priority from impact × urgency, or directly with a reason."""

    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None
    reason: str | None = None


@frozen(kw_only=True)
class Assign(Command):
    """Route the case to an owner, or transfer it."""

    to: str


@frozen(kw_only=True)
class Acknowledge(Command):
    """Send the first public reply."""

    message: str


@frozen(kw_only=True)
class Reply(Command):
    """Send a later public reply."""

    message: str


@frozen(kw_only=True)
class RequestInfo(Command):
    """Ask the client for information; the case waits on the client."""

    message: str


@frozen(kw_only=True)
class ClientReply(Command):
    """Record a message from the client."""

    message: str


@frozen(kw_only=True)
class Resolve(Command):
    """Deliver the resolution."""

    resolution: str


@frozen(kw_only=True)
class Validate(Command):
    """Pass the quality check of the resolution."""

    note: str = ""


@frozen(kw_only=True)
class Reject(Command):
    """Fail the quality check; the case returns to work."""

    reason: str


@frozen(kw_only=True)
class Confirm(Command):
    """The client confirms the resolution."""

    comment: str = ""


@frozen(kw_only=True)
class Close(Command):
    """Close a validated case whose client confirmed or whose auto-confirm window passed."""


@frozen(kw_only=True)
class Reopen(Command):
    """Reopen after resolution, or after closure within the reopen window."""

    reason: str


@frozen(kw_only=True)
class Cancel(Command):
    """Cancel an unresolved case."""

    reason: str


@frozen(kw_only=True)
class Merge(Command):
    """Merge this case, a duplicate, into another case."""

    into: str


@frozen(kw_only=True)
class AddNote(Command):
    """Add an internal note."""

    text: str
