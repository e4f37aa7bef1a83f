"""SQLite durability: a process killed with SIGKILL mid-stream loses no command that returned.

What this proves
    The SQLite store commits every command in its own ``BEGIN IMMEDIATE`` transaction in
    WAL mode with ``synchronous = FULL``. So once a desk method has *returned*, its events
    and projection row are in the file, whatever happens to the process next; and a
    process killed half-way through a transaction leaves a file that SQLite recovers to
    the last commit, never a corrupt one.

How
    Each round starts a child interpreter on a fresh database file. The child drives an
    endless, seeded stream of commands (submit, classify, prioritize, assign, acknowledge,
    notes, request_info / client_replied, resolve, validate, confirm) over a few cases at
    once, and after *each* command returns writes ``<case_id> <version>`` to stdout and
    flushes: that line is the acknowledgement. The parent reads lines until a random
    number of acknowledgements (20 to 400), waits a random fraction of a command, and sends
    SIGKILL, so the kill lands anywhere: inside a transaction, between commit and
    acknowledgement, or between commands. Lines already in the pipe are drained: they were
    acknowledged too. Then the parent checks the file:

    * ``PRAGMA integrity_check`` is ``ok``, before and after the desk reopens the file
      (i.e. on the recovered WAL and again on the checkpointed main file);
    * every acknowledged ``(case_id, version)`` is there: the case exists at that version
      or later, with at least that many events in its history;
    * every stored case passes ``desk.verify`` (contiguous stream, hash chain, replay equals
      projection), so a torn transaction cannot leave events without their row or the
      other way round;
    * at most one case is ahead of its last acknowledgement: only the command in flight at
      the kill may have committed unacknowledged (nothing is invented or duplicated).

Why a child process and SIGKILL
    SIGKILL cannot be caught: no ``finally``, no ``atexit``, no ``sqlite3`` close or
    checkpoint runs. It is the harshest crash a process can have short of a power cut
    (which ``synchronous = FULL`` is also meant to survive, but cannot be simulated here).

Knobs: ``SERVICEFLOW_DURABILITY_ROUNDS`` (default 20) sets the number of rounds;
``SERVICEFLOW_DURABILITY_SEED`` fixes the base seed (round ``i`` uses ``base + i``) to
replay a round's workload and kill point (the exact kill instant is timing, not seed).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from serviceflow import NotFound, ServiceDesk
from serviceflow.domain._events import POLICY_LOG

ROUNDS = int(os.environ.get("SERVICEFLOW_DURABILITY_ROUNDS", "20"))
BASE_SEED = int(os.environ.get("SERVICEFLOW_DURABILITY_SEED", str(random.randrange(2**31))))

MIN_ACKS, MAX_ACKS = 20, 400
"""The parent kills the child after a random number of acknowledgements in this range."""

ROUND_TIMEOUT = 30.0
"""Seconds the child gets to start and reach its kill point; more means it is stuck."""

EXIT_TIMEOUT = 10.0
"""Seconds to reap the killed child and drain its stdout."""

_ACK = re.compile(r"(?P<case_id>\S+) (?P<version>[0-9]+)")

_CHILD = r"""
import random
import sys
import time

from serviceflow import ServiceDesk

url, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
CATEGORIES = ("outage", "billing", "access", "functional", "howto")
LEVELS = ("high", "medium", "low")
CHANNELS = ("email", "web", "chat", "phone", "api")
IN_FLIGHT = 3
GIVE_UP = time.monotonic() + 60  # never outlive a parent that forgot us


def lifecycle(desk, n):
    # one case from intake to closure; yields the case after every command
    case = desk.submit(
        requester=f"acme/user{n}@acme.test",
        channel=rng.choice(CHANNELS),
        subject=f"request {n}",
        # some events span several pages and overflow pages, some fit in one
        description="x" * rng.choice((0, 200, 5000, 20000)),
    )
    yield case
    cid = case.id
    yield desk.classify(cid, by="agent:kim", category=rng.choice(CATEGORIES), kind="incident")
    yield desk.prioritize(
        cid, by="agent:kim", impact=rng.choice(LEVELS), urgency=rng.choice(LEVELS)
    )
    yield desk.assign(cid, to="agent:kim", by="lead:ana")
    yield desk.acknowledge(cid, by="agent:kim", message="On it.")
    for i in range(rng.randrange(3)):
        yield desk.note(cid, by="agent:kim", text=f"note {i}")
    if rng.random() < 0.5:
        yield desk.request_info(cid, by="agent:kim", message="Which browser?")
        yield desk.client_replied(cid, message="All of them.")
    yield desk.resolve(cid, by="agent:kim", resolution="Fixed.")
    yield desk.validate(cid, by="qa:lee")
    yield desk.confirm(cid)


out = sys.stdout
with ServiceDesk.open(url, entry_points=False) as desk:
    active = []
    n = 0
    while time.monotonic() < GIVE_UP:
        while len(active) < IN_FLIGHT:
            active.append(lifecycle(desk, n))
            n += 1
        stream = rng.choice(active)
        try:
            case = next(stream)
        except StopIteration:
            active.remove(stream)
            continue
        out.write(f"{case.id} {case.version}\n")
        out.flush()
print("child: ran out of time without being killed", file=sys.stderr)
sys.exit(3)
"""


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and select() on pipes"),
]


@dataclass(frozen=True)
class Ack:
    """One acknowledged command: the case it changed and the version it returned."""

    case_id: str
    version: int


@dataclass(frozen=True)
class Outcome:
    """What a round observed: acknowledgements before and after the kill."""

    target: int
    before_kill: int
    acks: tuple[Ack, ...]


class LineReader:
    """Complete lines from a pipe; every wait has a timeout, so a test cannot hang on it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._pending = b""
        self.eof = False

    def read(self, timeout: float) -> list[str]:
        """The complete lines available within ``timeout`` seconds (none on timeout or EOF)."""
        ready, _, _ = select.select([self._fd], [], [], max(timeout, 0.0))
        if not ready:
            return []
        chunk = os.read(self._fd, 1 << 16)
        if not chunk:
            self.eof = True
            return []
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        return [line.decode("utf-8", "replace") for line in lines]


