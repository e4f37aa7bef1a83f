"""Workers: the loop on a manual clock, claims between concurrent desks, and real
``serviceflow worker`` processes (SIGTERM finishes the batch; two workers share a file)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from serviceflow import ManualClock, Notification, Policy, ServiceDesk, hookimpl, load_policy
from serviceflow.backends.memory import MemoryStore
from serviceflow.backends.sqlite import SQLiteStore
from serviceflow.desk._worker import Pass, Worker, redacted, stopping_on_signals
from serviceflow.domain import _events as ev
from serviceflow.domain._serialization import iso
from serviceflow.errors import StoreError, ValidationError
from serviceflow.eventlog._store import CaseRow, Store, StreamWrite, TimerRecord
from serviceflow.plugins._manager import plugin_manager

from ..conftest import START, require

SLA_TOML = """
[[sla]]
name = "all"
[sla.targets.first_response]
within = "15m"
time = "calendar"
[sla.targets.resolution]
within = "1h"
time = "calendar"
"""
"""Every case: a 15-minute first response and a 1-hour resolution, round the clock."""
RESOLUTION = ("warning:0.5", "warning:0.75", "warning:0.9", "breach")
"""The timers of an acknowledged case: the resolution clock's warnings, then its breach."""
LEASE = timedelta(minutes=5)
AFTER_ALL = START + timedelta(hours=2)
"""When every timer of a case acknowledged at START is due."""


def sla_policy() -> Policy:
    return load_policy(SLA_TOML)


class Keys:
    """A downstream that records the key of every message it takes, under a stable name."""

    def __init__(self, name: str = "keys", *, delay: float = 0.0) -> None:
        self.__name__ = name
        self.delay = delay
        self.got: list[str] = []
        self._lock = threading.Lock()

    @hookimpl
    def notify(self, notification: Notification) -> None:
        time.sleep(self.delay)
        with self._lock:
            self.got.append(notification.key)


class Dies:
    """A notifier whose process dies while sending (after the commit, before any outcome)."""

    __name__ = "dies"

    @hookimpl
    def notify(self, notification: Notification) -> None:
        raise KeyboardInterrupt


def _desk(
    store: Store | str,
    clock: ManualClock,
    *plugins: object,
    deliver_at_once: bool = True,
    lease: timedelta = LEASE,
) -> ServiceDesk:
    """A desk with the SLA policy and only ``plugins`` (no entry points) on ``store``."""
    manager = plugin_manager(list(plugins), entry_points=False)
    opened: Store = manager.hook.open_store(url=store) if isinstance(store, str) else store
    return ServiceDesk(
        opened,
        policy=sla_policy(),
        clock=clock,
        plugins=manager,
        deliver_at_once=deliver_at_once,
        lease=lease,
    )


def _messages(desk: ServiceDesk) -> list[str]:
    """The keys of every message in the outbox, sorted."""
    return sorted(r.key for r in desk.store.outbox())


def _acknowledged(desk: ServiceDesk, count: int) -> list[str]:
    """``count`` cases acknowledged now: each has one message queued and four timers (the
    resolution clock's warnings at 50, 75 and 90 %, and its breach)."""
    ids = []
    for n in range(count):
        case = desk.submit(requester="acme/jane@acme.test", channel="email", subject=f"#{n}")
        desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
        desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
        desk.assign(case.id, to="agent:kim", by="lead:ana")
        desk.acknowledge(case.id, by="agent:kim", message="On it")
        ids.append(case.id)
    return ids


def _fired(desk: ServiceDesk, case_ids: Sequence[str]) -> Counter[tuple[str, str, int, str]]:
    """How often each (case, metric, cycle, kind) was recorded as a warning or breach."""
    seen: Counter[tuple[str, str, int, str]] = Counter()
    for case_id in case_ids:
        for recorded in desk.history(case_id):
            event = recorded.event
            if isinstance(event, ev.SlaWarned):
                seen[(case_id, event.metric, event.cycle, f"warning:{event.threshold}")] += 1
            elif isinstance(event, ev.SlaBreached):
                seen[(case_id, event.metric, event.cycle, "breach")] += 1
    return seen


def _expected(timers: Sequence[TimerRecord]) -> Counter[tuple[str, str, int, str]]:
    return Counter((t.case_id, t.metric, t.cycle, t.kind) for t in timers)


# --- the loop -------------------------------------------------------------------------


