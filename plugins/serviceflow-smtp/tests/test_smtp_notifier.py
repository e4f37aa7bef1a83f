"""The notifier against real aiosmtpd servers: plain, STARTTLS with AUTH, and refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import attrs
import pytest
from serviceflow import Notification

from serviceflow_smtp import DeliveryError, NoAddress, SmtpNotifier
from smtp_server import PASSWORD, USER, MailServer, free_port

SENDER = "Acme Help <help@desk.test>"
NOTE = Notification(
    key="06EAVHMTG22W8K4W/5",
    case_id="06EAVHMTG22W8K4W",
    to="jane@acme.test",
    to_name="Jane Doe",
    kind="case.acknowledged",
    subject="[06EAVHMTG22W8K4W] We are on it: Facture erronée",
    text="Bonjour Jane,\n\nNous regardons votre facture de 12 €.\n",
    at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    locale="fr",
)


def test_sends_one_threaded_email_to_the_client(server: MailServer) -> None:
    notifier = SmtpNotifier(
        "127.0.0.1", server.port, SENDER, reply_to="support+{case_id}@desk.test", timeout=5
    )
    notifier.notify(NOTE)

    (got,) = server.received
    assert got.sender == "help@desk.test"
    assert got.recipients == ("jane@acme.test",)
    assert not got.tls
    mail = got.message
    assert mail["To"] == "Jane Doe <jane@acme.test>"
    assert mail["Subject"] == NOTE.subject
    assert mail["Message-ID"] == "<serviceflow.06EAVHMTG22W8K4W/5@desk.test>"
    assert mail["References"] == "<serviceflow.case.06EAVHMTG22W8K4W@desk.test>"
    assert mail["Reply-To"] == "support+06EAVHMTG22W8K4W@desk.test"
    assert mail.get_content() == NOTE.text


def test_a_redelivered_message_keeps_its_message_id(server: MailServer) -> None:
    notifier = SmtpNotifier("127.0.0.1", server.port, SENDER)
    notifier.notify(NOTE)
    notifier.notify(NOTE)
    first, second = server.received
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.raw == second.raw, "the same bytes: receivers can drop the repeat"


def test_a_refusal_raises_with_the_server_reply_and_the_next_attempt_gets_through(
    server: MailServer,
) -> None:
    server.mailbox.refusals.append("451 4.3.0 Try again later")
    notifier = SmtpNotifier("127.0.0.1", server.port, SENDER)
    with pytest.raises(DeliveryError) as raised:
        notifier.notify(NOTE)
    assert str(raised.value) == (
        f"SMTP 127.0.0.1:{server.port} did not take 06EAVHMTG22W8K4W/5 for jane@acme.test: "
        "451 4.3.0 Try again later"
    )
    assert server.received == []
    notifier.notify(NOTE)
    assert len(server.received) == 1


def test_a_server_that_is_down_is_a_delivery_error() -> None:
    notifier = SmtpNotifier("127.0.0.1", free_port(), SENDER, timeout=2)
    with pytest.raises(DeliveryError, match=r"did not take .* ConnectionRefusedError"):
        notifier.notify(NOTE)


def test_starttls_and_login(tls_server: MailServer, cafile: str) -> None:
    notifier = SmtpNotifier(
        "127.0.0.1",
        tls_server.port,
        SENDER,
        starttls=True,
        cafile=cafile,
        username=USER,
        password=PASSWORD,
        timeout=5,
    )
    notifier.notify(NOTE)
    (got,) = tls_server.received
    assert got.tls
    assert got.login == USER
    assert got.message.get_content() == NOTE.text


def test_a_wrong_password_is_refused(tls_server: MailServer, cafile: str) -> None:
    notifier = SmtpNotifier(
        "127.0.0.1",
        tls_server.port,
        SENDER,
        starttls=True,
        cafile=cafile,
        username=USER,
        password="wrong",
        timeout=5,
    )
    with pytest.raises(DeliveryError, match=r": 535 5\.7\.8 Authentication credentials invalid"):
        notifier.notify(NOTE)
    assert tls_server.received == []


def test_an_untrusted_certificate_is_refused(tls_server: MailServer) -> None:
    notifier = SmtpNotifier(
        "127.0.0.1", tls_server.port, SENDER, starttls=True, username=USER, password=PASSWORD
    )
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
        notifier.notify(NOTE)
    assert tls_server.received == []


def test_a_server_that_requires_starttls_refuses_plain_mail(tls_server: MailServer) -> None:
    notifier = SmtpNotifier("127.0.0.1", tls_server.port, SENDER, timeout=5)
    with pytest.raises(DeliveryError, match=re.escape("530 Must issue a STARTTLS command first")):
        notifier.notify(NOTE)


def test_starttls_against_a_server_without_it_is_refused(server: MailServer) -> None:
    notifier = SmtpNotifier("127.0.0.1", server.port, SENDER, starttls=True, timeout=5)
    with pytest.raises(DeliveryError, match="SMTPNotSupportedError: STARTTLS extension"):
        notifier.notify(NOTE)
    assert server.received == []


def test_an_internal_party_goes_through_the_address_book(server: MailServer) -> None:
    internal = attrs.evolve(NOTE, key="C/5/manager:ops", to="manager:ops", audience="internal")
    notifier = SmtpNotifier(
        "127.0.0.1", server.port, SENDER, address_book={"manager:ops": "ops@desk.test"}
    )
    notifier.notify(internal)
    (got,) = server.received
    assert got.recipients == ("ops@desk.test",)
    assert got.message["Message-ID"] == "<serviceflow.C/5/manager=3Aops@desk.test>"


def test_a_recipient_without_an_address_is_an_error_not_a_silent_drop(server: MailServer) -> None:
    internal = attrs.evolve(NOTE, key="C/5/manager:ops", to="manager:ops", audience="internal")
    notifier = SmtpNotifier("127.0.0.1", server.port, SENDER)
    with pytest.raises(NoAddress, match=r"no email address for 'manager:ops' \(message C/5/"):
        notifier.notify(internal)
    assert server.received == []


def test_an_audience_left_out_is_taken_unsent(server: MailServer) -> None:
    internal = attrs.evolve(NOTE, key="C/5/manager:ops", to="manager:ops", audience="internal")
    notifier = SmtpNotifier("127.0.0.1", server.port, SENDER, audiences=("client",))
    notifier.notify(internal)
    notifier.notify(NOTE)
    assert [r.recipients for r in server.received] == [("jane@acme.test",)]


def test_a_resolver_that_gives_no_address_is_an_error(server: MailServer) -> None:
    internal = attrs.evolve(NOTE, key="C/5/manager:ops", to="manager:ops", audience="internal")
    notifier = SmtpNotifier("127.0.0.1", server.port, SENDER, resolver=lambda to: "ops desk")
    with pytest.raises(NoAddress, match=r"the resolver gave 'ops desk' for 'manager:ops'"):
        notifier.notify(internal)
    assert server.received == []
