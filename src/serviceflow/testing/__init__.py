"""Tools for testing serviceflow applications and plugins.

* ``serviceflow.testing.pytest_plugin``: pytest fixtures (a desk on any store URL, a manual
  clock, a policy builder), loaded by the ``pytest11`` entry point and inert until used.
* ``serviceflow.testing.strategies``: hypothesis strategies for policies, calendars,
  commands and cases (imports hypothesis).
* ``serviceflow.testing.conformance``: ``StoreContract``, the storage conformance suite a
  backend subclasses (imports pytest).
* ``serviceflow.testing.records``: plain store records to build a backend's own tests.
* ``serviceflow.testing.notifiers``: ``NotifierContract``, the checks a notifier subclasses
  to run against a real desk and server, and helpers for its own desk-level tests.
* ``serviceflow.testing.services``: ``require(available, reason)`` for tests that need a
  server: they skip, or fail when ``SERVICEFLOW_REQUIRE_SERVICES`` is set (imports pytest).

This package imports neither pytest nor hypothesis: import the module you need.
"""

from __future__ import annotations

from serviceflow.testing.notifiers import (
    NotifierContract,
    acknowledged_case,
    notifier_name,
    open_desk,
    run_installed,
)
from serviceflow.testing.records import at, event, message, row, timer, write

__all__ = [
    "NotifierContract",
    "acknowledged_case",
    "at",
    "event",
    "message",
    "notifier_name",
    "open_desk",
    "row",
    "run_installed",
    "timer",
    "write",
]
