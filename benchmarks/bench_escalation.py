"""Benchmark ``desk.tick`` on SQLite with escalation rules active, against the same tick without.

The store holds 100,000 open cases (10,000 with ``--quick``), all submitted on Monday at
09:00 Paris and worked on a Paris business calendar. 8 % of them (8,000) have exactly one
timer due at the tick (10:30 Paris):

- 72 %: email cases whose resolution clock passed its 50 % warning (no rule names it);
- 12 %: phone cases never acknowledged: first response breached (no rule);
- 8 %: escalated to the technical tier, never accepted: acceptance breached (no rule);
- 4 %: chat cases whose 30-minute resolution target breached: a rule escalates them to
  the technical tier;
- 4 %: escalations accepted by the technical tier whose client update (every hour) is
  overdue: a rule escalates them to management.

So 8 % of the due timers are breaches a rule escalates. The other 92,000 cases are a
backlog whose clocks are not due: in progress (70 %), waiting on the client (20 %), or
escalated to management and awaiting acceptance (10 %).

The figure is measured at ``synchronous=full`` (the store's default) and ``=normal``.
Building: one template case of each kind is created through a desk; the 100,000 cases are
copies of them with fresh ids and re-computed hash chains, bulk-inserted with ``sqlite3``
(events, projection rows and timers as the desk wrote them; the outbox is left empty).
Each tick runs once on its own copy of that file, the two kinds interleaved, best of the
rounds (3, or 2 with ``--quick``); every tick is checked afterwards.
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from report import Row, machine, print_table, section

from serviceflow import ManualClock, Policy, ServiceDesk, load_policy
from serviceflow.core._ids import new_case_id
from serviceflow.desk._tick import RecordedEvent
from serviceflow.domain._serialization import GENESIS, chain_hash

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOURS = ["09:00-12:30", "13:30-18:00"]
CREATED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""Monday 09:00 in Paris: every case is submitted (and worked on) then."""
TICK_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
"""10:30 in Paris: 90 business minutes later."""
RATIO_TARGET = 0.5
"""Throughput with the rules active, as a fraction of the throughput without them."""
BREACHED, WARNED = "case.sla_breached", "case.sla_warned"

DUE_MIX = (
    ("warning", 18),  # email: resolution 2 h, warned at 50 %
    ("first_response", 3),  # phone: never acknowledged, first response 1 h
    ("acceptance", 2),  # escalated, nobody accepted within 1 h
    ("resolution", 1),  # chat: resolution 30 min breached -> the rule escalates
    ("update", 1),  # accepted, no client update within 1 h -> the rule escalates
)
"""Due kinds and their weights (out of 25)."""
BACKLOG_MIX = (("in_progress", 7), ("waiting", 2), ("awaiting_management", 1))
"""Kinds of the cases with nothing due, and their weights (out of 10)."""
ESCALATED_BY_RULE = {"resolution": "technical", "update": "management"}
"""The due kinds a rule escalates, and the tier each lands in."""
DUE_EVENT = {
    "warning": WARNED,
    "first_response": BREACHED,
    "acceptance": BREACHED,
    "resolution": BREACHED,
    "update": BREACHED,
}


@dataclass(frozen=True)
class Sizes:
    """How much work the benchmark does; ``--quick`` shrinks it."""

    cases: int
    due: int
    rounds: int


FULL = Sizes(100_000, 8_000, 3)
QUICK = Sizes(10_000, 800, 2)


