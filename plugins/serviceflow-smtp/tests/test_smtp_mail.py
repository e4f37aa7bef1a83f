"""The email a notification becomes: recipient, templates, and threading headers (pure)."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import attrs
import pytest
from serviceflow import Notification

from serviceflow_smtp import MailTemplates, compose, message_id, recipient_of, thread_id
from serviceflow_smtp.mail import reply_to_problem

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


def _compose(note: Notification = NOTE, **options: object) -> email.message.EmailMessage:
    made = compose(
        note,
        sender=str(options.get("sender", "Acme Help <help@desk.test>")),
        recipient=str(options.get("recipient", "jane@acme.test")),
        templates=options.get("templates", MailTemplates()),  # type: ignore[arg-type]
        reply_to=str(options.get("reply_to", "")),
    )
    again = email.message_from_bytes(made.as_bytes(), policy=email.policy.default)
    assert isinstance(again, email.message.EmailMessage)
    return again


def test_the_email_carries_the_desk_text_as_utf8_plain_text() -> None:
    mail = _compose()
    assert mail["From"] == "Acme Help <help@desk.test>"
    assert mail["To"] == "Jane Doe <jane@acme.test>"
    assert mail["Subject"] == "[06EAVHMTG22W8K4W] We are on it: Facture erronée"
    assert mail["Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"
    assert mail["Content-Language"] == "fr"
    assert mail["Auto-Submitted"] == "auto-generated", "auto-responders must not answer"
    assert mail["X-Serviceflow-Case"] == "06EAVHMTG22W8K4W"
    assert mail["X-Serviceflow-Key"] == "06EAVHMTG22W8K4W/5"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content() == NOTE.text


def test_message_id_comes_from_the_key_and_every_message_threads_on_the_case() -> None:
    mail = _compose()
    assert mail["Message-ID"] == "<serviceflow.06EAVHMTG22W8K4W/5@desk.test>"
    assert mail["In-Reply-To"] == "<serviceflow.case.06EAVHMTG22W8K4W@desk.test>"
    assert mail["References"] == "<serviceflow.case.06EAVHMTG22W8K4W@desk.test>"
    later = _compose(attrs.evolve(NOTE, key="06EAVHMTG22W8K4W/9", kind="case.resolved"))
    assert later["Message-ID"] != mail["Message-ID"]
    assert later["References"] == mail["References"]
    assert _compose()["Message-ID"] == mail["Message-ID"], "a redelivery has the same id"


def test_ids_escape_what_a_message_id_cannot_hold() -> None:
    assert message_id("IMP.1:a/4/manager:ops", "d.test") == (
        "<serviceflow.IMP=2E1=3Aa/4/manager=3Aops@d.test>"
    )
    assert thread_id("case.1", "d.test") == "<serviceflow.case.case=2E1@d.test>"
    assert message_id("é=", "d.test") == "<serviceflow.=C3=A9=3D@d.test>"


def test_reply_to_routes_replies_to_the_case() -> None:
    mail = _compose(reply_to="support+{case_id}@desk.test")
    assert mail["Reply-To"] == "support+06EAVHMTG22W8K4W@desk.test"
    odd = _compose(attrs.evolve(NOTE, case_id="IMP:7"), reply_to="support+{case_id}@desk.test")
    assert odd["Reply-To"] == '"support+IMP:7"@desk.test', "quoted: ':' needs it"
    assert _compose()["Reply-To"] is None, "no pattern: replies go to the sender"


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("support+{case_id}@desk.test", None),
        ("help@desk.test", None),
        ("support+{case}@desk.test", "the only field allowed is {case_id}"),
        ("support+{case_id.upper}@desk.test", "the only field allowed is {case_id}"),
        ("support+{case_id@desk.test", "cannot read the pattern"),
        ("support {case_id}", "expected an address like support+{case_id}@example.com"),
        ("support@{case_id}.desk.test", "{case_id} belongs in the part before the @"),
    ],
)
def test_a_reply_to_pattern_is_checked(pattern: str, says: str | None) -> None:
    problem = reply_to_problem(pattern)
    assert problem == says or (says is not None and problem is not None and says in problem)


def test_templates_render_the_notification_fields() -> None:
    templates = MailTemplates(
        subject="Case $case_id:\n $kind",
        body="$text\n-- \nReference $key, sent $at ($audience, ${locale})\n",
    )
    mail = _compose(templates=templates)
    assert mail["Subject"] == "Case 06EAVHMTG22W8K4W: case.acknowledged", "on one line"
    assert mail.get_content().endswith(
        "-- \nReference 06EAVHMTG22W8K4W/5, sent 2026-03-02T09:00:00.000000+00:00 (client, fr)\n"
    )
    assert "$$" not in MailTemplates(body="$$ $text").render(NOTE)[1]


@pytest.mark.parametrize(
    ("templates", "problems"),
    [
        (MailTemplates(), []),
        (MailTemplates(subject="$nope"), [("subject", "unknown variable $nope")]),
        (MailTemplates(body="cost: $5"), [("body", "invalid placeholder")]),
    ],
)
def test_a_template_is_checked_before_anything_is_sent(
    templates: MailTemplates, problems: list[tuple[str, str]]
) -> None:
    found = list(templates.problems())
    assert [part for part, _ in found] == [part for part, _ in problems]
    for (_, message), (_, expected) in zip(found, problems, strict=True):
        assert message.startswith(expected)


def test_the_recipient_is_the_contact_part_the_address_book_or_the_resolver() -> None:
    assert recipient_of("jane@acme.test", {}) == "jane@acme.test"
    assert recipient_of("acme/jane@acme.test", {}) == "jane@acme.test"
    assert recipient_of("manager:ops", {}) is None
    assert recipient_of("acme/jane", {}) is None
    book = {"manager:ops": "ops@desk.test"}
    assert recipient_of("manager:ops", book) == "ops@desk.test"
    assert recipient_of("agent:kim", book, lambda to: f"{to[6:]}@desk.test") == "kim@desk.test"
    assert recipient_of("jane@acme.test", book, lambda to: None) == "jane@acme.test"