def test_a_pass_fires_due_timers_then_delivers(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    keys = Keys()
    desk = _desk(f"sqlite:///{tmp_path / 'w.db'}", clock, keys, deliver_at_once=False)
    cases = _acknowledged(desk, 2)
    worker = Worker(desk, poll=0.01)
    with caplog.at_level(logging.INFO, logger="serviceflow.worker"):
        done = worker.run_once()
        assert (done.fired, sorted(done.delivery.delivered)) == (0, _messages(desk))
        clock.advance(timedelta(minutes=30))
        assert worker.run_once().fired == 2, "the 50 % warnings"
        assert not worker.run_once().busy
        clock.set(AFTER_ALL)
        assert worker.run_once().fired == 6
    assert worker.passes == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "serviceflow.worker"]
    assert len(lines) == 3, "one line per pass that did something"
    assert lines[0].startswith("worker pass 1: fired 0 SLA event(s); delivered 2, to retry 0")
    assert sorted(keys.got) == _messages(desk)
    assert len(keys.got) == len(cases)
    assert desk.store.due_timers("9999", 10) == []
    assert all(v.ok for v in desk.verify_all())


def test_once_works_off_everything_due_in_batches(tmp_path: Path, clock: ManualClock) -> None:
    keys = Keys()
    desk = _desk(f"sqlite:///{tmp_path / 'w.db'}", clock, keys, deliver_at_once=False)
    cases = _acknowledged(desk, 5)
    clock.set(AFTER_ALL)
    worker = Worker(desk, poll=60, batch=3)
    started = time.monotonic()
    worker.run(once=True)
    assert time.monotonic() - started < 30, "once never waits for the poll interval"
    assert sorted(keys.got) == _messages(desk)
    assert len(keys.got) == len(cases)
    assert _fired(desk, cases) == Counter(dict.fromkeys(_fired(desk, cases), 1))
    assert sum(_fired(desk, cases).values()) == 20
    assert desk.outbox.counts()["pending"] == 0
    assert worker.passes == 7, "20 timers in batches of 3, and 5 messages in batches of 3"


def test_the_loop_runs_until_stopped_and_finishes_its_pass(
    tmp_path: Path, clock: ManualClock
) -> None:
    keys = Keys(delay=0.05)
    desk = _desk(f"sqlite:///{tmp_path / 'w.db'}", clock, keys, deliver_at_once=False)
    worker = Worker(desk, poll=0.01, batch=4)
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        cases = _acknowledged(desk, 4)
        _until(lambda: len(keys.got) >= 1)
        worker.stop()
        runner.join(timeout=30)
        assert not runner.is_alive()
    finally:
        worker.stop()
        runner.join(timeout=30)
    assert worker.stopping
    assert len(keys.got) in {1, 2, 3, 4}
    delivered = {r.key for r in desk.store.outbox("delivered")}
    assert delivered == set(keys.got), "what the last pass sent, it also recorded"
    assert len(_messages(desk)) == len(cases)


