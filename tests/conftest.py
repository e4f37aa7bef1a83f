"""Shared fixtures: a manual clock, and a desk on each built-in store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from serviceflow import Case, ManualClock, ServiceDesk
from serviceflow.testing.services import require

__all__ = ["START", "require", "walk_to"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """A clock at Monday 2 March 2026, 09:00 UTC that moves only when told."""
    return ManualClock(START)


@pytest.fixture(params=["memory", "sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh store of each built-in kind."""
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'desk.db'}"


@pytest.fixture
def desk(store_url: str, clock: ManualClock) -> Iterator[ServiceDesk]:
    """A desk with the default policy on a fresh store of each built-in kind."""
    with ServiceDesk.open(store_url, clock=clock, entry_points=False) as opened:
        yield opened


def walk_to(desk: ServiceDesk, state: str, *, category: str = "billing") -> str:
    """Submit a case and move it along the main path until it reaches ``state``."""
    case = desk.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice wrong")
    steps: list[tuple[str, Callable[[], Case]]] = [
        (
            "classified",
            lambda: desk.classify(case.id, category=category, kind="incident", by="agent:kim"),
        ),
        (
            "prioritized",
            lambda: desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim"),
        ),
        ("assigned", lambda: desk.assign(case.id, to="agent:kim", by="lead:ana")),
        ("in_progress", lambda: desk.acknowledge(case.id, by="agent:kim", message="On it")),
        ("waiting_on_client", lambda: desk.request_info(case.id, by="agent:kim", message="Which?")),
        ("in_progress", lambda: desk.client_replied(case.id, message="This one")),
        ("resolved", lambda: desk.resolve(case.id, by="agent:kim", resolution="Fixed")),
        ("validated", lambda: desk.validate(case.id, by="qa:lee")),
        ("closed", lambda: desk.confirm(case.id)),
    ]
    current = "intake"
    for _reached, step in steps:
        if current == state:
            break
        current = step().state
    assert current == state, f"could not walk to {state}"
    return case.id
