"""Delivering messages: SMTP over TLS (STARTTLS or implicit TLS) or, without a server, `.eml`
files.

Settings come from the environment through `Mailer` (a Dagster resource with `EnvVar`
fields): PM_SMTP_HOST, PM_SMTP_PORT, PM_SMTP_USER, PM_SMTP_PASSWORD, PM_SMTP_STARTTLS, and
PM_MAIL_FROM and PM_MAIL_REPLY_TO, which win over the From and Reply-To a message already has
(council.yaml's `mail`). Every message leaves with a Date, a From and a Reply-To. The password is never logged, put in metadata or written anywhere. It is sent only
inside TLS, to a server whose certificate and name check out (Python's default context: a
council whose server has a certificate from its own authority trusts that authority through
OpenSSL's SSL_CERT_FILE); nothing turns the check off, and there is no login without TLS.

Each message has one recipient, an address the standard library's parser accepts
(`mail_address`), and the envelope names that address only.

Nothing is sent twice: the sent log (`mail/sent.jsonl`) has a line for each message delivered,
written to the outbox or failed, with its recipient and a hash of its content (subject and body,
not the Date or Message-ID headers), so a re-run, a retried sensor tick or an unchanged list is a
no-op. A batch reads it once and appends to it. A server that fails for a moment is retried a few
times; a message that still cannot be sent is written to the outbox as well and reported (its
`Failure` says whether it had failed before, so the data team is alerted once), never raised:
the next run tries it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import smtplib
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import dagster as dg

from pm_pipeline.core.files import append_private, write_atomic
from pm_pipeline.core.periods import TIMEZONE
from pm_pipeline.core.sheets import shown

ENV = {
    "host": "PM_SMTP_HOST",
    "port": "PM_SMTP_PORT",
    "user": "PM_SMTP_USER",
    "password": "PM_SMTP_PASSWORD",
    "starttls": "PM_SMTP_STARTTLS",
    "sender": "PM_MAIL_FROM",
    "reply_to": "PM_MAIL_REPLY_TO",
}
DEFAULT_SENDER = "pm-pipeline@localhost"  # neither PM_MAIL_FROM nor council.yaml names one
IMPLICIT_TLS_PORT = 465
MAX_ADDRESS = 254  # characters: the longest address an SMTP path carries (RFC 5321)
NAME_KEPT = 80  # characters of an address a file name keeps as it is
LOG_NAME = "sent.jsonl"
LEGACY_LOG_NAME = "sent.json"  # one JSON object rewritten per message, before issue 26


def mail_address(text: str) -> str:
    """`text` as one address mail can go to, or ValueError saying what is wrong with it.

    The standard library's parser (`email.headerregistry.Address`) decides what an address is;
    on top of it an address stands alone (no name or list around it), is ASCII, names a domain
    (not an IP address) and fits in SMTP.
    """
    if len(text) > MAX_ADDRESS:
        raise ValueError(
            f"is {len(text):,} characters long, more than the {MAX_ADDRESS} an e-mail address "
            "can have"
        )
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, AttributeError):  # the parser's own slip on 'a@[1.2.3.4'
        pairs = getaddresses([text])
        if sum(bool(a) for _, a in pairs) > 1 or any(name for name, _ in pairs):
            raise ValueError(
                "is not one e-mail address — give one address alone, with no name or list around it"
            ) from None
        raise ValueError("is not an e-mail address") from None
    if not text.isascii() or address.domain.startswith("[") or "." not in address.domain:
        raise ValueError(
            "is not an e-mail address the council's mail can reach — write it as "
            "name@council.gov.uk, in plain letters, with the domain's name"
        )
    return address.addr_spec


def sender_address(text: str) -> str:
    """`text` as a From or Reply-To: one address (`mail_address`), with or without a name
    before it ("Performance team <performance@council.gov.uk>"); else ValueError."""
    pairs = getaddresses([text])
    if len(pairs) > 1:
        raise ValueError("is more than one address — give the one replies and bounces go to")
    if not pairs or not pairs[0][1]:
        raise ValueError(
            "is not an e-mail address — write it as name@council.gov.uk, or as "
            "Performance team <name@council.gov.uk>"
        )
    name, address = pairs[0]
    return str(Address(display_name=name, addr_spec=mail_address(address)))


def _not_an_address(text: str) -> str | None:
    """Why a message's To is not one address to send to (None when it is)."""
    try:
        mail_address(text)
    except ValueError as exc:
        return f"'{shown(text)}' {exc}"
    return None


def address_file_name(address: str, suffix: str) -> str:
    """A file name for an address: the address itself where it is short and uses only letters,
    digits and @._- (as most do), else its start and a hash after a `~`, which the first kind
    never has: a name of bounded length that no two addresses share."""
    if len(address) <= NAME_KEPT and address[:1].isalnum() and all(map(_plain, address)):
        return f"{address}{suffix}"
    start = "".join(c if _plain(c) else "_" for c in address[:40])
    return f"{start}~{hashlib.sha256(address.encode()).hexdigest()[:16]}{suffix}"


