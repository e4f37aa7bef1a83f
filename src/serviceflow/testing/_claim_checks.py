"""The store contract's timers and outbox: written with the events, fired or replaced,
claimed under a lease by threads and processes that never share one.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from pathlib import Path
from queue import Empty
from typing import Any

import attrs
import pytest

from serviceflow.errors import ConcurrencyConflict, NotFound, StoreError
from serviceflow.eventlog._store import (
    OutboxRecord,
    Store,
    TimerRecord,
)
from serviceflow.plugins._manager import plugin_manager
from serviceflow.testing._store_checks import THREADS, StoreChecks, T, together
from serviceflow.testing.records import at, message, timer, write


class ClaimChecks(StoreChecks):
    """The store contract's checks of timers and the outbox: written, fired, claimed."""

    # --- timers ----------------------------------------------------------------------

    def test_timers_are_replaced_with_the_write(self, store: Store) -> None:
        a1, a2, b1 = timer("A", 10), timer("A", 20, kind="warning"), timer("B", 5)
        store.append([write("A", 0, timers=(a1, a2)), write("B", 0, timers=(b1,))])
        assert store.case_timers(["A", "B", "C"]) == {"A": [a1, a2], "B": [b1]}
        assert store.due_timers(at(30), 10) == [b1, a1, a2], "earliest first"
        assert store.due_timers(at(10), 10) == [b1, a1], "due at or before now"
        assert store.due_timers(at(30), 2) == [b1, a1]
        assert store.due_timers(at(4), 10) == []
        store.append([write("A", 1)])
        assert store.case_timers(["A"]) == {"A": [a1, a2]}, "timers=None leaves them"
        a3 = timer("A", 40, version=2)
        store.append([write("A", 2, timers=(a3,))])
        assert store.case_timers(["A"]) == {"A": [a3]}, "a write replaces the whole set"
        store.append([write("A", 3, timers=())])
        assert store.case_timers(["A", "B"]) == {"B": [b1]}
        assert store.due_timers(at(100), 10) == [b1]

    def test_firing_removes_the_timer_with_the_write(self, store: Store) -> None:
        a1, a2 = timer("A", 10), timer("A", 20, metric="first_response")
        store.append([write("A", 0, timers=(a1, a2))])
        store.append([write("A", 1, fired=(a1,))])
        assert store.case_timers(["A"]) == {"A": [a2]}
        assert store.due_timers(at(30), 10) == [a2]
        with pytest.raises(ConcurrencyConflict):
            store.append([write("A", 2, fired=(a1,))])
        assert [e.seq for e in store.read("A")] == [1, 2]

    def test_one_append_fires_one_case_and_replaces_anothers(self, store: Store) -> None:
        a, b = timer("A", 10), timer("B", 10)
        store.append([write("A", 0, timers=(a,)), write("B", 0, timers=(b,))])
        b2 = timer("B", 50, version=2)
        store.append([write("A", 1, fired=(a,)), write("B", 1, timers=(b2,))])
        assert store.case_timers(["A", "B"]) == {"B": [b2]}
        assert [len(store.read(i)) for i in "AB"] == [2, 2]

    def test_firing_a_replaced_timer_is_a_conflict_and_writes_nothing(self, store: Store) -> None:
        old = timer("A", 10, version=1)
        store.append([write("A", 0, timers=(old,))])
        store.append([write("A", 1, timers=(attrs.evolve(old, version=2),))])
        with pytest.raises(ConcurrencyConflict):
            store.append([write("A", 2, fired=(old,))])
        assert [e.seq for e in store.read("A")] == [1, 2]
        assert store.case_timers(["A"]) == {"A": [attrs.evolve(old, version=2)]}

    def test_a_batch_with_one_stale_timer_names_its_case_and_writes_nothing(
        self, store: Store
    ) -> None:
        timers = {i: timer(i, 10) for i in ("A", "B", "C")}
        store.append([write(i, 0, timers=(t,)) for i, t in timers.items()])
        fired = [write(i, 1, fired=(t,)) for i, t in timers.items()]
        fired[1] = write("B", 1, fired=(attrs.evolve(timers["B"], version=9),))
        with pytest.raises(ConcurrencyConflict) as conflict:
            store.append(fired)
        assert conflict.value.stream == "B"
        assert len(store.due_timers(at(20), 10)) == 3
        assert [len(store.read(i)) for i in timers] == [1, 1, 1]

    def test_claimed_timers_are_leased(self, store: Store) -> None:
        a10, b10 = timer("A", 10), timer("B", 10)
        a20, c30 = timer("A", 20, kind="warning"), timer("C", 30)
        store.append(
            [write("A", 0, timers=(a20, a10)), write("B", 0, timers=(b10,)), write("C", 0)]
        )
        store.append([write("C", 1, timers=(c30,))])
        assert store.claim_timers(at(25), 10, at(35)) == [a10, b10, a20], (
            "due by now, earliest first, then case id"
        )
        assert store.claim_timers(at(25), 10, at(35)) == [], "not again while leased"
        assert store.due_timers(at(25), 10) == [a10, b10, a20], "due_timers ignores leases"
        assert store.claim_timers(at(34), 10, at(60)) == [c30]
        assert store.claim_timers(at(35), 10, at(50)) == [a10, b10, a20], (
            "claimable again once the lease ended"
        )
        assert store.claim_timers(at(49), 10, at(70)) == []
        assert store.claim_timers(at(50), 1, at(70)) == [a10], "up to the limit"
        assert store.claim_timers(at(60), 0, at(70)) == []

    def test_claim_order_breaks_ties_by_case_metric_cycle_kind(self, store: Store) -> None:
        same = [
            timer("B", 10, metric="first_response"),
            timer("A", 10, metric="resolution", cycle=2, kind="breach"),
            timer("A", 10, metric="resolution", cycle=1, kind="warning"),
            timer("A", 10, metric="resolution", cycle=1, kind="breach"),
            timer("A", 10, metric="first_response", cycle=3),
        ]
        store.append([write("A", 0, timers=tuple(same[1:])), write("B", 0, timers=same[:1])])
        expected = sorted(same, key=lambda t: (t.due, t.case_id, t.metric, t.cycle, t.kind))
        assert store.claim_timers(at(10), 10, at(20)) == expected

    def test_a_leased_timer_still_fires_and_replaced_timers_lose_their_lease(
        self, store: Store
    ) -> None:
        a, b = timer("A", 10), timer("B", 10)
        store.append([write("A", 0, timers=(a,)), write("B", 0, timers=(b,))])
        assert store.claim_timers(at(10), 10, at(40)) == [a, b]
        store.append([write("A", 1, fired=(a,))])
        assert store.case_timers(["A"]) == {}, "firing matches a leased timer"
        store.append([write("B", 1, timers=(b,))])
        assert store.claim_timers(at(11), 10, at(40)) == [b], "the replaced set has no lease"
        assert store.claim_timers(at(11), 10, at(40)) == []

    def test_concurrent_claimers_never_share_a_timer(self, store: Store) -> None:
        timers = _many_timers(store, 60)
        claimed = _claimed_by_threads(lambda: store.claim_timers(at(100), 3, at(200)))
        assert sorted(claimed) == sorted(timers), "every due timer claimed exactly once"

    def test_claimers_in_other_processes_never_share_a_timer_or_message(
        self, store: Store, where: Path
    ) -> None:
        url = self.process_url(where)
        if url is None:
            pytest.skip(f"{type(self).__name__}: the store is not shared across processes")
        timers = _many_timers(store, 40)
        messages = _many_messages(store, 40)
        found = _claimed_by_processes(url)
        assert sorted(t for t, _ in found if t is not None) == sorted(timers)
        assert sorted(k for _, k in found if k) == sorted(m.key for m in messages)

    # --- the outbox ------------------------------------------------------------------

    def test_outbox_is_written_with_the_events(self, store: Store) -> None:
        b2, a1, b1 = message("B/2", 10), message("A/1", 20, created=10), message("B/1", 10)
        store.append([write("A", 0, outbox=(a1,)), write("B", 0, outbox=(b2, b1))])
        assert store.due_outbox(at(20), 10) == [b1, b2, a1], "by due time, then key"
        assert store.due_outbox(at(10), 10) == [b1, b2]
        assert store.due_outbox(at(20), 1) == [b1]
        assert store.due_outbox(at(9), 10) == []
        assert store.outbox() == [a1, b1, b2], "by created, then key"
        assert store.outbox("pending", limit=2) == [a1, b1]
        assert store.outbox("pending", limit=0) == []
        assert store.outbox("delivered") == []
        assert store.outbox_counts() == {"pending": 3, "delivered": 0, "failed": 0}

    def test_a_refused_append_queues_no_message(self, store: Store) -> None:
        a1 = message("A/1")
        store.append([write("A", 0, outbox=(a1,)), write("B", 0)])
        with pytest.raises(ConcurrencyConflict):
            store.append([write("A", 1, outbox=(message("A/2"),)), write("B", 0)])
        with pytest.raises(StoreError, match="outbox message 'A/1' is already stored"):
            store.append([write("A", 1, outbox=(message("A/1", 5),))])
        with pytest.raises(StoreError, match="outbox message 'C/1' is twice in one append"):
            store.append([write("C", 0, outbox=(message("C/1"), message("C/1")))])
        assert [e.seq for e in store.read("A")] == [1], "a refused append writes no event"
        assert store.read("C") == []
        assert store.outbox() == [a1], "nor any outbox row"

    def test_update_outbox_rewrites_delivery_columns_only(self, store: Store) -> None:
        b1, b2, a1 = message("B/1", 10), message("B/2", 10), message("A/1", 20, created=10)
        store.append([write("A", 0, outbox=(a1,)), write("B", 0, outbox=(b1, b2))])
        done = attrs.evolve(
            b1, status="delivered", attempts=1, delivered_to=("log", "mail"), delivered_at=at(20)
        )
        retry = attrs.evolve(b2, attempts=1, due=at(20), last_error="mail: OSError: down")
        store.update_outbox([done, retry])
        assert store.due_outbox(at(10), 10) == []
        assert store.due_outbox(at(20), 10) == [a1, retry], "a retried message moves"
        assert store.outbox("delivered") == [done]
        assert store.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 0}
        dead = attrs.evolve(retry, status="failed", attempts=8)
        with pytest.raises(NotFound, match="outbox message 'Z/1' does not exist"):
            store.update_outbox([dead, message("Z/1")])
        assert store.outbox("failed") == [], "an update with an unknown key writes nothing"
        assert store.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 0}
        store.update_outbox([dead])
        store.update_outbox([])
        assert store.due_outbox(at(20), 10) == [a1], "a dead letter is not due again"
        assert store.outbox("failed") == [dead]
        assert store.outbox_counts() == {"pending": 1, "delivered": 1, "failed": 1}
        changed = attrs.evolve(dead, payload="other", created=at(99), case_id="X", status="pending")
        store.update_outbox([changed])
        assert store.outbox("pending") == [a1, attrs.evolve(dead, status="pending")], (
            "key, case, created and payload never change"
        )

    def test_claimed_messages_are_leased_until_their_new_due(self, store: Store) -> None:
        a1, b1, b2, c1 = (
            message("A/1", 10),
            message("B/1", 10),
            message("B/2", 20),
            message("C/1", 40),
        )
        store.append(
            [
                write("A", 0, outbox=(a1,)),
                write("B", 0, outbox=(b2, b1)),
                write("C", 0, outbox=(c1,)),
            ]
        )
        first = store.claim_outbox(at(30), 10, at(45))
        assert first == [attrs.evolve(m, due=at(45)) for m in (a1, b1, b2)], (
            "due by now, by due then key, returned as stored: due is the lease's end"
        )
        assert store.outbox("pending") == [*first, c1]
        assert store.claim_outbox(at(30), 10, at(45)) == [], "not again while leased"
        assert store.due_outbox(at(30), 10) == []
        assert store.claim_outbox(at(45), 2, at(60)) == [
            attrs.evolve(c1, due=at(60)),
            attrs.evolve(a1, due=at(60)),
        ], "claimable again once the lease ended; up to the limit"
        delivered = attrs.evolve(b1, due=at(45), status="delivered", attempts=1)
        failed = attrs.evolve(b2, due=at(45), status="failed", attempts=8)
        store.update_outbox([delivered, failed])
        assert store.claim_outbox(at(100), 10, at(110)) == [
            attrs.evolve(a1, due=at(110)),
            attrs.evolve(c1, due=at(110)),
        ], "only pending messages are claimed"
        assert store.claim_outbox(at(200), 0, at(210)) == []
        assert store.outbox_counts() == {"pending": 2, "delivered": 1, "failed": 1}

    def test_concurrent_claimers_never_share_a_message(self, store: Store) -> None:
        messages = _many_messages(store, 60)
        claimed = _claimed_by_threads(lambda: store.claim_outbox(at(100), 3, at(200)))
        assert sorted(m.key for m in claimed) == sorted(m.key for m in messages)
        assert {m.due for m in claimed} == {at(200)}


