"""The desk end to end on each built-in store: commands, queries, merge, verify, concurrency."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from serviceflow import (
    ConcurrencyConflict,
    IntegrityError,
    InvalidTransition,
    ManualClock,
    NotFound,
    ServiceDesk,
    ServiceflowError,
    StoreError,
    ValidationError,
    load_policy,
)
from serviceflow.backends.memory import MemoryStore
from serviceflow.domain._commands import AddNote
from serviceflow.eventlog._store import StreamWrite

from ..conftest import walk_to


def test_readme_flow(desk: ServiceDesk) -> None:
    case = desk.submit(
        requester="acme/jane@acme.test",
        channel="email",
        subject="Checkout page is down",
        description="500 on /pay since 09:10",
        category="outage",
    )
    assert case.state == "intake"
    desk.classify(case.id, category="outage", kind="incident", by="agent:kim")
    assert (
        desk.prioritize(case.id, impact="high", urgency="high", by="agent:kim").priority
        == "critical"
    )
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message="We are on it.")
    assert (
        desk.request_info(case.id, by="agent:kim", message="Which browser?").state
        == "waiting_on_client"
    )
    assert desk.client_replied(case.id, message="All browsers.").state == "in_progress"
    desk.resolve(case.id, by="agent:kim", resolution="Rolled back release 4.2")
    desk.validate(case.id, by="qa:lee")
    closed = desk.confirm(case.id)
    assert closed.state == "closed"
    assert desk.case(case.id) == closed == desk.replay(case.id)
    history = desk.history(case.id)
    assert [r.seq for r in history] == list(range(1, 12))
    assert history[6].event.by == "client:jane@acme.test"
    assert all(r.event.policy == desk.policy.version for r in history)
    assert desk.verify(case.id).ok
    assert [c.id for c in desk.cases(state="closed")] == [case.id]
    assert desk.store.load_policy(desk.policy.version) == desk.policy.document()


def test_queries_filter_and_stream(desk: ServiceDesk) -> None:
    ids = [
        walk_to(desk, state)
        for state in ("intake", "assigned", "in_progress", "in_progress", "closed")
    ]
    assert [c.id for c in desk.cases(state="in_progress")] == ids[2:4]
    assert [c.id for c in desk.cases(state=["intake", "closed"])] == [ids[0], ids[4]]
    assert len(list(desk.cases(assignee="agent:kim"))) == 4
    assert len(list(desk.cases(priority="high", limit=2))) == 2
    assert (
        len(list(desk.cases(category="billing", channel="email", requester="acme/jane@acme.test")))
        == 4
    )
    assert desk.count() == 5
    assert desk.count(state="in_progress") == 2
    with pytest.raises(ValidationError, match="state: expected one of intake, "):
        list(desk.cases(state="open"))


def test_explicit_case_id_and_duplicates(desk: ServiceDesk) -> None:
    case = desk.submit(requester="a/b@c.test", channel="web", subject="s", case_id="EXT-1")
    assert case.id == "EXT-1"
    with pytest.raises(ValidationError, match="already exists"):
        desk.submit(requester="a/b@c.test", channel="web", subject="s", case_id="EXT-1")


def test_merge_changes_both_streams(desk: ServiceDesk) -> None:
    target = walk_to(desk, "in_progress")
    duplicate = walk_to(desk, "classified")
    merged = desk.merge(duplicate, into=target, by="agent:kim")
    assert (merged.state, merged.merged_into) == ("merged", target)
    assert desk.case(target).duplicates == (duplicate,)
    assert desk.verify(target).ok
    assert desk.verify(duplicate).ok
    with pytest.raises(InvalidTransition):
        desk.note(duplicate, by="agent:kim", text="too late")


def test_auto_confirm_closes_only_silent_validated_cases(
    desk: ServiceDesk, clock: ManualClock
) -> None:
    silent = walk_to(desk, "validated")
    clock.advance(hours=1)
    recent = walk_to(desk, "validated")
    clock.advance(hours=71, minutes=30)
    assert [c.id for c in desk.auto_confirm()] == [silent]
    assert desk.case(silent).state == "closed"
    assert desk.history(silent)[-1].event.by == "system:auto-confirm"
    assert desk.case(recent).state == "validated"
    with pytest.raises(InvalidTransition, match="auto-confirm window has not passed"):
        desk.close_case(recent)
    clock.advance(hours=1)
    assert desk.close_case(recent).state == "closed"


def _store_bytes(desk: ServiceDesk) -> object:
    store = desk.store
    if isinstance(store, MemoryStore):
        return copy.deepcopy((store._events, store._rows, store._policies))
    path = Path(store.url.removeprefix("sqlite:///"))
    return tuple(p.read_bytes() if p.exists() else None for p in (path, Path(f"{path}-wal")))


def test_rejected_commands_leave_the_store_byte_for_byte_unchanged(desk: ServiceDesk) -> None:
    assigned = walk_to(desk, "assigned")
    closed = walk_to(desk, "closed")
    cancelled = walk_to(desk, "intake")
    desk.cancel(cancelled, by="client:jane@acme.test", reason="mistake")
    before = _store_bytes(desk)
    rejected: list[Callable[[], object]] = [
        lambda: desk.resolve(assigned, by="agent:kim", resolution="r"),  # guard
        lambda: desk.request_info(assigned, by="agent:kim", message="?"),  # wrong state
        lambda: desk.assign(assigned, to="agent:kim", by="lead:ana"),  # already assigned
        lambda: desk.prioritize(assigned, impact="huge", urgency="high", by="a"),  # unknown value
        lambda: desk.note(closed, by="agent:kim", text="x"),  # closed
        lambda: desk.note(cancelled, by="agent:kim", text="x"),  # terminal
        lambda: desk.note("missing", by="agent:kim", text="x"),  # not found
        lambda: desk.merge(assigned, into=closed, by="agent:kim"),  # target closed
        lambda: desk.merge(assigned, into="missing", by="agent:kim"),  # target missing
        lambda: desk.submit(requester="", channel="fax", subject=""),  # bad intake
        lambda: desk.classify(assigned, category="nope", by="agent:kim"),  # unknown category
        lambda: desk.execute(AddNote(case_id=assigned, by="a", text="t"), expected_version=1),
        lambda: desk.note(assigned, by=None, text="t"),  # type: ignore[arg-type]
        lambda: desk.assign(assigned, to=123, by="lead:ana"),  # type: ignore[arg-type]
        lambda: desk.classify(assigned, by="a", confidence=True),
        lambda: desk.submit(requester=None, channel="web", subject="s"),  # type: ignore[arg-type]
        lambda: desk.submit(requester="a", channel="web", subject="s", description=None),  # type: ignore[arg-type]
        lambda: desk.note(assigned, by="a", text="\ud800"),
        lambda: desk.submit(requester="a", channel="web", subject="s", case_id="a/b"),
        lambda: desk.note(assigned, by="   ", text="t"),
        lambda: desk.case(123),  # type: ignore[arg-type]
    ]
    for attempt in rejected:
        with pytest.raises(ServiceflowError):
            attempt()
        assert _store_bytes(desk) == before, f"a refused command changed the store: {attempt}"
    assert all(desk.verify(i).ok for i in (assigned, closed, cancelled))


def test_expected_version_guards_against_lost_updates(desk: ServiceDesk) -> None:
    from serviceflow.domain import _commands as cmd

    case_id = walk_to(desk, "in_progress")
    version = desk.case(case_id).version
    after = desk.execute(cmd.AddNote(case_id=case_id, by="a", text="one"), expected_version=version)
    assert after.version == version + 1
    with pytest.raises(
        ConcurrencyConflict, match=f"expected version {version}, found version {version + 1}"
    ):
        desk.execute(cmd.AddNote(case_id=case_id, by="b", text="two"), expected_version=version)


@pytest.fixture
def two_desks(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[ServiceDesk, ServiceDesk]]:
    """Two desks (think: two processes) on one SQLite file and one clock."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with (
        ServiceDesk.open(url, clock=clock, entry_points=False) as a,
        ServiceDesk.open(url, clock=clock, entry_points=False) as b,
    ):
        yield a, b