class WakingStore(SQLiteStore):
    """A real SQLite store with the optional wake-up: ``wait_for_work`` returns as soon as
    this process commits something (PostgreSQL does the same across processes)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.work = threading.Event()
        self.waits: list[float] = []

    def append(self, writes: Sequence[StreamWrite]) -> None:
        super().append(writes)
        if any(w.outbox or w.timers for w in writes):
            self.work.set()

    def wait_for_work(self, timeout: float) -> bool:
        self.waits.append(timeout)
        woke = self.work.wait(timeout)
        self.work.clear()
        return woke


def test_an_idle_worker_waits_on_the_stores_wake_up(tmp_path: Path, clock: ManualClock) -> None:
    keys = Keys()
    store = WakingStore(str(tmp_path / "w.db"))
    desk = _desk(store, clock, keys, deliver_at_once=False)
    worker = Worker(desk, poll=60)
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        _until(lambda: bool(store.waits))
        started = time.monotonic()
        _acknowledged(desk, 1)
        _until(lambda: keys.got == _messages(desk))
        assert time.monotonic() - started < 30, "woken by the commit, not the 60 s poll"
    finally:
        worker.stop()
        store.work.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert store.waits[0] == 60


def test_a_failing_store_is_logged_and_retried_in_the_loop_but_raised_once(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    desk = _desk(f"sqlite:///{tmp_path / 'w.db'}", clock, Keys())
    desk.store.close()
    worker = Worker(desk, poll=0.01)
    with pytest.raises(StoreError, match="claim timers failed"):
        worker.run(once=True)
    runner = threading.Thread(target=worker.run)
    with caplog.at_level(logging.ERROR, logger="serviceflow.worker"):
        runner.start()
        _until(lambda: "worker pass failed; retrying in 0.01s" in caplog.text)
        worker.stop()
        runner.join(timeout=30)
    assert not runner.is_alive()


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"poll": 0}, r"poll: expected seconds above 0, got 0"),
        ({"poll": float("nan")}, r"poll: expected a finite number, got float nan"),
        ({"batch": 0}, r"batch: expected a whole number of at least 1, got 0"),
        ({"batch": 2.5}, r"batch: expected a whole number, got float 2.5"),
    ],
)
def test_worker_settings_are_checked(
    clock: ManualClock, options: dict[str, float], problem: str
) -> None:
    desk = _desk("memory://", clock)
    with pytest.raises(ValidationError, match=problem):
        Worker(desk, **options)  # type: ignore[arg-type]


def test_a_lease_must_be_positive(clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match=r"lease must be a positive duration"):
        _desk("memory://", clock, lease=timedelta(0))
    with pytest.raises(ValidationError, match=r"got -1 seconds; e.g. timedelta\(minutes=5\)"):
        ServiceDesk.open("memory://", lease=timedelta(seconds=-1), entry_points=False)


def test_signals_stop_the_worker_and_the_old_handlers_come_back(clock: ManualClock) -> None:
    worker = Worker(_desk("memory://", clock))
    before = signal.getsignal(signal.SIGTERM)
    with stopping_on_signals(worker):
        os.kill(os.getpid(), signal.SIGTERM)
        _until(lambda: worker.stopping)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_pass_reads_as_one_line() -> None:
    from serviceflow.eventlog._outbox import DeliveryReport

    done = Pass(3, DeliveryReport(delivered=("a",), failed=("b",)), 0.25)
    assert (done.attempted, done.busy) == (2, True)
    assert str(done) == (
        "fired 3 SLA event(s); delivered 1, to retry 0, failed 1 "
        "failed (see `outbox failed`, retry by key): b in 0.250s"
    )
    assert not Pass(0, DeliveryReport(held=("c",)), 0.0).busy


def test_urls_are_logged_without_their_password() -> None:
    assert redacted("postgresql://app:s3cret@db:5432/desk") == "postgresql://app:***@db:5432/desk"
    assert redacted("sqlite:///desk.db") == "sqlite:///desk.db"


# --- claims between desks -------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """Opens a store on shared data: the same memory store, or a new connection to a file."""
    if request.param == "memory":
        memory = MemoryStore()
        return lambda: memory
    path = str(tmp_path / "shared.db")
    return lambda: SQLiteStore(path)


def test_desks_ticking_at_once_fire_each_timer_exactly_once(
    shared: Callable[[], Store], clock: ManualClock
) -> None:
    first = _desk(shared(), clock)
    cases = _acknowledged(first, 6)
    clock.set(AFTER_ALL)
    due = first.store.due_timers(iso(AFTER_ALL), 1000)
    desks = [first, *(_desk(shared(), ManualClock(AFTER_ALL)) for _ in range(3))]
    start = threading.Barrier(len(desks))
    fired: list[int] = []

    def tick(desk: ServiceDesk) -> None:
        start.wait()
        for _ in range(10):
            fired.append(len(desk.tick(limit=3)))

    threads = [threading.Thread(target=tick, args=(d,)) for d in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(due) == 24
    assert _fired(first, cases) == _expected(due), "each timer once, none lost"
    assert sum(fired) == 24
    assert first.store.due_timers("9999", 10) == []
    assert all(v.ok for v in first.verify_all())


def test_a_claimed_timer_waits_for_its_lease_to_end(
    shared: Callable[[], Store], clock: ManualClock
) -> None:
    desk = _desk(shared(), clock)
    (case_id,) = _acknowledged(desk, 1)
    now = START + timedelta(hours=1, minutes=1)
    claimed = desk.store.claim_timers(iso(now), 10, iso(now + LEASE))  # its worker then died
    assert len(claimed) == 4
    other = _desk(shared(), ManualClock(now))
    assert other.tick(now) == [], "leased to a worker that may still be firing them"
    assert other.store.claim_timers(iso(now), 10, iso(now + LEASE)) == []
    assert len(other.tick(now + LEASE - timedelta(microseconds=1))) == 0
    assert len(other.tick(now + LEASE)) == 4, "the lease ended: claimable again"
    assert sum(_fired(other, [case_id]).values()) == 4


def test_replaced_timers_lose_their_lease(shared: Callable[[], Store], clock: ManualClock) -> None:
    desk = _desk(shared(), clock)
    (case_id,) = _acknowledged(desk, 1)
    clock.set(START + timedelta(minutes=31))
    now = clock.now()
    assert len(desk.store.claim_timers(iso(now), 10, iso(now + LEASE))) == 1  # the 50 % warning
    desk.request_info(case_id, by="agent:kim", message="Which one?")  # the clock pauses
    desk.client_replied(case_id, message="The blue one")  # and runs again: new timers
    other = _desk(shared(), ManualClock(now))
    (warned,) = other.tick(now)
    assert isinstance(warned.event, ev.SlaWarned)
    assert warned.event.threshold == 0.5


def test_timers_a_write_leaves_as_they_were_keep_their_lease(
    shared: Callable[[], Store], clock: ManualClock
) -> None:
    desk = _desk(shared(), clock)
    (case_id,) = _acknowledged(desk, 1)
    clock.set(START + timedelta(minutes=31))
    now = clock.now()
    (claimed,) = desk.store.claim_timers(iso(now), 10, iso(now + LEASE))
    desk.note(case_id, by="agent:kim", text="still on it")  # the clocks do not move
    assert desk.store.case_timers([case_id])[case_id][0] == claimed, "not written again"
    other = _desk(shared(), ManualClock(now))
    assert other.tick(now) == [], "still leased to the worker that claimed it"
    (warned,) = other.tick(now + LEASE)
    assert isinstance(warned.event, ev.SlaWarned)


class Interleaving(SQLiteStore):
    """A real SQLite store that runs ``meanwhile`` once, right after a tick read its rows:
    the moment another worker can commit to the same case."""

    meanwhile: Callable[[], object] | None = None

    def load_many(self, streams: Sequence[str]) -> dict[str, CaseRow]:
        rows = super().load_many(streams)
        step, self.meanwhile = self.meanwhile, None
        if step is not None:
            step()
        return rows


def test_a_case_split_between_two_ticks_fires_every_timer_at_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = str(tmp_path / "w.db")
    slow_store = Interleaving(path)
    slow = _desk(slow_store, clock)
    (case_id,) = _acknowledged(slow, 1)
    clock.set(AFTER_ALL)
    due = slow.store.due_timers(iso(AFTER_ALL), 10)
    fast = _desk(SQLiteStore(path), ManualClock(AFTER_ALL))
    slow_store.meanwhile = lambda: fast.tick(limit=10)  # takes the 3 timers slow left
    mine = slow.tick(limit=1)
    assert len(mine) == 1, "its case moved on, yet its claimed timer still fired, at once"
    assert _fired(slow, [case_id]) == _expected(due)
    assert all(v.ok for v in slow.verify_all())


# --- the committer's immediate send and the workers -----------------------------------


def test_a_worker_never_sends_what_the_committer_is_sending(
    shared: Callable[[], Store], clock: ManualClock
) -> None:
    mine, theirs = Keys("mail"), Keys("mail")
    committer = _desk(shared(), clock, mine)
    worker = _desk(shared(), clock, theirs)
    _acknowledged(committer, 1)
    assert mine.got == _messages(committer)
    assert worker.deliver().delivered == ()
    assert theirs.got == []
    (sent,) = worker.store.outbox("delivered")
    assert sent.due == iso(START), "its outcome ended the lease"


def test_what_a_dead_committer_was_sending_is_delivered_after_its_lease(
    shared: Callable[[], Store], clock: ManualClock
) -> None:
    committer = _desk(shared(), clock, Dies())
    with pytest.raises(KeyboardInterrupt):
        _acknowledged(committer, 1)
    (pending,) = committer.store.outbox("pending")
    assert pending.due == iso(START + LEASE), "stored leased to the committer"
    keys = Keys()
    worker = _desk(shared(), clock, keys)
    assert worker.deliver(START + LEASE - timedelta(microseconds=1)).delivered == ()
    assert worker.deliver(START + LEASE).delivered == (pending.key,)
    assert keys.got == [pending.key]


def test_a_desk_that_does_not_send_at_once_leaves_its_messages_due(
    shared: Callable[[], Store], clock: ManualClock
) -> None:
    committer = _desk(shared(), clock, Keys(), deliver_at_once=False)
    _acknowledged(committer, 1)
    (pending,) = committer.store.outbox("pending")
    assert pending.due == iso(START), "any worker may take it at once"


# --- real worker processes ------------------------------------------------------------

PROBE = '''
"""A downstream for worker tests: appends each message's key to $PROBE_LOG, a line each."""

