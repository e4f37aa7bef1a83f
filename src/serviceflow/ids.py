"""Case identifiers: short, unique across processes, and sortable by creation time."""

from __future__ import annotations

import secrets
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_case_id(now: datetime) -> str:
    """16 characters: 48 bits of milliseconds since the epoch, then 32 random bits."""
    value = int(now.timestamp() * 1000) << 32 | secrets.randbits(32)
    chars = []
    for _ in range(16):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))
