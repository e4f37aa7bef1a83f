"""Case identifiers: short, unique across processes, and sortable by creation time."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


class _Monotonic:
    """Makes each value larger than the last one handed out in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self, candidate: int) -> int:
        with self._lock:
            self._last = max(candidate, self._last + 1)
            return self._last


_monotonic = _Monotonic()


def new_case_id(now: datetime) -> str:
    """16 characters: 48 bits of milliseconds since the epoch, then 32 random bits.

    Within a process ids strictly increase (the random part counts up inside one
    millisecond), so id order is creation order even on a manual clock.
    """
    value = _monotonic.next(int(now.timestamp() * 1000) << 32 | secrets.randbits(32))
    chars = []
    for _ in range(16):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))
