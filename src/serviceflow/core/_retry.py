"""Trying a write again after a concurrent one: exponential backoff with full jitter, bounded.

A command that lost a race reads the case again and decides again. Trying again at once
tends to lose again (the winner is already writing its next command), so each new try
waits a random time in ``[0, min(cap, first * 2**n))`` (full jitter: the losers spread
out instead of colliding in step), within a budget of tries and of seconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from attrs import frozen


@frozen
class Backoff:
    """How many tries a write gets, and how long they may wait in all."""

    attempts: int = 24
    """Tries in all, the first included."""
    first: float = 0.002
    """The ceiling of the first wait, in seconds; it doubles with each try."""
    cap: float = 0.2
    """The highest ceiling of one wait, in seconds."""
    seconds: float = 5.0
    """No new try once this long has passed since the first one."""

    def start(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        draw: Callable[[], float] = random.random,
    ) -> Retry:
        """The budget of one write, starting now."""
        return Retry(self, sleep, clock, draw)


class Retry:
    """One write's tries: ``wait()`` after each failed one says whether to try again."""

    def __init__(
        self,
        backoff: Backoff,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        draw: Callable[[], float],
    ) -> None:
        self.backoff = backoff
        self.failed = 0
        """Tries that failed so far."""
        self._sleep, self._clock, self._draw = sleep, clock, draw
        self._deadline = clock() + backoff.seconds

    def wait(self) -> bool:
        """Count a failed try; sleep a jittered while and say ``True`` if another is allowed,
        else ``False`` at once (tries or seconds spent)."""
        self.failed += 1
        left = self._deadline - self._clock()
        if self.failed >= self.backoff.attempts or left <= 0:
            return False
        ceiling = min(self.backoff.cap, self.backoff.first * 2 ** (self.failed - 1))
        self._sleep(min(self._draw() * ceiling, left))
        return True


WRITE = Backoff()
"""A desk command's budget: about 24 tries within 5 s."""
TICK = Backoff(attempts=8, seconds=0.5)
"""A tick's firing of one case that moved meanwhile: the tick has other cases to fire."""
