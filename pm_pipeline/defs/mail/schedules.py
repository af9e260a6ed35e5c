"""The reminder schedules: owners on the first working day after each quarter ends (owners of
monthly PIs after each month), managers at the start of the fourth week after the quarter.

Bassetlaw's framework: owners enter data in the first three weeks after the quarter, managers
check it in the fourth. The fourth week starts on the 22nd; a weekend or bank holiday moves the
reminder to the next working day, as the owners' reminder does.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg

from pm_pipeline.core.periods import (
    TIMEZONE,
    Quarter,
    first_working_day_after,
    local_date,
    month_due_on,
)
from pm_pipeline.defs.mail.assets import (
    manager_reminder_mail,
    monthly_reminder_mail,
    owner_reminder_mail,
)
from pm_pipeline.defs.mail.managers import fourth_week
from pm_pipeline.defs.reports.assets import outstanding_returns

outstanding_returns_job = dg.define_asset_job(
    "outstanding_returns_job",
    selection=dg.AssetSelection.assets(outstanding_returns, owner_reminder_mail),
    description="Write the reminder list of returns not yet received, by owner and manager, "
    "and e-mail each owner theirs.",
)
monthly_reminder_job = dg.define_asset_job(
    "monthly_reminder_job",
    selection=dg.AssetSelection.assets(monthly_reminder_mail),
    description="E-mail each owner of monthly PIs the month's returns not yet received.",
)
manager_reminder_job = dg.define_asset_job(
    "manager_reminder_job",
    selection=dg.AssetSelection.assets(manager_reminder_mail),
    description="E-mail each manager the figures awaiting their check and any open queries.",
)


def reminder_due(day: date) -> Quarter | None:
    """The quarter to chase on `day`, if `day` is the first working day after a quarter ended."""
    quarter = Quarter.containing(day).previous
    return quarter if first_working_day_after(quarter.end) == day else None


@dg.schedule(
    cron_schedule="0 8 1-7 1,4,7,10 *",
    job=outstanding_returns_job,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="08:00 on the first working day after each quarter ends: the outstanding "
    "returns list by owner and manager.",
)
def reminder_schedule(
    context: dg.ScheduleEvaluationContext,
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    quarter = reminder_due(local_date(context.scheduled_execution_time))
    if quarter is None:
        yield dg.SkipReason("Not the first working day after the quarter ended.")
        return
    yield dg.RunRequest(
        run_key=f"reminders-{quarter.key}",
        partition_key=quarter.key,
        tags={"quarter": quarter.label},
    )


def manager_reminder_due(day: date) -> Quarter | None:
    """The quarter whose managers are reminded on `day`: the first working day on or after the
    22nd of the month after the quarter ended."""
    quarter = Quarter.containing(day).previous
    return quarter if day == fourth_week(quarter) else None


@dg.schedule(
    cron_schedule="0 8 22-31 1,4,7,10 *",
    job=manager_reminder_job,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="08:00 at the start of the fourth week after each quarter (the first working "
    "day from the 22nd): managers' figures to check and open queries.",
)
def manager_reminder_schedule(
    context: dg.ScheduleEvaluationContext,
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    day = local_date(context.scheduled_execution_time)
    quarter = manager_reminder_due(day)
    if quarter is None:
        yield dg.SkipReason("Not the start of the fourth week after a quarter.")
        return
    yield dg.RunRequest(
        run_key=f"manager-reminders-{quarter.key}",
        partition_key=quarter.key,
        tags={"quarter": quarter.label},
    )


@dg.schedule(
    cron_schedule="0 8 1-7 * *",
    job=monthly_reminder_job,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="08:00 on the first working day after each month ends: owners of monthly PIs "
    "with the month's returns outstanding are reminded.",
)
def monthly_reminder_schedule(
    context: dg.ScheduleEvaluationContext,
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    month = month_due_on(local_date(context.scheduled_execution_time), 1)
    if month is None:
        yield dg.SkipReason("Not the first working day after the month ended.")
        return
    yield dg.RunRequest(
        run_key=f"monthly-reminders-{month.key}",
        partition_key=month.key,
        tags={"month": month.label},
    )
