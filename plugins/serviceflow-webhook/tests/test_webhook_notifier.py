"""The notifier against a real local HTTP receiver: payload, headers, retries, timeouts."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import attrs
import pytest
from serviceflow import Notification
from serviceflow.plugins import notification_fields

from serviceflow_webhook import DeliveryError, WebhookNotifier, verify_signature
from serviceflow_webhook.notifier import idempotency_key, retry_after
from webhook_receiver import Answer, Receiver

NOTE = Notification(
    key="C-1/4",
    case_id="C-1",
    to="jane@acme.test",
    to_name="Jane Doe",
    kind="case.acknowledged",
    subject="[C-1] We are on it: Invoice wrong",
    text="Bonjour Jane, nous regardons votre facture. €",
    at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    locale="fr",
)


@pytest.fixture
def notifier(receiver: Receiver) -> Iterator[WebhookNotifier]:
    """A notifier that retries twice, quickly, with short timeouts."""
    with WebhookNotifier(
        receiver.url, secret="s3cret", retries=2, backoff=0.01, timeout=1.0, connect_timeout=1.0
    ) as made:
        yield made


def test_posts_the_notification_as_signed_json_with_its_idempotency_key(
    receiver: Receiver, notifier: WebhookNotifier
) -> None:
    before = time.time()
    notifier.notify(NOTE)

    (request,) = receiver.requests
    assert request.path == "/hooks/serviceflow"
    assert json.loads(request.body) == notification_fields(NOTE)
    assert request.body.decode("utf-8").endswith('"to_name":"Jane Doe"}'), "compact, keys sorted"
    assert "€" in request.body.decode("utf-8"), "UTF-8, not escaped"
    headers = request.headers
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["idempotency-key"] == "C-1/4"
    assert headers["user-agent"].startswith("serviceflow-webhook/")
    timestamp = headers["x-serviceflow-timestamp"]
    assert before - 1 <= int(timestamp) <= time.time(), "signed at the real time of sending"
    verify_signature("s3cret", timestamp, request.body, headers["x-serviceflow-signature"])


def test_a_receiver_that_fails_then_recovers_gets_the_same_key_each_time(
    receiver: Receiver, notifier: WebhookNotifier
) -> None:
    receiver.script(Answer(503), Answer(500))
    notifier.notify(NOTE)

    assert len(receiver.requests) == 3
    assert {r.headers["idempotency-key"] for r in receiver.requests} == {"C-1/4"}
    assert {r.body for r in receiver.requests} == {receiver.requests[0].body}
    for request in receiver.requests:
        verify_signature(
            "s3cret",
            request.headers["x-serviceflow-timestamp"],
            request.body,
            request.headers["x-serviceflow-signature"],
        )


def test_a_receiver_that_keeps_failing_raises_after_the_retries(
    receiver: Receiver, notifier: WebhookNotifier
) -> None:
    receiver.default = Answer(502)
    with pytest.raises(DeliveryError) as raised:
        notifier.notify(NOTE)
    assert len(receiver.requests) == 3
    assert str(raised.value) == (
        f"POST {receiver.url} failed 3 time(s) for C-1/4; last: HTTP 502 Bad Gateway"
    )


def test_backoff_grows_and_is_jittered(receiver: Receiver) -> None:
    receiver.default = Answer(503)
    with (
        WebhookNotifier(receiver.url, secret="k", retries=3, backoff=0.1) as notifier,
        pytest.raises(DeliveryError),
    ):
        notifier.notify(NOTE)
    gaps = [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
    assert len(gaps) == 3
    for n, gap in enumerate(gaps):
        ceiling = 0.1 * 2**n
        assert ceiling / 2 <= gap < ceiling + 0.25, f"pause {n}: {gap:.3f}s"


@pytest.mark.parametrize("status", [408, 429])
def test_request_timeout_and_too_many_requests_are_retried(
    receiver: Receiver, notifier: WebhookNotifier, status: int
) -> None:
    receiver.script(Answer(status))
    notifier.notify(NOTE)
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("status", [200, 201, 202, 204, 409])
def test_2xx_and_409_already_have_it_count_as_delivered(
    receiver: Receiver, notifier: WebhookNotifier, status: int
) -> None:
    receiver.default = Answer(status)
    notifier.notify(NOTE)
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (400, "answered HTTP 400 Bad Request for C-1/4: unknown field (not retried"),
        (401, "answered HTTP 401 Unauthorized for C-1/4: unknown field (not retried"),
        (404, "answered HTTP 404 Not Found for C-1/4: unknown field (not retried"),
        (302, "answered HTTP 302 Found for C-1/4: unknown field (not retried"),
    ],
)
def test_other_refusals_raise_at_once(
    receiver: Receiver, notifier: WebhookNotifier, status: int, says: str
) -> None:
    receiver.default = Answer(status, {"Location": "/elsewhere"}, b"unknown field")
    with pytest.raises(DeliveryError, match=f"POST {receiver.url} {says}".replace("(", r"\(")):
        notifier.notify(NOTE)
    assert len(receiver.requests) == 1, "not retried, and a redirect is not followed"


def test_retry_after_is_waited_out_within_the_cap(
    receiver: Receiver, notifier: WebhookNotifier
) -> None:
    receiver.script(Answer(429, {"Retry-After": "1"}))
    notifier.notify(NOTE)
    first, second = receiver.requests
    assert second.at - first.at >= 0.95


def test_a_retry_after_beyond_the_cap_ends_the_attempt_at_once(receiver: Receiver) -> None:
    receiver.default = Answer(503, {"Retry-After": "120"})
    started = time.monotonic()
    with (
        WebhookNotifier(receiver.url, secret="k", retry_after_cap=5) as notifier,
        pytest.raises(DeliveryError, match=r"asks to retry after 120s, more than retry_after_cap"),
    ):
        notifier.notify(NOTE)
    assert time.monotonic() - started < 1
    assert len(receiver.requests) == 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert retry_after("7", now) == 7.0
    assert retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_a_receiver_that_times_out_is_retried_then_reported(receiver: Receiver) -> None:
    receiver.script(Answer(delay=1.5))
    with WebhookNotifier(receiver.url, secret="k", timeout=0.3, retries=1, backoff=0) as notifier:
        notifier.notify(NOTE)
    assert len(receiver.requests) == 2, "the slow answer timed out, the retry got through"

    receiver.script(Answer(delay=1.5), Answer(delay=1.5))
    started = time.monotonic()
    with (
        WebhookNotifier(receiver.url, secret="k", timeout=0.3, retries=1, backoff=0) as notifier,
        pytest.raises(DeliveryError, match=r"failed 2 time\(s\) for C-1/4; last: ReadTimeout"),
    ):
        notifier.notify(NOTE)
    assert time.monotonic() - started < 1.4, "each try gave up after the read timeout"


def test_a_closed_port_is_a_connection_error_after_the_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    with (
        WebhookNotifier(url, secret="k", retries=1, backoff=0.01) as notifier,
        pytest.raises(DeliveryError, match=r"failed 2 time\(s\) for C-1/4; last: ConnectError"),
    ):
        notifier.notify(NOTE)


def test_errors_never_show_credentials_or_the_query() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://user:pw@127.0.0.1:{port}/hook?token=abc"
    with (
        WebhookNotifier(url, secret="k", retries=0) as notifier,
        pytest.raises(DeliveryError) as raised,
    ):
        notifier.notify(NOTE)
    assert f"POST http://127.0.0.1:{port}/hook failed" in str(raised.value)
    assert "pw" not in str(raised.value)
    assert "abc" not in str(raised.value)
    assert "pw" not in repr(notifier)


def test_a_key_that_is_not_printable_ascii_is_percent_encoded_in_the_header(
    receiver: Receiver, notifier: WebhookNotifier
) -> None:
    assert idempotency_key("C-1/4/manager:ops") == "C-1/4/manager:ops"
    assert idempotency_key("C-1/4/gérant:zoé") == "C-1/4/g%C3%A9rant:zo%C3%A9"
    notifier.notify(attrs.evolve(NOTE, key="C-1/4/gérant:zoé"))
    (request,) = receiver.requests
    assert request.headers["idempotency-key"] == "C-1/4/g%C3%A9rant:zo%C3%A9"
    assert json.loads(request.body)["key"] == "C-1/4/gérant:zoé"
