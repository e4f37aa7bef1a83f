"""The case: the projection of a case's events, and the requester's address."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from attrs import field, fields, frozen

from serviceflow.core._readonly import ReadOnlyMap, read_only


@frozen(kw_only=True)
class Escalation:
    """Where an escalated case stands: the one tier that owns it, and how it got there."""

    tier: str
    since: datetime
    status: str
    """``awaiting_acceptance``, ``accepted`` or ``returned`` (de-escalated to a tier)."""
    number: int
    """How many escalations the case has had (each starts an acknowledgement clock)."""
    path: tuple[str, ...]
    """Every tier the case has been in, in order (a tier appears again after a bounce)."""
    owner: str | None = None
    timeline: datetime | None = None
    bounces: int = 0
    flagged: bool = False


AWAITING = "awaiting_acceptance"
ACCEPTED = "accepted"
RETURNED = "returned"


@frozen(kw_only=True)
class Case:
    """What is known about a case after folding its events (never edited in place)."""

    id: str
    state: str
    version: int
    requester: str
    channel: str
    subject: str
    description: str
    tier: str
    submitted_at: datetime
    updated_at: datetime
    policy: str
    category: str | None = None
    kind: str | None = None
    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None
    priority_reason: str | None = None
    assignee: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    validated_at: datetime | None = None
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str | None = None
    reopen_count: int = 0
    transfer_count: int = 0
    merged_into: str | None = None
    duplicates: tuple[str, ...] = ()
    sla: str | None = None
    language: str | None = None
    fields: Mapping[str, str] = field(factory=ReadOnlyMap, converter=read_only)
    tags: tuple[str, ...] = ()
    resolved_by: str | None = None
    escalation: Escalation | None = None

    @property
    def requester_group(self) -> str | None:
        """The organisation part of ``group/address`` requesters (``acme`` in ``acme/jane@…``)."""
        return requester_group(self.requester)

    @property
    def requester_address(self) -> str:
        """The contact part of the requester (``jane@acme.test``)."""
        return self.requester.rpartition("/")[2]


def _replacer() -> Callable[..., Case]:
    """Build ``replace(case, state, version, updated_at, policy, changes)``.

    A fold creates a new case per event; ``attrs.evolve`` introspects fields on every
    call, which costs three times more than this generated constructor call.
    """
    names = [a.name for a in fields(Case)]
    always = ("state", "version", "updated_at", "policy")
    keep = ", ".join(f"{n}=c.{n}" if n not in always else f"{n}={n}" for n in names)
    pick = ", ".join(f"{n}=g({n!r}, c.{n})" if n not in always else f"{n}={n}" for n in names)
    source = (
        "def replace(c, state, version, updated_at, policy, changes):\n"
        "    if not changes:\n"
        f"        return Case({keep})\n"
        "    g = changes.get\n"
        f"    return Case({pick})\n"
    )
    namespace: dict[str, Any] = {"Case": Case}
    exec(compile(source, "<serviceflow.case.replace>", "exec"), namespace)
    return cast(Callable[..., Case], namespace["replace"])


replace = _replacer()


def client_actor(requester: str) -> str:
    """How a requester is named as an actor: ``client:jane@acme.test``."""
    return f"client:{requester.rpartition('/')[2]}"


def requester_group(requester: str) -> str | None:
    """``acme`` for ``acme/jane@acme.test``, ``None`` when no group is given."""
    group, sep, _ = requester.rpartition("/")
    return group if sep and group else None
