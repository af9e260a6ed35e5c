"""Delivery: SMTP once and only once, retries, the outbox, and the owners' change rules."""

import email
import email.policy
from dataclasses import replace
from email.utils import parsedate_to_datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from aiosmtpd.controller import Controller

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.mail import Delivery, Mailer, SentLog, mailer_from_env
from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.mail.messages import Letter
from pm_pipeline.defs.mail.owners import deliver, owner_changes
from pm_pipeline.defs.register.model import PEOPLE_COLUMNS, MailSettings, People
from pm_pipeline_tests.mail.smtp import Inbox, body, free_port, self_signed, smtp_server

Q = Quarter(2025, 1)
NOBODY = People(pd.DataFrame(columns=PEOPLE_COLUMNS))  # no people.csv: addresses as they are


def letter(to: str = "owner@test.example", intro: str = "Hello") -> Letter:
    return Letter(to, "Subject", "Heading", intro, ("PI", "What"), (("KPI-1", "fix it"),))


def test_a_server_that_refuses_then_accepts_gets_the_message_once(tmp_path: Path):
    with smtp_server(refuse=1) as (inbox, port):
        mailer = Mailer(host="127.0.0.1", port=port, starttls=False, retry_seconds=0)
        log = SentLog(tmp_path / "sent.json")
        first = mailer.deliver([letter().message()], tmp_path / "outbox", log)
        again = mailer.deliver([letter().message()], tmp_path / "outbox", log)
    assert len(first.sent) == 1 and not first.failed
    assert again.skipped == 1 and not again.sent
    assert len(inbox.messages) == 1
    assert not (tmp_path / "outbox").exists()


def test_a_server_that_keeps_refusing_is_recorded_not_raised_and_kept_in_the_outbox(
    tmp_path: Path,
):
    with smtp_server(refuse=10) as (inbox, port):
        mailer = Mailer(
            host="127.0.0.1", port=port, starttls=False, retry_seconds=0, password="s3cret"
        )
        log = SentLog(tmp_path / "sent.json")
        delivery = mailer.deliver([letter().message()], tmp_path / "outbox", log)
    assert not inbox.messages and len(delivery.failed) == 1
    assert "451 Try again later" in str(delivery.failed[0])
    assert "s3cret" not in delivery.summary()
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert not any(r.get("sent") for r in log.load().values())  # the next run tries again


def test_without_a_server_messages_become_eml_files(tmp_path: Path):
    mailer = mailer_from_env({})
    assert not mailer.configured
    delivery = mailer.deliver([letter().message()], tmp_path / "outbox", SentLog(tmp_path / "s"))
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    assert delivery.outbox == [str(eml)]
    assert b"To: owner@test.example" in eml.read_bytes()


def test_file_text_cannot_add_a_header_and_html_is_escaped():
    message = letter(intro="Bad\r\nBcc: spy@evil.example <script>x</script>").message()
    assert message["Bcc"] is None
    assert "<script>" not in body(message, "html")
    assert "&lt;script&gt;" in body(message, "html")


def issues(*rows: tuple[str, str, int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rule": "value_in_range",
                "severity": "ERROR",
                "pi_id": pid,
                "owner": owner,
                "source_file": "2025-26-Q1/r.csv",
                "source_row": row,
                "value": "104.2",
                "message": message,
            }
            for owner, pid, row, message in rows
        ],
        columns=[
            "rule",
            "severity",
            "pi_id",
            "owner",
            "source_file",
            "source_row",
            "value",
            "message",
        ],
    )


def letters_of(letters: dict[str, list[Letter]]) -> list[Letter]:
    return [letter for sent in letters.values() for letter in sent]


def test_owner_changes_list_then_all_clear_then_nothing():
    bad = issues(("a@test.example", "KPI-1", 2, "KPI-1 ... correct the value"))
    found, told = owner_changes(Q, {}, bad, NOBODY)
    letters = letters_of(found)
    assert [(x.to, x.subject) for x in letters] == [
        ("a@test.example", "Your 2025/26 Q1 returns: 1 to fix, 0 to look at")
    ]
    assert "2025-26-Q1/r.csv" in letters[0].text() and "Row: 2" in letters[0].text()
    assert owner_changes(Q, told, bad, NOBODY)[0] == {}  # unchanged: nothing
    cleared, told2 = owner_changes(Q, told, issues(), NOBODY)
    assert [x.subject for x in letters_of(cleared)] == ["Your 2025/26 Q1 returns: all clear"]
    assert owner_changes(Q, told2, issues(), NOBODY)[0] == {}  # still clear: nothing
    # breaking it the same way again is news again (its words differ, so not deduplicated)
    again = letters_of(owner_changes(Q, told2, bad, NOBODY)[0])
    assert again and again[0].text() != letters[0].text()


