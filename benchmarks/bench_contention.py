"""Benchmark plain commands from 4 processes on 3 hot cases: how many conflicts reach callers.

Plain commands (an internal note, a public reply: allowed on a case in progress whatever
happened before) never need the caller to decide again, so the desk retries them on a
concurrent write. 4 processes (``multiprocessing`` spawn, a desk each) start together and
each runs N commands (1,000; 100 with ``--quick``), every one on one of 3 shared cases
taken to in progress, chosen at random. Three runs per store, each on a fresh store:

- backoff: the desk's retries (``retry.WRITE``: full-jitter exponential backoff within a
  budget of tries and seconds); the figure is the share of commands that raised
  ``ConcurrencyConflict`` (target ≤ 0.1 %) and the throughput;
- immediate: the same work with the former rule (5 tries, no wait), for comparison;
- separate: the same work on 12 cases, 3 per process, so nothing contends: the
  throughput baseline.

On SQLite (a file, the default ``synchronous=full``) and, when ``SERVICEFLOW_POSTGRES_URL``
is set, on PostgreSQL (a fresh schema per run). Every run checks that each command that
returned is in the store exactly once and that no other note or reply is.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from report import Row, machine, print_table, section

from serviceflow import ServiceDesk
from serviceflow.core import _retry as retry
from serviceflow.domain._serialization import decode_event
from serviceflow.errors import ConcurrencyConflict

PROCESSES = 4
HOT = 3
SHARE_TARGET = 0.001
"""At most this share of plain commands may surface a conflict."""
AGENT = "agent:ann"
IMMEDIATE = retry.Backoff(attempts=5, first=0.0, cap=0.0)
"""The former rule: 5 tries, each at once after the last."""


@dataclass(frozen=True)
class Outcome:
    """What one process did: commands that returned, conflicts raised, retries, seconds."""

    done: list[str]
    conflicts: int
    retries: int
    seconds: float


def plugins_for(url: str) -> list[object]:
    """The PostgreSQL plugin for a ``postgresql://`` URL (entry points stay off)."""
    if url.startswith("postgresql"):
        import serviceflow_postgres  # noqa: PLC0415 - only with PostgreSQL

        return [serviceflow_postgres]
    return []


def open_desk(url: str) -> ServiceDesk:
    """A desk with the default policy on the shared store."""
    return ServiceDesk.open(url, plugins=plugins_for(url), entry_points=False)


def make_cases(url: str, count: int) -> list[str]:
    """``count`` cases in progress, assigned to the agent."""
    ids = []
    with open_desk(url) as desk:
        for _ in range(count):
            case = desk.submit(requester="acme/jane@acme.test", channel="email", subject="Export")
            desk.classify(case.id, by=AGENT, category="functional", kind="incident")
            desk.prioritize(case.id, by=AGENT, impact="medium", urgency="high")
            desk.assign(case.id, to=AGENT, by=AGENT)
            desk.acknowledge(case.id, by=AGENT, message="On it")
            ids.append(case.id)
    return ids


def worker(
    url: str,
    cases: list[str],
    number: int,
    commands: int,
    immediate: bool,
    start: Barrier,
    results: Any,
) -> None:
    """Run ``commands`` notes and replies on random ``cases``; put an ``Outcome``."""
    if immediate:
        retry.WRITE = IMMEDIATE
    retries = 0
    waiting = retry.Retry.wait

    def counted(self: retry.Retry) -> bool:
        nonlocal retries
        retries += 1
        return waiting(self)

    retry.Retry.wait = counted  # type: ignore[method-assign]
    rng = random.Random(number)
    done: list[str] = []
    conflicts = 0
    with open_desk(url) as desk:
        start.wait()
        began = time.perf_counter()
        for n in range(commands):
            case_id, text = rng.choice(cases), f"p{number}-{n}"
            try:
                if n % 2:
                    desk.note(case_id, by=AGENT, text=text)
                else:
                    desk.reply(case_id, by=AGENT, message=text)
                done.append(text)
            except ConcurrencyConflict:
                conflicts += 1
        seconds = time.perf_counter() - began
    results.put(Outcome(done, conflicts, retries - conflicts, seconds))


def check(url: str, cases: list[str], outcomes: list[Outcome]) -> None:
    """Every command that returned is stored once; nothing else is."""
    stored: Counter[str] = Counter()
    with open_desk(url) as desk:
        for case_id in cases:
            for record in desk.store.read(case_id):
                event = decode_event(record.data)
                text = getattr(event, "text", None) or getattr(event, "message", None)
                if isinstance(text, str) and text.startswith("p"):
                    stored[text] += 1
    returned = Counter(text for o in outcomes for text in o.done)
    if stored != returned:
        lost = returned - stored
        extra = stored - returned
        raise RuntimeError(f"store and callers disagree: lost {len(lost)}, extra {len(extra)}")


