"""Benchmark desk commands and RSS against same-run baselines: ratios survive noisy machines."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from report import Row, machine, print_table, section

from serviceflow import Case, ManualClock, ServiceDesk, default_policy
from serviceflow.backends._sqlite_schema import SCHEMA_4
from serviceflow.rules._lifecycle import CLOSED, MACHINE, STATES, Subject

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
TRIGGERS = (
    "classify",
    "prioritize",
    "assign",
    "acknowledge",
    "request_info",
    "client_reply",
    "resolve",
    "validate",
    "confirm",
    "close",
)
"""The triggers one full case lifecycle fires (confirm of a validated case fires close)."""
COMMANDS_PER_CASE = 10
RATIO_TARGET = 0.5
RSS_TARGET_MB = 50.0
MB = 1024 * 1024
_FILES = itertools.count()


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does; ``--quick`` shrinks everything."""

    rounds: int
    trigger_cycles: int
    memory_cases: int
    sqlite_cases: int
    rss_small: int
    rss_large: int
    rss_workload: int
    rss_verify: int
    sqlite_round_s: float


FULL = Sizes(3, 30_000, 3_000, 1_500, 1_000, 100_000, 5_000, 200, 2.0)
QUICK = Sizes(3, 10_000, 1_000, 500, 1_000, 10_000, 2_000, 50, 0.5)


# --- lifecycle driven through the desk ------------------------------------------------------


def _step(desk: ServiceDesk, case_id: str, index: int) -> None:
    """Run command ``index`` (0 = submit … 9 = confirm, which closes) of the full lifecycle."""
    if index == 0:
        desk.submit(
            requester="acme/jane.doe@acme.test",
            channel="email",
            subject="Printer on floor 3 keeps jamming",
            description="Since this morning the printer shows error E-42 after every page.",
            case_id=case_id,
        )
    elif index == 1:
        desk.classify(case_id, by="agent:ann", category="functional", kind="incident")
    elif index == 2:
        desk.prioritize(case_id, by="agent:ann", impact="medium", urgency="high")
    elif index == 3:
        desk.assign(case_id, to="agent:bob", by="agent:ann")
    elif index == 4:
        desk.acknowledge(case_id, by="agent:bob", message="Hello Jane, we are looking into it now.")
    elif index == 5:
        desk.request_info(case_id, by="agent:bob", message="Which printer model is it, exactly?")
    elif index == 6:
        desk.client_replied(case_id, message="It is the HP LaserJet 4000 next to the kitchen.")
    elif index == 7:
        desk.resolve(
            case_id, by="agent:bob", resolution="Cleared the paper path, reset the tray sensor."
        )
    elif index == 8:
        desk.validate(case_id, by="agent:qa", note="Checked on site")
    elif index == 9:
        desk.confirm(case_id, comment="Works again, thanks!")
    else:
        raise ValueError(f"no lifecycle step {index}")


def _full_case(desk: ServiceDesk) -> None:
    """Submit one case (fresh random id) and take it through all ten commands to closure."""
    case = desk.submit(
        requester="acme/jane.doe@acme.test",
        channel="email",
        subject="Printer on floor 3 keeps jamming",
        description="Since this morning the printer shows error E-42 after every page.",
    )
    for index in range(1, COMMANDS_PER_CASE):
        _step(desk, case.id, index)


def _desk(url: str, clock: ManualClock | None = None) -> ServiceDesk:
    """A desk without entry-point plugins, on a manual clock, so runs are reproducible."""
    return ServiceDesk.open(url, clock=clock or ManualClock(START), entry_points=False)


