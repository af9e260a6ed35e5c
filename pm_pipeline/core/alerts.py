"""The data team's alerts: a line in reports/alerts.log at once and, when PM_SMTP_HOST and
PM_ALERT_TO are set, an e-mail.

Raising an alert only writes files (the log line, and the alert under mail/alerts/pending/),
so a sensor's tick never waits on a mail server; operations' `alert_mail_sensor` requests a
run that sends each pending alert through the one mail client (`core.mail.Mailer`).

PM_ALERT_TO is also the council's performance team as a recipient of owners' mail: the list of
problems in returns whose PI nobody in the register owns goes there (`data_team`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from pm_pipeline.core.files import CouncilFiles, write_atomic
from pm_pipeline.core.periods import FinancialYear, Half, Month, Quarter

PERIOD_KINDS: dict[str, type[Quarter] | type[Half] | type[FinancialYear] | type[Month]] = {
    "quarter": Quarter,
    "month": Month,
    "half-year": Half,
    "financial year": FinancialYear,
}

ALERT_TO_ENV = "PM_ALERT_TO"
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
            lines.append(f"Run: {self.run_url}")
        if self.run_id and (self.failed_steps or self.kind == "failed"):
            lines.append(f"Failed steps: {', '.join(self.failed_steps) or 'none recorded'}")
        if self.failed_checks:
            lines.append(
                f"Blocking data-quality checks that failed: {', '.join(self.failed_checks)} "
                "(each owner's list is under reports/<quarter>/quality/)"
            )
        lines.append(f"Error: {self.error}")
        return "\n".join(lines)

    def message(self, to: str) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = self.subject
        message["To"] = to
        message.set_content(self.text())
        return message


def append_log(path: Path, alert: Alert, when: datetime | None = None) -> None:
    """Append one alert to the log (append is atomic enough for one short record per failure)."""
    stamp = (when or datetime.now(UTC)).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {alert.text().replace(chr(10), ' | ')}\n")


def addresses(setting: str) -> list[str]:
    """The addresses in a setting such as PM_ALERT_TO: one or more, separated by commas (each
    gets a message of its own)."""
    return [address for _, address in getaddresses([setting]) if address]


def data_team() -> list[str]:
    """The data team's addresses (PM_ALERT_TO)."""
    return addresses(os.environ.get(ALERT_TO_ENV, ""))


def pending_dir(files: CouncilFiles) -> Path:
    """Alerts waiting for `alert_mail_job` to send them."""
    return files.root / "mail" / "alerts" / "pending"


def read_pending(path: Path) -> tuple[Alert, list[str]]:
    """A pending alert and the addresses it goes to."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    to = addresses(raw.pop("to"))
    for name in ("failed_steps", "failed_checks"):
        raw[name] = tuple(raw[name])
    return Alert(**raw), to


def alert_team(files: CouncilFiles, alert: Alert, mail: bool = True) -> None:
    """The data team's alert: a line in reports/alerts.log, and an e-mail (sent by a run, not
    here) when PM_SMTP_HOST and PM_ALERT_TO are set."""
    stamp = datetime.now(UTC)
    append_log(files.reports_dir / "alerts.log", alert, stamp)
    to = os.environ.get(ALERT_TO_ENV, "").strip()
    if mail and to and os.environ.get("PM_SMTP_HOST"):
        name = f"{stamp:%Y%m%dT%H%M%S%f}-{alert.job}-{alert.run_id[:8] or 'tick'}.json"
        write_atomic(
            pending_dir(files) / name, json.dumps({**asdict(alert), "to": to}), private=True
        )


def sensor_failed(files: CouncilFiles, name: str, exc: Exception) -> None:
    """A sensor's failed tick has no run to link to: the alert names the sensor and the error."""
    alert_team(files, Alert(name, "", None, (), (), f"{type(exc).__name__}: {exc}"))
