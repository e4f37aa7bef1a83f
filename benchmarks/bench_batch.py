"""Benchmark units of work: commands in one transaction, statements per command, and
``reapply_policy`` over many open cases, each against a baseline measured in the same run.

Figure 1: desk commands per second on SQLite (``synchronous=full``) when ``BATCH``
commands share one ``desk.batch()``, against raw ``executemany`` inserts of as many event
rows, ``BATCH`` rows to a transaction, into the store's own ``events`` table with the same
pragmas. Target ≥ 0.3×.

Figure 2: SQL statements the desk sends per command (``BEGIN`` and ``COMMIT`` included),
one command to a transaction and ``BATCH`` to a transaction, counted with SQLite's trace
callback over full lifecycles. The raw baseline is 3 (``BEGIN``, ``INSERT``, ``COMMIT``).
Target ≤ 3.

Figure 3: ``reapply_policy`` on SQLite over open cases, seconds per case, when the new
policy changes every case's clocks (an event each) and when it changes none (nothing
written), against the same cases reapplied one command and transaction at a time (how it
ran before). The figure is scaled to 1,000,000 open cases. Target ≤ 60 s.

``--quick`` uses smaller sizes (about 20 s).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
from bench_engine import (
    COMMANDS_PER_CASE,
    _connect,
    _desk,
    _events_ddl,
    _full_case,
    _raw_rows,
    _step,
)
from report import Row, machine, print_table, section

from serviceflow import ManualClock, ServiceDesk, load_policy
from serviceflow.domain import _commands as cmd
from serviceflow.domain.policy._policy import Policy

BATCH = 100
"""Commands (and raw rows) per transaction in figures 1 and 2."""
RATIO_TARGET = 0.3
STATEMENTS_TARGET = 3.0
MILLION = 1_000_000
REAPPLY_TARGET_S = 60.0
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _policy(within: str) -> Policy:
    return load_policy({"sla": [{"name": "all", "targets": {"resolution": {"within": within}}}]})


# --- 1. commands in batches vs raw batched inserts -----------------------------------------


def _batched_cases(folder: Path, cases: int) -> float:
    """Seconds to run ``cases`` full lifecycles, ``BATCH`` commands to a transaction."""
    desk = _desk(f"sqlite:///{folder / f'batch-{time.monotonic_ns()}.db'}")
    steps = [(n, i) for n in range(cases) for i in range(COMMANDS_PER_CASE)]
    ids = [f"B{n:09d}" for n in range(cases)]
    began = time.perf_counter()
    for start in range(0, len(steps), BATCH):
        with desk.batch():
            for n, index in steps[start : start + BATCH]:
                _step(desk, ids[n], index)
    spent = time.perf_counter() - began
    desk.close()
    return spent


def _raw_batched(folder: Path, rows: int) -> float:
    """Seconds to insert ``rows`` event rows, ``BATCH`` to a ``BEGIN IMMEDIATE`` transaction."""
    db = _connect(folder / f"raw-{time.monotonic_ns()}.db", "full")
    db.execute(_events_ddl())
    raw = _raw_rows(rows)
    insert = "INSERT INTO events (stream, seq, type, at, data, prev, hash) VALUES (?,?,?,?,?,?,?)"
    began = time.perf_counter()
    for start in range(0, rows, BATCH):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert, raw[start : start + BATCH])
        db.execute("COMMIT")
    spent = time.perf_counter() - began
    db.close()
    return spent


# --- 2. statements per command -------------------------------------------------------------


def _statements(folder: Path, cases: int, *, batched: bool) -> float:
    """SQL statements per command over ``cases`` full lifecycles."""
    desk = _desk(f"sqlite:///{folder / f'trace-{time.monotonic_ns()}.db'}")
    seen: list[str] = []
    store = desk.store
    for db in {store._db, store._bookkeeping()}:  # type: ignore[attr-defined]
        db.set_trace_callback(seen.append)  # both connections: delivery outcomes use the second
    if batched:
        ids = [f"T{n:09d}" for n in range(cases)]
        steps = [(n, i) for n in range(cases) for i in range(COMMANDS_PER_CASE)]
        for start in range(0, len(steps), BATCH):
            with desk.batch():
                for n, index in steps[start : start + BATCH]:
                    _step(desk, ids[n], index)
    else:
        for _ in range(cases):
            _full_case(desk)
    desk.close()
    return len(seen) / (cases * COMMANDS_PER_CASE)


# --- 3. reapply_policy --------------------------------------------------------------------


def _open_cases(url: str, cases: int) -> ServiceDesk:
    """A desk with ``cases`` open cases under an 8-hour resolution SLA (bulk loaded)."""
    clock = ManualClock(START)
    desk = ServiceDesk.open(url, clock=clock, policy=_policy("8h"), entry_points=False)
    for start in range(0, cases, 1000):
        with desk.batch():
            for n in range(start, min(start + 1000, cases)):
                case_id = f"R{n:09d}"
                _step(desk, case_id, 0)
                for index in (1, 2, 3, 4):
                    _step(desk, case_id, index)
    clock.advance(hours=1)
    return desk


def _one_at_a_time(desk: ServiceDesk, policy: Policy) -> float:
    """Seconds of the old way: every open case, one command and transaction each."""
    desk.policy = policy
    began = time.perf_counter()
    for case in list(desk.cases(state="in_progress")):
        desk.execute(cmd.ApplyServiceLevel(case_id=case.id, by="system:policy", reason="bench"))
    return time.perf_counter() - began


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def _reapply(folder: Path, cases: int) -> tuple[float, float, float]:
    """Seconds per case: reapplying a policy that changes every case's clocks, one that
    changes none, and the old one-command-per-case way (on a copy of the same cases)."""
    url = f"sqlite:///{folder / 'reapply.db'}"
    desk = _open_cases(url, cases)
    desk.close()
    copy = folder / "reapply-old.db"
    with sqlite3.connect(folder / "reapply.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    desk = ServiceDesk.open(url, clock=ManualClock(START + timedelta(hours=1)), entry_points=False)
    changed = _timed(lambda: desk.reapply_policy(_policy("4h")))
    same = _timed(lambda: desk.reapply_policy(attrs.evolve(_policy("4h"), canned={"a": "b"})))
    desk.close()
    old_desk = ServiceDesk.open(
        f"sqlite:///{copy}", clock=ManualClock(START + timedelta(hours=1)), entry_points=False
    )
    old = _one_at_a_time(old_desk, _policy("4h"))
    old_desk.close()
    return changed / cases, same / cases, old / cases


# --- the run -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about 20 s)")
    args = parser.parse_args(argv)
    cases, traced, reapplied = (100, 20, 2_000) if args.quick else (400, 50, 20_000)
    print(machine("batch"))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sf-batch-") as tmp:
        folder = Path(tmp)
        with section(f"1. {cases * COMMANDS_PER_CASE:,} commands in batches of {BATCH} vs raw"):
            commands = cases * COMMANDS_PER_CASE
            raw = min(_raw_batched(folder, commands) for _ in range(3))
            desk = min(_batched_cases(folder, cases) for _ in range(3))
        ratio = raw / desk
        rows.append(
            Row(
                f"desk commands/s in batches of {BATCH}, sqlite sync=full",
                f"{commands / desk:,.0f} /s",
                f"raw {BATCH}-row txns {commands / raw:,.0f} rows/s",
                f"{ratio:.2f}x",
                f"≥ {RATIO_TARGET}x",
                "yes" if ratio >= RATIO_TARGET else "NO",
            )
        )
        with section(f"2. statements per command over {traced} lifecycles"):
            single = _statements(folder, traced, batched=False)
            batched = _statements(folder, traced, batched=True)
        counted = (("one command a transaction", single), (f"batches of {BATCH}", batched))
        for label, value in counted:
            rows.append(
                Row(
                    f"SQL statements per command, {label}",
                    f"{value:.2f}",
                    "raw 3 (BEGIN, INSERT, COMMIT)",
                    f"{value / 3:.2f}x",
                    f"≤ {STATEMENTS_TARGET:.0f}",
                    "yes" if value <= STATEMENTS_TARGET else "NO",
                )
            )
        with section(f"3. reapply_policy over {reapplied:,} open sqlite cases"):
            changed, same, old = _reapply(folder, reapplied)
        timed = (("every case's clocks change", changed), ("no clock changes", same))
        for label, per_case in timed:
            scaled = per_case * MILLION
            rows.append(
                Row(
                    f"reapply_policy, 1M open cases, {label}",
                    f"{scaled:,.0f} s ({per_case * 1e6:,.0f} µs/case)",
                    f"one txn a case {old * MILLION:,.0f} s",
                    f"{old / per_case:.1f}x faster",
                    f"≤ {REAPPLY_TARGET_S:.0f} s",
                    "yes" if scaled <= REAPPLY_TARGET_S else "NO",
                )
            )
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