def _best_rate(rounds: int, work: int, run: Callable[[], None]) -> float:
    """Operations per second of the fastest of ``rounds`` timed calls of ``run``."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return work / best


# --- 1. baseline A: bare transitions triggers ---------------------------------------------


def _trigger_subject() -> Subject:
    """A subject whose case passes every guard: acknowledged, unconfirmed, long resolved."""
    policy = default_policy()
    case = Case(
        id="0000000000BASEA",
        state="intake",
        version=1,
        requester="acme/jane.doe@acme.test",
        channel="email",
        subject="Printer on floor 3 keeps jamming",
        description="",
        tier=policy.default_tier,
        submitted_at=START,
        updated_at=START,
        policy=policy.version,
        acknowledged_at=START,
        resolved_at=START,
    )
    now = START + policy.lifecycle.auto_confirm_after + timedelta(hours=1)
    return Subject(case, policy, now)


def _trigger_cycles(cycles: int) -> Callable[[], None]:
    """Fire the lifecycle's ten triggers ``cycles`` times via ``MACHINE.events[name].trigger``."""
    events = [MACHINE.events[name] for name in TRIGGERS]
    subject = _trigger_subject()

    def run() -> None:
        for _ in range(cycles):
            subject.state = "intake"
            for event in events:
                if not event.trigger(subject):
                    raise RuntimeError(f"{event.name} refused in {subject.state}")
        if subject.state != CLOSED:
            raise RuntimeError(f"lifecycle ended in {subject.state}, not {CLOSED}")

    return run


# --- 2. memory store -----------------------------------------------------------------------


def _memory_cases(cases: int) -> Callable[[], None]:
    """Run ``cases`` full lifecycles on a fresh ``memory://`` desk."""

    def run() -> None:
        desk = _desk("memory://")
        for _ in range(cases):
            _full_case(desk)
        desk.close()

    return run


# --- 3. SQLite: desk vs raw inserts --------------------------------------------------------


def _events_ddl() -> str:
    """The store's own ``CREATE TABLE events`` statement, read from its schema at runtime."""
    for statement in SCHEMA_4.split(";"):
        text = statement.strip()
        if text.startswith("CREATE TABLE IF NOT EXISTS events"):
            return text
    raise RuntimeError("serviceflow.backends._sqlite_schema.SCHEMA_4 has no events table")


