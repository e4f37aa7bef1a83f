"""``SmtpNotifier``: each outbox message sent as one email through an SMTP server.

One ``notify`` call is one outbox attempt on a fresh connection: a refusal or a network
error raises, and the outbox retries later with its backoff (SMTP servers that defer mail,
greylisting for instance, expect minutes, not an in-call retry).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.utils import parseaddr

from serviceflow.domain import AUDIENCES, Notification
from serviceflow.errors import ServiceflowError
from serviceflow.plugins.hookspecs import hookimpl

from serviceflow_smtp.mail import ADDRESS, MailTemplates, compose
from serviceflow_smtp.settings import SmtpSettings

log = logging.getLogger("serviceflow.smtp")

Resolver = Callable[[str], "str | None"]
"""Maps a notification's ``to`` (a desk id such as ``manager:ops``) to an address, or None."""


class DeliveryError(ServiceflowError):
    """The SMTP server did not take a notification in this attempt; the outbox retries it."""


class NoAddress(DeliveryError):  # noqa: N818 - reads as the outcome, like the core's NotFound
    """A notification's recipient has no email address this notifier knows."""


def recipient_of(
    to: str, address_book: Mapping[str, str], resolver: Resolver | None = None
) -> str | None:
    """The address for ``to``: the address book, then ``resolver``, then ``to`` itself when
    it is an address (a requester id ``acme/jane@acme.test`` gives ``jane@acme.test``)."""
    if to in address_book:
        return address_book[to]
    if resolver is not None:
        found = resolver(to)
        if found:
            return found
    contact = to.rpartition("/")[2].strip()
    return contact if ADDRESS.fullmatch(contact) else None


class SmtpNotifier:
    """Emails every notification through ``host``:``port`` from ``sender``.

    Register it with ``ServiceDesk.open(..., plugins=[SmtpNotifier(...)])``. Its plugin name
    (``name``) is what the outbox records as having taken a message, so keep it stable.
    Bad settings raise ``PluginError``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str = "",
        password: str = "",
        cafile: str = "",
        timeout: float = 30.0,
        reply_to: str = "",
        templates: MailTemplates | None = None,
        address_book: Mapping[str, str] | None = None,
        resolver: Resolver | None = None,
        audiences: tuple[str, ...] = AUDIENCES,
        name: str = "serviceflow_smtp",
    ) -> None:
        settings = SmtpSettings(
            host=host,
            port=port,
            sender=sender,
            starttls=starttls,
            username=username,
            password=password,
            cafile=cafile,
            timeout=timeout,
            reply_to=reply_to,
            templates=templates if templates is not None else MailTemplates(),
            address_book=address_book or {},
            audiences=audiences,
        )
        self.settings = settings.checked()
        self.resolver = resolver
        self.__name__ = name
        self._from = parseaddr(settings.sender)[1]

    @classmethod
    def of(cls, settings: SmtpSettings, *, name: str = "serviceflow_smtp") -> SmtpNotifier:
        """A notifier with ``settings`` (as ``from_environment`` reads them)."""
        return cls(
            settings.host,
            settings.port,
            settings.sender,
            starttls=settings.starttls,
            username=settings.username,
            password=settings.password,
            cafile=settings.cafile,
            timeout=settings.timeout,
            reply_to=settings.reply_to,
            templates=settings.templates,
            address_book=settings.address_book,
            audiences=settings.audiences,
            name=name,
        )

    def __repr__(self) -> str:
        return f"SmtpNotifier({self.settings.host!r}, {self.settings.port}, name={self.__name__!r})"

    @hookimpl
    def notify(self, notification: Notification) -> None:
        """Email the notification; raise ``DeliveryError`` when the server does not take it.

        A notification for an audience this notifier does not serve is taken unsent.
        """
        settings = self.settings
        if notification.audience not in settings.audiences:
            log.debug("smtp: %s is for %s; not emailed", notification.key, notification.audience)
            return
        recipient = recipient_of(notification.to, settings.address_book, self.resolver)
        if recipient is None:
            raise NoAddress(
                f"no email address for {notification.to!r} (message {notification.key}); "
                "map it in address_book (SERVICEFLOW_SMTP_ADDRESS_BOOK) or a resolver, or "
                f"leave {notification.audience!r} out of audiences"
            )
        if not ADDRESS.fullmatch(recipient):
            raise NoAddress(
                f"the resolver gave {recipient!r} for {notification.to!r} "
                f"(message {notification.key}), which is not an email address"
            )
        message = compose(
            notification,
            sender=settings.sender,
            recipient=recipient,
            templates=settings.templates,
            reply_to=settings.reply_to,
        )
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                if settings.starttls:
                    smtp.starttls(context=self._tls())
                if settings.username:
                    smtp.login(settings.username, settings.password)
                smtp.send_message(message, from_addr=self._from, to_addrs=[recipient])
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP {settings.host}:{settings.port} did not take {notification.key} "
                f"for {recipient}: {_reason(exc)}"
            ) from exc

    def _tls(self) -> ssl.SSLContext:
        """A verifying TLS context: the system's authorities, or ``cafile``'s alone."""
        return ssl.create_default_context(cafile=self.settings.cafile or None)


def _reason(exc: BaseException) -> str:
    """An SMTP refusal as ``code text``; anything else as its type and message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {_reply(*reply)}" for to, reply in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return f"{type(exc).__name__}: {exc}"


def _reply(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {shown}"
