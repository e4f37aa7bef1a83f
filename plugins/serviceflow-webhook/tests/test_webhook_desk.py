"""End to end: a desk on SQLite whose outbox delivers through the webhook, and the entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from serviceflow import ManualClock, ServiceDesk

from serviceflow_webhook import WebhookNotifier, verify_signature
from webhook_receiver import Answer, Receiver

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _acknowledged(desk: ServiceDesk) -> str:
    """A case walked to its acknowledgement, the first message the client gets."""
    case = desk.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice wrong")
    desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
    desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message="We are looking at your invoice.")
    return case.id


def test_the_outbox_delivers_through_the_webhook_and_retries_after_an_outage(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.default = Answer(503)
    clock = ManualClock(START)
    with (
        WebhookNotifier(receiver.url, secret="s3cret", retries=1, backoff=0.01) as notifier,
        ServiceDesk.open(
            f"sqlite:///{tmp_path / 'desk.db'}", clock=clock, plugins=[notifier], entry_points=False
        ) as desk,
    ):
        case_id = _acknowledged(desk)
        assert desk.case(case_id).state == "in_progress", "a failing notifier undoes nothing"
        (waiting,) = desk.outbox.pending()
        assert waiting.attempts == 1
        assert "serviceflow_webhook: DeliveryError: POST " in waiting.last_error
        assert "failed 2 time(s)" in waiting.last_error
        assert len(receiver.requests) == 2

        receiver.default = Answer(200)
        clock.advance(timedelta(minutes=1))
        report = desk.deliver()
        assert report.delivered == (waiting.key,)
        assert desk.outbox.counts()["pending"] == 0

    last = receiver.requests[-1]
    body = json.loads(last.body)
    assert body["case_id"] == case_id
    assert body["kind"] == "case.acknowledged"
    assert body["to"] == "jane@acme.test"
    assert body["text"] == "We are looking at your invoice."
    assert last.headers["idempotency-key"] == waiting.key
    assert {r.headers["idempotency-key"] for r in receiver.requests} == {waiting.key}
    verify_signature(
        "s3cret",
        last.headers["x-serviceflow-timestamp"],
        last.body,
        last.headers["x-serviceflow-signature"],
    )


def test_a_refusal_is_recorded_and_the_message_waits(receiver: Receiver, tmp_path: Path) -> None:
    receiver.default = Answer(422, body=b"missing field: tenant")
    with (
        WebhookNotifier(receiver.url, secret="s3cret") as notifier,
        ServiceDesk.open(
            f"sqlite:///{tmp_path / 'desk.db'}",
            clock=ManualClock(START),
            plugins=[notifier],
            entry_points=False,
        ) as desk,
    ):
        _acknowledged(desk)
        (waiting,) = desk.outbox.pending()
    assert "HTTP 422 Unprocessable Entity" in waiting.last_error
    assert "missing field: tenant" in waiting.last_error
    assert len(receiver.requests) == 1, "a 4xx is not retried within the attempt"


SCRIPT = """
from datetime import UTC, datetime
from serviceflow import ManualClock, ServiceDesk

with ServiceDesk.open("memory://", clock=ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))) as d:
    case = d.submit(requester="acme/jane@acme.test", channel="email", subject="Invoice")
    d.classify(case.id, category="billing", kind="incident", by="agent:kim")
    d.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
    d.assign(case.id, to="agent:kim", by="lead:ana")
    d.acknowledge(case.id, by="agent:kim", message="On it")
    (done,) = d.outbox.store.outbox("delivered")
    print(",".join(sorted(done.delivered_to)))
"""


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_WEBHOOK_")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_entry_point_delivers_when_the_environment_configures_it(receiver: Receiver) -> None:
    done = _run({"SERVICEFLOW_WEBHOOK_URL": receiver.url, "SERVICEFLOW_WEBHOOK_SECRET": "k"})
    assert done.returncode == 0, done.stderr
    assert "webhook" in done.stdout.strip().split(","), "recorded under the entry point's name"
    (request,) = receiver.requests
    assert json.loads(request.body)["kind"] == "case.acknowledged"


def test_a_bad_environment_stops_the_desk_from_opening_with_the_variable_named() -> None:
    done = _run(
        {"SERVICEFLOW_WEBHOOK_URL": "ftp://hooks.example", "SERVICEFLOW_WEBHOOK_SECRET": "k"}
    )
    assert done.returncode != 0
    assert "serviceflow.errors.PluginError: webhook notifier is misconfigured: " in done.stderr
    assert "SERVICEFLOW_WEBHOOK_URL='ftp://hooks.example': expected an http://" in done.stderr
