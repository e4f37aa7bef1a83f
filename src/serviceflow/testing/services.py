"""Tests that need something outside Python (a server, a tool): skip, or fail in CI.

Without what it needs a test skips and says why. With ``SERVICEFLOW_REQUIRE_SERVICES`` set
(to anything but ``0``; serviceflow's own CI sets it) the same test fails instead, so CI can
never pass by skipping what it was meant to exercise. Imports pytest.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_VARIABLE = "SERVICEFLOW_REQUIRE_SERVICES"


def services_required() -> bool:
    """Whether the environment turns a missing service into a failure."""
    return os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0")


def require(available: bool, reason: str) -> None:
    """Skip the calling test with ``reason`` unless ``available``; when services are
    required (``SERVICEFLOW_REQUIRE_SERVICES``), fail with it instead."""
    if available:
        return
    if services_required():
        pytest.fail(f"required ({REQUIRE_VARIABLE} is set): {reason}")
    pytest.skip(reason)