def test_two_desks_on_one_sqlite_file_never_lose_an_event(
    two_desks: tuple[ServiceDesk, ServiceDesk],
) -> None:
    a, b = two_desks
    case_id = walk_to(a, "in_progress")
    a.note(case_id, by="a", text="a1")  # a's cache now holds this version
    b.note(case_id, by="b", text="b1")  # b moves the stream on behind a's back
    a.note(case_id, by="a", text="a2")  # a's cached version is stale: retried fresh
    b.request_info(case_id, by="b", message="?")
    with pytest.raises(InvalidTransition, match="waiting_on_client"):
        a.acknowledge(case_id, by="a", message="decided on fresh state, so refused")
    texts = [getattr(r.event, "text", None) for r in a.history(case_id)]
    assert [t for t in texts if t] == ["a1", "b1", "a2"]
    assert a.verify(case_id).ok
    assert b.verify(case_id).ok
    assert a.case(case_id) == b.case(case_id)


def _sqlite(desk: ServiceDesk) -> sqlite3.Connection:
    return sqlite3.connect(desk.store.url.removeprefix("sqlite:///"), isolation_level=None)


@pytest.fixture
def sqlite_desk(tmp_path: Path, clock: ManualClock) -> ServiceDesk:
    return ServiceDesk.open(f"sqlite:///{tmp_path / 'desk.db'}", clock=clock, entry_points=False)