import os
import time

from serviceflow import hookimpl


class Probe:
    @hookimpl
    def notify(self, notification):
        time.sleep(float(os.environ.get("PROBE_DELAY", "0")))
        with open(os.environ["PROBE_LOG"], "a", encoding="utf-8") as out:
            out.write(notification.key + "\\n")
            out.flush()
            os.fsync(out.fileno())


probe = Probe()
'''


@pytest.fixture
def probe_site(tmp_path: Path) -> Path:
    """A folder holding a real plugin distribution (module, metadata, entry point), found
    through ``serviceflow``'s entry points by any process that has it on PYTHONPATH."""
    site = tmp_path / "site"
    info = site / "serviceflow_worker_probe-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "serviceflow_worker_probe.py").write_text(PROBE, encoding="utf-8")
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: serviceflow-worker-probe\nVersion: 0.1\n",
        encoding="utf-8",
    )
    (info / "entry_points.txt").write_text(
        "[serviceflow]\nworker_probe = serviceflow_worker_probe:probe\n", encoding="utf-8"
    )
    return site


def _command() -> Path:
    script = Path(sys.executable).parent / "serviceflow"
    require(script.exists(), f"the serviceflow console script is not installed at {script}")
    return script


def _worker(
    db: Path, policy: Path, site: Path, log: Path, *options: str, delay: float = 0.0
) -> subprocess.Popen[bytes]:
    """A ``serviceflow worker`` process whose deliveries go to ``log`` and whose own log
    lines go to ``log`` with the suffix ``.err``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        "PROBE_LOG": str(log),
        "PROBE_DELAY": str(delay),
    }
    args = [str(_command()), "--policy", str(policy), "worker", "--db", str(db), *options]
    with _errors(log).open("wb") as err:
        return subprocess.Popen(args, env=env, stderr=err)


def _errors(log: Path) -> Path:
    return log.with_suffix(".err")


def _started(worker: subprocess.Popen[bytes], log: Path) -> bool:
    """Has the worker logged its start (so its signal handlers are in place)?"""
    if worker.poll() is not None:
        pytest.fail(f"the worker exited with {worker.returncode}: {_text(_errors(log))}")
    return "worker on sqlite://" in _text(_errors(log))


def _stopped(worker: subprocess.Popen[bytes], log: Path) -> str:
    """Send SIGTERM, wait for the exit, and return the worker's log."""
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    return _text(_errors(log))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _lines(path: Path) -> list[str]:
    return _text(path).split()


def _prepared(tmp_path: Path) -> tuple[Path, Path]:
    """An empty SQLite store file and the policy file the workers use."""
    db, policy = tmp_path / "desk.db", tmp_path / "policy.toml"
    policy.write_text(SLA_TOML, encoding="utf-8")
    _desk(f"sqlite:///{db}", ManualClock(START)).close()
    return db, policy


def _queue(db: Path, cases: int) -> list[str]:
    """``cases`` acknowledged a year before START (so every timer is due by now) with their
    messages pending."""
    clock = ManualClock(START - timedelta(days=365))
    with _desk(f"sqlite:///{db}", clock, deliver_at_once=False) as desk:
        return _acknowledged(desk, cases)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes started by a test; any still running at the end are killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for worker in started:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_sigterm_lets_the_worker_finish_its_batch_and_exit_0(
    tmp_path: Path, probe_site: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    db, policy = _prepared(tmp_path)
    cases = _queue(db, 6)
    log = tmp_path / "probe.log"
    worker = _worker(db, policy, probe_site, log, "--batch", "6", "--poll", "0.1", delay=0.3)
    processes.append(worker)
    _until(lambda: _started(worker, log) and len(_lines(log)) >= 1, timeout=60)
    output = _stopped(worker, log)
    assert worker.returncode == 0, output
    store = SQLiteStore(str(db))
    assert store.outbox_counts() == {"pending": 0, "delivered": 6, "failed": 0}
    assert sorted(_lines(log)) == sorted(r.key for r in store.outbox()), "the batch finished"
    assert len(cases) == 6
    assert "worker pass 1: fired 6 SLA event(s); delivered 6, to retry 0, failed 0" in output
    assert "worker stopped after 1 busy pass(es)" in output
    assert len(store.due_timers("9999", 100)) == 18, "no second pass began after the signal"


def test_an_idle_worker_stops_at_once_on_sigint(
    tmp_path: Path, probe_site: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    db, policy = _prepared(tmp_path)
    log = tmp_path / "probe.log"
    worker = _worker(db, policy, probe_site, log, "--poll", "60")
    processes.append(worker)
    _until(lambda: _started(worker, log), timeout=60)
    started = time.monotonic()
    worker.send_signal(signal.SIGINT)
    worker.wait(timeout=60)
    assert worker.returncode == 0, _text(_errors(log))
    assert time.monotonic() - started < 30, "not after the 60 s poll"
    assert "worker stopped after 0 busy pass(es)" in _text(_errors(log))


def test_two_worker_processes_fire_each_timer_once_and_deliver_each_message(
    tmp_path: Path, probe_site: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    db, policy = _prepared(tmp_path)
    # queued before the workers start: a worker firing a case's first-response timer (a
    # year late by its clock) between two of the queueing desk's commands would put that
    # desk's clock behind the case (ClockBehind), which is right, but not this test's point
    cases = _queue(db, 12)
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    for log in logs:
        processes.append(_worker(db, policy, probe_site, log, "--batch", "5", "--poll", "0.1"))
    _until(lambda: all(_started(w, log) for w, log in zip(processes, logs, strict=True)), 60)
    store = SQLiteStore(str(db))
    _until(
        lambda: store.due_timers("9999", 1) == [] and store.outbox_counts()["pending"] == 0,
        timeout=90,
    )
    outputs = [_stopped(w, log) for w, log in zip(processes, logs, strict=True)]
    assert [w.returncode for w in processes] == [0, 0], outputs
    with _desk(f"sqlite:///{db}", ManualClock(START)) as desk:
        fired = _fired(desk, cases)
        resolution = {(case_id, "resolution", 1, kind) for case_id in cases for kind in RESOLUTION}
        assert resolution <= set(fired), "every due timer fired"
        assert set(fired.values()) == {1}, "and none twice"
        # the first response clocks ran from submission to acknowledgement, a year ago by
        # the workers' clocks: those fired if a worker saw them in between, once each too
        assert all(v.ok for v in desk.verify_all())
    sent = [key for log in logs for key in _lines(log)]
    assert sorted(sent) == sorted(r.key for r in store.outbox()), "each message once, none twice"
    assert len(sent) == len(cases)


def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout}s")
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"


# --- an old file ----------------------------------------------------------------------


def test_a_schema_4_file_gains_timer_leases_and_keeps_its_data(
    tmp_path: Path, clock: ManualClock
) -> None:
    import sqlite3

    from serviceflow.backends.sqlite import SCHEMA_VERSION

    path = tmp_path / "v4.db"
    with _desk(f"sqlite:///{path}", clock, deliver_at_once=False) as desk:
        (case_id,) = _acknowledged(desk, 1)
    old = sqlite3.connect(path)
    old.execute("ALTER TABLE timers DROP COLUMN leased_until")  # what schema 4 was
    old.execute("DROP TABLE case_facts")
    old.execute("PRAGMA user_version = 4")
    old.commit()
    old.close()

    openers = [threading.Thread(target=lambda: SQLiteStore(str(path)).close()) for _ in range(3)]
    for opener in openers:  # at once: one migrates, the others see it done
        opener.start()
    for opener in openers:
        opener.join(timeout=60)
    store = SQLiteStore(str(path))
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
    columns = {row[1] for row in store._db.execute("PRAGMA table_info(timers)")}
    assert "leased_until" in columns
    desk = _desk(store, ManualClock(AFTER_ALL))
    assert [r.type for r in desk.store.read(case_id)][-1] == "case.acknowledged"
    assert len(desk.outbox.pending()) == 1
    claimed = desk.store.claim_timers(iso(AFTER_ALL), 10, iso(AFTER_ALL + LEASE))
    assert [t.kind for t in claimed] == list(RESOLUTION)
    assert desk.tick() == [], "leased"
    assert len(desk.tick(AFTER_ALL + LEASE)) == 4
