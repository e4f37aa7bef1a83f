"""Four worker processes and four client processes on one PostgreSQL store, for real.

Clients issue commands on shared cases while SLA targets of seconds make timers fall due;
workers tick and deliver concurrently. Then: no event lost or duplicated, every stream
contiguous and its hash chain intact, every due timer fired exactly once, every outbox
message delivered at least once (here: exactly once) to the downstream.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from serviceflow.domain import DESK_STREAMS, NoteAdded, SlaBreached, SlaWarned, decode_event, iso

from desk_processes import open_desk, run_client, run_worker

WORKERS = 4
CLIENTS = 4
CLIENT_SECONDS = 10.0
SHARED_CASES = 16
START_TIMEOUT = 60.0
SETTLE = 2.5
"""Seconds after the clients stop: timers due by then have had several worker polls."""

pytestmark = pytest.mark.slow


def test_workers_and_clients_share_one_store(pg_url: str, tmp_path: Path) -> None:
    with open_desk(pg_url, []) as desk:
        shared = [
            desk.submit(requester="acme/jane@acme.test", channel="web", subject=f"#{n}").id
            for n in range(SHARED_CASES)
        ]
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=run_worker, args=(pg_url, str(tmp_path), n)) for n in range(WORKERS)
    ]
    clients = [
        spawn.Process(target=run_client, args=(pg_url, str(tmp_path), n, shared, CLIENT_SECONDS))
        for n in range(CLIENTS)
    ]
    try:
        for worker in workers:
            worker.start()
        _wait_for(lambda: len(list(tmp_path.glob("worker-*.ready"))) == WORKERS, "workers")
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=CLIENT_SECONDS + START_TIMEOUT)
            assert client.exitcode == 0, "a client process failed"
        time.sleep(SETTLE)
        stopped = datetime.now(UTC)
        for worker in workers:
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.join(timeout=START_TIMEOUT)
            assert worker.exitcode == 0, "a worker did not stop gracefully on SIGTERM"
    finally:
        for process in workers + clients:
            if process.is_alive():
                process.kill()
                process.join()

    reports = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("client-*.json"))]
    assert len(reports) == CLIENTS
    deliveries = [
        json.loads(line)
        for path in tmp_path.glob("deliveries-*.jsonl")
        for line in path.read_text().splitlines()
    ]
    with open_desk(pg_url, []) as desk:
        store = desk.store
        cases = [s for s in store.streams() if not s.startswith(DESK_STREAMS)]
        assert set(shared) <= set(cases)
        assert {i for r in reports for i in r["own"]} <= set(cases)
        notes: Counter[str] = Counter()
        sla: Counter[tuple[str, str, int, float | None]] = Counter()
        for case_id in cases:
            records = store.read(case_id)
            assert [r.seq for r in records] == list(range(1, len(records) + 1)), case_id
            check = desk.verify(case_id)
            assert check.ok, (case_id, check.problems)
            for record in records:
                event = decode_event(record.data)
                if isinstance(event, NoteAdded):
                    notes[event.text] += 1
                elif isinstance(event, SlaWarned):
                    sla[(case_id, event.metric, event.cycle, event.threshold)] += 1
                elif isinstance(event, SlaBreached):
                    sla[(case_id, event.metric, event.cycle, None)] += 1
        written = [text for r in reports for text in r["notes"]]
        assert sorted(notes) == sorted(written), "every note a client saw committed, no other"
        assert set(notes.values()) == {1}, "no note written twice"
        versions = [tuple(v) for r in reports for v in r["versions"]]
        assert len(versions) == len(set(versions)), "no two commands took the same version"

        assert sla, "SLA timers fell due during the run"
        assert [k for k, n in sla.items() if n != 1] == [], "each timer fired exactly once"
        left = store.due_timers(iso(stopped - timedelta(seconds=SETTLE - 0.5)), 100)
        assert left == [], "every timer due before the end was fired by a worker"

        counts = store.outbox_counts()
        assert counts["failed"] == 0
        assert counts["pending"] == 0, "every message was delivered"
        stored = {r.key for r in store.outbox()}
        received = Counter(d["key"] for d in deliveries)
        assert set(received) == stored, "every message reached the downstream"
        assert max(received.values()) == 1, "claims kept workers from sending one twice"
    unexpected = [text for r in reports for text in r["unexpected"]]
    assert unexpected == [], "a command refused for another reason than a lost race"
    _summary(reports, len(cases), sum(sla.values()), len(stored))


def _wait_for(ready: Any, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not start within {START_TIMEOUT:.0f}s")
        time.sleep(0.1)


def _summary(reports: list[dict[str, Any]], cases: int, fired: int, messages: int) -> None:
    commands = sum(r["commands"] for r in reports)
    refused: Counter[str] = Counter()
    for r in reports:
        refused.update(r["refused"])
    seconds = max(r["seconds"] for r in reports)
    print(
        f"\n{CLIENTS} clients: {commands} commands in {seconds:.1f}s "
        f"({commands / seconds:.0f}/s), refused {dict(refused)}; {cases} cases; "
        f"{WORKERS} workers fired {fired} SLA events and delivered {messages} messages"
    )
