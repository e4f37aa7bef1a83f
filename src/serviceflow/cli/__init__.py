"""The ``serviceflow`` command (the ``cli`` extra): one module per command group.

``main`` (the console script) loads only the root group; the names below load their module
on first use, so running ``serviceflow --version`` imports no command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serviceflow.cli._consoles import console as console
    from serviceflow.cli._consoles import err as err
    from serviceflow.cli._improve import improve as improve
    from serviceflow.cli._improve import list_cycles as list_cycles
    from serviceflow.cli._improve import show_cycle as show_cycle
    from serviceflow.cli._knowledge import kb as kb
    from serviceflow.cli._main import main as main
    from serviceflow.cli._problems import problem as problem
    from serviceflow.cli._simulate import DEFAULT_DB as DEFAULT_DB
    from serviceflow.cli._simulate import DEFAULT_HTML as DEFAULT_HTML
    from serviceflow.cli._simulate import DEFAULT_SCENARIO as DEFAULT_SCENARIO
    from serviceflow.cli._simulate import MARKER_TABLE as MARKER_TABLE
    from serviceflow.cli._simulate import is_simulation_file as is_simulation_file
    from serviceflow.cli._simulate import simulate as simulate
    from serviceflow.cli._staff import staff as staff
    from serviceflow.cli._support import open_desk as open_desk
    from serviceflow.cli._support import print_kpis as print_kpis
    from serviceflow.cli._support import store_url as store_url
    from serviceflow.cli._tables import Col as Col
    from serviceflow.cli._tables import Listing as Listing
    from serviceflow.cli._tables import plain as plain

_HOMES = {
    "DEFAULT_DB": "_simulate",
    "DEFAULT_HTML": "_simulate",
    "DEFAULT_SCENARIO": "_simulate",
    "MARKER_TABLE": "_simulate",
    "Col": "_tables",
    "Listing": "_tables",
    "console": "_consoles",
    "err": "_consoles",
    "improve": "_improve",
    "is_simulation_file": "_simulate",
    "kb": "_knowledge",
    "list_cycles": "_improve",
    "main": "_main",
    "open_desk": "_support",
    "plain": "_tables",
    "print_kpis": "_support",
    "problem": "_problems",
    "show_cycle": "_improve",
    "simulate": "_simulate",
    "staff": "_staff",
    "store_url": "_support",
}
"""Each public name and the module of ``serviceflow.cli`` it comes from."""

__all__ = [
    "DEFAULT_DB",
    "DEFAULT_HTML",
    "DEFAULT_SCENARIO",
    "MARKER_TABLE",
    "Col",
    "Listing",
    "console",
    "err",
    "improve",
    "is_simulation_file",
    "kb",
    "list_cycles",
    "main",
    "open_desk",
    "plain",
    "print_kpis",
    "problem",
    "show_cycle",
    "simulate",
    "staff",
    "store_url",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
