"""Benchmark desk commands/s on PostgreSQL with 1, 2 and 4 processes against raw psycopg.

The baseline replays, with plain psycopg, the very transactions the desk sends: one case's
lifecycle is recorded once (events, projection row, SLA timers, outbox rows and their
sizes), then each baseline transaction inserts the events, upserts the row, replaces the
timers and inserts the outbox rows of one recorded command (``executemany``, which psycopg
pipelines, for the rows of one kind). Both run in the same schema
layout, in the same processes, in alternating rounds of the same length (best round of
each kind counts: the machines are noisy), with 1, 2 and 4 processes at once.

    SERVICEFLOW_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/bench_postgres.py [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import serviceflow_postgres
from psycopg import sql
from report import Row, machine, print_table, section
from serviceflow_postgres import PostgresStore, parse_address

from serviceflow import Case, ServiceDesk, load_policy
from serviceflow.domain.policy._policy import Policy
from serviceflow.eventlog._store import StreamWrite

PROCESSES = (1, 2, 4)
RATIO_TARGET = 0.7
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Shape:
    """One command's transaction as the desk sent it: sizes and counts of what it wrote."""

    events: tuple[int, ...]
    """The data size of each event."""
    row: int
    """The projection document's size (0: bookkeeping, no document)."""
    timers: int | None
    """How many timers replaced the case's set (``None``: left alone)."""
    outbox: tuple[int, ...]
    """The payload size of each outbox message."""


def sla_policy() -> Policy:
    """Round-the-clock targets, so every command also rewrites the case's SLA timers."""
    return load_policy(
        {
            "sla": [
                {
                    "name": "standard",
                    "targets": {
                        "first_response": {"within": "1h", "time": "calendar"},
                        "resolution": {"within": "8h", "time": "calendar"},
                    },
                }
            ]
        }
    )


def open_desk(url: str) -> ServiceDesk:
    return ServiceDesk.open(
        url,
        policy=sla_policy(),
        plugins=[serviceflow_postgres],
        entry_points=False,
        deliver_at_once=False,
    )


def lifecycle(desk: ServiceDesk, n: int) -> list[Callable[[str], Case]]:
    """The commands of one case after its submission: the main path, a note, closure."""
    return [
        lambda c: desk.classify(c, category="billing", kind="incident", by="agent:kim"),
        lambda c: desk.prioritize(c, impact="medium", urgency="high", by="agent:kim"),
        lambda c: desk.assign(c, to="agent:kim", by="lead:ana"),
        lambda c: desk.acknowledge(c, by="agent:kim", message=f"On it ({n})"),
        lambda c: desk.note(c, by="agent:kim", text="Checked the invoice run"),
        lambda c: desk.resolve(c, by="agent:kim", resolution="Fixed the invoice"),
        lambda c: desk.validate(c, by="qa:lee"),
        desk.confirm,
    ]


def one_case(desk: ServiceDesk, n: int) -> int:
    """Submit a case and take it to closure; the number of commands run."""
    case = desk.submit(requester="acme/jane@acme.test", channel="email", subject=f"Invoice {n}")
    for command in lifecycle(desk, n):
        command(case.id)
    return 1 + len(lifecycle(desk, n))


def record_shape(url: str) -> list[Shape]:
    """The transactions of one case's lifecycle, as the desk sends them to the store."""
    shapes: list[Shape] = []
    with open_desk(url) as desk:
        store = desk.store
        append = store.append

        def recording(writes: Sequence[StreamWrite]) -> None:
            for w in writes:
                shapes.append(
                    Shape(
                        tuple(len(e.data) for e in w.events),
                        len(w.row.data or "") if w.row is not None else 0,
                        None if w.timers is None else len(w.timers),
                        tuple(len(m.payload) for m in w.outbox),
                    )
                )
            append(writes)

        store.append = recording  # type: ignore[method-assign]
        one_case(desk, 0)
    return shapes


def bench_process(
    desk_url: str,
    raw_url: str,
    shapes: list[Shape],
    seconds: float,
    rounds: int,
    start: Any,
    results: Any,
) -> None:
    """Alternate raw and desk rounds of ``seconds``, every process starting each together;
    report ``(kind, round, commands, elapsed)`` for each."""
    address = parse_address(raw_url)
    found: list[tuple[str, int, int, float]] = []
    with open_desk(desk_url) as desk, psycopg.connect(address.conninfo, autocommit=True) as raw:
        raw.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(address.schema)))
        prefix = f"raw{os.getpid()}-"
        one_case(desk, -os.getpid())  # connections and caches warm
        _replay(raw, prefix + "warm", shapes)
        runs: dict[str, Callable[[int], int]] = {
            "raw": lambda n: _replay(raw, f"{prefix}{n}", shapes),
            "desk": lambda n: one_case(desk, n),
        }
        n = 0
        for number in range(rounds):
            for kind, once in runs.items():
                start.wait()
                began = time.perf_counter()
                commands = 0
                while time.perf_counter() - began < seconds:
                    n += 1
                    commands += once(n)
                found.append((kind, number, commands, time.perf_counter() - began))
    results.put(found)


