"""Benchmark ``desk.tick`` with the same 100 due timers on a small and on a large SQLite store.

What a tick does should grow with what is due, not with what is stored. Two stores hold
the very same open cases, due timers and knowledge articles; they differ only in how many
closed cases they keep:

- the small store (the baseline) holds 1,000 cases: 600 chat cases in progress, in six
  groups of 100 submitted ten minutes apart (each with one SLA timer, its 30-minute
  resolution breach), and 400 closed email cases (submitted, classified, prioritized,
  assigned, acknowledged, resolved, validated, confirmed: 8 events, a projection row and
  the outbox messages each); plus 20 published knowledge articles, so the tick's review
  pass reads them (none is due);
- the large store (the figure) is a copy of the small one plus closed cases up to
  1,000,000 (``--cases``; 20,000 with ``--quick``): copies of the 400 closed ones with
  fresh ids, re-computed hash chains, their rows and outbox messages (delivered),
  bulk-inserted with ``sqlite3``. The open backlog is the same in both, as in a desk with
  the same traffic and a longer history.

Each round ticks the next group's breach time on both stores (interleaved, a fresh desk
each, so the review pass and the routing offer run as on a desk's first tick): exactly
100 breaches fire each time, which is checked. Every tick also writes a checkpoint
(``checkpoint_every`` is 5 minutes, the ticks 10 apart; checked). The first round writes
each store's first checkpoint, over every event stored (nothing before it to build on):
shown apart and not counted. The figure is the best of the other five, ticks 10 to 50
minutes later, each writing a checkpoint over what moved since the one before. Target: the
large store's tick within 1.5x of the small one's.
"""

from __future__ import annotations

import argparse
import gc
import logging
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from report import Row, machine, print_table, section

from serviceflow import ManualClock, Policy, ServiceDesk, load_policy
from serviceflow.core._ids import new_case_id
from serviceflow.domain._serialization import GENESIS, chain_hash
from serviceflow.knowledge._service import Knowledge

