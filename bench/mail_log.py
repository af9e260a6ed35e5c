"""The mail client's bookkeeping at 500, 1,000 and 2,000 letters: prints the times.

    python bench/mail_log.py [--sizes 500,1000,2000]

For each size, one batch of that many new letters (a fresh sent log each time) is delivered
through `core.mail.Mailer` to a real SMTP server on loopback (aiosmtpd, no TLS), then the same
batch again (every letter already in the sent log, so nothing is sent), then one batch with no
mail server (every letter written to an outbox as an .eml file). Building the messages is not
timed. Linear bookkeeping shows as times that double when the letters do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the tests' doubles (pm_pipeline_tests) beside the product

from pm_pipeline.core.mail import Delivery, Mailer, SentLog  # noqa: E402
from pm_pipeline_tests.mail.smtp import free_port  # noqa: E402


class Counter:
    """A server that takes every message and only counts them (keeping thousands of parsed
    messages in this process would time Python's garbage collector, not the client)."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received += 1
        return "250 OK"


def letters(count: int) -> list[EmailMessage]:
    out = []
    for i in range(count):
        message = EmailMessage()
        message["To"] = f"owner{i}@bench.example"
        message["Subject"] = f"Your 2025/26 Q1 returns: {i % 7} to fix, 0 to look at"
        message.set_content(f"KPI-{i} in 2025-26-Q1/returns.csv row 2: correct the value.\n" * 5)
        out.append(message)
    return out


def timed(mailer: Mailer, count: int, outbox: Path, log: SentLog) -> tuple[float, Delivery]:
    batch = letters(count)
    started = time.perf_counter()
    delivery = mailer.deliver(batch, outbox, log)
    return time.perf_counter() - started, delivery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,1000,2000", help="letters per batch")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print(f"{'letters':>8}  {'SMTP':>8}  {'again (all in the log)':>22}  {'to the outbox':>14}")
    counter, port = Counter(), free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="pm-bench-mail-") as tmp:
            for count in sizes:
                folder = Path(tmp) / str(count)
                print(f"{count:>8,}  " + "  ".join(batches(port, count, folder)))
    finally:
        controller.stop()
    print(f"(the server received {counter.received:,} messages)")


def batches(port: int, count: int, folder: Path) -> list[str]:
    """The three batches' times, as printed."""
    smtp = Mailer(host="127.0.0.1", port=port, starttls=False, retry_seconds=0)
    log = SentLog(folder / "smtp" / "sent.jsonl")
    sent, delivery = timed(smtp, count, folder / "smtp" / "outbox", log)
    assert len(delivery.sent) == count, delivery.summary()
    again, delivery = timed(smtp, count, folder / "smtp" / "outbox", log)
    assert delivery.skipped == count, delivery.summary()
    written, delivery = timed(Mailer(), count, folder / "outbox", SentLog(folder / "o.jsonl"))
    assert len(delivery.outbox) == count, delivery.summary()
    return [f"{sent:>6.2f} s", f"{again:>20.2f} s", f"{written:>12.2f} s"]


if __name__ == "__main__":
    main()
