"""The command pipeline: checks before reads, one read of the history, memory after appends."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Generator
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceflow import (
    ConcurrencyConflict,
    InvalidTransition,
    ManualClock,
    NotAuthorized,
    NotFound,
    ServiceDesk,
    StoreError,
    ValidationError,
    hookimpl,
    load_policy,
)
from serviceflow.domain import _commands as cmd
from serviceflow.domain import _events as ev

from ..conftest import START, walk_to
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


@pytest.mark.parametrize("batched", [False, True])
def test_a_submit_is_decided_unread_and_a_taken_id_still_refused(
    tmp_path: Path, clock: ManualClock, batched: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    first = ServiceDesk.open(url, clock=clock, entry_points=False)
    second = ServiceDesk.open(url, clock=clock, entry_points=False)
    first.submit(requester="ann@acme.test", channel="email", subject="VPN", case_id="C-1")
    seen: list[str] = []
    second.store._db.set_trace_callback(seen.append)  # type: ignore[attr-defined]
    second.submit(requester="bob@acme.test", channel="email", subject="Mail", case_id="C-2")
    assert not [s for s in seen if s.startswith("SELECT")], "a new case is not read first"
    refused = pytest.raises(ValidationError, match="already exists")
    with second.batch() if batched else nullcontext(), refused:
        second.submit(requester="eve@acme.test", channel="web", subject="Mine", case_id="C-1")
    assert [e.event.TYPE for e in second.history("C-1")] == ["case.submitted"]
    assert second.case("C-1").requester == "ann@acme.test"


def test_only_timers_that_change_are_written(tmp_path: Path, clock: ManualClock) -> None:
    desk = ServiceDesk.open(f"sqlite:///{tmp_path / 'desk.db'}", clock=clock, policy=TIMED)
    case_id = walk_to(desk, "in_progress")
    seen: list[str] = []
    desk.store._db.set_trace_callback(seen.append)  # type: ignore[attr-defined]
    desk.note(case_id, by="agent:kim", text="the clocks do not move")
    assert not [s for s in seen if "timers" in s], "the same timers are not written again"
    desk.request_info(case_id, by="agent:kim", message="Which one?")  # the clock pauses
    assert [s.split()[0] for s in seen if "timers" in s] == ["DELETE"]
    desk._recent.clear()  # a desk that did not write the case last does not know its timers
    desk.client_replied(case_id, message="The blue one")
    written = [s.split()[0] for s in seen if "timers" in s][1:]
    assert written[0] == "DELETE"
    assert set(written[1:]) == {"INSERT"}, "all of them, again"


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


# --- batches --------------------------------------------------------------------------------


class Told:
    """An observer that notes what it was told, and whether the batch was still open."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.open = False

    @hookimpl
    def observe(self, case: object, events: tuple[ev.Event, ...]) -> None:
        assert not self.open, "observers are told after the commit"
        self.seen += [(e.TYPE, getattr(case, "id", "")) for e in events]


def _walked_in_batch(desk: ServiceDesk, told: Told) -> list[str]:
    ids = []
    with desk.batch():
        told.open = True
        for _ in range(3):
            ids.append(walk_to(desk, "in_progress"))
        assert desk.case(ids[0]).state == "in_progress", "the batch reads its own writes"
        told.open = False
    return ids


def test_a_batch_commits_everything_at_its_end_then_tells(
    store_url: str, clock: ManualClock
) -> None:
    told = Told()
    with ServiceDesk.open(store_url, clock=clock, entry_points=False, plugins=[told]) as desk:
        ids = _walked_in_batch(desk, told)
        assert [desk.case(i).state for i in ids] == ["in_progress"] * 3
        assert sum(1 for kind, _ in told.seen if kind == "case.submitted") == 3
        assert all(v.ok for v in desk.verify_all())
    if store_url != "memory://":
        with ServiceDesk.open(store_url, clock=clock, entry_points=False) as again:
            assert [again.case(i).version for i in ids] == [5, 5, 5], "stored, not only cached"


def test_a_batch_that_raises_stores_nothing_and_tells_nobody(
    store_url: str, clock: ManualClock
) -> None:
    told = Told()
    with ServiceDesk.open(store_url, clock=clock, entry_points=False, plugins=[told]) as desk:
        kept = walk_to(desk, "assigned")
        before = desk.history(kept)
        told.seen.clear()
        made: list[str] = []

        def change_and_regret() -> None:
            with desk.batch():
                made.append(walk_to(desk, "in_progress"))
                desk.acknowledge(kept, by="agent:kim", message="On it")
                raise RuntimeError("changed my mind")

        with pytest.raises(RuntimeError, match="changed my mind"):
            change_and_regret()
        assert told.seen == []
        with pytest.raises(NotFound):
            desk.case(made[0])
        assert desk.history(kept) == before, "the case the batch moved is as it was"
        assert desk.case(kept).state == "assigned", "and the desk's memory forgot the change"
        assert desk.acknowledge(kept, by="agent:kim", message="On it").version == 5
        assert all(v.ok for v in desk.verify_all())


