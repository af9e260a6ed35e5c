"""The SMTP password goes only to a server whose certificate checks out, and never in clear:
for the owners' and managers' mail and for the data team's alerts (issue 26, problem 5)."""

from pathlib import Path

import pytest

from pm_pipeline.core.alerts import Alert, alert_team, pending_dir
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.mail import Mailer, SentLog
from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.mail.messages import Letter
from pm_pipeline_tests.council import run_job
from pm_pipeline_tests.mail.smtp import self_signed, smtp_server

Q = Quarter(2025, 1)
USER, PASSWORD = "pm-pipeline", "s3cret-Pa55"
TEAM = "performance@test.example"


def letter() -> Letter:
    return Letter("owner@test.example", "Subject", "Heading", "Hello", ("PI",), (("KPI-1",),))


def owners_mailer(port: int, **settings: object) -> Mailer:
    return Mailer(
        host="127.0.0.1",
        port=port,
        user=USER,
        password=PASSWORD,
        retry_seconds=0,
        **settings,  # type: ignore[arg-type]
    )


def test_a_server_with_a_certificate_nobody_vouches_for_gets_no_password(tmp_path: Path):
    _, context = self_signed(tmp_path)
    outbox = tmp_path / "outbox"
    with smtp_server(starttls=context, login=True) as (inbox, port):
        delivery = owners_mailer(port).deliver(
            [letter().message()], outbox, SentLog(tmp_path / "s")
        )
    assert not inbox.logins and not inbox.messages
    (failure,) = delivery.failed
    assert "certificate was not accepted (self-signed certificate)" in str(failure)
    assert PASSWORD not in delivery.summary()
    assert len(list(outbox.glob("*.eml"))) == 1  # kept, to be tried again


def test_a_server_whose_certificate_is_trusted_gets_the_login_over_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A council's own certificate authority is trusted through SSL_CERT_FILE (OpenSSL's own
    setting); verification itself cannot be switched off."""
    cert, context = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with smtp_server(starttls=context, login=True) as (inbox, port):
        delivery = owners_mailer(port).deliver(
            [letter().message()], tmp_path / "outbox", SentLog(tmp_path / "s")
        )
    assert delivery.sent == ["owner@test.example"], delivery.failed
    assert inbox.logins == [(USER, PASSWORD)]


def test_no_login_without_tls_the_message_is_kept_and_the_error_says_what_to_do(tmp_path: Path):
    outbox = tmp_path / "outbox"
    with smtp_server(login=True) as (inbox, port):  # offers AUTH in clear
        delivery = owners_mailer(port, starttls=False).deliver(
            [letter().message()], outbox, SentLog(tmp_path / "s")
        )
    assert not inbox.logins and not inbox.messages
    (failure,) = delivery.failed
    assert "without TLS" in str(failure) and "PM_SMTP_STARTTLS" in str(failure)
    assert len(list(outbox.glob("*.eml"))) == 1


def pending_alert(
    files: CouncilFiles, port: int, monkeypatch: pytest.MonkeyPatch, **settings: str
) -> dict:
    """A failure alert raised for the data team with the SMTP settings (and `settings`) in the
    environment: the run config that sends it through `alert_mail_job`."""
    for name, value in {
        "PM_SMTP_HOST": "127.0.0.1",
        "PM_SMTP_PORT": str(port),
        "PM_SMTP_USER": USER,
        "PM_SMTP_PASSWORD": PASSWORD,
        "PM_ALERT_TO": TEAM,
        **settings,
    }.items():
        monkeypatch.setenv(name, value)
    alert_team(files, Alert("returns_job", "run-1", Q.key, ("returns_intake",), (), "boom"))
    (pending,) = pending_dir(files).glob("*.json")
    return {"ops": {"send_alert": {"config": {"file": pending.name}}}}


def test_the_data_teams_alert_goes_only_to_a_trusted_server_and_is_tried_again(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cert, context = self_signed(tmp_path)
    files = CouncilFiles(data_dir=str(data_dir))
    with smtp_server(starttls=context, login=True) as (inbox, port):
        config = pending_alert(files, port, monkeypatch)
        refused = run_job(data_dir, "alert_mail_job", run_config=config)
        assert not refused.success
        assert not inbox.logins and not inbox.messages
        assert len(list((data_dir / "reports" / "alerts_outbox").glob("*.eml"))) == 1

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the data team trusts the certificate
        again = run_job(data_dir, "alert_mail_job", run_config=config)  # and re-executes
    assert again.success
    assert inbox.logins == [(USER, PASSWORD)]
    (sent,) = inbox.messages
    assert sent["To"] == TEAM
    assert sent["Subject"] == "[pm_pipeline] returns_job failed for quarter 2025/26 Q1"


def test_the_alert_mailer_refuses_to_log_in_in_clear(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    files = CouncilFiles(data_dir=str(data_dir))
    with smtp_server(login=True) as (inbox, port):
        config = pending_alert(files, port, monkeypatch, PM_SMTP_STARTTLS="false")
        refused = run_job(data_dir, "alert_mail_job", run_config=config)
    assert not refused.success and not inbox.logins and not inbox.messages
    failure = refused.failure_data_for_node("send_alert")
    assert failure is not None and "without TLS" in str(failure.error)
    assert PASSWORD not in str(failure.error)
