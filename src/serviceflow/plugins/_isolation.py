"""The built-in wrappers that keep a failing plugin from breaking a command or a tick.

Each wraps one hook (``tryfirst``, registered before any other plugin, so a plugin's own
``tryfirst`` wrapper sits outside it): the hook is called with pluggy's order and wrappers,
and a failure inside it is logged and turned into the answer that is safe for that hook. A
failure stops the rest of that call, as pluggy always does. The desk's call sites catch
what a plugin's outer wrapper raises the same way. The hooks whose callers answer failures
themselves are not wrapped: ``notify`` (the outbox records each notifier's failure and
retries that one), ``classify`` and ``route`` (intake automation stops and the case waits
for a person), ``open_store`` and ``search_articles`` (the caller sees the error).
"""

from __future__ import annotations

import logging
from collections.abc import Generator

from serviceflow.plugins.hookspecs import hookimpl

log = logging.getLogger("serviceflow.plugins")

COULD_NOT_CHECK = "the guardrail could not be checked (a plugin failed; see the log)"
"""The objection a failing guardrail makes: a line that cannot be checked is not crossed."""


@hookimpl(wrapper=True, tryfirst=True)
def observe() -> Generator[None, list[None], list[None]]:
    """Observers see committed events: a failure is logged, the command stands."""
    try:
        return (yield)
    except Exception:
        log.exception("an observe plugin failed; the events stay committed")
        return []


@hookimpl(wrapper=True, tryfirst=True)
def guardrail() -> Generator[None, list[str | None], list[str | None]]:
    """A guardrail that fails objects, since the line it guards cannot be checked."""
    try:
        return (yield)
    except Exception:
        log.exception("a guardrail plugin failed; the command is refused")
        return [COULD_NOT_CHECK]


@hookimpl(wrapper=True, tryfirst=True)
def escalate() -> Generator[None, list[str | None], list[str | None]]:
    """An escalation plugin that fails asks for nothing; the command stands."""
    try:
        return (yield)
    except Exception:
        log.exception("an escalate plugin failed; no escalation was asked")
        return []


@hookimpl(wrapper=True, tryfirst=True)
def tick() -> Generator[None, list[None], list[None]]:
    """A plugin's periodic work that fails is logged; the tick goes on to delivery."""
    try:
        return (yield)
    except Exception:
        log.exception("a tick plugin failed; the tick goes on")
        return []