CREATED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""When the first group of open cases is submitted (the closed ones are a day older)."""
GROUPS = 6
"""Groups of open cases, one per round (the first round warms up)."""
DUE = 100
"""Cases per group: the timers each tick fires."""
CLOSED = 400
"""Closed cases in the small store (the templates of the large store's copies)."""
ARTICLES = 20
RATIO_TARGET = 1.5
"""The large store's tick, at most this many times the small store's."""
SPACING = timedelta(minutes=10)
"""Between two groups' submissions (the breach is 30 minutes after)."""
CHECKPOINT_EVERY = timedelta(minutes=5)
"""Shorter than ``SPACING``: every measured tick also writes a checkpoint (checked)."""


def policy() -> Policy:
    """Two agents who route on their own; chat cases breach after 30 minutes, no warning."""
    return load_policy(
        {
            "agents": [
                {"id": "agent:ann", "teams": ["front"], "capacity": {"*": 1000}},
                {"id": "agent:kim", "teams": ["front"], "capacity": {"*": 1000}},
            ],
            "automation": {"route": True},
            "sla": [
                {
                    "name": "chat",
                    "when": {"channel": ["chat"]},
                    "targets": {"resolution": {"within": "30m", "warnings": []}},
                },
                {
                    "name": "standard",
                    "targets": {
                        "first_response": {"within": "4h"},
                        "resolution": {"within": "40h", "warnings": [0.5, 0.75, 0.9]},
                    },
                },
            ],
        }
    )


def tick_at(group: int) -> datetime:
    """Past group ``group``'s breaches, before the next group's."""
    return CREATED + group * SPACING + timedelta(minutes=35)


# --- building the stores ------------------------------------------------------------------


def _worked(desk: ServiceDesk, channel: str) -> str:
    """A case taken to in progress."""
    case = desk.submit(
        requester="acme/jane.doe@acme.test",
        channel=channel,
        subject="Invoice export fails with error E-42",
        description="Since this morning every export of the March invoices stops at 40 %.",
    )
    desk.classify(case.id, by="agent:ann", category="functional", kind="incident")
    case = desk.prioritize(case.id, by="agent:ann", impact="medium", urgency="high")
    if case.assignee is None:
        desk.assign(case.id, to="agent:ann", by="agent:ann")
    desk.acknowledge(case.id, by="agent:ann", message="Hello Jane, we are looking into it.")
    return case.id


def build_small(path: Path) -> tuple[list[list[str]], list[str]]:
    """The small store at ``path``: the open groups' case ids, and the closed cases' ids."""
    clock = ManualClock(CREATED - timedelta(days=1))
    closed: list[str] = []
    groups: list[list[str]] = []
    url = f"sqlite:///{path}?synchronous=off"
    with ServiceDesk.open(url, policy=policy(), clock=clock, entry_points=False) as desk:
        kb = Knowledge(desk)
        for n in range(ARTICLES):
            article = kb.draft(
                by="agent:kim",
                category="billing",
                title=f"Correct a wrong invoice, case {n}",
                body="Open the invoice, issue a credit note, send the corrected invoice.",
                review_every=timedelta(days=90),
            )
            kb.submit_for_review(article.id, by="agent:kim")
            kb.approve(article.id, by="agent:ann")
        for _ in range(CLOSED):
            case_id = _worked(desk, "email")
            desk.resolve(case_id, by="agent:ann", resolution="Re-ran the export.")
            desk.validate(case_id, by="agent:kim")
            desk.confirm(case_id)
            closed.append(case_id)
        for group in range(GROUPS):
            clock.set(CREATED + group * SPACING)
            groups.append([_worked(desk, "chat") for _ in range(DUE)])
    return groups, closed


def _copies(db: sqlite3.Connection, closed: list[str], extra: int) -> Iterator[list[Any]]:
    """``extra`` copies of the closed cases as batches of rows (events, row, outbox)."""
    templates = []
    for case_id in closed:
        events = db.execute(
            "SELECT stream, seq, type, at, data FROM events WHERE stream = ? ORDER BY seq",
            (case_id,),
        ).fetchall()
        row = db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        outbox = db.execute("SELECT * FROM outbox WHERE case_id = ?", (case_id,)).fetchall()
        templates.append((case_id, events, row, outbox))
    for n in range(extra):
        old, events, row, outbox = templates[n % len(templates)]
        new = new_case_id(CREATED)
        prev = GENESIS
        chained = []
        for _, seq, type_, at, stored in events:
            data = stored.replace(old, new)
            digest = chain_hash(prev, new, seq, data)
            chained.append((new, seq, type_, at, data, prev, digest))
            prev = digest
        copied = [new, row[1], row[2], prev, *row[4:11], row[11].replace(old, new)]
        messages = [
            tuple(v.replace(old, new) if isinstance(v, str) else v for v in m) for m in outbox
        ]
        yield [chained, copied, messages]


def build_large(small: Path, large: Path, closed: list[str], cases: int) -> None:
    """A copy of the small store with closed cases added up to ``cases`` in all."""
    shutil.copyfile(small, large)
    db = sqlite3.connect(large, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    have = int(db.execute("SELECT COUNT(*) FROM cases").fetchone()[0])
    columns = len(db.execute("SELECT * FROM cases LIMIT 1").description)
    outbox_columns = len(db.execute("SELECT * FROM outbox LIMIT 1").description)
    events: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []

    def flush() -> None:
        db.executemany(
            "INSERT INTO events (stream, seq, type, at, data, prev, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            events,
        )
        db.executemany(f"INSERT INTO cases VALUES ({', '.join('?' * columns)})", rows)
        db.executemany(
            f"INSERT INTO outbox VALUES ({', '.join('?' * outbox_columns)})",
            [(*m[:5], "delivered", *m[6:]) for m in messages],
        )
        events.clear()
        rows.clear()
        messages.clear()

    db.execute("BEGIN")
    for chained, copied, outbox in _copies(db, closed, cases - have):
        events += chained
        rows.append(tuple(copied))
        messages += outbox
        if len(rows) >= 20_000:
            flush()
            db.execute("COMMIT")
            db.execute("BEGIN")
    flush()
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def census(path: Path) -> str:
    """Cases, events, timers and outbox rows of a store, and its size."""
    db = sqlite3.connect(path)
    counts = [
        int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for table in ("cases", "events", "timers", "outbox")
    ]
    db.close()
    size = path.stat().st_size / 1e6
    return (
        f"{counts[0]:,} cases, {counts[1]:,} events, {counts[2]:,} timers, "
        f"{counts[3]:,} outbox rows; {size:,.0f} MB"
    )


# --- the ticks ------------------------------------------------------------------------------


def tick_once(path: Path, group: int, due: list[str]) -> float:
    """Seconds of one ``desk.tick`` at group ``group``'s breach on a fresh desk; checked."""
    at = tick_at(group)
    with ServiceDesk.open(
        f"sqlite:///{path}", policy=policy(), clock=ManualClock(at), entry_points=False
    ) as desk:
        desk.checkpoint_every = CHECKPOINT_EVERY
        before = desk.last_checkpoint()
        gc.collect()
        began = time.perf_counter()
        fired = desk.tick(at)
        seconds = time.perf_counter() - began
        written = desk.last_checkpoint()
        if written is None or written == before:
            raise RuntimeError(f"the tick at {at} wrote no checkpoint")
        got = sorted(r.case_id for r in fired)
        if got != sorted(due) or any(r.event.TYPE != "case.sla_breached" for r in fired):
            raise RuntimeError(f"the tick at {at} fired {len(fired)} events, expected {DUE}")
        if desk.tick(at):
            raise RuntimeError("a second tick fired again")
    return seconds


def rows(cases: int) -> list[Row]:
    """The figure: the tick on the large store against the same tick on the small one."""
    with tempfile.TemporaryDirectory(prefix="sf-bench-tick-") as tmp:
        small, large = Path(tmp) / "small.db", Path(tmp) / "large.db"
        with section("set-up: the small store, through a desk"):
            groups, closed = build_small(small)
            print(f"  {census(small)}")
        with section(f"set-up: the large store, {cases:,} cases (bulk copies)"):
            build_large(small, large, closed, cases)
            print(f"  {census(large)}")
        best = {small: float("inf"), large: float("inf")}
        first = {}
        for group, due in enumerate(groups):
            label = "first tick" if group == 0 else f"round {group}"
            for path in (small, large):
                seconds = tick_once(path, group, due)
                print(f"  {label}, {path.stem}: {seconds * 1e3:.1f} ms", flush=True)
                if group:
                    best[path] = min(best[path], seconds)
                else:
                    first[path] = seconds
    ratio = best[large] / best[small]
    return [
        Row(
            f"first tick (writes the first checkpoint), {cases:,} stored cases",
            f"{first[large] * 1e3:,.1f} ms",
            f"1,000 stored cases: {first[small] * 1e3:.1f} ms",
            f"{first[large] / first[small]:.0f}x",
            "(not a target)",
            "",
        ),
        Row(
            f"tick, {DUE} due breaches + a checkpoint, {cases:,} stored cases",
            f"{best[large] * 1e3:.1f} ms",
            f"the same tick, 1,000 stored cases: {best[small] * 1e3:.1f} ms",
            f"{ratio:.2f}x",
            f"≤ {RATIO_TARGET}x",
            "yes" if ratio <= RATIO_TARGET else "NO",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run the figure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 cases (a smoke run)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the large store")
    args = parser.parse_args(argv)
    cases = 20_000 if args.quick else args.cases
    if cases < GROUPS * DUE + CLOSED:
        parser.error(f"--cases: at least {GROUPS * DUE + CLOSED:,}")
    print(machine("tick"))
    logging.getLogger("serviceflow.desk").setLevel(logging.ERROR)
    began = time.perf_counter()
    figures = rows(cases)
    print(f"\nwhole run {time.perf_counter() - began:.0f} s\n")
    print_table(figures)


if __name__ == "__main__":
    main()
