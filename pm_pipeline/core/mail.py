"""Delivering messages: SMTP (STARTTLS or implicit TLS) or, without a server, `.eml` files.

Settings come only from the environment through `Mailer` (a Dagster resource with `EnvVar`
fields): PM_SMTP_HOST, PM_SMTP_PORT, PM_SMTP_USER, PM_SMTP_PASSWORD, PM_SMTP_STARTTLS,
PM_MAIL_FROM. The password is never logged, put in metadata or written anywhere.

Nothing is sent twice: `SentLog` keeps, for each message delivered, its recipient and a hash
of its content (subject and body, not the Date or Message-ID headers), so a re-run, a retried
sensor tick or an unchanged list is a no-op. A server that fails is retried a few times; a
message that still cannot be sent is written to the outbox as well and reported, never raised,
so the run that triggered it is not failed by the mail server.
"""

from __future__ import annotations

import hashlib
import json
import os
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import dagster as dg

from pm_pipeline.core.files import write_atomic

ENV = {
    "host": "PM_SMTP_HOST",
    "port": "PM_SMTP_PORT",
    "user": "PM_SMTP_USER",
    "password": "PM_SMTP_PASSWORD",
    "starttls": "PM_SMTP_STARTTLS",
    "sender": "PM_MAIL_FROM",
}
IMPLICIT_TLS_PORT = 465


def content_key(message: EmailMessage) -> str:
    """Recipient + content: what makes two messages 'the same message'."""
    digest = hashlib.sha256()
    digest.update(str(message["To"]).casefold().encode())
    digest.update(str(message["Subject"]).encode())
    for part in message.walk():
        if not part.is_multipart():
            digest.update(part.get_content().encode())
    return digest.hexdigest()


@dataclass
class SentLog:
    """`mail/sent.json` under the data directory: content keys already delivered."""

    path: Path

    def load(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def add(self, key: str, entry: dict) -> None:
        known = self.load()
        known[key] = entry
        write_atomic(self.path, json.dumps(known, indent=1, sort_keys=True), private=True)


@dataclass
class Delivery:
    """What happened to a batch of messages, for run metadata and logs (no secrets)."""

    sent: list[str] = field(default_factory=list)
    outbox: list[str] = field(default_factory=list)
    skipped: int = 0  # already delivered (same recipient and content)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.sent)} sent", f"{len(self.outbox)} written to the outbox"]
        parts.append(f"{self.skipped} already delivered")
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({'; '.join(self.failed)})")
        return ", ".join(parts)


class Mailer(dg.ConfigurableResource):
    """The council's mail server, or none: then messages go to reports/<quarter>/outbox/."""

    host: str | None = None
    port: int | None = None  # default 587 (STARTTLS), or 465 for implicit TLS
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    implicit_tls: bool | None = None  # TLS from the first byte; None: on port 465
    sender: str = "pm-pipeline@localhost"
    attempts: int = 3
    retry_seconds: float = 5.0
    timeout_seconds: float = 20.0
    verify_tls: bool = True  # tests with a self-signed loopback server turn it off

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def _send(self, message: EmailMessage) -> None:
        port = self.port or 587
        context = ssl.create_default_context()
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        smtp: smtplib.SMTP
        implicit = port == IMPLICIT_TLS_PORT if self.implicit_tls is None else self.implicit_tls
        if implicit:
            smtp = smtplib.SMTP_SSL(
                self.host or "", port, timeout=self.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host or "", port, timeout=self.timeout_seconds)
        with smtp:
            if self.starttls and not implicit:
                smtp.starttls(context=context)
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(message)

    def deliver(self, messages: list[EmailMessage], outbox: Path, log: SentLog) -> Delivery:
        """Each message sent (or written to `outbox`) once; failures reported, not raised."""
        result = Delivery()
        done = log.load()
        for message in messages:
            if message["From"] is None:
                message["From"] = self.sender
            key = content_key(message)
            if key in done:
                result.skipped += 1
                continue
            if "Message-ID" not in message:
                message["Message-ID"] = make_msgid(domain="pm-pipeline")
            to = str(message["To"])
            if not self.configured:
                path = write_eml(outbox, message, key)
                log.add(key, {"to": to, "subject": str(message["Subject"]), "outbox": str(path)})
                result.outbox.append(str(path))
                continue
            error = self._with_retries(message)
            if error is None:
                log.add(key, {"to": to, "subject": str(message["Subject"]), "sent": True})
                result.sent.append(to)
            else:  # kept in the outbox so nothing is lost; tried again on the next run
                write_eml(outbox, message, key)
                result.failed.append(f"{to}: {error}")
        return result

    def _with_retries(self, message: EmailMessage) -> str | None:
        error = "not tried"
        for attempt in range(max(1, self.attempts)):
            try:
                self._send(message)
                return None
            except (smtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < self.attempts:
                    time.sleep(self.retry_seconds * (2**attempt))
        return error


def write_eml(outbox: Path, message: EmailMessage, key: str) -> Path:
    """The message as an .eml file (opens in Outlook or Thunderbird), named by recipient."""
    recipient = str(message["To"]).replace("@", "_at_")
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in recipient)
    return write_atomic(outbox / f"{safe}_{key[:12]}.eml", message.as_bytes(), private=True)


def mailer_from_env(environ: dict[str, str] | None = None, **settings: object) -> Mailer:
    """The resource with `dg.EnvVar` fields for the variables that are set (an unset EnvVar
    would fail the run; mail is optional, the outbox is the default)."""
    env = os.environ if environ is None else environ
    fields: dict[str, object] = {}
    for name, variable in ENV.items():
        if not env.get(variable):
            continue
        if name == "port":
            fields[name] = dg.EnvVar.int(variable)
        elif name == "starttls":
            fields[name] = env[variable].strip().casefold() not in ("0", "false", "no", "off")
        else:
            fields[name] = dg.EnvVar(variable)
    return Mailer(**fields, **settings)  # type: ignore[arg-type]