def _raw_rows(count: int) -> list[tuple[str, int, str, str, str, str, str]]:
    """Realistic event rows: 10-event streams, canonical JSON of ~150-250 bytes, chained sha256."""
    messages = (
        "Hello Jane, we are looking into it now.",
        "Which printer model is it, exactly?",
        "It is the HP LaserJet 4000 next to the kitchen.",
        "Cleared the paper path and reset the tray sensor; please try again.",
    )
    rows: list[tuple[str, int, str, str, str, str, str]] = []
    prev = "0" * 64
    for n in range(count):
        stream, seq = f"RAW{n // COMMANDS_PER_CASE:013d}", n % COMMANDS_PER_CASE + 1
        if seq == 1:
            prev = "0" * 64
        kind = f"case.{TRIGGERS[seq - 1]}"
        at = (START + timedelta(seconds=n)).isoformat()
        document = {
            "at": at,
            "by": "agent:bob",
            "message": messages[n % len(messages)],
            "policy": "c3fd53d606cb022b",
            "type": kind,
            "v": 1,
        }
        data = json.dumps(document, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(f"{prev}\n{stream}\n{seq}\n{data}".encode()).hexdigest()
        rows.append((stream, seq, kind, at, data, prev, digest))
        prev = digest
    return rows


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """A connection set up like ``SQLiteStore``: autocommit, WAL, the given synchronous mode."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    return db


def _raw_inserts(
    folder: Path, synchronous: str, rows: list[tuple[str, int, str, str, str, str, str]]
) -> Callable[[], None]:
    """Insert ``rows`` one per ``BEGIN IMMEDIATE … COMMIT`` into a fresh events table."""
    ddl = _events_ddl()
    insert = (
        "INSERT INTO events (stream, seq, type, at, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )

    def run() -> None:
        db = _connect(folder / f"raw-{synchronous}-{next(_FILES)}.db", synchronous)
        db.execute(ddl)
        for row in rows:
            db.execute("BEGIN IMMEDIATE")
            db.execute(insert, row)
            db.execute("COMMIT")
        db.close()

    return run


def _sqlite_cases(folder: Path, synchronous: str, cases: int) -> Callable[[], None]:
    """Run ``cases`` full lifecycles on a fresh SQLite desk with the given synchronous mode."""

    def run() -> None:
        path = folder / f"desk-{synchronous}-{next(_FILES)}.db"
        query = "" if synchronous == "full" else f"?synchronous={synchronous}"
        desk = _desk(f"sqlite:///{path}{query}")
        for _ in range(cases):
            _full_case(desk)
        desk.close()

    return run


def _calibrated_cases(folder: Path, synchronous: str, sizes: Sizes) -> int:
    """Cases per SQLite round so a round lasts about ``sqlite_round_s`` on this disk today."""
    probe = 20
    rate = _best_rate(1, probe, _sqlite_cases(folder, synchronous, probe))
    return max(probe, min(sizes.sqlite_cases, int(rate * sizes.sqlite_round_s)))


def _interleaved(
    rounds: int, first: tuple[int, Callable[[], None]], second: tuple[int, Callable[[], None]]
) -> tuple[float, float]:
    """Best rates of two workloads, alternating rounds so drift hits both alike."""
    first_rate = second_rate = 0.0
    for _ in range(rounds):
        first_rate = max(first_rate, _best_rate(1, *first))
        second_rate = max(second_rate, _best_rate(1, *second))
    return first_rate, second_rate


# --- 4. RSS flatness -----------------------------------------------------------------------


def _case_id(n: int) -> str:
    """A deterministic id, so the workload picks cases without holding a list of ids."""
    return f"BENCH{n:011d}"


def _peak_rss() -> int:
    """Peak RSS of this process in bytes (VmHWM, which exec resets; else ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _current_rss() -> int:
    """Current RSS of this process in bytes."""
    return int(psutil.Process().memory_info().rss)


def _advance(desk: ServiceDesk, rng: random.Random, case_id: str) -> None:
    """One valid next command for the case, whatever its state (closed cases are reopened)."""
    state = desk.case(case_id).state
    if state == "in_progress":
        if rng.random() < 0.5:
            _step(desk, case_id, 5)
        else:
            _step(desk, case_id, 7)
    elif state == CLOSED:
        desk.reopen(case_id, by="client:jane.doe@acme.test", reason="It jams again.")
    else:
        index = {
            "intake": 1,
            "classified": 2,
            "prioritized": 3,
            "assigned": 4,
            "waiting_on_client": 6,
            "resolved": 8,
            "validated": 9,
        }[state]
        _step(desk, case_id, index)


def rss_child(cases: int, path: Path, workload: int, verify: int) -> dict[str, float]:
    """Bulk-load cases (n % 10 + 1 commands, sync off), run the workload (sync normal), get RSS."""
    clock = ManualClock(START)
    began = time.perf_counter()
    with _desk(f"sqlite:///{path}?synchronous=off", clock) as desk:
        for n in range(cases):
            clock.advance(seconds=1)
            case_id = _case_id(n)
            for index in range(n % COMMANDS_PER_CASE + 1):
                _step(desk, case_id, index)
    loaded = time.perf_counter()
    rss_loaded = _current_rss()
    rng = random.Random(20240101)
    listed = problems = 0
    with _desk(f"sqlite:///{path}?synchronous=normal", clock) as desk:
        for _ in range(workload):
            _advance(desk, rng, _case_id(rng.randrange(cases)))
        for state in STATES:
            listed += sum(1 for _ in desk.cases(state=state))
        for _ in range(verify):
            problems += len(desk.verify(_case_id(rng.randrange(cases))).problems)
    if listed != cases:
        raise RuntimeError(f"listed {listed} cases, stored {cases}")
    if problems:
        raise RuntimeError(f"verify found {problems} problems")
    return {
        "cases": cases,
        "load_s": loaded - began,
        "workload_s": time.perf_counter() - loaded,
        "rss_loaded": rss_loaded,
        "rss_end": _current_rss(),
        "peak_rss": _peak_rss(),
    }


def _run_child(cases: int, folder: Path, sizes: Sizes) -> dict[str, float]:
    """Run ``rss_child`` in a fresh interpreter and read back its JSON line."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--rss-child",
        str(cases),
        str(folder / f"rss-{cases}.db"),
        "--workload",
        str(sizes.rss_workload),
        "--verify",
        str(sizes.rss_verify),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"RSS child for {cases} cases failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the run -------------------------------------------------------------------------------


def _ratio_row(figure: str, value: float, baseline: str, base: float, unit: str) -> Row:
    """A table row for a rate judged by its ratio to a same-run baseline."""
    ratio = value / base
    return Row(
        figure,
        f"{value:,.0f} {unit}",
        baseline.format(base),
        f"{ratio:.2f}x",
        f"≥ {RATIO_TARGET}x",
        "yes" if ratio >= RATIO_TARGET else "NO",
    )


def main_run(sizes: Sizes) -> None:
    """Measure every figure with its baseline and print the table."""
    rows: list[Row] = []
    print(machine("engine"))
    with section("1+2. transitions triggers vs desk commands on memory://"):
        triggers = len(TRIGGERS) * sizes.trigger_cycles
        commands = COMMANDS_PER_CASE * sizes.memory_cases
        _trigger_cycles(sizes.trigger_cycles // 10)()
        _memory_cases(sizes.memory_cases // 10)()
        base_a, memory = _interleaved(
            sizes.rounds,
            (triggers, _trigger_cycles(sizes.trigger_cycles)),
            (commands, _memory_cases(sizes.memory_cases)),
        )
    rows.append(Row("A: transitions triggers/s (baseline)", f"{base_a:,.0f} /s", "", "", "", ""))
    rows.append(_ratio_row("desk commands/s, memory://", memory, "A {:,.0f} /s", base_a, "/s"))
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        folder = Path(tmp)
        for synchronous in ("full", "normal"):
            with section(f"3. sqlite synchronous={synchronous}: raw inserts vs desk commands"):
                cases = _calibrated_cases(folder, synchronous, sizes)
                commands = COMMANDS_PER_CASE * cases
                raw = _raw_rows(commands)
                lengths = sorted(len(r[4]) for r in raw)
                print(
                    f"  {cases:,} cases = {commands:,} commands vs {commands:,} raw rows "
                    f"(JSON {lengths[0]}-{lengths[-1]} bytes, two 64-hex hashes) per round"
                )
                base_b, desk_rate = _interleaved(
                    sizes.rounds,
                    (commands, _raw_inserts(folder, synchronous, raw)),
                    (commands, _sqlite_cases(folder, synchronous, cases)),
                )
            rows.append(
                Row(
                    f"B: raw insert txns/s, sync={synchronous}", f"{base_b:,.0f} /s", "", "", "", ""
                )
            )
            rows.append(
                _ratio_row(
                    f"desk commands/s, sqlite sync={synchronous}",
                    desk_rate,
                    "B {:,.0f} /s",
                    base_b,
                    "/s",
                )
            )
        results: dict[int, dict[str, float]] = {}
        for cases in (sizes.rss_small, sizes.rss_large):
            with section(
                f"4. RSS child: {cases:,} cases (bulk load synchronous=off), "
                f"then {sizes.rss_workload:,} commands at synchronous=normal, full listing, "
                f"{sizes.rss_verify} verifies"
            ):
                results[cases] = _run_child(cases, folder, sizes)
                got = results[cases]
                print(
                    f"  load {got['load_s']:.1f} s, workload {got['workload_s']:.1f} s, "
                    f"RSS after load {got['rss_loaded'] / MB:.1f} MB, "
                    f"at end {got['rss_end'] / MB:.1f} MB, peak {got['peak_rss'] / MB:.1f} MB"
                )
    small = results[sizes.rss_small]["peak_rss"] / MB
    large = results[sizes.rss_large]["peak_rss"] / MB
    rows.append(
        Row(
            f"peak RSS, {sizes.rss_large:,} sqlite cases",
            f"{large:.1f} MB",
            f"{sizes.rss_small:,} cases {small:.1f} MB",
            f"{large - small:+.1f} MB",
            f"within {RSS_TARGET_MB:.0f} MB",
            "yes" if abs(large - small) <= RSS_TARGET_MB else "NO",
        )
    )
    print()
    print_table(rows)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments; run the benchmark, or one RSS child when ``--rss-child`` is given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (≈30 s)")
    parser.add_argument(
        "--rss-child", nargs=2, metavar=("N", "FILE"), help="internal: one RSS measurement"
    )
    parser.add_argument("--workload", type=int, default=FULL.rss_workload, help=argparse.SUPPRESS)
    parser.add_argument("--verify", type=int, default=FULL.rss_verify, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        cases, path = int(args.rss_child[0]), Path(args.rss_child[1])
        print(json.dumps(rss_child(cases, path, args.workload, args.verify)))
        return
    main_run(QUICK if args.quick else FULL)


if __name__ == "__main__":
    main()
