"""The operations domain: the BI exports, the nightly backup, and the data team's alerts."""

import dagster as dg

from pm_pipeline.defs.operations.alert_mail import alert_mail_job, alert_mail_sensor
from pm_pipeline.defs.operations.backup import backup_schedule, warehouse_backup
from pm_pipeline.defs.operations.exports import warehouse_exports
from pm_pipeline.defs.operations.sensors import failure_alert_sensor, queue_alert_sensor

defs = dg.Definitions(
    assets=[warehouse_exports],
    jobs=[warehouse_backup, alert_mail_job],
    schedules=[backup_schedule],
    sensors=[failure_alert_sensor, queue_alert_sensor, alert_mail_sensor],
)
