"""Plain commands under contention: retried with backoff, nothing lost or written twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from serviceflow import ServiceDesk, hookimpl
from serviceflow.core import _retry as retry
from serviceflow.domain._commands import AddNote, Command
from serviceflow.domain._events import NoteAdded
from serviceflow.errors import ConcurrencyConflict
from serviceflow.plugins._manager import plugin_manager
from serviceflow.testing.contention import run_on_hot_cases

from .conftest import walk_to

AGENT = "agent:kim"


class Interferer:
    """A guardrail that, while a command named ``mine`` is decided, has another desk write
    the same case first (``times`` times), so the command's append conflicts."""

    def __init__(self, other: ServiceDesk, times: int) -> None:
        self.other, self.times, self.calls = other, times, 0

    @hookimpl
    def guardrail(self, command: Command) -> str | None:
        """Write the case from the other desk; never object."""
        if isinstance(command, AddNote) and command.text == "mine":
            self.calls += 1
            if self.calls <= self.times:
                self.other.note(command.case_id, by=AGENT, text=f"other {self.calls}")
        return None


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits of at most a millisecond, so the tests stay quick (the budget of tries stays)."""
    monkeypatch.setattr(retry, "WRITE", retry.Backoff(first=0.0001, cap=0.001))


def _desks(store_url: str, interferer_times: int) -> tuple[ServiceDesk, ServiceDesk, Interferer]:
    other = ServiceDesk.open(store_url, entry_points=False)
    interferer = Interferer(other, interferer_times)
    desk = ServiceDesk(other.store, plugins=plugin_manager([interferer], entry_points=False))
    return desk, other, interferer


def _notes(desk: ServiceDesk, case_id: str) -> list[str]:
    return [r.event.text for r in desk.history(case_id) if isinstance(r.event, NoteAdded)]


@pytest.mark.usefixtures("fast")
def test_a_plain_command_outlasts_more_conflicts_than_five_immediate_tries(
    store_url: str,
) -> None:
    desk, other, interferer = _desks(store_url, 8)
    with other:
        case_id = walk_to(other, "in_progress")
        desk.note(case_id, by=AGENT, text="mine")
        assert interferer.calls == 9, "decided again after each of the 8 conflicts"
        assert _notes(desk, case_id) == [*(f"other {n}" for n in range(1, 9)), "mine"]
        assert desk.verify(case_id).ok


def test_a_plain_command_gives_up_when_its_tries_are_spent(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retry, "WRITE", retry.Backoff(attempts=4, first=0.0))
    desk, other, interferer = _desks(store_url, 100)
    with other:
        case_id = walk_to(other, "in_progress")
        with pytest.raises(ConcurrencyConflict):
            desk.note(case_id, by=AGENT, text="mine")
        assert interferer.calls == 4
        assert "mine" not in _notes(desk, case_id)


@pytest.mark.usefixtures("fast")
def test_a_command_with_an_expected_version_is_never_retried(store_url: str) -> None:
    desk, other, interferer = _desks(store_url, 100)
    with other:
        case_id = walk_to(other, "in_progress")
        version = desk.case(case_id).version
        command = AddNote(case_id=case_id, by=AGENT, text="mine")
        with pytest.raises(ConcurrencyConflict):
            desk.execute(command, expected_version=version)
        assert interferer.calls == 1
        assert _notes(desk, case_id) == ["other 1"]


def test_the_backoff_grows_with_full_jitter_within_tries_and_seconds() -> None:
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    backoff = retry.Backoff(attempts=6, first=0.01, cap=0.05, seconds=10.0)
    tries = backoff.start(sleep=sleep, clock=lambda: now[0], draw=lambda: 1.0)
    assert [tries.wait() for _ in range(6)] == [True] * 5 + [False]
    assert slept == pytest.approx([0.01, 0.02, 0.04, 0.05, 0.05]), "doubling, then capped"
    halves = retry.Backoff(first=0.01).start(sleep=sleep, clock=lambda: now[0], draw=lambda: 0.5)
    slept.clear()
    halves.wait()
    assert slept == [pytest.approx(0.005)], "a uniform draw below the ceiling"
    short = retry.Backoff(first=1.0, cap=1.0, seconds=2.5)
    tries = short.start(sleep=sleep, clock=lambda: now[0], draw=lambda: 1.0)
    assert [tries.wait() for _ in range(4)] == [True, True, True, False]
    assert slept[-3:] == pytest.approx([1.0, 1.0, 0.5]), "never past the time budget"


@pytest.mark.parametrize("threads", [4])
def test_threads_on_hot_cases_lose_nothing_and_write_nothing_twice(
    tmp_path: Path, threads: int
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    run_on_hot_cases(url, threads, commands=60)
