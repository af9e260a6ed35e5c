"""Mail goes only to the council's people: the register's owners and managers and the
performance team (PM_ALERT_TO), never to an address typed in a return; and one odd address
stops neither the intake nor anybody else's letter (issue 26, problems 3 and 4)."""

import email
import email.policy
from pathlib import Path

import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.definitions import build_defs
from pm_pipeline.sample.demo import owner_mail
from pm_pipeline_tests.council import Council, RunInstance, good_row, pi, query, run_job
from pm_pipeline_tests.mail.smtp import body, smtp_server

Q = Quarter(2025, 1)
A, B = "a@test.example", "b@test.example"
TEAM = "performance@test.example"
TYPED = "victim@other.example,ceo@council.example"


def council(data_dir: Path) -> Council:
    Council(
        data_dir,
        indicators=[pi("KPI-1", "Recycling", owner=A), pi("KPI-2", "Reuse", owner=B)],
    ).write()
    assert run_job(data_dir, "register_job").success
    return Council(data_dir)


def mail_server_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("PM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PM_SMTP_PORT", str(port))
    monkeypatch.setenv("PM_SMTP_STARTTLS", "false")  # a relay on loopback, no login
    monkeypatch.setenv("PM_ALERT_TO", TEAM)


def owner_pages(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "reports" / Q.folder / "quality").glob("*.html"))


def test_an_address_typed_in_a_return_never_receives_mail(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    files = council(data_dir)
    files.returns(
        Q,
        "housing.csv",  # KPI-1 is A's, so the unknown id's issue is A's to fix
        [good_row("KPI-1", Q, "55"), good_row("XX-9", Q, "5", submitted_by=TYPED)],
    )
    files.returns(Q, "stray.csv", [good_row("ZZ-1", Q, "5", submitted_by=TYPED)])
    files.returns(Q, "reuse.csv", [good_row("KPI-2", Q, "45", submitted_by=TYPED)])
    instance = RunInstance.get()
    assert not run_job(data_dir, "returns_job", Q.key, instance=instance).success
    with smtp_server() as (inbox, port):
        mail_server_env(monkeypatch, port)
        owner_mail(build_defs(data_dir), instance)
    assert sorted(r for rcpts in inbox.recipients for r in rcpts) == [A, TEAM]
    (to_a,) = inbox.to(A)
    assert "XX-9 in 2025-26-Q1/housing.csv row 3 is not a PI in the register" in body(to_a)
    (to_team,) = inbox.to(TEAM)
    assert "ZZ-1 in 2025-26-Q1/stray.csv row 2" in body(to_team)
    owners = query(data_dir, "SELECT DISTINCT owner FROM quality_issues ORDER BY owner")
    assert owners == [(A,), (None,)]  # who must fix each problem: never a typed address


def test_a_thousand_typed_addresses_make_one_letter_not_a_thousand(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    files = council(data_dir)
    files.returns(Q, "ok.csv", [good_row("KPI-1", Q, "55"), good_row("KPI-2", Q, "45")])
    files.returns(
        Q,
        "flood.csv",
        [good_row(f"ZZ-{i}", Q, "5", submitted_by=f"person{i}@other.example") for i in range(1001)],
    )
    monkeypatch.setenv("PM_ALERT_TO", TEAM)  # no mail server: the letters go to the outbox
    instance = RunInstance.get()
    assert not run_job(data_dir, "returns_job", Q.key, instance=instance).success
    owner_mail(build_defs(data_dir), instance)
    outbox = data_dir / "reports" / Q.folder / "outbox"
    (letter,) = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in outbox.glob("*.eml")
    ]
    assert letter["To"] == TEAM and "ZZ-1000 in 2025-26-Q1/flood.csv row 1002" in body(letter)
    assert owner_pages(data_dir) == ["performance-team.html"]


def test_odd_addresses_and_a_huge_cell_stop_neither_the_intake_nor_other_letters(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    files = council(data_dir)
    files.returns(
        Q,
        "a.csv",
        [
            good_row("KPI-1", Q, "104.2"),  # A has a value to correct
            good_row("ZZ-1", Q, "5", submitted_by="x" * 290 + "@t.example"),  # 300 characters
        ],
    )
    files.returns(
        Q,
        "b.csv",
        [
            good_row("KPI-2", Q, "145"),  # B has a value to correct
            good_row("ZZ-2", Q, "5", submitted_by="a@[1.2.3.4"),
            good_row("ZZ-3" + "x" * 1_000_000, Q, "5"),  # a pasted essay as an id
        ],
    )
    instance = RunInstance.get()
    read = run_job(data_dir, "returns_job", Q.key, instance=instance)
    written = {
        m.asset_key.to_user_string() for m in read.asset_materializations_for_node("returns_intake")
    }
    assert "quality_issues" in written  # the owners' lists were written, the checks ran
    assert owner_pages(data_dir) == [f"{A}.html", f"{B}.html"]  # the unknown ids' owners too
    (longest,) = query(data_dir, "SELECT max(length(message)) FROM quality_issues")[0]
    assert longest < 600
    with smtp_server() as (inbox, port):
        mail_server_env(monkeypatch, port)
        owner_mail(build_defs(data_dir), instance)
    assert sorted(r for rcpts in inbox.recipients for r in rcpts) == [A, B]
    assert "104.2" in body(inbox.to(A)[0]) and "145" in body(inbox.to(B)[0])
    assert all(len(m.as_bytes()) < 20_000 for m in inbox.messages)
