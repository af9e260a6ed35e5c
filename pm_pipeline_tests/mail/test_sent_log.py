"""The sent log costs what a batch adds, not what the log already holds (issue 26, problem
12): read once per batch, appended to, never rewritten. bench/mail_log.py measures it."""

import os
from email.message import EmailMessage
from pathlib import Path

import pytest

from pm_pipeline.core.mail import Mailer, SentLog

LETTERS = 300  # the bench (bench/mail_log.py) times 500 to 2,000


def message(i: int) -> EmailMessage:
    message = EmailMessage()
    message["To"] = f"owner{i}@test.example"
    message["Subject"] = f"Your 2025/26 Q1 returns: {i} to fix"
    message.set_content(f"Row {i}: correct the value.")
    return message


def test_a_batch_reads_the_sent_log_once_and_appends_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    log = SentLog(tmp_path / "mail" / "sent.jsonl")
    outbox = tmp_path / "outbox"
    Mailer().deliver([message(i) for i in range(LETTERS)], outbox, log)
    before, inode = log.path.read_bytes(), log.path.stat().st_ino

    opened: list[str] = []
    real_open = Path.open

    def counted(self: Path, mode: str = "r", *args, **kwargs):
        if self == log.path:
            opened.append(mode)
        return real_open(self, mode, *args, **kwargs)

    real_os_open = os.open

    def counted_os(path: object, flags: int, *args, **kwargs):  # the append opens privately
        if Path(str(path)) == log.path:
            opened.append("a" if flags & os.O_APPEND else "w" if flags & os.O_WRONLY else "r")
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted)
    monkeypatch.setattr(os, "open", counted_os)
    delivery = Mailer().deliver([message(i) for i in range(LETTERS + 10)], outbox, log)
    monkeypatch.undo()

    assert delivery.skipped == LETTERS and len(delivery.outbox) == 10  # nothing twice
    assert opened == ["r", "a"]  # one read, one append: not a rewrite per letter
    assert log.path.stat().st_ino == inode  # the same file, not a replacement
    after = log.path.read_bytes()
    assert after.startswith(before) and len(after.splitlines()) == LETTERS + 10


def test_a_line_cut_short_by_a_crash_costs_only_its_own_letter(tmp_path: Path):
    """A run killed mid-append leaves half a line: the next batch reads the rest and sends
    only the letter that line was recording."""
    log = SentLog(tmp_path / "sent.jsonl")
    outbox = tmp_path / "outbox"
    Mailer().deliver([message(1), message(2)], outbox, log)
    text = log.path.read_text()
    log.path.write_text(text[: len(text) - 10])  # the last record half written
    again = Mailer().deliver([message(1), message(2)], outbox, log)
    assert again.skipped == 1 and len(again.outbox) == 1
    assert Mailer().deliver([message(1), message(2)], outbox, log).skipped == 2
