"""Fixtures: real aiosmtpd servers, plain and with STARTTLS and AUTH."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from serviceflow.testing.services import require

from smtp_server import MailServer, self_signed


@pytest.fixture
def server() -> Iterator[MailServer]:
    """A plain SMTP server on a free local port."""
    made = MailServer()
    made.start()
    yield made
    made.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path] | None:
    """A self-signed certificate and key for 127.0.0.1, if openssl can make one."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def cafile(certificate: tuple[Path, Path] | None) -> str:
    """The self-signed certificate, to trust it (skips when openssl is missing)."""
    require(certificate is not None, "openssl is not installed: cannot make a TLS certificate")
    assert certificate is not None
    return str(certificate[0])


@pytest.fixture
def tls_server(certificate: tuple[Path, Path] | None, cafile: str) -> Iterator[MailServer]:
    """A server that requires STARTTLS, then AUTH, with the self-signed certificate."""
    assert certificate is not None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    made = MailServer(tls=context)
    made.start()
    yield made
    made.stop()