_EVENT = (
    "INSERT INTO events (stream, seq, type, at, data, prev, hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
_UPSERT = """
INSERT INTO cases (id, state, version, head, requester, channel, priority, category, assignee,
                   submitted_at, updated_at, data)
VALUES (%s, 'intake', %s, %s, 'acme/jane@acme.test', 'email', NULL, NULL, NULL, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, head = excluded.head,
    updated_at = excluded.updated_at, data = excluded.data
"""
_TIMER = (
    "INSERT INTO timers (due_at, case_id, metric, cycle, kind, version) "
    "VALUES (%s, %s, %s, 1, %s, %s)"
)
_OUTBOX = "INSERT INTO outbox (key, case_id, created, due, payload) VALUES (%s, %s, %s, %s, %s)"


def _replay(conn: psycopg.Connection[Any], case_id: str, shapes: list[Shape]) -> int:
    """One case's transactions, each as the desk's shape says; the number replayed."""
    now = "2026-03-02T09:00:00.000000+00:00"
    seq = 0
    for i, shape in enumerate(shapes):
        with conn.transaction(), conn.cursor() as cur:
            events = []
            for size in shape.events:
                seq += 1
                events.append((case_id, seq, "case.note_added", now, "x" * size, "p", "h" * 64))
            cur.executemany(_EVENT, events)
            if shape.row:
                cur.execute(_UPSERT, (case_id, seq, "h" * 64, now, now, "d" * shape.row))
            else:
                cur.execute(
                    "UPDATE cases SET version = %s, head = %s, updated_at = %s WHERE id = %s",
                    (seq, "h" * 64, now, case_id),
                )
            if shape.timers is not None:
                cur.execute("DELETE FROM timers WHERE case_id = %s", (case_id,))
                timers = [(now, case_id, f"m{t}", "breach", seq) for t in range(shape.timers)]
                if timers:
                    cur.executemany(_TIMER, timers)
            if shape.outbox:
                cur.executemany(
                    _OUTBOX,
                    [
                        (f"{case_id}/{i}/{j}", case_id, now, now, "p" * size)
                        for j, size in enumerate(shape.outbox)
                    ],
                )
    return len(shapes)


def run(
    desk_url: str, raw_url: str, shapes: list[Shape], seconds: float, rounds: int, processes: int
) -> dict[str, float]:
    """Best rate over the rounds of each kind, in commands (or transactions) per second."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results = context.Queue()
    args = (desk_url, raw_url, shapes, seconds, rounds, start, results)
    children = [context.Process(target=bench_process, args=args) for _ in range(processes)]
    for child in children:
        child.start()
    outcomes = [item for _ in children for item in results.get(timeout=600)]
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"a benchmark process failed (exit code {child.exitcode})")
    rates: dict[str, float] = {}
    for kind in ("raw", "desk"):
        for number in range(rounds):
            done = [(c, e) for k, r, c, e in outcomes if k == kind and r == number]
            rate = sum(c for c, _ in done) / max(e for _, e in done)
            rates[kind] = max(rates.get(kind, 0.0), rate)
    return rates


def with_schema(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}schema={schema}"


def drop(url: str) -> None:
    address = parse_address(url)
    with psycopg.connect(address.conninfo, autocommit=True) as conn:
        name = sql.Identifier(address.schema)
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="rounds of 1 s instead of 3 s")
    options = parser.parse_args()
    seconds = 1.0 if options.quick else 3.0
    rounds = 3
    server = os.environ.get("SERVICEFLOW_POSTGRES_URL", DEFAULT_URL)
    print(machine("postgres"))
    desk_url = with_schema(server, f"sf_bench_desk_{os.getpid()}")
    raw_url = with_schema(server, f"sf_bench_raw_{os.getpid()}")
    rows: list[Row] = []
    try:
        for url in (desk_url, raw_url):
            PostgresStore(url).close()  # the same tables and indexes for both
        shapes = record_shape(desk_url)
        events = sum(len(s.events) for s in shapes)
        timers = sum(s.timers or 0 for s in shapes)
        outbox = sum(len(s.outbox) for s in shapes)
        print(
            f"one case = {len(shapes)} transactions: {events} events, {timers} timers "
            f"written, {outbox} outbox rows"
        )
        for processes in PROCESSES:
            title = f"{processes} process(es): {rounds} rounds of raw psycopg then the desk"
            with section(f"{title}, {seconds:.0f} s each"):
                rates = run(desk_url, raw_url, shapes, seconds, rounds, processes)
            desk, raw = rates["desk"], rates["raw"]
            ratio = desk / raw
            rows.append(
                Row(
                    f"desk commands/s, {processes} process(es)",
                    f"{desk:,.0f} /s",
                    f"raw psycopg: {raw:,.0f} txns/s",
                    f"{ratio:.2f}x",
                    f">= {RATIO_TARGET}x",
                    "yes" if ratio >= RATIO_TARGET else "no",
                )
            )
    finally:
        drop(desk_url)
        drop(raw_url)
    print_table(rows)


if __name__ == "__main__":
    main()
