"""Undeliverable mail is not silent: a letter the server will not take alerts the data team
once, naming the server's answer, and the next run sends it (issue 26, problem 13)."""

from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.alerts import pending_dir
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import Quarter
from pm_pipeline.definitions import build_defs
from pm_pipeline.sample.demo import owner_mail
from pm_pipeline_tests.council import Council, good_row, pi, run_job
from pm_pipeline_tests.mail.smtp import free_port, self_signed, smtp_server

Q = Quarter(2025, 1)
A = "a@test.example"
TEAM = "performance@test.example"


@pytest.mark.slow  # six real runs against two loopback mail servers
@pytest.mark.timeout(180)
def test_a_server_without_starttls_alerts_the_data_team_once_and_the_next_run_sends(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    Council(data_dir, indicators=[pi("KPI-1", "Recycling", owner=A)]).write()
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    Council(data_dir).returns(Q, "r.csv", [good_row("KPI-1", Q, "104.2")])
    run_job(data_dir, "returns_job", Q.key, instance=instance)
    cert, context = self_signed(tmp_path)
    port = free_port()
    monkeypatch.setenv("PM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PM_SMTP_PORT", str(port))  # STARTTLS required, as by default
    monkeypatch.setenv("PM_ALERT_TO", TEAM)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    outbox = data_dir / "reports" / Q.folder / "outbox"
    alerts_log = data_dir / "reports" / "alerts.log"

    with smtp_server(port=port) as (inbox, _):  # offers no STARTTLS
        _, said = owner_mail(build_defs(data_dir), instance)  # the sensor's run
        again = run_job(data_dir, "owner_mail_job", Q.key, instance=instance)  # a re-run
    assert not inbox.messages and again.success
    assert "1 failed" in said
    (alert,) = alerts_log.read_text().splitlines()  # once, not once per run
    assert "owner_mail_job could not deliver mail for quarter 2025/26 Q1" in alert
    assert A in alert and "STARTTLS extension not supported by server" in alert
    assert len(list(pending_dir(CouncilFiles(data_dir=str(data_dir))).glob("*.json"))) == 1
    assert len(list(outbox.glob("*.eml"))) == 1  # kept meanwhile

    with smtp_server(port=port, starttls=context) as (inbox, _):  # the server is put right
        sent = run_job(data_dir, "owner_mail_job", Q.key, instance=instance)  # the next run
        after = run_job(data_dir, "owner_mail_job", Q.key, instance=instance)
    assert sent.success and after.success
    (letter,) = inbox.messages  # sent once, then logged as sent
    assert letter["To"] == A and "1 to fix" in letter["Subject"]
    assert not list(outbox.glob("*.eml"))  # the outbox copy goes once it is delivered
    assert len(alerts_log.read_text().splitlines()) == 1