def run(url: str, commands: int, *, immediate: bool, separate: bool) -> tuple[float, float, float]:
    """One run on the fresh store ``url``: (conflict share, commands/s, retries per command)."""
    cases = make_cases(url, PROCESSES * HOT if separate else HOT)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    children = []
    for number in range(PROCESSES):
        mine = cases[number * HOT : (number + 1) * HOT] if separate else cases
        args = (url, mine, number, commands, immediate, start, results)
        children.append(context.Process(target=worker, args=args))
    for child in children:
        child.start()
    outcomes: list[Outcome] = [results.get(timeout=900) for _ in children]
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"a benchmark process failed (exit code {child.exitcode})")
    check(url, cases, outcomes)
    total = PROCESSES * commands
    conflicts = sum(o.conflicts for o in outcomes)
    done = sum(len(o.done) for o in outcomes)
    rate = done / max(o.seconds for o in outcomes)
    retries = sum(o.retries for o in outcomes) / total
    print(f"  {conflicts} conflicts of {total:,} commands, {rate:,.0f} /s, {retries:.2f} retries")
    return conflicts / total, rate, retries


@contextmanager
def sqlite_urls() -> Iterator[Callable[[str], str]]:
    """Fresh SQLite files, one per run."""
    with tempfile.TemporaryDirectory(prefix="sf-bench-contention-") as tmp:
        yield lambda name: f"sqlite:///{Path(tmp) / name}.db"


@contextmanager
def postgres_urls(server: str) -> Iterator[Callable[[str], str]]:
    """Fresh PostgreSQL schemas, one per run, dropped afterwards."""
    import psycopg  # noqa: PLC0415 - only with PostgreSQL
    from psycopg import sql  # noqa: PLC0415
    from serviceflow_postgres import parse_address  # noqa: PLC0415

    made: list[str] = []

    def url(name: str) -> str:
        joiner = "&" if "?" in server else "?"
        made.append(f"{server}{joiner}schema=sf_bench_contention_{os.getpid()}_{name}")
        return made[-1]

    try:
        yield url
    finally:
        for each in made:
            address = parse_address(each)
            with psycopg.connect(address.conninfo, autocommit=True) as conn:
                name = sql.Identifier(address.schema)
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))


def rows_for(store: str, urls: Callable[[str], str], commands: int) -> list[Row]:
    """The three runs on one kind of store, as table rows."""
    runs = {}
    for name, immediate, separate in (
        ("backoff", False, False),
        ("immediate", True, False),
        ("separate", False, True),
    ):
        with section(f"{store}, {name}: {PROCESSES} processes × {commands:,} commands"):
            runs[name] = run(urls(name), commands, immediate=immediate, separate=separate)
    share, rate, retries = runs["backoff"]
    old_share, old_rate, old_retries = runs["immediate"]
    _, base_rate, _ = runs["separate"]
    total = PROCESSES * commands
    return [
        Row(
            f"{store}: conflicts raised, plain commands, 4 processes on 3 cases",
            f"{share:.2%} of {total:,} ({retries:.2f} retries/command)",
            f"immediate 5 tries: {old_share:.2%} ({old_retries:.2f} retries/command)",
            "",
            f"≤ {SHARE_TARGET:.1%}",
            "yes" if share <= SHARE_TARGET else "NO",
        ),
        Row(
            f"{store}: plain commands/s, 4 processes on 3 cases",
            f"{rate:,.0f} /s (immediate: {old_rate:,.0f} /s)",
            f"12 separate cases: {base_rate:,.0f} /s",
            f"{rate / base_rate:.2f}x",
            "",
            "",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run SQLite (and PostgreSQL when configured), print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 commands per process")
    parser.add_argument("--commands", type=int, default=1_000, help="commands per process")
    args = parser.parse_args(argv)
    commands = 100 if args.quick else args.commands
    print(machine("contention"))
    figures: list[Row] = []
    began = time.perf_counter()
    with sqlite_urls() as urls:
        figures += rows_for("SQLite", urls, commands)
    server = os.environ.get("SERVICEFLOW_POSTGRES_URL")
    if server:
        with postgres_urls(server) as urls:
            figures += rows_for("PostgreSQL", urls, commands)
    else:
        print("SERVICEFLOW_POSTGRES_URL is not set: PostgreSQL skipped", file=sys.stderr)
    print(f"\nwhole run {time.perf_counter() - began:.0f} s\n")
    print_table(figures)


if __name__ == "__main__":
    main()
