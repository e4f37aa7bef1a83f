"""The ``serviceflow`` command (the ``cli`` extra): one module per command group."""

from __future__ import annotations

from serviceflow.cli._improve import improve, list_cycles, show_cycle
from serviceflow.cli._knowledge import kb
from serviceflow.cli._main import main
from serviceflow.cli._problems import problem
from serviceflow.cli._simulate import (
    DEFAULT_DB,
    DEFAULT_HTML,
    DEFAULT_SCENARIO,
    MARKER_TABLE,
    is_simulation_file,
    simulate,
)
from serviceflow.cli._staff import staff
from serviceflow.cli._support import console, err, open_desk, print_kpis, store_url
from serviceflow.cli._tables import Col, Listing, plain

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
