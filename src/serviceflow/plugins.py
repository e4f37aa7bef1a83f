"""The plugin manager: built-in backends first, then entry points, then explicit plugins."""

from __future__ import annotations

from collections.abc import Iterable

import pluggy
from attrs import frozen

from serviceflow import article_search, classification, hookspecs, isolation, knowledge
from serviceflow.backends import memory, sqlite
from serviceflow.errors import PluginError
from serviceflow.notifiers import LogNotifier

ENTRY_POINT_GROUP = "serviceflow"
BUILTINS: tuple[object, ...] = (
    isolation,
    memory,
    sqlite,
    classification,
    article_search,
    knowledge,
    LogNotifier(),
)
"""Registered first, each under its ``__name__``: the wrappers that isolate failing plugins,
the stores, the classifier, article search (FTS5 on SQLite, ranked terms elsewhere), the
knowledge base's review cycle on ``tick``; the log notifier logs every client message."""


def plugin_manager(
    plugins: Iterable[object] = (), *, entry_points: bool = True
) -> pluggy.PluginManager:
    """A manager with the hookspecs, the built-ins, installed entry points and ``plugins``.

    ``check_pending`` runs last, so a plugin with a misspelt hook fails here, loudly.
    """
    pm = pluggy.PluginManager("serviceflow")
    pm.add_hookspecs(hookspecs)
    try:
        for module in BUILTINS:
            pm.register(module, name=getattr(module, "__name__", None))
        if entry_points:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for plugin in plugins:
            pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} is invalid: {exc}") from None
    except ValueError as exc:
        raise PluginError(str(exc)) from None
    return pm


def implemented(caller: pluggy.HookCaller) -> bool:
    """Does any plugin answer this hook (wrappers alone answer nothing)?"""
    return any(not (impl.wrapper or impl.hookwrapper) for impl in caller.get_hookimpls())


@frozen
class Unconfigured:
    """Stands for an entry-point plugin that its environment does not configure.

    It implements no hook, so installing a distribution changes nothing until it is
    configured; ``missing`` names what to set. Registered under ``name``.
    """

    name: str
    missing: str

    @property
    def __name__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{self.name}: not configured ({self.missing} is unset)>"
