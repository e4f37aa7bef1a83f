"""End to end: a desk on SQLite whose outbox emails through the plugin, and the entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from serviceflow import ManualClock, ServiceDesk

from serviceflow_smtp import SmtpNotifier, message_id, thread_id
from smtp_server import MailServer

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _acknowledged(desk: ServiceDesk) -> str:
    """A case walked to its acknowledgement, the first message the client gets."""
    case = desk.submit(
        requester="acme/jane@acme.test",
        channel="email",
        subject="Invoice wrong",
        fields={"name": "Jane Doe"},
    )
    desk.classify(case.id, category="billing", kind="incident", by="agent:kim")
    desk.prioritize(case.id, impact="medium", urgency="high", by="agent:kim")
    desk.assign(case.id, to="agent:kim", by="lead:ana")
    desk.acknowledge(case.id, by="agent:kim", message="We are looking at your invoice.")
    return case.id


def test_the_outbox_emails_the_client_retries_a_refusal_and_threads_the_case(
    server: MailServer, tmp_path: Path
) -> None:
    server.mailbox.refusals.append("421 4.7.0 Too busy, come back later")
    clock = ManualClock(START)
    notifier = SmtpNotifier(
        "127.0.0.1",
        server.port,
        "Acme Help <help@desk.test>",
        reply_to="support+{case_id}@desk.test",
        timeout=5,
    )
    with ServiceDesk.open(
        f"sqlite:///{tmp_path / 'desk.db'}", clock=clock, plugins=[notifier], entry_points=False
    ) as desk:
        case_id = _acknowledged(desk)
        assert desk.case(case_id).state == "in_progress", "a refusal undoes nothing"
        (waiting,) = desk.outbox.pending()
        assert "serviceflow_smtp: DeliveryError: SMTP 127.0.0.1:" in waiting.last_error
        assert "421 4.7.0 Too busy, come back later" in waiting.last_error
        assert server.received == []

        clock.advance(timedelta(minutes=1))
        assert desk.deliver().delivered == (waiting.key,)
        desk.resolve(case_id, by="agent:kim", resolution="The invoice is corrected.")
        assert desk.outbox.counts()["pending"] == 0

    acknowledged, resolved = (r.message for r in server.received)
    assert acknowledged["To"] == "Jane Doe <jane@acme.test>"
    assert acknowledged["Message-ID"] == message_id(waiting.key, "desk.test")
    assert acknowledged["Reply-To"] == f"support+{case_id}@desk.test"
    assert acknowledged.get_content() == "We are looking at your invoice.\n"
    assert resolved["Subject"].startswith(f"[{case_id}] Your request is resolved")
    assert resolved["Message-ID"] != acknowledged["Message-ID"]
    root = thread_id(case_id, "desk.test")
    assert acknowledged["References"] == resolved["References"] == root
    assert acknowledged["In-Reply-To"] == resolved["In-Reply-To"] == root


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
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEFLOW_SMTP_")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_entry_point_emails_when_the_environment_configures_it(server: MailServer) -> None:
    done = _run(
        {
            "SERVICEFLOW_SMTP_HOST": "127.0.0.1",
            "SERVICEFLOW_SMTP_PORT": str(server.port),
            "SERVICEFLOW_SMTP_SENDER": "help@desk.test",
            "SERVICEFLOW_SMTP_SUBJECT": "Re: $subject",
        }
    )
    assert done.returncode == 0, done.stderr
    assert "smtp" in done.stdout.strip().split(","), "recorded under the entry point's name"
    (got,) = server.received
    assert got.recipients == ("jane@acme.test",)
    assert got.message["Subject"].startswith("Re: [")


def test_a_bad_environment_stops_the_desk_from_opening_with_the_variable_named() -> None:
    done = _run({"SERVICEFLOW_SMTP_HOST": "mail.example", "SERVICEFLOW_SMTP_PORT": "smtp"})
    assert done.returncode != 0
    assert "serviceflow.errors.PluginError: SMTP notifier is misconfigured: " in done.stderr
    assert "SERVICEFLOW_SMTP_PORT='smtp': expected a whole number" in done.stderr