def test_verify_detects_an_edited_event(sqlite_desk: ServiceDesk) -> None:
    case_id = walk_to(sqlite_desk, "closed")
    with _sqlite(sqlite_desk) as db:
        db.execute(
            "UPDATE events SET data = replace(data, 'Fixed', 'Not fixed') "
            "WHERE stream = ? AND seq = 8",
            (case_id,),
        )
    result = sqlite_desk.verify(case_id)
    assert not result.ok
    assert "event 8: content does not match its hash (edited)" in result.problems


def test_verify_detects_deleted_events(sqlite_desk: ServiceDesk) -> None:
    middle = walk_to(sqlite_desk, "closed")
    last = walk_to(sqlite_desk, "closed")
    with _sqlite(sqlite_desk) as db:
        db.execute("DELETE FROM events WHERE stream = ? AND seq = 4", (middle,))
        db.execute("DELETE FROM events WHERE stream = ? AND seq = 11", (last,))
    assert sqlite_desk.verify(middle).problems[0].startswith("event 4 is missing")
    assert any("events deleted or lost" in p for p in sqlite_desk.verify(last).problems)


def test_verify_detects_a_rewritten_chain_and_a_forged_projection(sqlite_desk: ServiceDesk) -> None:
    chain = walk_to(sqlite_desk, "closed")
    forged = walk_to(sqlite_desk, "closed")
    with _sqlite(sqlite_desk) as db:
        db.execute("UPDATE events SET prev = ? WHERE stream = ? AND seq = 5", ("f" * 64, chain))
        db.execute(
            "UPDATE cases SET data = replace(data, 'agent:kim', 'agent:eve') WHERE id = ?",
            (forged,),
        )
    sqlite_desk._recent.clear()
    assert any(
        "link to the previous event is broken" in p for p in sqlite_desk.verify(chain).problems
    )
    assert sqlite_desk.verify(forged).problems == (
        "replaying the events does not give the stored projection",
    )


def test_verify_and_history_of_missing_case(desk: ServiceDesk) -> None:
    with pytest.raises(NotFound):
        desk.verify("nope")
    with pytest.raises(NotFound):
        desk.history("nope")
    with pytest.raises(NotFound):
        desk.case("nope")


def test_unknown_store_url() -> None:
    with pytest.raises(StoreError, match="no installed plugin opens 'redis://x'"):
        ServiceDesk.open("redis://x", entry_points=False)


def test_time_comes_from_the_clock(desk: ServiceDesk, clock: ManualClock) -> None:
    case = desk.submit(requester="a/b@c.test", channel="web", subject="s")
    clock.advance(timedelta(minutes=7))
    noted = desk.note(case.id, by="a", text="t")
    assert noted.updated_at - case.submitted_at == timedelta(minutes=7)
    assert desk.history(case.id)[-1].event.at == clock.now()


def test_the_clock_must_be_aware_and_is_kept_in_utc(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timezone

    class Naive:
        def now(self) -> datetime:
            return datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - the point of the test

    class Paris:
        def now(self) -> datetime:
            return datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))

    with pytest.raises(ValidationError, match=r"Naive.now\(\) must be timezone-aware"):
        ServiceDesk.open("memory://", clock=Naive(), entry_points=False)
    with ServiceDesk.open(
        f"sqlite:///{tmp_path / 'p.db'}", clock=Paris(), entry_points=False
    ) as desk:
        case = desk.submit(requester="a/b@c.test", channel="web", subject="s")
        assert case.submitted_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert case.submitted_at.tzinfo is UTC
        assert desk.verify(case.id).ok


def test_verify_sees_a_forged_projection_even_from_the_desk_that_wrote_it(
    sqlite_desk: ServiceDesk,
) -> None:
    doc = walk_to(sqlite_desk, "in_progress")
    column = walk_to(sqlite_desk, "in_progress")
    with _sqlite(sqlite_desk) as db:
        db.execute(
            "UPDATE cases SET data = replace(data, 'agent:kim', 'agent:eve') WHERE id = ?", (doc,)
        )
        db.execute("UPDATE cases SET state = 'closed' WHERE id = ?", (column,))
    assert sqlite_desk.verify(doc).problems == (
        "replaying the events does not give the stored projection",
    )
    assert sqlite_desk.verify(column).problems == (
        "indexed columns disagree with the events: state",
    )


