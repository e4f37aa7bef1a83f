"""End to end: the notifier contract on a real HTTP receiver, and what a desk's message posts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from serviceflow.testing import NotifierContract, acknowledged_case, open_desk

from serviceflow_webhook import WebhookNotifier, verify_signature
from webhook_receiver import Answer, Receiver


class TestWebhookNotifier(NotifierContract[Receiver]):
    """Delivery, retries, dead letters and the ``webhook`` entry point through a desk's outbox."""

    entry_point = "webhook"
    variables = "SERVICEFLOW_WEBHOOK_"
    misconfigured: ClassVar[dict[str, str]] = {
        "SERVICEFLOW_WEBHOOK_URL": "ftp://hooks.example",
        "SERVICEFLOW_WEBHOOK_SECRET": "k",
    }
    misconfigured_says = (
        "webhook notifier is misconfigured: ",
        "SERVICEFLOW_WEBHOOK_URL='ftp://hooks.example': expected an http://",
    )

    @pytest.fixture
    def endpoint(self, receiver: Receiver) -> Receiver:
        return receiver

    def make_notifier(self, endpoint: Receiver) -> WebhookNotifier:
        return WebhookNotifier(endpoint.url, secret="s3cret", retries=0, timeout=5)

    def refuse(self, endpoint: Receiver) -> None:
        endpoint.default = Answer(503)

    def accept(self, endpoint: Receiver) -> None:
        endpoint.default = Answer(200)

    def taken(self, endpoint: Receiver) -> list[str]:
        return [request.headers["idempotency-key"] for request in endpoint.taken]

    def environment(self, endpoint: Receiver) -> dict[str, str]:
        return {"SERVICEFLOW_WEBHOOK_URL": endpoint.url, "SERVICEFLOW_WEBHOOK_SECRET": "k"}


def test_a_desk_message_posts_signed_json_and_keeps_its_key_across_tries(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.script(Answer(503))
    with (
        WebhookNotifier(receiver.url, secret="s3cret", retries=1, backoff=0.01) as notifier,
        open_desk(tmp_path, notifier) as desk,
    ):
        case_id = acknowledged_case(desk)
        (sent,) = desk.store.outbox("delivered")
        assert sent.attempts == 1, "the notifier's own retry is within one outbox attempt"

    first, last = receiver.requests
    assert first.headers["idempotency-key"] == last.headers["idempotency-key"] == sent.key
    body = json.loads(last.body)
    assert body["case_id"] == case_id
    assert body["kind"] == "case.acknowledged"
    assert (body["to"], body["to_name"]) == ("jane@acme.test", "Jane Doe")
    assert body["text"] == "We are looking at your invoice."
    verify_signature(
        "s3cret",
        last.headers["x-serviceflow-timestamp"],
        last.body,
        last.headers["x-serviceflow-signature"],
    )


def test_a_refusal_is_not_retried_within_the_attempt_and_the_message_waits(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.default = Answer(422, body=b"missing field: tenant")
    with (
        WebhookNotifier(receiver.url, secret="s3cret") as notifier,
        open_desk(tmp_path, notifier) as desk,
    ):
        acknowledged_case(desk)
        (waiting,) = desk.outbox.pending()
    assert "HTTP 422 Unprocessable Entity" in waiting.last_error
    assert "missing field: tenant" in waiting.last_error
    assert len(receiver.requests) == 1, "a 4xx is not retried within the attempt"
