"""The district domain: the reference files re-read each half-year, and the State of the
District on its six-monthly schedule."""

import dagster as dg

from pm_pipeline.core.periods import TIMEZONE, local_date, quarter_reported_on
from pm_pipeline.defs.district.assets import district_context, state_of_the_district

state_of_the_district_job = dg.define_asset_job(
    "state_of_the_district_job",
    selection=dg.AssetSelection.groups("district"),
    description="The six-monthly State of the District: reference files re-read, then the report.",
)


@dg.schedule(
    cron_schedule="0 2 1 5,11 *",
    job=state_of_the_district_job,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 on 1 November and 1 May, two hours after the Q2 and Q4 runs: the "
    "State of the District for the half-year just closed.",
)
def state_of_the_district_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    half = quarter_reported_on(local_date(context.scheduled_execution_time)).half
    return dg.RunRequest(
        run_key=f"state-of-the-district-{half.key}",
        partition_key=half.key,
        tags={"half": half.label},
    )


defs = dg.Definitions(
    assets=[district_context, state_of_the_district],
    jobs=[state_of_the_district_job],
    schedules=[state_of_the_district_schedule],
)
