"""The hooks a plugin can implement: project ``serviceflow``, entry-point group ``serviceflow``.

Feature packages add their own (``serviceflow.knowledge.hookspecs``: ``search_articles``);
the plugin manager adds them all (``HOOKSPECS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import pluggy

from serviceflow.domain._case import Case
from serviceflow.domain._commands import Command
from serviceflow.domain._events import Event
from serviceflow.domain._messages import Classification, Notification
from serviceflow.domain.policy._policy import Policy
from serviceflow.eventlog._store import Store

hookspec = pluggy.HookspecMarker("serviceflow")
hookimpl = pluggy.HookimplMarker("serviceflow")


class Desk(Protocol):
    """What a hook is given of the desk that calls it (a ``ServiceDesk``)."""

    @property
    def store(self) -> Store: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def plugins(self) -> pluggy.PluginManager: ...


@hookspec(firstresult=True)
def open_store(url: str) -> Store | None:
    """Open a store for ``url`` if this plugin handles its scheme, else return ``None``."""


@hookspec
def classify(case: Case, policy: Policy) -> Classification | None:
    """Propose a category and kind for a newly submitted case, with a confidence."""


@hookspec(firstresult=True)
def route(case: Case, policy: Policy) -> str | None:
    """Choose the owner of a prioritized case, or ``None`` to leave it in its queue."""


@hookspec
def guardrail(case: Case, command: Command, policy: Policy) -> str | None:
    """Object to a command on a case (return why: the first objection refuses), else ``None``."""


@hookspec
def observe(case: Case, events: Sequence[Event]) -> None:
    """See events after they were committed, with the case as it now stands."""


@hookspec
def notify(notification: Notification) -> None:
    """Deliver a client-facing message; failures are logged and never undo the change."""


@hookspec
def escalate(case: Case, events: Sequence[Event], policy: Policy) -> str | None:
    """Ask to escalate a case after its events were committed (return why), or ``None``."""


@hookspec
def tick(desk: Desk, now: datetime) -> None:
    """Do a plugin's periodic work when the desk ticks (after SLA timers, before delivery)."""