def policy(*, rules: bool) -> Policy:
    """Paris hours; SLA levels by channel; three tiers; the two breach rules (or none)."""
    paris = {"zone": "Europe/Paris", "week": dict.fromkeys(WORKDAYS, HOURS), "country": "FR"}
    tiers: list[dict[str, Any]] = [
        {"name": "frontline", "level": 1, "teams": ["front"], "calendar": "paris"},
        {
            "name": "technical",
            "level": 2,
            "teams": ["tech"],
            "calendar": "paris",
            "acknowledge_within": "1h",
            "update_every": "1h",
            "handoff_within": "16h",
            "warnings": [],
        },
        {
            "name": "management",
            "level": 3,
            "teams": ["mgmt"],
            "calendar": "paris",
            "acknowledge_within": "4h",
            "warnings": [],
        },
    ]
    escalation: dict[str, Any] = {"process_owner": "agent:olga", "tiers": tiers}
    if rules:
        escalation["rules"] = [
            {"on": "sla_breach", "metric": "resolution", "to": "next"},
            {"on": "sla_breach", "metric": "escalation_update", "to": "next"},
        ]
    level = {"calendar": "paris"}
    return load_policy(
        {
            "calendars": {"paris": paris},
            "agents": [
                {"id": "agent:ann", "teams": ["front"]},
                {"id": "agent:tom", "teams": ["tech"]},
                {"id": "agent:max", "teams": ["mgmt"]},
            ],
            "sla": [
                {
                    **level,
                    "name": "chat",
                    "when": {"channel": ["chat"]},
                    "targets": {"resolution": {"within": "30m", "warnings": []}},
                },
                {
                    **level,
                    "name": "email",
                    "when": {"channel": ["email"]},
                    "targets": {"resolution": {"within": "2h", "warnings": [0.5]}},
                },
                {
                    **level,
                    "name": "phone",
                    "when": {"channel": ["phone"]},
                    "targets": {
                        "first_response": {"within": "1h", "warnings": []},
                        "resolution": {"within": "16h", "warnings": [0.9]},
                    },
                },
                {
                    **level,
                    "name": "standard",
                    "targets": {
                        "first_response": {"within": "4h"},
                        "resolution": {"within": "40h", "warnings": [0.5, 0.75, 0.9]},
                    },
                },
            ],
            "escalation": escalation,
        }
    )


# --- building the store -------------------------------------------------------------------


CHANNEL = {"warning": "email", "first_response": "phone", "resolution": "chat"}
"""The channel of each kind (web for the rest)."""


def create_template(desk: ServiceDesk, kind: str) -> str:
    """One case of ``kind``, worked on at ``CREATED`` as the module doc says."""
    case = desk.submit(
        requester="acme/jane.doe@acme.test",
        channel=CHANNEL.get(kind, "web"),
        subject="Invoice export fails with error E-42",
        description="Since this morning every export of the March invoices stops at 40 %.",
    )
    desk.classify(case.id, by="agent:ann", category="functional", kind="incident")
    desk.prioritize(case.id, by="agent:ann", impact="medium", urgency="high")
    desk.assign(case.id, to="agent:ann", by="agent:ann")
    if kind != "first_response":
        desk.acknowledge(case.id, by="agent:ann", message="Hello Jane, we are looking into it.")
    if kind in ("acceptance", "update"):
        desk.escalate(case.id, by="agent:ann", reason="the export service needs an engineer")
    if kind == "update":
        desk.accept_escalation(case.id, by="agent:tom", timeline=CREATED + timedelta(days=3))
    if kind == "awaiting_management":
        desk.escalate(case.id, by="agent:ann", reason="contract question", to="management")
    if kind == "waiting":
        desk.request_info(case.id, by="agent:ann", message="Which export format do you use?")
    return case.id


@dataclass(frozen=True)
class Template:
    """A template case's stored rows, to be copied under new ids."""

    kind: str
    case_id: str
    events: list[tuple[str, int, str, str, str]]
    row: tuple[Any, ...]
    timers: list[tuple[str, int, str, str, int]]


def read_template(db: sqlite3.Connection, kind: str, case_id: str) -> Template:
    """The rows the desk wrote for ``case_id``."""
    events = db.execute(
        "SELECT stream, seq, type, at, data FROM events WHERE stream = ? ORDER BY seq", (case_id,)
    ).fetchall()
    row = db.execute(
        "SELECT id, state, version, head, requester, channel, priority, category, assignee, "
        "submitted_at, updated_at, data FROM cases WHERE id = ?",
        (case_id,),
    ).fetchone()
    timers = db.execute(
        "SELECT metric, cycle, kind, due_at, version FROM timers WHERE case_id = ?", (case_id,)
    ).fetchall()
    return Template(kind, case_id, events, row, timers)


def kinds(sizes: Sizes, rng: random.Random) -> list[str]:
    """The kind of every case: ``sizes.due`` due ones in the due mix, the rest backlog."""
    due = [k for k, w in DUE_MIX for _ in range(w)]
    backlog = [k for k, w in BACKLOG_MIX for _ in range(w)]
    out = [due[n % len(due)] for n in range(sizes.due)]
    out += [backlog[n % len(backlog)] for n in range(sizes.cases - sizes.due)]
    rng.shuffle(out)
    return out