PROCESSES = 2
_PROCESS_TIMEOUT = 60.0


def _claimed_by_threads(claim: Callable[[], Sequence[T]]) -> list[T]:
    """Everything ``THREADS`` threads claim, each claiming until nothing is left."""

    def drain(_: int) -> list[T]:
        found: list[T] = []
        while batch := claim():
            found.extend(batch)
        return found

    return [item for batch in together(THREADS, drain) for item in batch]


def _many_timers(store: Store, count: int) -> list[TimerRecord]:
    timers = [timer(f"T{i:03d}", i % 7) for i in range(count)]
    store.append([write(t.case_id, 0, timers=(t,)) for t in timers])
    return timers


def _many_messages(store: Store, count: int) -> list[OutboxRecord]:
    messages = [message(f"M{i:03d}/1", i % 5) for i in range(count)]
    store.append([write(m.case_id, 0, outbox=(m,)) for m in messages])
    return messages


def _claimed_by_processes(url: str) -> list[tuple[TimerRecord | None, str]]:
    """What ``PROCESSES`` processes claim on ``url``: ``(timer, "")`` and ``(None, key)``."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_claim_in_process, args=(url, start, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    found: list[tuple[TimerRecord | None, str]] = []
    try:
        for _ in workers:
            outcome = results.get(timeout=_PROCESS_TIMEOUT)
            if isinstance(outcome, str):
                pytest.fail(f"a claiming process failed: {outcome}")
            found.extend(outcome)
    except Empty:
        pytest.fail(f"a claiming process gave no answer within {_PROCESS_TIMEOUT:.0f}s")
    finally:
        for worker in workers:
            worker.join(timeout=_PROCESS_TIMEOUT)
            if worker.is_alive():
                worker.kill()
    return found


def _claim_in_process(url: str, start: Any, results: Any) -> None:
    """In a child process: open ``url``, claim timers then messages in small batches."""
    try:
        store: Store | None = plugin_manager(entry_points=False).hook.open_store(url=url)
        if store is None:
            store = plugin_manager().hook.open_store(url=url)
        if store is None:
            raise StoreError(f"no installed plugin opens {url!r} in a child process")
        start.wait(timeout=_PROCESS_TIMEOUT)
        found: list[tuple[TimerRecord | None, str]] = []
        while timers := store.claim_timers(at(100), 2, at(200)):
            found.extend((t, "") for t in timers)
        while messages := store.claim_outbox(at(100), 2, at(200)):
            found.extend((None, m.key) for m in messages)
        store.close()
        results.put(found)
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(f"{type(exc).__name__}: {exc}")