def test_a_refused_command_in_a_batch_raises_and_the_rest_stands(desk: ServiceDesk) -> None:
    with desk.batch():
        first = walk_to(desk, "assigned")
        with pytest.raises(InvalidTransition):
            desk.resolve(first, by="agent:kim", resolution="Fixed")  # not acknowledged yet
        desk.acknowledge(first, by="agent:kim", message="On it")
        with desk.batch():  # a block inside a block joins it
            second = walk_to(desk, "classified")
    assert (desk.case(first).state, desk.case(second).state) == ("in_progress", "classified")


def test_other_connections_see_a_batch_only_once_it_commits(
    tmp_path: Path, clock: ManualClock
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with (
        ServiceDesk.open(url, clock=clock, entry_points=False) as desk,
        ServiceDesk.open(url, clock=clock, entry_points=False) as other,
    ):
        with desk.batch():
            made = walk_to(desk, "classified")
            with pytest.raises(NotFound):
                other.case(made)  # a reader sees the last commit, and does not wait
        assert other.case(made).state == "classified"


def test_routing_in_a_batch_keeps_the_round_robin_chain(clock: ManualClock) -> None:
    policy = load_policy(
        {
            "agents": [
                {"id": "agent:ann", "capacity": {"*": 10}},
                {"id": "agent:bob", "capacity": {"*": 10}},
            ],
            "queues": [{"name": "all", "strategy": "round_robin"}],
        }
    )
    with ServiceDesk.open("memory://", clock=clock, policy=policy, entry_points=False) as desk:
        with desk.batch():
            ids = [walk_to(desk, "prioritized") for _ in range(4)]
            owners = [desk.route(i).agent for i in ids]
        assert owners == ["agent:ann", "agent:bob", "agent:ann", "agent:bob"]
        assert all(v.ok for v in desk.verify_all())


def test_a_store_without_transactions_cannot_batch_but_reapplies(clock: ManualClock) -> None:
    class Plain:
        """A store that offers no ``transaction``."""

        def __init__(self, inner: object) -> None:
            self._inner = inner

        transaction = None

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    desk = ServiceDesk.open("memory://", clock=clock, policy=TIMED, entry_points=False)
    case_id = walk_to(desk, "in_progress")
    desk.store = Plain(desk.store)  # type: ignore[assignment]
    with pytest.raises(StoreError, match="cannot run a batch"), desk.batch():
        pass
    stricter = load_policy({"sla": [{"name": "all", "targets": {"resolution": {"within": "4h"}}}]})
    touched = desk.reapply_policy(stricter)
    assert [c.id for c in touched] == [case_id], "the desk's own bulk work runs without one"


STEPS = (
    lambda d, c: d.submit(
        case_id=c, requester="acme/jane@acme.test", channel="email", subject="Invoice wrong"
    ),
    lambda d, c: d.classify(c, category="billing", kind="incident", by="agent:kim"),
    lambda d, c: d.prioritize(c, impact="medium", urgency="high", by="agent:kim"),
    lambda d, c: d.assign(c, to="agent:kim", by="lead:ana"),
    lambda d, c: d.acknowledge(c, by="agent:kim", message="On it"),
    lambda d, c: d.resolve(c, by="agent:kim", resolution="Fixed"),
    lambda d, c: d.validate(c, by="qa:lee"),
    lambda d, c: d.confirm(c),
)
Block = tuple[list[int], bool]


def _play(desk: ServiceDesk, blocks: list[Block], *, batched: bool) -> None:
    """Run each block's next steps of its cases; a failing block is a batch that raises
    (batched), or is left out (not batched): the two must store the same."""
    done = [0] * 4
    for cases, fails in blocks:
        if fails and not batched:
            continue
        progress = list(done)
        try:
            with desk.batch() if batched else nullcontext():
                for n in cases:
                    if progress[n] < len(STEPS):
                        STEPS[progress[n]](desk, f"C{n}")
                        progress[n] += 1
                if fails:
                    raise KeyboardInterrupt  # anything at all, even not an Exception
        except KeyboardInterrupt:
            continue
        done = progress


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.lists(st.integers(0, 3), max_size=6), st.booleans()), max_size=6))
def test_batches_store_exactly_what_their_committed_commands_would(
    tmp_path: Path, blocks: list[Block]
) -> None:
    stores: dict[tuple[str, bool], dict[str, list[tuple[str, str]]]] = {}
    outboxes: dict[tuple[str, bool], list[str]] = {}
    for kind in ("memory", "sqlite"):
        for batched in (True, False):
            name = f"{batched}-{time.monotonic_ns()}.db"
            url = "memory://" if kind == "memory" else f"sqlite:///{tmp_path / name}"
            with ServiceDesk.open(url, clock=ManualClock(START), entry_points=False) as desk:
                _play(desk, blocks, batched=batched)
                assert all(v.ok for v in desk.verify_all())
                stores[kind, batched] = {
                    s: [(r.type, r.data) for r in desk.store.read(s)]
                    for s in desk.store.streams()
                    if not s.startswith(("audit:", "policy:"))
                }
                outboxes[kind, batched] = sorted(m.key for m in desk.store.outbox())
    for kind in ("memory", "sqlite"):
        assert stores[kind, True] == stores[kind, False]
        assert outboxes[kind, True] == outboxes[kind, False]
