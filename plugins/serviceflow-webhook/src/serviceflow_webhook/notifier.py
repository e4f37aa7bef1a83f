"""``WebhookNotifier``: each outbox message POSTed as signed JSON, retried within one attempt.

One ``notify`` call is one outbox attempt. Inside it, connection errors, timeouts, 408, 429
and 5xx are tried again ``retries`` times with exponential backoff and jitter; any other
answer that is not 2xx (or 409, "already have it") raises at once, and the outbox retries
the message later on its own schedule.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from urllib.parse import quote

import httpx
from serviceflow.clock import SystemClock
from serviceflow.domain import Notification
from serviceflow.errors import ServiceflowError
from serviceflow.plugins import notification_fields
from serviceflow.plugins.hookspecs import hookimpl

from serviceflow_webhook.settings import WebhookSettings, redact
from serviceflow_webhook.signature import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

log = logging.getLogger("serviceflow.webhook")

RETRIED = frozenset({408, 429})
"""Client errors that mean "try again later"; every 5xx is retried too."""
ACCEPTED = frozenset({409})
"""Not 2xx, yet delivered: 409 Conflict says the receiver already has this key."""
ANSWER_LIMIT = 200
"""How much of a refusing answer's body goes into the error."""

_KEY_SAFE = "!#$&'()*+,/:;=?@[]~"
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _agent() -> str:
    try:
        return f"serviceflow-webhook/{version('serviceflow-webhook')}"
    except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
        return "serviceflow-webhook"


class DeliveryError(ServiceflowError):
    """The endpoint did not take a notification in this attempt; the outbox retries it."""


def payload(notification: Notification) -> bytes:
    """The request body: the notification's fields as compact JSON, keys sorted, UTF-8."""
    return _dumps(notification_fields(notification)).encode("utf-8")


def idempotency_key(key: str) -> str:
    """The ``Idempotency-Key`` value: the key itself, or, when it holds anything but printable
    ASCII (HTTP headers cannot), its UTF-8 bytes percent-encoded."""
    return key if key.isascii() and key.isprintable() else quote(key, safe=_KEY_SAFE)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (delta seconds or an HTTP date), or
    ``None`` when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class WebhookNotifier:
    """POSTs every notification to ``url``, signed with ``secret`` (see ``verify_signature``).

    Register it with ``ServiceDesk.open(..., plugins=[WebhookNotifier(...)])``. Its plugin
    name (``name``) is what the outbox records as having taken a message, so keep it stable
    and give each of several webhooks its own. Bad settings raise ``PluginError``.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | bytes,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        retry_after_cap: float = 30.0,
        name: str = "serviceflow_webhook",
    ) -> None:
        settings = WebhookSettings(
            url=url,
            secret=secret,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            retry_after_cap=retry_after_cap,
        )
        self.settings = settings.checked()
        self.__name__ = name
        self._clock = SystemClock()
        self._random = random.Random()
        self._target = redact(url)
        self._client = httpx.Client(
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": _agent()},
        )

    @classmethod
    def of(cls, settings: WebhookSettings, *, name: str = "serviceflow_webhook") -> WebhookNotifier:
        """A notifier with ``settings`` (as ``from_environment`` reads them)."""
        return cls(
            settings.url,
            secret=settings.secret,
            timeout=settings.timeout,
            connect_timeout=settings.connect_timeout,
            retries=settings.retries,
            backoff=settings.backoff,
            max_backoff=settings.max_backoff,
            retry_after_cap=settings.retry_after_cap,
            name=name,
        )

    def __repr__(self) -> str:
        return f"WebhookNotifier({self._target!r}, name={self.__name__!r})"

    @hookimpl
    def notify(self, notification: Notification) -> None:
        """POST the notification; return once it is taken, raise ``DeliveryError`` if not."""
        body = payload(notification)
        settings = self.settings
        last = ""
        for attempt in range(settings.retries + 1):
            asked, last = self._post(notification.key, body)
            if not last:
                return
            log.info(
                "webhook %s: %s for %s (try %d of %d)",
                self._target,
                last,
                notification.key,
                attempt + 1,
                settings.retries + 1,
            )
            if attempt < settings.retries:
                time.sleep(asked if asked is not None else self._backoff(attempt))
        raise DeliveryError(
            f"POST {self._target} failed {settings.retries + 1} time(s) for "
            f"{notification.key}; last: {last}"
        )

    def _post(self, key: str, body: bytes) -> tuple[float | None, str]:
        """One request: ``(wait asked by the server, problem)``; no problem means taken.

        Raises ``DeliveryError`` for an answer that retrying now cannot change.
        """
        now = self._clock.now()
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: idempotency_key(key),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.settings.secret, timestamp, body),
        }
        try:
            response = self._client.post(self.settings.url, content=body, headers=headers)
        except httpx.RequestError as exc:
            return None, f"{type(exc).__name__}: {exc or 'no detail'}"
        status = response.status_code
        if 200 <= status < 300 or status in ACCEPTED:
            return None, ""
        answer = f"HTTP {status} {response.reason_phrase}".rstrip()
        if status not in RETRIED and status < 500:
            detail = response.text[:ANSWER_LIMIT].strip()
            raise DeliveryError(
                f"POST {self._target} answered {answer} for {key}"
                + (f": {detail}" if detail else "")
                + " (not retried in this attempt)"
            )
        wait = retry_after(response.headers.get("Retry-After"), now)
        if wait is not None and wait > self.settings.retry_after_cap:
            raise DeliveryError(
                f"POST {self._target} answered {answer} for {key} and asks to retry after "
                f"{wait:.0f}s, more than retry_after_cap ({self.settings.retry_after_cap:g}s)"
            )
        return wait, answer

    def _backoff(self, attempt: int) -> float:
        """The pause after try ``attempt`` (from 0): ``backoff × 2^attempt`` capped at
        ``max_backoff``, then jittered down to at most half, so retries spread out."""
        settings = self.settings
        ceiling = min(settings.max_backoff, settings.backoff * 2.0 ** min(attempt, 32))
        return self._random.uniform(ceiling / 2, ceiling)

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def __enter__(self) -> WebhookNotifier:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
