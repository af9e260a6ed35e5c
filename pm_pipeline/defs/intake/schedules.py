"""The monthly job and its schedule: each month's returns and checks, on the council's chosen
working day after the month ends (council.yaml `monthly_run_working_day`, default the 12th;
weekends and England and Wales bank holidays skipped, as the quarterly reminders skip them).

The monthly job runs the `monthly` group for the month just ended (its returns and checks).
It does not run the quarter: a quarter's partition exists only once the quarter has ended, and
the quarterly job (reports/definitions.py) reads the quarter's three months as they stand when
it runs, at the end of the quarter's data-entry month. A month re-read after that shows the
quarter's pi_returns as changed upstream in the UI until the quarter is read again (the returns
sensor re-reads it when its own folder changes; otherwise run returns_job for the quarter).
"""

from collections.abc import Iterator

import dagster as dg

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import TIMEZONE, local_date, month_due_on
from pm_pipeline.defs.intake.tables import PI_MONTHLY_RETURNS
from pm_pipeline.defs.register.load import read_council

MONTHLY_GROUP = "monthly"

monthly_returns_job = dg.define_asset_job(
    "monthly_returns_job",
    selection=dg.AssetSelection.assets(PI_MONTHLY_RETURNS.key),
    description="Re-read one month's returns of the monthly PIs and re-run every data-quality "
    "check on them.",
)
monthly_job = dg.define_asset_job(
    "monthly_job",
    selection=dg.AssetSelection.groups(MONTHLY_GROUP),
    description="The monthly cycle for one month: the monthly PIs' returns and their checks "
    "(every asset in the monthly group). The quarter's figures are the quarterly job's.",
)


@dg.schedule(
    cron_schedule="0 6 * * *",
    job=monthly_job,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="06:00 on the council's working day after each month ends (council.yaml "
    "monthly_run_working_day, default the 12th working day): the month just ended. Every "
    "other day's tick is skipped, saying why.",
)
def monthly_schedule(
    context: dg.ScheduleEvaluationContext, council_files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    day = local_date(context.scheduled_execution_time)
    council = read_council(council_files.config_dir / "council.yaml")
    month = month_due_on(day, council.monthly_run_working_day)
    if month is None:
        yield dg.SkipReason(
            f"Not the {council.monthly_run_working_day}th working day of the month "
            "(council.yaml monthly_run_working_day): the monthly job runs then."
        )
        return
    yield dg.RunRequest(
        run_key=f"monthly-{month.key}", partition_key=month.key, tags={"month": month.label}
    )
