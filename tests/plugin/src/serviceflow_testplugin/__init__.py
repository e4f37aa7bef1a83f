"""A plugin found only through its ``serviceflow`` entry point: a recording store scheme."""

from __future__ import annotations

from serviceflow import hookimpl
from serviceflow.backends.memory import MemoryStore
from serviceflow.eventlog import Store

OPENED: list[str] = []


@hookimpl
def open_store(url: str) -> Store | None:
    """Open ``testplugin://`` URLs as memory stores and remember that we did."""
    if not url.startswith("testplugin://"):
        return None
    OPENED.append(url)
    return MemoryStore(url)
