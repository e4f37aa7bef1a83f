"""What configures a webhook notifier, checked once, from Python arguments or the environment."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
from attrs import frozen
from serviceflow.errors import PluginError

ENVIRONMENT: Mapping[str, str] = {
    "url": "SERVICEFLOW_WEBHOOK_URL",
    "secret": "SERVICEFLOW_WEBHOOK_SECRET",
    "timeout": "SERVICEFLOW_WEBHOOK_TIMEOUT",
    "connect_timeout": "SERVICEFLOW_WEBHOOK_CONNECT_TIMEOUT",
    "retries": "SERVICEFLOW_WEBHOOK_RETRIES",
    "backoff": "SERVICEFLOW_WEBHOOK_BACKOFF",
    "max_backoff": "SERVICEFLOW_WEBHOOK_MAX_BACKOFF",
    "retry_after_cap": "SERVICEFLOW_WEBHOOK_RETRY_AFTER_CAP",
}
"""Each setting and the environment variable that sets it for the entry-point notifier."""


@frozen(kw_only=True)
class WebhookSettings:
    """Where to POST, the signing secret, and how long and how often to try in one attempt.

    Times are seconds. ``retries`` more tries follow a failed one (so ``retries + 1`` in all),
    each after ``backoff × 2^n`` seconds with jitter, at most ``max_backoff``; a
    ``Retry-After`` up to ``retry_after_cap`` is waited out, a longer one ends the attempt.
    """

    url: str
    secret: str | bytes
    timeout: float = 10.0
    connect_timeout: float = 5.0
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 10.0
    retry_after_cap: float = 30.0

    def problems(self) -> Iterator[tuple[str, str]]:
        """Each setting that is wrong, as ``(setting, what is wrong)``."""
        yield from _url_problems(self.url)
        if not self.secret:
            yield "secret", "must not be empty (it signs every request)"
        for name in ("timeout", "connect_timeout", "max_backoff", "retry_after_cap"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                yield name, "must be a number of seconds greater than 0"
        if not (math.isfinite(self.backoff) and self.backoff >= 0):
            yield "backoff", "must be a number of seconds, 0 or more"
        if self.retries < 0:
            yield "retries", "must be 0 or more"

    def checked(self, names: Mapping[str, str] | None = None) -> WebhookSettings:
        """These settings, or a ``PluginError`` listing every problem; a problem names the
        setting as ``names`` says (an environment variable) and shows its value."""
        found = [
            f"{(names or {}).get(setting, setting)}={_shown(setting, getattr(self, setting))}: "
            f"{message}"
            for setting, message in self.problems()
        ]
        if found:
            raise PluginError("webhook notifier is misconfigured: " + "; ".join(found))
        return self


def _url_problems(url: str) -> Iterator[tuple[str, str]]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        yield "url", "expected an http:// or https:// URL with a host"
        return
    if any(c.isspace() for c in parts.netloc):
        yield "url", "the host must not contain spaces"
        return
    try:
        _ = parts.port
    except ValueError:
        yield "url", "the port must be a number from 0 to 65535"
        return
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        yield "url", f"not a valid URL ({exc})"


def _shown(setting: str, value: object) -> str:
    """A setting's value for an error message; the secret is never shown."""
    if setting == "secret":
        return "(empty)" if not value else "(hidden)"
    if setting == "url" and isinstance(value, str):
        return repr(redact(value))
    return repr(value)


def redact(url: str) -> str:
    """``url`` without its user, password and query, safe for logs and outbox errors."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return url.partition("?")[0].rpartition("@")[2]
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else url.partition("?")[0]


def from_environment(environ: Mapping[str, str]) -> WebhookSettings | None:
    """Settings from ``SERVICEFLOW_WEBHOOK_*`` variables, or ``None`` when the URL is unset.

    A set URL without a secret, or a value that is not a number where one is expected, is a
    ``PluginError`` naming the variable and its value.
    """
    url = environ.get(ENVIRONMENT["url"], "").strip()
    if not url:
        return None
    read = _Reader(environ)
    settings = WebhookSettings(
        url=url,
        secret=environ.get(ENVIRONMENT["secret"], ""),
        timeout=read.number("timeout"),
        connect_timeout=read.number("connect_timeout"),
        retries=read.whole("retries"),
        backoff=read.number("backoff"),
        max_backoff=read.number("max_backoff"),
        retry_after_cap=read.number("retry_after_cap"),
    )
    if read.bad:
        raise PluginError("webhook notifier is misconfigured: " + "; ".join(read.bad))
    return settings.checked(ENVIRONMENT)


class _Reader:
    """Reads numbers from the environment, collecting every unreadable one."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.bad: list[str] = []

    def _text(self, setting: str) -> tuple[str, str, Any]:
        variable = ENVIRONMENT[setting]
        default = getattr(attrs.fields(WebhookSettings), setting).default
        return variable, self.environ.get(variable, "").strip(), default

    def number(self, setting: str) -> float:
        """The setting as a float, its default when unset."""
        variable, text, default = self._text(setting)
        try:
            return float(text) if text else float(default)
        except ValueError:
            self.bad.append(f"{variable}={text!r}: expected a number of seconds")
            return float(default)

    def whole(self, setting: str) -> int:
        """The setting as an int, its default when unset."""
        variable, text, default = self._text(setting)
        try:
            return int(text) if text else int(default)
        except ValueError:
            self.bad.append(f"{variable}={text!r}: expected a whole number")
            return int(default)
