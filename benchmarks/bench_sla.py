"""Benchmark SLA due dates after a policy change and the SQLite tick, with same-run baselines."""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from report import Row, machine, print_table, section

from serviceflow import ManualClock, Policy, ServiceDesk, load_policy
from serviceflow.core._calendar import BusinessCalendar, business_calendar
from serviceflow.desk._tick import RecordedEvent

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOURS = ["09:00-12:30", "13:30-18:00"]
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
OLD_TARGET = timedelta(hours=12)
NEW_TARGET = timedelta(hours=16)
"""The policy change of figure 1: resolution within 12 business hours becomes 16."""
CREATED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""Monday 09:00 in Paris: the due cases are created from here, one per millisecond."""
TICK_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
"""Chat cases (30 business minutes) are breached; email cases (2 h) passed their 50 % warning."""
REDUE_TARGET_S = 10.0
"""Seconds allowed to re-evaluate 1,000,000 open cases."""
TICK_TARGET_S = 0.2
"""Seconds allowed for 10,000 due timers among 1,000,000."""
WARNED, BREACHED = "case.sla_warned", "case.sla_breached"
FILLER_KINDS = ("warning:0.5", "warning:0.75", "warning:0.9", "breach")
RAW_DUE = "SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?"
"""The baseline lookup: every column the store keeps for a timer, from the same index."""


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does; ``--quick`` shrinks everything."""

    cases: int
    timers: int
    due: int
    rounds: int
    lookups: int


FULL = Sizes(1_000_000, 1_000_000, 10_000, 2, 5)
QUICK = Sizes(100_000, 100_000, 1_000, 3, 5)


def _timed(run: Callable[[], object]) -> float:
    """Seconds one call of ``run`` takes."""
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def _met(value: float, limit: float) -> str:
    """``yes`` if ``value`` is within ``limit``, else ``NO``."""
    return "yes" if value <= limit else "NO"


def realistic() -> BusinessCalendar:
    """Two intervals a day, Monday to Friday, in Paris, with France's public holidays."""
    return business_calendar("paris", "Europe/Paris", dict.fromkeys(WORKDAYS, HOURS), country="FR")


# --- 1. due dates of open cases after a policy change ----------------------------------------


def open_ledgers(count: int, rng: random.Random) -> list[tuple[timedelta, datetime]]:
    """Open resolution clocks: business time consumed before the open segment, and its start."""
    span = int((YEAR_END - YEAR_START).total_seconds())
    old = OLD_TARGET // timedelta(seconds=1)
    return [
        (
            timedelta(seconds=rng.randrange(old)),
            YEAR_START + timedelta(seconds=rng.randrange(span)),
        )
        for _ in range(count)
    ]


def bare_due(ledgers: list[tuple[timedelta, datetime]], target: timedelta) -> list[datetime]:
    """The baseline: new due dates in calendar time, ``start + (target - consumed)``."""
    return [start + (target - consumed) for consumed, start in ledgers]


def business_due(
    ledgers: list[tuple[timedelta, datetime]], target: timedelta, calendar: BusinessCalendar
) -> list[datetime]:
    """New due dates in business time, ``calendar.add(start, target - consumed)``."""
    add = calendar.add
    return [add(start, target - consumed) for consumed, start in ledgers]


def _check_due(
    ledgers: list[tuple[timedelta, datetime]],
    due: list[datetime],
    calendar: BusinessCalendar,
) -> None:
    """Check due dates: exactly the remaining business time after the start, never before it."""
    for (consumed, start), when in zip(ledgers, due, strict=True):
        if calendar.between(start, when) != NEW_TARGET - consumed or when < start:
            raise RuntimeError(f"wrong due date {when} for {(consumed, start)}")


