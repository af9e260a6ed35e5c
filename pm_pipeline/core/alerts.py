"""Failure alerts: a plain message to reports/alerts.log and, when SMTP is configured, by e-mail.

SMTP settings come only from the environment (PM_SMTP_HOST, PM_SMTP_PORT, PM_SMTP_USER,
PM_SMTP_PASSWORD, PM_ALERT_FROM, PM_ALERT_TO); the password is never written anywhere.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import FinancialYear, Half, Quarter

PERIOD_KINDS: dict[str, type[Quarter] | type[Half] | type[FinancialYear]] = {
    "quarter": Quarter,
    "half-year": Half,
    "financial year": FinancialYear,
}

UI_URL_ENV = "PM_DAGSTER_UI_URL"
DEFAULT_UI_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class Alert:
    job: str
    run_id: str
    partition: str | None
    failed_steps: tuple[str, ...]
    failed_checks: tuple[str, ...]
    error: str
    partition_kind: str = "quarter"  # a key like 2025-04-01 starts a quarter, half or year
    kind: str = "failed"

    @property
    def period(self) -> str:
        if not self.partition:
            return "no partition"
        if "..." in self.partition:
            return f"partitions {self.partition}"
        try:
            period = PERIOD_KINDS[self.partition_kind].from_key(self.partition)
        except (KeyError, ValueError):
            return self.partition
        return f"{self.partition_kind} {period.label}"

    @property
    def run_url(self) -> str:
        return f"{os.environ.get(UI_URL_ENV, DEFAULT_UI_URL).rstrip('/')}/runs/{self.run_id}"

    @property
    def subject(self) -> str:
        period = f" for {self.period}" if self.partition else ""
        return f"[pm_pipeline] {self.job} {self.kind}{period}"

    def text(self) -> str:
        lines = [self.subject]
        if self.run_id:  # a sensor's failed tick has no run
            lines += [
                f"Run: {self.run_url}",
                f"Failed steps: {', '.join(self.failed_steps) or 'none recorded'}",
            ]
        if self.failed_checks:
            lines.append(
                f"Blocking data-quality checks that failed: {', '.join(self.failed_checks)} "
                "(each owner's list is under reports/<quarter>/quality/)"
            )
        lines.append(f"Error: {self.error}")
        return "\n".join(lines)


def append_log(path: Path, alert: Alert, when: datetime | None = None) -> None:
    """Append one alert to the log (append is atomic enough for one short record per failure)."""
    stamp = (when or datetime.now(UTC)).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {alert.text().replace(chr(10), ' | ')}\n")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host, to = os.environ.get("PM_SMTP_HOST"), os.environ.get("PM_ALERT_TO")
        if not host or not to:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("PM_SMTP_PORT", "25")),
            sender=os.environ.get("PM_ALERT_FROM", "pm-pipeline@localhost"),
            recipients=tuple(a.strip() for a in to.split(",") if a.strip()),
            user=os.environ.get("PM_SMTP_USER") or None,
            password=os.environ.get("PM_SMTP_PASSWORD") or None,
        )


def send_email(settings: SmtpSettings, alert: Alert, timeout: float = 10) -> None:
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message.set_content(alert.text())
    with smtplib.SMTP(settings.host, settings.port, timeout=timeout) as smtp:
        if settings.user and settings.password:
            smtp.starttls()
            smtp.login(settings.user, settings.password)
        smtp.send_message(message)


def alert_team(files: CouncilFiles, alert: Alert) -> None:
    """The data team's alert: a line in reports/alerts.log, and an e-mail when SMTP is set."""
    append_log(files.reports_dir / "alerts.log", alert)
    settings = SmtpSettings.from_env()
    if settings:
        send_email(settings, alert)


def sensor_failed(files: CouncilFiles, name: str, exc: Exception) -> None:
    """A sensor's failed tick has no run to link to: the alert names the sensor and the error."""
    alert_team(files, Alert(name, "", None, (), (), f"{type(exc).__name__}: {exc}"))
