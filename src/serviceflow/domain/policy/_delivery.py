"""How the outbox retries a notifier that failed: exponential backoff, then a dead letter.

``outbox`` (desk) applies it; this module holds what the policy is made of, so the policy
(domain) never imports the desk.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

from attrs import frozen

from serviceflow.core._duration import format_duration


@frozen
class DeliveryPolicy:
    """Retry after ``first_retry``, each wait ``factor`` times the last, at most ``max_delay``;
    after ``max_attempts`` failed attempts a message is dead-lettered (``failed``)."""

    first_retry: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: ``first_retry × factor^(n-1)``,
        capped at ``max_delay`` (computed in logs, so a large ``attempts`` cannot overflow)."""
        first = self.first_retry
        if attempts <= 1 or first <= timedelta(0) or not self.factor > 1:
            return min(first, self.max_delay)
        room = math.log(self.max_delay / first) if self.max_delay > first else 0.0
        if (attempts - 1) * math.log(self.factor) >= room:
            return self.max_delay
        return min(first * self.factor ** (attempts - 1), self.max_delay)


def delivery_problems(policy: DeliveryPolicy) -> Iterator[str]:
    """A positive first retry, a factor of at least 1, a cap no shorter, one attempt at least."""
    path = "$.delivery"
    if policy.first_retry <= timedelta(0):
        yield f"{path}.first_retry: must be longer than 0s (a zero wait retries in a busy loop)"
    if not math.isfinite(policy.factor):
        yield f"{path}.factor: must be a finite number, got {policy.factor!r}"
    elif policy.factor < 1:
        yield f"{path}.factor: must be at least 1, got {policy.factor!r}"
    if policy.max_delay < policy.first_retry:
        yield (
            f"{path}.max_delay: must be at least first_retry "
            f"({format_duration(policy.first_retry)}), got {format_duration(policy.max_delay)}"
        )
    if policy.max_attempts < 1:
        yield f"{path}.max_attempts: must be at least 1, got {policy.max_attempts}"