def redue_rows(sizes: Sizes) -> list[Row]:
    """Figure 1: re-evaluate ``sizes.cases`` due dates, against bare calendar-time arithmetic."""
    rng = random.Random(20260302)
    calendar = realistic()
    for year in (2025, 2026, 2027):  # build each year's intervals once, outside the timings
        calendar.between(datetime(year, 1, 1, tzinfo=UTC), datetime(year, 12, 31, tzinfo=UTC))
    with section(f"1. new due dates of {sizes.cases:,} open cases after a policy change"):
        ledgers = open_ledgers(sizes.cases, rng)
        print(
            f"  ledgers: consumed uniform in [0, {OLD_TARGET}) business, open segment started "
            f"uniformly in 2026; resolution target {OLD_TARGET} -> {NEW_TARGET} business"
        )
        bare = business = float("inf")
        for _ in range(sizes.rounds):
            bare = min(bare, _timed(lambda: bare_due(ledgers, NEW_TARGET)))
            business = min(business, _timed(lambda: business_due(ledgers, NEW_TARGET, calendar)))
        sample = ledgers[:: max(len(ledgers) // 1_000, 1)]
        _check_due(sample, business_due(sample, NEW_TARGET, calendar), calendar)
        print(f"  best of {sizes.rounds} interleaved rounds each; 1,000 due dates checked")
    limit = REDUE_TARGET_S * sizes.cases / 1_000_000
    scaled = "" if sizes.cases == 1_000_000 else " (10 s/1M, scaled)"
    return [
        Row(
            f"1: new due dates, {sizes.cases:,} open cases, calendar.add",
            f"{business:.2f} s ({business / sizes.cases * 1e6:.2f} µs/case)",
            f"bare start+Δ {bare:.3f} s",
            f"{business / bare:,.0f}x",
            f"≤ {limit:g} s{scaled}",
            _met(business, limit),
        )
    ]


# --- 2. tick over a million timers on SQLite --------------------------------------------------


def sla_policy() -> Policy:
    """Paris business hours; chat: resolution in 30 min, no warning; else 2 h, warned at 50 %."""
    return load_policy(
        {
            "calendars": {
                "paris": {
                    "zone": "Europe/Paris",
                    "week": dict.fromkeys(WORKDAYS, HOURS),
                    "country": "FR",
                }
            },
            "sla": [
                {
                    "name": "chat",
                    "when": {"channel": ["chat"]},
                    "calendar": "paris",
                    "targets": {"resolution": {"within": "30m", "warnings": []}},
                },
                {
                    "name": "standard",
                    "calendar": "paris",
                    "targets": {"resolution": {"within": "2h", "warnings": [0.5]}},
                },
            ],
        }
    )


def create_due_cases(path: Path, due: int) -> dict[str, str]:
    """Open ``due`` real cases (half chat, half email) up to in progress; id → expected event."""
    clock = ManualClock(CREATED)
    expected: dict[str, str] = {}
    url = f"sqlite:///{path}?synchronous=off"
    with ServiceDesk.open(url, policy=sla_policy(), clock=clock, entry_points=False) as desk:
        for n in range(due):
            clock.advance(milliseconds=1)
            chat = n % 2 == 0
            case = desk.submit(
                requester="acme/jane.doe@acme.test",
                channel="chat" if chat else "email",
                subject="Printer on floor 3 keeps jamming",
                description="Since this morning the printer shows error E-42 after every page.",
            )
            desk.classify(case.id, by="agent:ann", category="functional", kind="incident")
            desk.prioritize(case.id, by="agent:ann", impact="medium", urgency="high")
            desk.assign(case.id, to="agent:bob", by="agent:ann")
            desk.acknowledge(case.id, by="agent:bob", message="Hello Jane, we are on it.")
            expected[case.id] = BREACHED if chat else WARNED
    return expected


def _filler_rows(count: int, rng: random.Random) -> Iterator[tuple[str, str, int, str, str]]:
    """Timers of fake cases (four per case, like the default warnings), due in 1 to 365 days."""
    for n in range(count):
        case, kind = divmod(n, len(FILLER_KINDS))
        due = TICK_AT + timedelta(seconds=rng.randrange(86_400, 365 * 86_400))
        yield (
            f"FILLER{case:010d}",
            "resolution",
            1,
            FILLER_KINDS[kind],
            due.isoformat(timespec="microseconds"),
        )


def _connect(path: Path) -> sqlite3.Connection:
    """A connection set up like ``SQLiteStore``: autocommit, WAL."""
    db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    return db


def insert_filler(path: Path, total: int) -> int:
    """Bulk-insert fake timers into the store's table until it holds ``total``; how many added."""
    db = _connect(path)
    db.execute("PRAGMA synchronous = OFF")
    real = int(db.execute("SELECT COUNT(*) FROM timers").fetchone()[0])
    count = max(total - real, 0)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO timers (case_id, metric, cycle, kind, due_at) VALUES (?, ?, ?, ?, ?)",
        _filler_rows(count, random.Random(7)),
    )
    db.execute("COMMIT")
    db.close()
    return count


def _counts(db: sqlite3.Connection, now: str) -> tuple[int, int]:
    """Timers in the table, and how many of them are due at ``now``."""
    total = int(db.execute("SELECT COUNT(*) FROM timers").fetchone()[0])
    due = int(db.execute("SELECT COUNT(*) FROM timers WHERE due_at <= ?", (now,)).fetchone()[0])
    return total, due


def prepare_store(folder: Path, sizes: Sizes) -> tuple[Path, dict[str, str]]:
    """A SQLite store with ``sizes.due`` real due cases and filler up to ``sizes.timers``."""
    path = folder / "tick.db"
    with section(f"2. set-up: {sizes.due:,} real cases, filler to {sizes.timers:,} timers"):
        began = time.perf_counter()
        expected = create_due_cases(path, sizes.due)
        created = time.perf_counter() - began
        began = time.perf_counter()
        filler = insert_filler(path, sizes.timers)
        print(
            f"  {sizes.due:,} cases opened (5 commands each) in {created:.1f} s (synchronous=off); "
            f"{filler:,} filler timers bulk-inserted in {time.perf_counter() - began:.1f} s"
        )
    return path, expected


def _open_desk(path: Path, synchronous: str) -> ServiceDesk:
    """A desk on ``path`` as a tick worker opens it, at ``TICK_AT``."""
    query = "" if synchronous == "full" else f"?synchronous={synchronous}"
    return ServiceDesk.open(
        f"sqlite:///{path}{query}",
        policy=sla_policy(),
        clock=ManualClock(TICK_AT),
        entry_points=False,
    )


def lookup_times(desk: ServiceDesk, path: Path, sizes: Sizes) -> tuple[float, float]:
    """Best seconds of ``store.due_timers`` and of the raw SELECT, interleaved rounds."""
    now = TICK_AT.isoformat(timespec="microseconds")
    raw_db = _connect(path)
    store = best = float("inf")
    for _ in range(sizes.lookups):
        began = time.perf_counter()
        found = desk.store.due_timers(now, sizes.due)
        store = min(store, time.perf_counter() - began)
        began = time.perf_counter()
        rows = raw_db.execute(RAW_DUE, (now, sizes.due)).fetchall()
        best = min(best, time.perf_counter() - began)
        if len(found) != sizes.due or len(rows) != sizes.due:
            raise RuntimeError(f"expected {sizes.due} due timers, got {len(found)}/{len(rows)}")
    raw_db.close()
    return store, best


def check_tick(
    desk: ServiceDesk, path: Path, fired: list[RecordedEvent], expected: dict[str, str]
) -> tuple[int, int]:
    """Check what a tick fired; return events fired by a second tick and events found stored."""
    got = {r.case_id: r.event.TYPE for r in fired}
    if len(fired) != len(expected) or got != expected:
        raise RuntimeError(f"tick fired {len(fired)} events, expected {len(expected)}")
    again = len(desk.tick(TICK_AT))
    db = _connect(path)
    stored = set(
        db.execute(
            "SELECT stream, seq, type FROM events WHERE type IN (?, ?)", (WARNED, BREACHED)
        ).fetchall()
    )
    total, due = _counts(db, TICK_AT.isoformat(timespec="microseconds"))
    db.close()
    found = sum((r.case_id, r.seq, r.event.TYPE) in stored for r in fired)
    if found != len(stored) or due:
        raise RuntimeError(f"{found} fired of {len(stored)} stored; {due} timers still due")
    for record in fired[:: max(len(fired) // 100, 1)]:
        if desk.history(record.case_id)[-1] != record:
            raise RuntimeError(f"case {record.case_id}: the fired event is not its last")
    print(f"  after the tick: {total:,} timers, none due; 2nd tick fired {again}")
    return again, found


def _tick_once(
    file: Path, synchronous: str, sizes: Sizes, expected: dict[str, str], profile: bool
) -> tuple[float, float, float, int, int]:
    """Lookup timings, one timed (or profiled) tick and its checks, on a fresh desk."""
    with _open_desk(file, synchronous) as desk:
        db = _connect(file)
        total, due = _counts(db, TICK_AT.isoformat(timespec="microseconds"))
        db.close()
        if due != sizes.due or total < sizes.timers:
            raise RuntimeError(f"store holds {total:,} timers, {due:,} due; expected {sizes.due:,}")
        store, raw = lookup_times(desk, file, sizes)
        profiler = cProfile.Profile() if profile else None
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        fired = desk.tick(TICK_AT)
        if profiler is not None:
            profiler.disable()
        tick = time.perf_counter() - began
        again, found = check_tick(desk, file, fired, expected)
    if profiler is not None:
        print(f"  profiled tick: {tick:.2f} s (profiler overhead included)")
        stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(30)
    return store, raw, tick, again, found


def tick_rows(sizes: Sizes, *, profile: bool = False) -> list[Row]:
    """Figure 2: due-timer lookup and a full tick among ``sizes.timers``, against a raw SELECT."""
    rows: list[Row] = []
    scaled = "" if sizes.due == 10_000 else " (0.2 s/10k, scaled)"
    limit = TICK_TARGET_S * sizes.due / 10_000
    label = f"{sizes.due:,} due of {sizes.timers:,}"
    modes = ("full",) if profile else ("full", "normal")
    with tempfile.TemporaryDirectory(prefix="sf-bench-sla-") as tmp:
        path, expected = prepare_store(Path(tmp), sizes)
        files = {"full": path}
        for synchronous in modes[1:]:  # each mode ticks its own copy of the same store
            files[synchronous] = path.with_name(f"tick-{synchronous}.db")
            shutil.copyfile(path, files[synchronous])
        for synchronous, file in files.items():
            with section(f"2. tick at synchronous={synchronous}: {label} timers"):
                store, raw, tick, again, found = _tick_once(
                    file, synchronous, sizes, expected, profile
                )
            if synchronous == "full":
                rows.append(
                    Row(
                        f"2a: store.due_timers, {label}",
                        f"{store * 1e3:.1f} ms",
                        f"raw SELECT {raw * 1e3:.1f} ms",
                        f"{store / raw:.2f}x",
                        f"≤ {limit:g} s{scaled}",
                        _met(store, limit),
                    )
                )
            rows.append(
                Row(
                    f"2b: desk.tick, {label}, sync={synchronous}",
                    f"{tick:.2f} s ({tick / sizes.due * 1e6:,.0f} µs/due case)",
                    f"raw SELECT {raw * 1e3:.1f} ms",
                    f"{tick / raw:,.0f}x",
                    f"≤ {limit:g} s{scaled}",
                    _met(tick, limit),
                )
            )
            rows.append(
                Row(
                    f"2c: checks after the tick, sync={synchronous}",
                    f"{found:,} fired events stored; 2nd tick {again}",
                    "",
                    "",
                    f"{sizes.due:,} stored; 0",
                    "yes" if found == sizes.due and again == 0 else "NO",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    """Parse arguments; run both figures and print the table (or profile one tick)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (≈5 s)")
    parser.add_argument(
        "--profile", action="store_true", help="only figure 2: cProfile one tick (sync=full)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(machine("SLA"))
    began = time.perf_counter()
    if args.profile:
        tick_rows(sizes, profile=True)
        return
    rows = redue_rows(sizes)
    gc.collect()
    rows += tick_rows(sizes)
    print(f"\nwhole run {time.perf_counter() - began:.0f} s\n")
    print_table(rows)


if __name__ == "__main__":
    main()
