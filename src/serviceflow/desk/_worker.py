"""The worker: fires due SLA timers and delivers the outbox, pass after pass, until stopped.

Any number of workers share one store: ``tick`` and ``deliver`` claim what they take for
the desk's lease, so each timer fires once and no two workers send the same message at
once (``docs/workers.md``). ``stop()`` (SIGTERM or SIGINT under ``stopping_on_signals``)
lets the pass in progress finish. When idle, a worker waits ``poll`` seconds, or less if
the store offers ``wait_for_work`` (see ``serviceflow.store``) and says work arrived.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

from attrs import frozen

from serviceflow.core._arguments import checked_methods
from serviceflow.desk._desk import ServiceDesk
from serviceflow.errors import ServiceflowError, ValidationError
from serviceflow.eventlog._outbox import DeliveryReport

__all__ = ["Pass", "Worker", "redacted", "stopping_on_signals"]

log = logging.getLogger("serviceflow.worker")


@frozen
class Pass:
    """What one pass of a worker did: the SLA events it fired and what it delivered."""

    fired: int
    delivery: DeliveryReport
    seconds: float

    @property
    def attempted(self) -> int:
        """How many messages the pass tried to deliver."""
        report = self.delivery
        return len(report.delivered) + len(report.retried) + len(report.failed)

    @property
    def busy(self) -> bool:
        """Whether the pass did anything worth a log line."""
        return bool(self.fired or self.attempted)

    def __str__(self) -> str:
        line = f"fired {self.fired} SLA event(s); {self.delivery}"
        return f"{line.replace(chr(10), ' ')} in {self.seconds:.3f}s"


@checked_methods
class Worker:
    """Runs ``desk.tick`` then ``desk.deliver``, ``batch`` timers and messages per pass."""

    def __init__(self, desk: ServiceDesk, *, poll: float = 1.0, batch: int = 500) -> None:
        problems = []
        if not poll > 0:
            problems.append(f"poll: expected seconds above 0, got {poll!r}")
        if not (isinstance(batch, int) and batch >= 1):
            problems.append(f"batch: expected a whole number of at least 1, got {batch!r}")
        if problems:
            raise ValidationError("invalid worker settings", problems)
        self.desk = desk
        self.poll = poll
        self.batch = batch
        self.passes = 0
        """Passes that did something, since the worker started."""
        self._stop = threading.Event()

    def run_once(self) -> Pass:
        """One pass: fire up to ``batch`` due timers, then deliver up to ``batch`` messages."""
        started = time.monotonic()
        fired = self.desk.tick(limit=self.batch, deliver=False)
        delivery = self.desk.deliver(limit=self.batch)
        done = Pass(len(fired), delivery, time.monotonic() - started)
        if done.busy:
            self.passes += 1
            log.info("worker pass %d: %s", self.passes, done)
        return done

    def run(self, *, once: bool = False) -> None:
        """Work until ``stop()``; with ``once``, until nothing more is due now.

        A full pass (``batch`` timers or messages) is followed by another at once; otherwise
        the worker waits. A failing store is logged and retried after the wait.
        """
        while not self._stop.is_set():
            try:
                done = self.run_once()
            except ServiceflowError:
                if once:
                    raise
                log.exception("worker pass failed; retrying in %ss", self.poll)
                self._idle()
                continue
            if done.fired >= self.batch or done.attempted >= self.batch:
                continue  # a whole batch: more may be due
            if once:
                return
            self._idle()

    def stop(self) -> None:
        """Ask the worker to stop after the pass in progress (safe from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stop.is_set()

    def _idle(self) -> None:
        """Wait up to ``poll`` seconds: for the store's wake-up if it has one, else a sleep
        that ``stop()`` cuts short."""
        wait: Callable[[float], bool] | None = getattr(self.desk.store, "wait_for_work", None)
        if wait is None:
            self._stop.wait(self.poll)
        elif not self._stop.is_set():
            wait(self.poll)


@contextmanager
def stopping_on_signals(
    worker: Worker, signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
) -> Iterator[None]:
    """Within the block, ``signals`` stop ``worker`` gracefully; the old handlers come back
    after. Only the main thread may install signal handlers."""

    def handle(_number: int, _frame: FrameType | None) -> None:
        worker.stop()  # nothing else: a handler may run in the middle of any statement

    previous = {number: signal.signal(number, handle) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def redacted(url: str) -> str:
    """``url`` without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
