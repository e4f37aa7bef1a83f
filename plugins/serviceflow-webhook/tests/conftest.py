"""Fixtures: a real local HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from webhook_receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started receiver, stopped after the test."""
    server = Receiver()
    server.start()
    yield server
    server.stop()
