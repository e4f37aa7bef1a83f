"""The plugin manager: the built-ins first (by name), then entry points, then explicit plugins."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import pluggy
from attrs import frozen

from serviceflow.errors import PluginError

ENTRY_POINT_GROUP = "serviceflow"
HOOKSPECS = ("serviceflow.plugins.hookspecs", "serviceflow.knowledge.hookspecs")
"""The modules that declare hooks: the core's, then each feature's."""
EVENTS = (
    "serviceflow.knowledge._events",
    "serviceflow.problems._events",
    "serviceflow.improvement._events",
)
"""The modules that register the built-in aggregates' events, imported with the manager so
that any desk reads every stream its store holds (articles, problems, improvement cycles)."""
BUILTINS: tuple[tuple[str, str], ...] = (
    ("serviceflow.isolation", "serviceflow.plugins._isolation"),
    ("serviceflow.backends.memory", "serviceflow.backends.memory"),
    ("serviceflow.backends.sqlite", "serviceflow.backends.sqlite"),
    ("serviceflow.classification", "serviceflow.plugins._classification"),
    ("serviceflow.article_search", "serviceflow.knowledge._search"),
    ("serviceflow.knowledge", "serviceflow.knowledge._service"),
    ("serviceflow.notifiers.log", "serviceflow.plugins._notifiers:LogNotifier"),
)
"""The built-ins by name, registered first and imported only then (``module`` or
``module:factory``): the wrappers that isolate failing plugins, the stores, the classifier,
article search (FTS5 on SQLite, ranked terms elsewhere), the knowledge base's review cycle
on ``tick``; the log notifier logs every client message. The names are 0.1's."""


def builtin(target: str) -> object:
    """The plugin a ``BUILTINS`` target names: a module, or what its factory makes."""
    module, _, factory = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, factory)() if factory else loaded


def plugin_manager(
    plugins: Iterable[object] = (), *, entry_points: bool = True
) -> pluggy.PluginManager:
    """A manager with the hookspecs, the built-ins, installed entry points and ``plugins``.

    ``check_pending`` runs last, so a plugin with a misspelt hook fails here, loudly.
    """
    pm = pluggy.PluginManager("serviceflow")
    for module in EVENTS:
        importlib.import_module(module)
    for module in HOOKSPECS:
        pm.add_hookspecs(importlib.import_module(module))
    try:
        for name, target in BUILTINS:
            pm.register(builtin(target), name=name)
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