def _plain(character: str) -> bool:
    return character.isascii() and (character.isalnum() or character in "@._-")


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
    """`mail/sent.jsonl` under the data directory: one JSON line per message delivered, written
    to the outbox or failed, read once per batch and appended to (never rewritten), so a batch
    costs what it adds, not what the log already holds."""

    path: Path
    _ends_mid_line: bool = field(default=False, init=False, repr=False)

    @classmethod
    def of(cls, data_dir: Path) -> SentLog:
        """The council's one sent log, for every kind of mail."""
        return cls(data_dir / "mail" / LOG_NAME)

    def load(self) -> dict[str, dict]:
        """Each content key's latest record. A line a crash cut short is skipped (the message it
        was recording is sent again: nothing is lost)."""
        self._adopt_legacy()
        known: dict[str, dict] = {}
        if not self.path.exists():
            return known
        with self.path.open(encoding="utf-8") as handle:
            text = handle.read()
        self._ends_mid_line = bool(text) and not text.endswith("\n")
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "key" in record:
                known[record["key"]] = record
        return known

    @contextmanager
    def appending(self) -> Iterator[_Records]:
        """Records for this batch, each written (and flushed) as it happens, through one open
        file: a run killed mid-batch has logged every message it delivered."""
        records = _Records(self)
        try:
            yield records
        finally:
            records.close()

    def _adopt_legacy(self) -> None:
        """A log from before issue 26 (`sent.json`, one object) becomes lines of the new one."""
        legacy = self.path.with_name(LEGACY_LOG_NAME)
        if self.path.name != LOG_NAME or not legacy.exists():
            return
        entries = json.loads(legacy.read_text(encoding="utf-8"))
        lines = "".join(json.dumps({"key": k, **v}) + "\n" for k, v in sorted(entries.items()))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
        legacy.unlink(missing_ok=True)


class _Records:
    """The open end of a sent log during one batch (opened when the first record comes)."""

    def __init__(self, log: SentLog):
        self.log = log
        self.handle: IO[str] | None = None

    def add(self, key: str, to: str, subject: str, **outcome: object) -> None:
        if self.handle is None:
            self.handle = append_private(self.log.path)
            if self.log._ends_mid_line:  # a crash's half line: start on a line of our own
                self.handle.write("\n")
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"key": key, "to": to, "subject": subject, "at": stamp, **outcome}
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


@dataclass(frozen=True)
class Failure:
    """A message not delivered: to whom (and where the address came from), and why, in the
    server's words where it gave some; `repeated` when it had failed before as well."""

    to: str
    error: str
    source: str = ""
    repeated: bool = False

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"{self.to}{where}: {self.error}"


@dataclass
class Delivery:
    """What happened to a batch of messages, for run metadata and logs (no secrets)."""

    sent: list[str] = field(default_factory=list)
    outbox: list[str] = field(default_factory=list)
    skipped: int = 0  # already delivered (same recipient and content)
    failed: list[Failure] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.sent)} sent", f"{len(self.outbox)} written to the outbox"]
        parts.append(f"{self.skipped} already delivered")
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({'; '.join(map(str, self.failed))})")
        return ", ".join(parts)


class _Unsent(Exception):
    """Why one attempt failed, and whether the server itself (connection, TLS, login) did."""

    def __init__(self, error: str, transient: bool, server: bool):
        super().__init__(error)
        self.error, self.transient, self.server = error, transient, server


