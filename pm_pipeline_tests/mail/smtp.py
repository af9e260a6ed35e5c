"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can refuse,
offer STARTTLS with a self-signed certificate, or offer a login (recording any attempt)."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Inbox:
    """Messages received, each envelope's recipients (the RCPT TO commands), and every login
    attempted; the first `refuse` deliveries get a temporary failure (451)."""

    def __init__(self, refuse: int = 0):
        self.refuse = refuse
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def body(message: EmailMessage, kind: str = "plain") -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    return part.get_content()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(
    refuse: int = 0,
    starttls: ssl.SSLContext | None = None,
    login: bool = False,
    port: int | None = None,
) -> Iterator[tuple[Inbox, int]]:
    """The server on a free loopback port (or `port`): STARTTLS offered (and required) with
    `starttls`'s certificate if given; with `login`, AUTH offered, even without TLS, so a
    client that would send its password in clear can be caught doing it."""
    inbox = Inbox(refuse)
    port = port or free_port()
    options: dict[str, object] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if login:
        options.update(authenticator=inbox.authenticate, auth_require_tls=False)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def self_signed(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command): its file, which
    a client may be told to trust (SSL_CERT_FILE), and the server's context."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context
