"""End to end: the notifier contract on a real SMTP server, and the mail threading a desk gets."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from serviceflow.testing import NotifierContract, acknowledged_case, open_desk

from serviceflow_smtp import SmtpNotifier, message_id, thread_id
from smtp_server import MailServer


class TestSmtpNotifier(NotifierContract[MailServer]):
    """Delivery, retries, dead letters and the ``smtp`` entry point through a desk's outbox."""

    entry_point = "smtp"
    variables = "SERVICEFLOW_SMTP_"
    misconfigured: ClassVar[dict[str, str]] = {
        "SERVICEFLOW_SMTP_HOST": "mail.example",
        "SERVICEFLOW_SMTP_PORT": "smtp",
    }
    misconfigured_says = (
        "SMTP notifier is misconfigured: ",
        "SERVICEFLOW_SMTP_PORT='smtp': expected a whole number",
    )

    @pytest.fixture
    def endpoint(self, server: MailServer) -> MailServer:
        return server

    def make_notifier(self, endpoint: MailServer) -> SmtpNotifier:
        return SmtpNotifier("127.0.0.1", endpoint.port, "help@desk.test", timeout=5)

    def refuse(self, endpoint: MailServer) -> None:
        endpoint.mailbox.refusing = "421 4.7.0 Too busy, come back later"

    def accept(self, endpoint: MailServer) -> None:
        endpoint.mailbox.refusing = ""

    def taken(self, endpoint: MailServer) -> list[str]:
        return [got.message["X-Serviceflow-Key"] for got in endpoint.received]

    def environment(self, endpoint: MailServer) -> dict[str, str]:
        return {
            "SERVICEFLOW_SMTP_HOST": "127.0.0.1",
            "SERVICEFLOW_SMTP_PORT": str(endpoint.port),
            "SERVICEFLOW_SMTP_SENDER": "help@desk.test",
        }


def test_every_email_of_a_case_is_threaded_and_replies_name_the_case(
    server: MailServer, tmp_path: Path
) -> None:
    notifier = SmtpNotifier(
        "127.0.0.1",
        server.port,
        "Acme Help <help@desk.test>",
        reply_to="support+{case_id}@desk.test",
        timeout=5,
    )
    with open_desk(tmp_path, notifier) as desk:
        case_id = acknowledged_case(desk)
        (first,) = desk.store.outbox()
        desk.resolve(case_id, by="agent:kim", resolution="The invoice is corrected.")

    acknowledged, resolved = (r.message for r in server.received)
    assert acknowledged["To"] == "Jane Doe <jane@acme.test>"
    assert acknowledged["Message-ID"] == message_id(first.key, "desk.test")
    assert acknowledged["Reply-To"] == f"support+{case_id}@desk.test"
    assert acknowledged.get_content() == "We are looking at your invoice.\n"
    assert resolved["Subject"].startswith(f"[{case_id}] Your request is resolved")
    assert resolved["Message-ID"] != acknowledged["Message-ID"]
    root = thread_id(case_id, "desk.test")
    assert acknowledged["References"] == resolved["References"] == root
    assert acknowledged["In-Reply-To"] == resolved["In-Reply-To"] == root
