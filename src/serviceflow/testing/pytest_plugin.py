"""serviceflow's pytest plugin: a manual clock, a policy and a desk on any store, as fixtures.

Installed with serviceflow (entry point ``pytest11``: ``serviceflow``); inert until a test
asks for one of its fixtures: no autouse fixture, no output, hypothesis never imported.

* ``serviceflow_clock``: a ``ManualClock`` at Monday 2 March 2026, 09:00 UTC (``START``).
* ``serviceflow_policy``: the policy the desk runs, the default unless the test is marked
  ``@pytest.mark.serviceflow_policy(overrides, **sections)`` (arguments as ``build_policy``).
* ``serviceflow_policy_builder``: ``build_policy`` itself, to build more policies in a test.
* ``serviceflow_store_url``: from ``@pytest.mark.serviceflow_store(url)``, else the
  ``--serviceflow-store-url`` option, else the ``serviceflow_store_url`` ini value, else a
  fresh SQLite file in ``tmp_path``. ``{tmp_path}`` in a URL becomes the test's folder.
* ``serviceflow_plugins``: plugin objects the desk registers (none; override the fixture).
* ``serviceflow_desk``: a ``ServiceDesk`` on that URL with that policy, clock and plugins,
  closed after the test. Installed entry-point plugins load too, unless the ini value
  ``serviceflow_entry_points`` is false.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from serviceflow.clock import ManualClock
from serviceflow.desk._desk import ServiceDesk
from serviceflow.domain.policy._policy import Policy
from serviceflow.errors import StoreError
from serviceflow.testing.policies import build_policy

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Where ``serviceflow_clock`` starts: a Monday morning, in business hours everywhere in Europe."""

STORE_MARKER = "serviceflow_store"
POLICY_MARKER = "serviceflow_policy"
URL_OPTION = "serviceflow_store_url"
ENTRY_POINTS_OPTION = "serviceflow_entry_points"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The store URL as an option and an ini value; whether entry-point plugins load."""
    group = parser.getgroup("serviceflow")
    group.addoption(
        "--serviceflow-store-url",
        dest=URL_OPTION,
        default=None,
        help="store URL for the serviceflow_desk fixture ({tmp_path} is the test's folder)",
    )
    parser.addini(
        URL_OPTION,
        "store URL for the serviceflow_desk fixture ({tmp_path} is the test's folder)",
        default="",
    )
    parser.addini(
        ENTRY_POINTS_OPTION,
        "load installed serviceflow entry-point plugins into serviceflow_desk",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers, so ``--strict-markers`` accepts them."""
    config.addinivalue_line(
        "markers",
        f"{STORE_MARKER}(url): the store URL serviceflow_desk opens ({{tmp_path}} allowed)",
    )
    config.addinivalue_line(
        "markers",
        f"{POLICY_MARKER}(overrides=None, **sections): the policy of serviceflow_desk "
        "(the default with these sections replaced; TOML text or a mapping)",
    )


@pytest.fixture
def serviceflow_clock() -> ManualClock:
    """A clock at Monday 2 March 2026, 09:00 UTC that moves only when told."""
    return ManualClock(START)


@pytest.fixture
def serviceflow_policy_builder() -> Callable[..., Policy]:
    """``build_policy``: the default policy with sections replaced, checked by the loader."""
    return build_policy


@pytest.fixture
def serviceflow_policy(request: pytest.FixtureRequest) -> Policy:
    """The default policy, or the one the ``serviceflow_policy`` marker describes."""
    marker = request.node.get_closest_marker(POLICY_MARKER)
    if marker is None:
        return build_policy()
    return build_policy(*marker.args, **marker.kwargs)


@pytest.fixture
def serviceflow_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store URL: marker, then option, then ini, then a fresh SQLite file."""
    marker = request.node.get_closest_marker(STORE_MARKER)
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str) or marker.kwargs:
            raise pytest.UsageError(
                f"{request.node.nodeid}: write @pytest.mark.{STORE_MARKER}('scheme://...'), "
                f"got args={marker.args!r} kwargs={marker.kwargs!r}"
            )
        url: str = marker.args[0]
    else:
        option = request.config.getoption(URL_OPTION)
        ini = str(request.config.getini(URL_OPTION))
        url = option or ini or f"sqlite:///{tmp_path / 'serviceflow.db'}"
    return url.replace("{tmp_path}", str(tmp_path))


@pytest.fixture
def serviceflow_plugins() -> Sequence[object]:
    """Plugin objects ``serviceflow_desk`` registers: none; override to add yours."""
    return ()


@pytest.fixture
def serviceflow_desk(
    request: pytest.FixtureRequest,
    serviceflow_store_url: str,
    serviceflow_policy: Policy,
    serviceflow_clock: ManualClock,
    serviceflow_plugins: Sequence[object],
) -> Iterator[ServiceDesk]:
    """A desk on ``serviceflow_store_url`` with the policy, clock and plugins; closed after."""
    try:
        desk = ServiceDesk.open(
            serviceflow_store_url,
            policy=serviceflow_policy,
            clock=serviceflow_clock,
            plugins=serviceflow_plugins,
            entry_points=bool(request.config.getini(ENTRY_POINTS_OPTION)),
        )
    except StoreError as exc:
        raise StoreError(f"serviceflow_desk for {request.node.nodeid}: {exc}") from None
    with desk:
        yield desk
