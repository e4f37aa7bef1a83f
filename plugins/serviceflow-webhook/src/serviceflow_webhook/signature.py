"""The webhook signature: HMAC-SHA256 of ``timestamp + "." + body``, and its check.

The timestamp is signed with the body so a receiver can refuse a replayed request: a
captured request keeps its old timestamp, and changing it breaks the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from serviceflow.errors import ServiceflowError

SIGNATURE_HEADER = "X-Serviceflow-Signature"
"""Carries ``sha256=<hex digest>``."""
TIMESTAMP_HEADER = "X-Serviceflow-Timestamp"
"""Carries the signing time in whole seconds since the Unix epoch."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Carries the notification's key: the same on every redelivery of a message."""
SCHEME = "sha256="
DEFAULT_TOLERANCE = 300.0
"""How many seconds a receiver accepts between the signing time and its own clock."""


class SignatureError(ServiceflowError):
    """A webhook request's signature is missing, malformed, stale or does not match."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``: ``sha256=<hex>``."""
    digest = hmac.new(_key(secret), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SCHEME + digest.hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    header: str,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> None:
    """Check a received request; raise ``SignatureError`` saying why it must be refused.

    ``timestamp`` and ``header`` are the ``X-Serviceflow-Timestamp`` and
    ``X-Serviceflow-Signature`` values, ``body`` the raw bytes as received (before any JSON
    parsing). The timestamp must be within ``tolerance`` seconds of ``now`` (default: this
    machine's clock). The digest is compared in constant time.
    """
    if not timestamp.isascii() or not timestamp.isdigit():
        raise SignatureError(
            f"{TIMESTAMP_HEADER}: expected whole seconds since the epoch, got {timestamp!r}"
        )
    if not header.startswith(SCHEME):
        raise SignatureError(f"{SIGNATURE_HEADER}: expected 'sha256=<hex>', got {header[:80]!r}")
    current = time.time() if now is None else now
    age = current - int(timestamp)
    if abs(age) > tolerance:
        raise SignatureError(
            f"{TIMESTAMP_HEADER}: {timestamp} is {abs(age):.0f}s "
            f"{'old' if age > 0 else 'in the future'}; at most {tolerance:.0f}s is accepted"
        )
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), header.encode()):
        raise SignatureError(
            f"{SIGNATURE_HEADER}: does not match the body and timestamp (wrong secret, or the "
            "body was changed, e.g. parsed and re-encoded, before checking)"
        )
