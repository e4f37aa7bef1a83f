"""A real SMTP server (aiosmtpd, in its own thread) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections import deque
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from attrs import frozen

USER = "desk"
PASSWORD = "correct horse"


@frozen
class Received:
    """One message as the server took it: envelope, parsed message, and how it came."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    tls: bool
    login: str | None


class Mailbox:
    """The server's handler: answers the next scripted refusals, then ``refusing`` while it
    is set, then takes every message."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusals: deque[str] = deque()
        self.refusing = ""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusals:
            return self.refusals.popleft()
        if self.refusing:
            return self.refusing
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        data = session.auth_data
        login = data.login.decode() if isinstance(data, LoginPassword) else None
        self.received.append(
            Received(
                sender=envelope.mail_from or "",
                recipients=tuple(envelope.rcpt_tos),
                message=parsed,
                raw=raw,
                tls=session.ssl is not None,
                login=login,
            )
        )
        return "250 2.0.0 OK: queued"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    # handled=False on failure: the server then answers 535 itself
    return AuthResult(success=ok, handled=ok, auth_data=data if ok else None)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MailServer:
    """An aiosmtpd controller on a free local port; with ``tls``, it offers STARTTLS and
    AUTH (only after STARTTLS) and requires both."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        options: dict[str, Any] = {}
        if tls is not None:
            options = {
                "tls_context": tls,
                "require_starttls": True,
                "authenticator": _authenticate,
                "auth_required": True,
                "auth_require_tls": True,
            }
        self._controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            **options,
        )

    @property
    def received(self) -> list[Received]:
        return self.mailbox.received

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def self_signed(folder: Path) -> tuple[Path, Path] | None:
    """A certificate and key for 127.0.0.1 made with the openssl command, or ``None``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
