"""The reports domain: the quarterly reports by audience on the quarterly schedule, the annual
report, the list of returns still outstanding (which the mail domain sends), and the monthly
service scorecards and leader's update, with the monthly cycle's job and schedule.

The monthly job runs a month's whole cycle: the monthly PIs' returns and checks (intake's
`monthly` group), the register, the month's budget monitoring and its checks, and the service
scorecards and leader's update. It does not run the quarter: a quarter's partition exists only
once the quarter has ended, and the quarterly job reads the quarter's three months as they stand
when it runs, at the end of the quarter's data-entry month. A month re-read after that shows the
quarter's pi_returns as changed upstream in the UI until the quarter is read again (the returns
sensor re-reads it when its own folder changes; otherwise run returns_job for the quarter)."""

from collections.abc import Iterator

import dagster as dg

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import TIMEZONE, local_date, month_due_on, quarter_reported_on
from pm_pipeline.defs.intake.monthly import MONTHLY_GROUP
from pm_pipeline.defs.register.load import read_council
from pm_pipeline.defs.reports.assets import (
    annual_performance_report,
    outstanding_returns,
    quarterly_performance_report,
    quarterly_report_pdf,
)
from pm_pipeline.defs.reports.audience_assets import (
    audience_reports,
    cabinet_report_pdf,
    governance_report_pdf,
)
from pm_pipeline.defs.reports.monthly_assets import (
    GROUP as MONTHLY_REPORTS,
)
from pm_pipeline.defs.reports.monthly_assets import (
    leader_update,
    leader_update_pdf,
    service_scorecard,
)

# the stages of the quarterly cycle, by their groups in the UI's asset graph
QUARTERLY_CYCLE = ("register", "intake", "quality", "benchmarks", "scorecards", "reports")

quarterly_performance_job = dg.define_asset_job(
    "quarterly_performance_job",
    selection=dg.AssetSelection.groups(*QUARTERLY_CYCLE, "operations"),
    description="The whole quarterly cycle for one quarter: register, returns and their checks, "
    "benchmarks, scorecard, the full report (HTML, Excel, PDF), the reports by audience "
    "(Cabinet HTML and PDF, services, management, the Audit and Risk Committee's governance "
    "report HTML and PDF) and the BI exports.",
)
monthly_reports_job = dg.define_asset_job(
    "monthly_reports_job",
    selection=dg.AssetSelection.groups("register", "finance", MONTHLY_REPORTS),
    description="A month's reports: the register, the month's budget monitoring and its "
    "checks, the service balanced scorecard for each directorate (HTML and Excel) and the "
    "Leader's monthly update (HTML and PDF).",
)
monthly_job = dg.define_asset_job(
    "monthly_job",
    selection=dg.AssetSelection.groups(MONTHLY_GROUP, "register", "finance", MONTHLY_REPORTS),
    description="The monthly cycle for one month: the monthly PIs' returns and their checks, "
    "the register, the month's budget monitoring and its checks, the service scorecards and "
    "the leader's update. The quarter's figures are the quarterly job's.",
)
annual_report_job = dg.define_asset_job(
    "annual_report_job",
    selection=dg.AssetSelection.assets(annual_performance_report),
    description="The annual performance report for one financial year.",
)


@dg.schedule(
    cron_schedule="0 0 1 2,5,8,11 *",
    job=quarterly_performance_job,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Midnight at the end of 31 July, 31 October, 31 January and 30 April: the "
    "quarter just closed.",
)
def quarterly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    quarter = quarter_reported_on(local_date(context.scheduled_execution_time))
    return dg.RunRequest(
        run_key=f"quarterly-{quarter.key}",
        partition_key=quarter.key,
        tags={"quarter": quarter.label},
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


@dg.schedule(
    cron_schedule="0 4 1 5 *",
    job=annual_report_job,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="04:00 on 1 May, after the Q4 run: the annual report for the year just ended.",
)
def annual_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    year = quarter_reported_on(local_date(context.scheduled_execution_time)).financial_year
    return dg.RunRequest(
        run_key=f"annual-{year.key}", partition_key=year.key, tags={"year": year.label}
    )


defs = dg.Definitions(
    assets=[
        quarterly_performance_report,
        quarterly_report_pdf,
        audience_reports,
        cabinet_report_pdf,
        governance_report_pdf,
        outstanding_returns,
        annual_performance_report,
        service_scorecard,
        leader_update,
        leader_update_pdf,
    ],
    jobs=[quarterly_performance_job, annual_report_job, monthly_reports_job, monthly_job],
    schedules=[quarterly_schedule, annual_report_schedule, monthly_schedule],
)