def copies(
    templates: dict[str, Template], plan: list[str]
) -> Iterator[tuple[str, Template, list[tuple[Any, ...]], tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Each planned case as rows: its events re-chained under a new id, its row, its timers."""
    for kind in plan:
        template = templates[kind]
        new = new_case_id(CREATED)
        old = template.case_id
        prev = GENESIS
        events = []
        for _, seq, type_, at, stored in template.events:
            data = stored.replace(old, new)
            digest = chain_hash(prev, new, seq, data)
            events.append((new, seq, type_, at, data, prev, digest))
            prev = digest
        row = (
            new,
            *template.row[1:3],
            prev,
            *template.row[4:11],
            template.row[11].replace(old, new),
        )
        timers = [(new, *t) for t in template.timers]
        yield new, template, events, row, timers


def build_store(path: Path, sizes: Sizes) -> dict[str, str]:
    """The benchmark's store at ``path``; returns the kind of every case by id."""
    clock = ManualClock(CREATED)
    ids: dict[str, str] = {}
    url = f"sqlite:///{path}?synchronous=off"
    with ServiceDesk.open(url, policy=policy(rules=True), clock=clock, entry_points=False) as desk:
        for kind, _ in (*DUE_MIX, *BACKLOG_MIX):
            ids[kind] = create_template(desk, kind)
    db = _connect(path)
    templates = {kind: read_template(db, kind, case_id) for kind, case_id in ids.items()}
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    db.executemany("DELETE FROM events WHERE stream = ?", [(i,) for i in ids.values()])
    db.executemany("DELETE FROM cases WHERE id = ?", [(i,) for i in ids.values()])
    db.executemany("DELETE FROM timers WHERE case_id = ?", [(i,) for i in ids.values()])
    db.execute("DELETE FROM outbox")
    kind_of: dict[str, str] = {}
    batch_events: list[tuple[Any, ...]] = []
    batch_rows: list[tuple[Any, ...]] = []
    batch_timers: list[tuple[Any, ...]] = []

    def flush() -> None:
        db.executemany(
            "INSERT INTO events (stream, seq, type, at, data, prev, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch_events,
        )
        db.executemany(
            "INSERT INTO cases (id, state, version, head, requester, channel, priority, "
            "category, assignee, submitted_at, updated_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch_rows,
        )
        db.executemany(
            "INSERT INTO timers (case_id, metric, cycle, kind, due_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            batch_timers,
        )
        batch_events.clear()
        batch_rows.clear()
        batch_timers.clear()

    for new, template, events, row, timers in copies(templates, kinds(sizes, random.Random(7))):
        kind_of[new] = template.kind
        batch_events += events
        batch_rows.append(row)
        batch_timers += timers
        if len(batch_rows) >= 10_000:
            flush()
    flush()
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return kind_of


def _connect(path: Path) -> sqlite3.Connection:
    """A connection set up like ``SQLiteStore``: autocommit, WAL."""
    db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    return db


def _due(path: Path) -> tuple[int, int, int]:
    """Open cases, timers, and timers due at the tick."""
    db = _connect(path)
    cases = int(db.execute("SELECT COUNT(*) FROM cases").fetchone()[0])
    timers = int(db.execute("SELECT COUNT(*) FROM timers").fetchone()[0])
    now = TICK_AT.isoformat(timespec="microseconds")
    due = int(db.execute("SELECT COUNT(*) FROM timers WHERE due_at <= ?", (now,)).fetchone()[0])
    db.close()
    return cases, timers, due


# --- the ticks ------------------------------------------------------------------------------


def tick_once(path: Path, synchronous: str, *, rules: bool, kind_of: dict[str, str]) -> float:
    """Seconds of one ``desk.tick`` on ``path`` (a fresh copy), then its checks."""
    query = "" if synchronous == "full" else f"?synchronous={synchronous}"
    with ServiceDesk.open(
        f"sqlite:///{path}{query}",
        policy=policy(rules=rules),
        clock=ManualClock(TICK_AT),
        entry_points=False,
    ) as desk:
        gc.collect()
        began = time.perf_counter()
        fired = desk.tick(TICK_AT)
        seconds = time.perf_counter() - began
        check(desk, fired, kind_of, rules=rules)
    return seconds


def check(
    desk: ServiceDesk, fired: list[RecordedEvent], kind_of: dict[str, str], *, rules: bool
) -> None:
    """Every due case fired its one event; the rule's cases (only) moved tier; no second fire."""
    expected = {case_id: DUE_EVENT[k] for case_id, k in kind_of.items() if k in DUE_EVENT}
    got = {r.case_id: r.event.TYPE for r in fired}
    if len(fired) != len(expected) or got != expected:
        raise RuntimeError(f"tick fired {len(fired)} events, expected {len(expected)}")
    moved = 0
    for case_id, kind in list(kind_of.items())[:: max(len(kind_of) // 2_000, 1)]:
        case = desk.case(case_id)
        tier = case.escalation.tier if case.escalation is not None else "frontline"
        want = ESCALATED_BY_RULE.get(kind) if rules else None
        if want is not None:
            moved += 1
        elif kind in ("acceptance", "update"):
            want = "technical"
        elif kind == "awaiting_management":
            want = "management"
        if tier != (want or "frontline"):
            raise RuntimeError(f"case {case_id} ({kind}) is in {tier}, expected {want}")
    if rules and not moved:
        raise RuntimeError("the sample held no case a rule escalates")
    again = desk.tick(TICK_AT)
    if again:
        raise RuntimeError(f"a second tick fired {len(again)} events")


def _timed_rounds(
    folder: Path, master: Path, synchronous: str, sizes: Sizes, kind_of: dict[str, str]
) -> tuple[float, float]:
    """Best seconds of the tick without and with rules, interleaved, each on a fresh copy."""
    best = {False: float("inf"), True: float("inf")}
    for n in range(sizes.rounds):
        for rules in (False, True):
            copy = folder / f"tick-{n}-{'rules' if rules else 'none'}.db"
            shutil.copyfile(master, copy)
            label = "with the rules" if rules else "without rules"
            with section(f"synchronous={synchronous}, round {n + 1}: tick {label}"):
                seconds = tick_once(copy, synchronous, rules=rules, kind_of=kind_of)
                print(f"  {seconds:.2f} s ({sizes.due / seconds:,.0f} due cases/s)")
            best[rules] = min(best[rules], seconds)
            copy.unlink()
    return best[False], best[True]


def rows(sizes: Sizes) -> list[Row]:
    """The figure: tick throughput with the rules active, against the same tick without,
    at ``synchronous=full`` (the default) and ``=normal``."""
    escalated = sizes.due * sum(w for k, w in DUE_MIX if k in ESCALATED_BY_RULE) // 25
    figures: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sf-bench-escalation-") as tmp:
        folder = Path(tmp)
        master = folder / "master.db"
        with section(f"set-up: {sizes.cases:,} open cases, {sizes.due:,} with a timer due"):
            kind_of = build_store(master, sizes)
            cases, timers, due = _due(master)
            size = master.stat().st_size / 1e6
            print(f"  {cases:,} cases, {timers:,} timers, {due:,} due; file {size:,.0f} MB")
        if cases != sizes.cases or due != sizes.due:
            raise RuntimeError(f"expected {sizes.cases:,} cases and {sizes.due:,} due timers")
        for synchronous in ("full", "normal"):
            plain, ruled = _timed_rounds(folder, master, synchronous, sizes, kind_of)
            ratio = plain / ruled  # throughput with rules / throughput without
            extra = (ruled - plain) / escalated * 1e3
            figures.append(
                Row(
                    f"tick, {sizes.due:,} due of {sizes.cases:,} open cases, rules active "
                    f"({escalated:,} escalated), sync={synchronous}",
                    f"{sizes.due / ruled:,.0f} due cases/s ({ruled:.2f} s; "
                    f"+{extra:.2f} ms per escalation)",
                    f"no rules {sizes.due / plain:,.0f} /s ({plain:.2f} s)",
                    f"{ratio:.3f}x",
                    f"≥ {RATIO_TARGET}x",
                    "yes" if ratio >= RATIO_TARGET else "NO",
                )
            )
    return figures


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run the figure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cases, 800 due (≈10 s)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    print(machine("escalation"))
    # the no-rules policy is new to each copy: the desk's notice about stored timers is moot
    logging.getLogger("serviceflow.desk").setLevel(logging.ERROR)
    began = time.perf_counter()
    figures = rows(sizes)
    print(f"\nwhole run {time.perf_counter() - began:.0f} s\n")
    print_table(figures)


if __name__ == "__main__":
    main()