def _answer(exc: Exception) -> tuple[str, bool]:
    """What went wrong, in the server's own words where it gave some, and whether trying again
    may help (a 4xx answer or a dropped connection; not a 5xx, a certificate, a missing
    STARTTLS)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return f"the server refused the address: {code} {_text(text)}", 400 <= code < 500
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return f"the server answered {code} {_text(exc.smtp_error)}", 400 <= code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (
            f"{exc} — the server does not offer STARTTLS: ask for it to be turned on, or use "
            "its implicit-TLS port (PM_SMTP_PORT=465)"
        ), False
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the server's certificate was not accepted ({exc.verify_message or exc}) — if "
            "the council's own certificate authority signed it, point SSL_CERT_FILE at that "
            "authority's certificate"
        ), False
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return f"{type(exc).__name__}: {exc}", True
    return f"{type(exc).__name__}: {exc}", False


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)


class Mailer(dg.ConfigurableResource):
    """The council's mail server, or none: then messages go to reports/<quarter>/outbox/."""

    host: str | None = None
    port: int | None = None  # default 587 (STARTTLS), or 465 for implicit TLS
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    implicit_tls: bool | None = None  # TLS from the first byte; None: on port 465
    sender: str | None = None  # PM_MAIL_FROM: wins over a message's own From
    reply_to: str | None = None  # PM_MAIL_REPLY_TO: wins over a message's own Reply-To
    attempts: int = 3
    retry_seconds: float = 5.0
    timeout_seconds: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @property
    def _implicit(self) -> bool:
        port = self.port or 587
        return port == IMPLICIT_TLS_PORT if self.implicit_tls is None else self.implicit_tls

    def refusal(self) -> str | None:
        """Why nothing can be sent with these settings: a password would cross in clear."""
        if self.user and self.password and not (self.starttls or self._implicit):
            return (
                f"refused to log in to {self.host} without TLS: PM_SMTP_STARTTLS is false and "
                "a password is set, which would cross the network in clear — set "
                "PM_SMTP_STARTTLS=true (or PM_SMTP_PORT=465), or unset PM_SMTP_USER and "
                "PM_SMTP_PASSWORD for a relay that needs no login"
            )
        return None

    def _connect(self) -> smtplib.SMTP:
        """A connection ready to send: TLS set up (the certificate checked), logged in."""
        context = ssl.create_default_context()  # certificate and host name checked
        smtp: smtplib.SMTP
        if self._implicit:
            smtp = smtplib.SMTP_SSL(
                self.host or "", self.port or 587, timeout=self.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host or "", self.port or 587, timeout=self.timeout_seconds)
        try:
            if self.starttls and not self._implicit:
                smtp.starttls(context=context)
            if self.user and self.password:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def deliver(self, messages: list[EmailMessage], outbox: Path, log: SentLog) -> Delivery:
        """Each message sent (or written to `outbox`) once; failures reported, not raised. One
        connection serves the batch; a server that cannot be used (connection, TLS, login)
        fails the rest of the batch with its answer instead of being asked again for each."""
        result = Delivery()
        known = log.load()
        server_down = self.refusal() if self.configured else None
        with log.appending() as records, _Session(self) as session:
            for message in messages:
                self.stamp(message)
                key = content_key(message)
                before = known.get(key, {})
                if before.get("sent") or before.get("outbox"):
                    result.skipped += 1
                    continue
                if "Message-ID" not in message:
                    message["Message-ID"] = make_msgid(domain="pm-pipeline")
                to, subject = str(message["To"]), str(message["Subject"])
                error = _not_an_address(to)
                if error is None and not self.configured:
                    path = write_eml(outbox, message, key)
                    records.add(key, to, subject, outbox=str(path))
                    result.outbox.append(str(path))
                    continue
                if error is None:
                    error = server_down or self._send(session, message, to)
                    if error is None:
                        records.add(key, to, subject, sent=True)
                        result.sent.append(to)
                        (outbox / eml_name(to, key)).unlink(missing_ok=True)  # a retry's copy
                        continue
                    if session.broken:
                        server_down = error
                # kept in the outbox so nothing is lost; tried again on the next run
                write_eml(outbox, message, key)
                records.add(key, to, subject, failed=error)
                result.failed.append(Failure(to, error, repeated="failed" in before))
        return result

    def stamp(self, message: EmailMessage) -> None:
        """Date, From and Reply-To, each once: PM_MAIL_FROM / PM_MAIL_REPLY_TO where set, else
        what the message says (council.yaml's `mail`), else the default sender and, for
        replies, the sender. None of them is in the content key (a re-run is still a no-op)."""
        for header, setting in (("From", self.sender), ("Reply-To", self.reply_to)):
            if setting:
                try:
                    address = sender_address(setting)
                except ValueError as exc:
                    variable = ENV["sender" if header == "From" else "reply_to"]
                    raise ValueError(f"{variable}: '{shown(setting)}' {exc}") from None
                del message[header]
                message[header] = address
        if message["From"] is None:
            message["From"] = DEFAULT_SENDER
        if message["Reply-To"] is None:
            message["Reply-To"] = str(message["From"])
        if message["Date"] is None:
            message["Date"] = format_datetime(datetime.now(ZoneInfo(TIMEZONE)))

    def _send(self, session: _Session, message: EmailMessage, to: str) -> str | None:
        """None once sent; else the last answer, after retrying what may pass on a retry."""
        for attempt in range(max(1, self.attempts)):
            try:
                session.send(message, to)
                return None
            except _Unsent as unsent:
                if not unsent.transient or attempt + 1 >= self.attempts:
                    session.broken = unsent.server
                    return unsent.error
                time.sleep(self.retry_seconds * (2**attempt))
        return "not tried"


class _Session:
    """One SMTP connection for a batch, opened when first needed and again after a failure."""

    def __init__(self, mailer: Mailer):
        self.mailer = mailer
        self.smtp: smtplib.SMTP | None = None
        self.broken = False  # the server itself failed: the rest of the batch is not tried

    def send(self, message: EmailMessage, to: str) -> None:
        server = self.smtp is None
        try:
            if self.smtp is None:
                self.smtp = self.mailer._connect()
            server = False
            self.smtp.send_message(message, to_addrs=[to])
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            error, transient = _answer(exc)
            raise _Unsent(error, transient, server) from None

    def _drop(self) -> None:
        if self.smtp is not None:
            with suppress(smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None:
            with suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
        self._drop()


def eml_name(to: str, key: str) -> str:
    return address_file_name(to, f"_{key[:12]}.eml")


def write_eml(outbox: Path, message: EmailMessage, key: str) -> Path:
    """The message as an .eml file (opens in Outlook or Thunderbird), named by recipient."""
    return write_atomic(
        outbox / eml_name(str(message["To"]), key), message.as_bytes(), private=True
    )


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