def test_verify_reports_damaged_json_instead_of_crashing(sqlite_desk: ServiceDesk) -> None:
    broken = walk_to(sqlite_desk, "assigned")
    listed = walk_to(sqlite_desk, "assigned")
    with _sqlite(sqlite_desk) as db:
        db.execute("UPDATE events SET data = 'not json' WHERE stream = ? AND seq = 2", (broken,))
        db.execute("UPDATE events SET data = '[1]' WHERE stream = ? AND seq = 3", (broken,))
        db.execute("UPDATE cases SET data = '{\"id\": 3}' WHERE id = ?", (listed,))
    problems = sqlite_desk.verify(broken).problems
    assert any("event 2: unreadable (stored event is not valid JSON" in p for p in problems)
    assert any("event 3: unreadable (stored event is not a JSON object" in p for p in problems)
    sqlite_desk._recent.clear()
    with pytest.raises(IntegrityError, match="cannot read a case"):
        sqlite_desk.case(listed)
    assert any(
        "replay failed" in p or "projection" in p for p in sqlite_desk.verify(listed).problems
    )


def test_streams_include_events_whose_row_was_lost(sqlite_desk: ServiceDesk) -> None:
    kept = walk_to(sqlite_desk, "intake")
    orphan = walk_to(sqlite_desk, "classified")
    with _sqlite(sqlite_desk) as db:
        db.execute("DELETE FROM cases WHERE id = ?", (orphan,))
    assert list(sqlite_desk.store.streams()) == [kept, orphan, "policy:in-force"]
    assert sqlite_desk.verify(orphan).problems == ("the case has events but no projection row",)


def test_merge_retries_when_another_desk_moved_a_stream(tmp_path: Path, clock: ManualClock) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with (
        ServiceDesk.open(url, clock=clock, entry_points=False) as a,
        ServiceDesk.open(url, clock=clock, entry_points=False) as b,
    ):
        target = walk_to(a, "in_progress")
        duplicate = walk_to(a, "classified")
        b.note(duplicate, by="b", text="moved behind a's back")
        b.note(target, by="b", text="this one too")
        merged = a.merge(duplicate, into=target, by="agent:kim")
        assert merged.state == "merged"
        assert a.case(target).duplicates == (duplicate,)
        assert a.verify(duplicate).ok
        assert a.verify(target).ok


def test_queries_validate_their_filters(desk: ServiceDesk) -> None:
    walk_to(desk, "assigned")
    assert desk.count(assignee="agent:kim", state="assigned") == 1
    assert desk.count(priority="low") == 0
    with pytest.raises(ValidationError, match="state: expected one of"):
        desk.count(state="bogus")
    with pytest.raises(ValidationError, match="limit: expected a whole number"):
        list(desk.cases(limit=-1))
    with pytest.raises(ValidationError, match="assignee: expected text, got int"):
        list(desk.cases(assignee=5))  # type: ignore[arg-type]


def test_a_stale_cached_merge_target_never_causes_a_refusal(
    two_desks: tuple[ServiceDesk, ServiceDesk],
) -> None:
    a, b = two_desks
    target = walk_to(a, "closed")  # a's cache: closed
    b.reopen(target, by="client:x", reason="again")
    duplicate = walk_to(b, "intake")
    assert a.merge(duplicate, into=target, by="agent:kim").state == "merged"
    with pytest.raises(ValidationError, match="invalid case id"):
        a.merge(duplicate, into=["x"], by="agent:kim")  # type: ignore[arg-type]


def test_text_subclasses_are_checked_too(desk: ServiceDesk) -> None:
    class Text(str):
        pass

    case = desk.submit(requester="a/b@c.test", channel="web", subject="s")
    with pytest.raises(ValidationError, match="lone surrogate"):
        desk.note(case.id, by="agent:kim", text=Text("bad \ud800"))


def test_verify_all_finds_rows_whose_events_are_gone(sqlite_desk: ServiceDesk) -> None:
    kept = walk_to(sqlite_desk, "intake")
    hollow = walk_to(sqlite_desk, "intake")
    with _sqlite(sqlite_desk) as db:
        db.execute("DELETE FROM events WHERE stream = ?", (hollow,))
    results = {r.case_id: r.problems for r in sqlite_desk.verify_all()}
    assert results == {
        kept: (),
        hollow: ("the case has a projection row but no events",),
        "policy:in-force": (),
    }