def test_owners_are_greeted_by_name_and_told_what_changed_in_words():
    """No "(list update 1)" or "error(s)": the first list says so, a later one counts what was
    fixed, is new and is still there, and an all-clear says how many were fixed."""
    one = ("a@test.example", "KPI-1", 2, "KPI-1 ... correct the value")
    two = ("a@test.example", "KPI-2", 3, "KPI-2 ... give a date")
    three = ("a@test.example", "KPI-3", 4, "KPI-3 ... give a number")
    people = People(
        pd.DataFrame([{"email": "A@test.example", "name": "Amira Khan", "job_title": "Officer"}])
    )
    found, told = owner_changes(Q, {}, issues(one, two), people)
    first = letters_of(found)[0].text()
    assert "Dear Amira Khan," in first
    assert "found 2 errors and 0 warnings. This is your first list for 2025/26 Q1." in first
    found, told = owner_changes(Q, told, issues(two, three), people)
    assert (
        "found 2 errors and 0 warnings. This is your 2nd message about 2025/26 Q1. Since the "
        "last one: 1 problem fixed, 1 new, 1 still to fix." in letters_of(found)[0].text()
    )
    cleared, told = owner_changes(Q, told, issues(), people)
    assert (
        "now passes: the 2 problems in your last list are fixed (your 3rd message about "
        "2025/26 Q1). Thank you." in letters_of(cleared)[0].text()
    )
    found, _ = owner_changes(Q, told, issues(one), people)
    text = letters_of(found)[0].text()
    assert "found 1 error and 0 warnings. This is your 4th message about 2025/26 Q1: 1 new " in text
    assert "problem since your last all-clear." in text
    for letter in letters_of(found) + letters_of(cleared):
        said = letter.text() + letter.subject
        assert "(s)" not in said and "list update" not in said
    # someone people.csv does not list is greeted by their address
    assert (
        "Dear a@test.example," in letters_of(owner_changes(Q, {}, issues(one), NOBODY)[0])[0].text()
    )


def eml(outbox: Path) -> email.message.EmailMessage:
    (path,) = outbox.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    path.unlink()
    return message  # type: ignore[return-value]


def test_every_message_has_a_date_and_a_from_and_reply_to_from_the_configuration(tmp_path: Path):
    """council.yaml's `mail` gives From and Reply-To; PM_MAIL_FROM / PM_MAIL_REPLY_TO win;
    with neither, the default sender, and replies go to it. The Date is not content: the same
    message again is still a repeat."""
    outbox, log = tmp_path / "outbox", SentLog(tmp_path / "sent.jsonl")
    council = MailSettings("Performance team <performance@test.example>", "replies@test.example")
    Mailer().deliver([letter().message(council)], outbox, log)
    written = eml(outbox)
    assert written["From"] == "Performance team <performance@test.example>"
    assert written["Reply-To"] == "replies@test.example"
    assert parsedate_to_datetime(written["Date"]).tzinfo is not None
    assert Mailer().deliver([letter().message(council)], outbox, log).skipped == 1

    env = Mailer(sender="Ops <ops@test.example>", reply_to="ops-replies@test.example")
    env.deliver([letter(intro="Again").message(council)], outbox, log)
    written = eml(outbox)
    assert (written["From"], written["Reply-To"]) == (
        "Ops <ops@test.example>",
        "ops-replies@test.example",
    )
    Mailer().deliver([letter(intro="Plain").message()], outbox, log)
    written = eml(outbox)
    assert written["From"] == written["Reply-To"] == "pm-pipeline@localhost"
    with pytest.raises(ValueError, match="PM_MAIL_FROM: 'ops' is not an e-mail address"):
        Mailer(sender="ops").deliver([letter(intro="Bad").message()], outbox, log)


def test_problems_nobody_owns_go_to_the_performance_team_or_nowhere():
    unowned = issues((None, "ZZ-1", 2, "ZZ-1 ... is not a PI in the register"))
    assert owner_changes(Q, {}, unowned, NOBODY)[0] == {}  # no team configured: nobody
    found, _ = owner_changes(Q, {}, unowned, NOBODY, ["p1@test.example", "p2@test.example"])
    letters = letters_of(found)
    assert [x.to for x in letters] == ["p1@test.example", "p2@test.example"]
    assert "nobody in the register owns" in letters[0].subject


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_starttls_and_implicit_tls_both_deliver_to_a_server_the_client_trusts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
):
    """Certificates are always verified: a council whose server has a certificate from its own
    authority points SSL_CERT_FILE at that authority (here, the test's own certificate)."""
    cert, context = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    inbox = Inbox()
    port = free_port()
    options = (
        {"tls_context": context, "require_starttls": True}
        if mode == "starttls"
        else {"ssl_context": context}
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        mailer = Mailer(
            host="127.0.0.1",
            port=port,
            starttls=mode == "starttls",
            implicit_tls=mode == "implicit",
            retry_seconds=0,
        )
        delivery = mailer.deliver([letter().message()], tmp_path / "o", SentLog(tmp_path / "s"))
    finally:
        controller.stop()
    assert delivery.sent == ["owner@test.example"], delivery.failed
    assert len(inbox.messages) == 1


def test_one_bad_address_stops_no_other_letter_and_is_reported_with_its_source(data_dir: Path):
    """A register loaded before addresses were checked may still hold one mail cannot go to:
    that letter is reported (where the address comes from, what to do) and the others go."""
    files = CouncilFiles(data_dir=str(data_dir))
    bad = replace(letter("a@[1.2.3.4"), source="the register's owner of KPI-9")
    delivered: list[Delivery] = []
    with smtp_server() as (inbox, port):
        mailer = Mailer(host="127.0.0.1", port=port, starttls=False, retry_seconds=0)

        @dg.asset
        def letters_out(context: dg.AssetExecutionContext) -> None:
            batch = [bad, letter("x" * 290 + "@t.example"), letter("b@test.example")]
            delivered.append(deliver(context, files, mailer, Q, batch))

        assert dg.materialize([letters_out]).success
    assert [m["To"] for m in inbox.messages] == ["b@test.example"]
    first, second = map(str, delivered[0].failed)
    assert "'a@[1.2.3.4' is not an e-mail address" in first
    assert "(the register's owner of KPI-9)" in first and "correct the address" in first
    assert "is 300 characters long" in second
    (alert,) = (data_dir / "reports" / "alerts.log").read_text().splitlines()
    assert "could not deliver mail for quarter 2025/26 Q1" in alert and "a@[1.2.3.4" in alert
