"""The mail domain: owners' lists after each read, and the owners' and managers' reminders on
their schedules."""

import dagster as dg

from pm_pipeline.defs.mail.assets import (
    manager_reminder_mail,
    monthly_reminder_mail,
    owner_issue_mail,
    owner_reminder_mail,
)
from pm_pipeline.defs.mail.schedules import (
    manager_reminder_job,
    manager_reminder_schedule,
    monthly_reminder_job,
    monthly_reminder_schedule,
    outstanding_returns_job,
    reminder_schedule,
)
from pm_pipeline.defs.mail.sensors import owner_mail_job, owner_mail_sensor

defs = dg.Definitions(
    assets=[owner_issue_mail, owner_reminder_mail, manager_reminder_mail, monthly_reminder_mail],
    jobs=[owner_mail_job, outstanding_returns_job, manager_reminder_job, monthly_reminder_job],
    schedules=[reminder_schedule, manager_reminder_schedule, monthly_reminder_schedule],
    sensors=[owner_mail_sensor],
)