def test_auto_confirm_lets_store_failures_through(clock: ManualClock) -> None:
    class Failing(MemoryStore):
        broken = False

        def append(self, writes: Sequence[StreamWrite]) -> None:
            if self.broken:
                raise StoreError("memory://: disk on fire")
            super().append(writes)

    store = Failing()
    desk = ServiceDesk(store, clock=clock)
    walk_to(desk, "validated")
    clock.advance(hours=80)
    store.broken = True
    with pytest.raises(StoreError, match="disk on fire"):
        desk.auto_confirm()


def test_a_history_read_stops_at_the_version_the_desk_decided_on(
    tmp_path: Path, clock: ManualClock
) -> None:
    """When the desk's history cache misses, it reads the store: another process's newer
    events must not be folded into the SLA timers of a decision made on the older version."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    timed = load_policy(
        {"sla": [{"name": "standard", "targets": {"resolution": {"within": "8h"}}}]}
    )
    with (
        ServiceDesk.open(url, clock=clock, policy=timed, entry_points=False) as a,
        ServiceDesk.open(url, clock=clock, policy=timed, entry_points=False) as b,
    ):
        case_id = walk_to(a, "resolved")  # a caches the case as resolved
        decided_on = a.case(case_id).version
        a._recent.clear(cases=False)  # as if evicted: the next plan reads the store
        b.validate(case_id, by="qa:lee")
        kept = a._recent.case(case_id)
        assert kept is not None
        assert len(a._pipeline.history(kept[0])) == decided_on
        with pytest.raises(InvalidTransition, match="validate"):
            a.validate(case_id, by="qa:lee")  # decided on resolved; conflicts, retries, refuses
        assert a.case(case_id).state == "validated"
        assert a.verify(case_id).ok


def test_a_case_returned_to_the_queue_waits_there_for_its_next_owner(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "in_progress")
    back = desk.unassign(case_id, by="agent:kim", reason="off sick", queue="L2")
    assert (back.state, back.assignee, back.transfer_count) == ("prioritized", None, 1)
    returned = desk.history(case_id)[-1].event
    assert (returned.TYPE, returned.previous, returned.queue) == (  # type: ignore[attr-defined]
        "case.unassigned",
        "agent:kim",
        "L2",
    )
    assert back.id in {c.id for c in desk.cases(state="prioritized")}, "it waits in the queue"
    picked = desk.assign(case_id, to="agent:ola", by="lead:ana")
    assert (picked.state, picked.assignee, picked.transfer_count) == ("assigned", "agent:ola", 1)
    resolved = desk.resolve(case_id, by="agent:ola", resolution="Fixed")
    assert resolved.state == "resolved", "acknowledged before: no second first reply needed"
    with pytest.raises(InvalidTransition, match="cannot unassign in state 'resolved'"):
        desk.unassign(case_id, by="agent:ola", reason="oops")


def test_unassign_and_update_fields_refuse_what_they_cannot_record(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "in_progress")
    before = desk.history(case_id)
    with pytest.raises(ValidationError, match="reason: required"):
        desk.unassign(case_id, by="agent:kim", reason=" ")
    with pytest.raises(ValidationError, match="queue: must not be blank"):
        desk.unassign(case_id, by="agent:kim", reason="away", queue="")
    with pytest.raises(ValidationError, match="nothing to change"):
        desk.update_fields(case_id, by="agent:kim")
    with pytest.raises(ValidationError, match="'site' is not a field of the case"):
        desk.update_fields(case_id, by="agent:kim", remove=["site"])
    with pytest.raises(ValidationError, match="key '' is blank"):
        desk.update_fields(case_id, by="agent:kim", fields={"": "x"})
    assert desk.history(case_id) == before, "nothing was written"


def test_field_changes_record_only_what_changes(desk: ServiceDesk) -> None:
    case_id = walk_to(desk, "closed")
    first = desk.update_fields(case_id, by="agent:kim", fields={"product": "app", "site": "Oslo"})
    assert first.fields == {"product": "app", "site": "Oslo"}
    second = desk.update_fields(
        case_id, by="agent:kim", fields={"product": "app", "os": "linux"}, remove=["site"]
    )
    assert second.fields == {"product": "app", "os": "linux"}
    changed = desk.history(case_id)[-1].event
    assert (dict(changed.fields), changed.removed) == (  # type: ignore[attr-defined]
        {"os": "linux"},
        ("site",),
    ), "the product kept its value: not recorded again"
    assert desk.case(case_id) == second, "replay gives the same fields"
