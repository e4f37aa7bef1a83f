"""Plugins: the hook specifications (``serviceflow.plugins.hookspecs``), the plugin manager
(built-ins registered by name), the wrappers that isolate failing plugins and the built-in
notifiers.
"""

from __future__ import annotations

from serviceflow.plugins._isolation import COULD_NOT_CHECK
from serviceflow.plugins._manager import (
    BUILTINS,
    ENTRY_POINT_GROUP,
    Unconfigured,
    implemented,
    plugin_manager,
)
from serviceflow.plugins._notifiers import JsonLinesNotifier, LogNotifier, notification_fields
from serviceflow.plugins.hookspecs import hookimpl, hookspec

__all__ = [
    "BUILTINS",
    "COULD_NOT_CHECK",
    "ENTRY_POINT_GROUP",
    "JsonLinesNotifier",
    "LogNotifier",
    "Unconfigured",
    "hookimpl",
    "hookspec",
    "implemented",
    "notification_fields",
    "plugin_manager",
]
