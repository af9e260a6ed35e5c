"""The data team's alert e-mails, sent in a run's step: `alert_mail_sensor` requests one run
per pending alert (core.alerts writes them), and `alert_mail_job` sends it through the one
mail client, so a slow or failing mail server never holds up a sensor's tick. An alert the
server refused waits in mail/alerts/failed/: re-executing its run tries it again."""

import shutil
from collections.abc import Iterator

import dagster as dg

from pm_pipeline.core.alerts import pending_dir, read_pending
from pm_pipeline.core.files import SENSOR_SECONDS, CouncilFiles, private_folder
from pm_pipeline.core.mail import Mailer, SentLog, mail_address


class AlertFile(dg.Config):
    file: str  # the alert's file name under mail/alerts/pending/


@dg.op(description="Send one pending alert to PM_ALERT_TO; kept under mail/alerts/ either way.")
def send_alert(
    context: dg.OpExecutionContext, config: AlertFile, council_files: CouncilFiles, mailer: Mailer
) -> None:
    alerts = council_files.root / "mail" / "alerts"
    found = [
        p for p in (pending_dir(council_files), alerts / "failed") if (p / config.file).exists()
    ]
    if not found:
        context.log.info(f"{config.file}: already sent")
        return
    waiting = found[0] / config.file
    alert, to = read_pending(waiting)
    messages = []
    for address in to:
        try:
            messages.append(alert.message(mail_address(address)))
        except ValueError as exc:
            raise dg.Failure(f"PM_ALERT_TO: '{address}' {exc} — correct the setting") from None
    delivery = mailer.deliver(
        messages,
        council_files.reports_dir / "alerts_outbox",
        SentLog.of(council_files.root),
    )
    done = private_folder(alerts / ("failed" if delivery.failed else "sent"), council_files.root)
    shutil.move(waiting, done / config.file)
    context.log.info(f"{alert.subject}: {delivery.summary()}")
    if delivery.failed:
        raise dg.Failure(
            f"The alert e-mail could not be sent ({'; '.join(map(str, delivery.failed))}); it "
            "is in reports/alerts.log and reports/alerts_outbox/, and re-executing this run "
            "tries it again."
        )


@dg.job(description="E-mail one alert to the data team (PM_ALERT_TO).")
def alert_mail_job() -> None:
    send_alert()


@dg.sensor(
    job=alert_mail_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a run of alert_mail_job for each alert waiting under "
    "mail/alerts/pending/ (written when PM_SMTP_HOST and PM_ALERT_TO are set).",
)
def alert_mail_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    folder = pending_dir(council_files)
    names = sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []
    for name in names:
        yield dg.RunRequest(
            run_key=name, run_config={"ops": {"send_alert": {"config": {"file": name}}}}
        )
    if not names:
        yield dg.SkipReason("No alert waiting to be e-mailed.")
