"""The email a notification becomes: templated text, and headers that thread it on its case.

Pure: no network. ``Message-ID`` comes from the notification's key, so a redelivered
message carries the same id and mail systems can drop the repeat. Every message of a case
names one thread root (from the case id) in ``In-Reply-To`` and ``References``, so mail
clients keep them in one conversation; the root is a reference only, no message has it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from string import Formatter, Template

from attrs import frozen
from serviceflow.domain import Notification
from serviceflow.plugins import notification_fields

VARIABLES: Mapping[str, str] = {
    "key": "the message's idempotency key",
    "case_id": "the case's reference",
    "to": "the recipient as the desk names them",
    "to_name": "the recipient's name, when known",
    "kind": "the event that sends the message (case.acknowledged, ...)",
    "subject": "the desk's subject line ([case] what: case subject)",
    "text": "the message as the policy's templates rendered it",
    "at": "when the event happened (ISO 8601, UTC)",
    "audience": "client or internal",
    "template": "the policy template the text came from, if any",
    "locale": "the language of the text, if known",
}
"""What a mail template may use: the notification's fields."""

_ID_SAFE = re.compile(r"[^A-Za-z0-9_/+-]")
"""Characters escaped in a message id's left part (the rest are plain dot-atom text)."""
_ATOM = r"[^@\s<>()\[\],;:\"\\]+"
ADDRESS = re.compile(rf"{_ATOM}@{_ATOM}")
"""A bare address: a local part and a domain, with no spaces or delimiters."""


@frozen
class MailTemplates:
    """The subject and body of every email, as ``string.Template`` text over ``VARIABLES``.

    The defaults send the desk's subject and text unchanged.
    """

    subject: str = "$subject"
    body: str = "$text"

    def problems(self) -> Iterator[tuple[str, str]]:
        """Each template that cannot render, as ``(subject|body, what is wrong)``."""
        known = ", ".join(VARIABLES)
        for part in ("subject", "body"):
            template = Template(getattr(self, part))
            if not template.is_valid():
                yield part, "invalid placeholder (write $name or ${name}; $$ for a literal $)"
                continue
            for name in dict.fromkeys(template.get_identifiers()):
                if name not in VARIABLES:
                    yield part, f"unknown variable ${name} (variables: {known})"

    def render(self, notification: Notification) -> tuple[str, str]:
        """``(subject, body)`` for ``notification``; the subject on one line."""
        values = {
            name: "" if value is None else str(value)
            for name, value in notification_fields(notification).items()
        }
        subject = Template(self.subject).substitute(values)
        return " ".join(subject.split()), Template(self.body).substitute(values)


def reply_to_problem(pattern: str) -> str | None:
    """What is wrong with a ``Reply-To`` pattern (``support+{case_id}@example.com``), if
    anything: ``{case_id}`` is its only field, and it renders to an address."""
    try:
        fields = [field for _, field, _, _ in Formatter().parse(pattern) if field is not None]
    except ValueError as exc:
        return f"cannot read the pattern ({exc}; write {{{{ or }}}} for a literal brace)"
    if any(field != "case_id" for field in fields):
        return "the only field allowed is {case_id}"
    if not ADDRESS.fullmatch(pattern.format(case_id="case")):
        return "expected an address like support+{case_id}@example.com"
    if "{case_id}" in pattern.rpartition("@")[2]:
        return "{case_id} belongs in the part before the @"
    return None


def address_of(sender: str) -> str:
    """The bare address in ``Name <address>`` or ``address``; empty when there is none."""
    _, address = parseaddr(sender)
    return address if ADDRESS.fullmatch(address) else ""


def _id_part(text: str) -> str:
    return _ID_SAFE.sub(lambda m: "".join(f"={b:02X}" for b in m.group().encode()), text)


def message_id(key: str, domain: str) -> str:
    """The ``Message-ID`` of the message keyed ``key``: the same on every redelivery."""
    return f"<serviceflow.{_id_part(key)}@{domain}>"


def thread_id(case_id: str, domain: str) -> str:
    """The thread root every message of ``case_id`` refers to."""
    return f"<serviceflow.case.{_id_part(case_id)}@{domain}>"


def _address(addr_spec: str, display_name: str = "") -> Address:
    username, _, domain = addr_spec.rpartition("@")
    return Address(display_name=" ".join(display_name.split()), username=username, domain=domain)


def compose(
    notification: Notification,
    *,
    sender: str,
    recipient: str,
    templates: MailTemplates,
    reply_to: str = "",
) -> EmailMessage:
    """The email for ``notification`` to ``recipient`` (a bare address), from ``sender``
    (``Name <address>`` or an address), with replies routed by the ``reply_to`` pattern."""
    name, from_address = parseaddr(sender)
    domain = from_address.rpartition("@")[2]
    subject, body = templates.render(notification)
    message = EmailMessage()
    message["From"] = _address(from_address, name)
    message["To"] = _address(recipient, notification.to_name)
    if reply_to:
        message["Reply-To"] = _address(reply_to.format(case_id=notification.case_id))
    message["Subject"] = subject
    message["Date"] = format_datetime(notification.at)
    message["Message-ID"] = message_id(notification.key, domain)
    root = thread_id(notification.case_id, domain)
    message["In-Reply-To"] = root
    message["References"] = root
    message["Auto-Submitted"] = "auto-generated"
    message["X-Serviceflow-Case"] = notification.case_id
    message["X-Serviceflow-Key"] = notification.key
    message.set_content(body, charset="utf-8")
    if notification.locale:  # after set_content, which drops every Content-* header
        message["Content-Language"] = notification.locale
    return message
