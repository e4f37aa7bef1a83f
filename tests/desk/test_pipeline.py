"""The command pipeline: checks before reads, one read of the history, memory after appends."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Generator
from datetime import timedelta
from pathlib import Path

import pytest

from serviceflow import (
    ConcurrencyConflict,
    ManualClock,
    NotAuthorized,
    ServiceDesk,
    ValidationError,
    hookimpl,
    load_policy,
)
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev

from ..conftest import walk_to
from ..rules.test_authority import ROLES

SLA = [{"name": "all", "targets": {"resolution": {"within": "8h"}}}]
TIMED = load_policy({"sla": SLA})


def test_a_refusal_comes_before_the_history_is_read(tmp_path: Path, clock: ManualClock) -> None:
    db = tmp_path / "desk.db"
    governed = load_policy({**ROLES, "sla": SLA})
    desk = ServiceDesk.open(f"sqlite:///{db}", clock=clock, policy=governed, entry_points=False)
    case_id = walk_to(desk, "in_progress")
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE events SET data = 'damaged' WHERE stream = ? AND seq = 1", (case_id,))
    desk._recent.clear()
    with pytest.raises(ValidationError, match="text"):
        desk.note(case_id, by="agent:kim", text="x" * 200_000)
    with pytest.raises(NotAuthorized):
        desk.note(case_id, by="stranger", text="let me in")
    assert [r.rule for r in desk.audit()] == ["authority"], "refused, and audited, unread"


def test_the_desk_remembers_the_history_of_the_write_it_appended(clock: ManualClock) -> None:
    desk = ServiceDesk.open("sqlite:///:memory:", clock=clock, policy=TIMED, entry_points=False)
    case_id = walk_to(desk, "in_progress")
    pipeline = desk._pipeline
    case, head = pipeline.current(case_id)
    now = clock.now() + timedelta(minutes=5)
    ask = cmd.RequestInfo(case_id=case_id, by="agent:kim", message="Which one?")
    note = cmd.AddNote(case_id=case_id, by="agent:kim", text="n")
    asked, noted = pipeline.plan(case, head, ask, now), pipeline.plan(case, head, note, now)
    pipeline.commit(asked)
    with pytest.raises(ConcurrencyConflict):
        pipeline.commit(noted)
    assert case is not None
    kept = desk._recent.history(case_id, case.version + 1)
    assert kept is not None
    assert isinstance(kept[-1], ev.InfoRequested), "the appended plan's history, not the other's"


def test_a_plugins_own_wrapper_failing_after_the_commit_never_fails_the_command(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    class Tracer:
        @hookimpl(wrapper=True, tryfirst=True)
        def observe(self) -> Generator[None, list[None], list[None]]:
            yield
            raise RuntimeError("tracer bug")

    class Observer:
        @hookimpl
        def observe(self) -> None:
            """Listens, so the hook is called."""

    plugins = [Observer(), Tracer()]
    desk = ServiceDesk.open("memory://", clock=clock, plugins=plugins, entry_points=False)
    with caplog.at_level(logging.ERROR):
        case = desk.submit(requester="a/b@c.test", channel="email", subject="s")
    assert desk.case(case.id).version == 1
    assert any("an observe plugin failed" in r.getMessage() for r in caplog.records)