def _parse(line: str, stderr: Path) -> Ack:
    match = _ACK.fullmatch(line)
    if match is None:
        pytest.fail(f"child wrote {line!r}, not '<case_id> <version>'\n{_stderr(stderr)}")
    return Ack(match["case_id"], int(match["version"]))


def _stderr(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return f"child stderr:\n{text}" if text else "child stderr: (empty)"


def _kill_mid_stream(db: Path, seed: int) -> Outcome:
    """Run the child on ``db`` and SIGKILL it after a random number of acknowledgements."""
    rng = random.Random(seed)
    target = rng.randint(MIN_ACKS, MAX_ACKS)
    errors = db.with_suffix(".stderr")
    command = [sys.executable, "-c", _CHILD, f"sqlite:///{db}", str(seed)]
    acks: list[Ack] = []
    with (
        errors.open("wb") as err,
        subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, cwd=db.parent
        ) as child,
    ):
        try:
            assert child.stdout is not None
            reader = LineReader(child.stdout.fileno())
            deadline = time.monotonic() + ROUND_TIMEOUT
            while len(acks) < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"child made only {len(acks)}/{target} acknowledgements in "
                        f"{ROUND_TIMEOUT:.0f}s: stuck or far too slow\n{_stderr(errors)}"
                    )
                acks.extend(_parse(line, errors) for line in reader.read(left))
                if reader.eof:
                    pytest.fail(
                        f"child exited on its own (code {child.wait(EXIT_TIMEOUT)}) after "
                        f"{len(acks)} acknowledgements\n{_stderr(errors)}"
                    )
            before_kill = len(acks)
            # Land somewhere inside the next command or two rather than just after a flush.
            time.sleep(rng.uniform(0.0, 0.002))
            os.kill(child.pid, signal.SIGKILL)  # not reaped yet, so the pid is still ours
            code = child.wait(EXIT_TIMEOUT)
            if code != -signal.SIGKILL:
                pytest.fail(f"child exited with {code} before the SIGKILL\n{_stderr(errors)}")
            drain_until = time.monotonic() + EXIT_TIMEOUT
            while not reader.eof:
                left = drain_until - time.monotonic()
                if left <= 0:
                    pytest.fail("the killed child's stdout never reached EOF")
                acks.extend(_parse(line, errors) for line in reader.read(left))
        finally:
            if child.returncode is None:
                child.kill()
                child.wait(EXIT_TIMEOUT)
    text = errors.read_text(errors="replace")
    assert not text, f"the child reported an error before it was killed\n{_stderr(errors)}"
    return Outcome(target, before_kill, tuple(acks))


def _integrity(db: Path) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


def _check_store(db: Path, acks: tuple[Ack, ...], where: str) -> set[str]:
    """Assert every acknowledged command survived; return the cases ahead of their last ack."""
    last: dict[str, int] = {}
    for ack in acks:
        assert ack.version > last.get(ack.case_id, 0), f"{where}: child acknowledged out of order"
        last[ack.case_id] = ack.version
    ahead: set[str] = set()
    with ServiceDesk.open(f"sqlite:///{db}", entry_points=False) as desk:
        stored: dict[str, int] = {}
        for case_id in desk.store.streams():
            if case_id == POLICY_LOG:  # the desk's own stream, not a case
                continue
            stored[case_id] = desk.case(case_id).version
            verification = desk.verify(case_id)
            assert verification.ok, f"{where}: case {case_id} fails verify: {verification.problems}"
        for case_id, version in last.items():
            try:
                case = desk.case(case_id)
            except NotFound:
                pytest.fail(f"{where}: acknowledged case {case_id} (version {version}) is lost")
            # Versions acknowledged per case only grow, so the last one covers the others.
            assert case.version >= version, (
                f"{where}: case {case_id} is at version {case.version}, but version "
                f"{version} was acknowledged: a returned command was lost"
            )
            history = desk.history(case_id)
            assert len(history) >= version, (
                f"{where}: case {case_id} has {len(history)} events, {version} were acknowledged"
            )
        ahead = {case_id for case_id, version in stored.items() if version != last.get(case_id, 0)}
    assert len(ahead) <= 1, (
        f"{where}: cases {sorted(ahead)} hold unacknowledged changes; only the one command in "
        "flight at the kill may have committed without its acknowledgement"
    )
    return ahead


@pytest.mark.parametrize("round_", range(ROUNDS), ids=lambda i: f"round-{i:02d}")
def test_sigkill_mid_stream_loses_no_acknowledged_command(tmp_path: Path, round_: int) -> None:
    seed = BASE_SEED + round_
    where = f"seed {seed} (SERVICEFLOW_DURABILITY_SEED={BASE_SEED}, round {round_})"
    db = tmp_path / "desk.db"

    outcome = _kill_mid_stream(db, seed)

    assert _integrity(db) == [("ok",)], f"{where}: integrity_check failed after the kill"
    ahead = _check_store(db, outcome.acks, where)
    assert _integrity(db) == [("ok",)], f"{where}: integrity_check failed after reopening"
    print(
        f"{where}: killed after {outcome.before_kill} acks (target {outcome.target}), "
        f"{len(outcome.acks)} in all, {len({a.case_id for a in outcome.acks})} cases, "
        f"in-flight commit unacknowledged: {bool(ahead)}"
    )
