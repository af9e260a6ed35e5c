"""The reports domain: the quarterly reports by audience on the quarterly schedule, the annual
report, the list of returns still outstanding (which the mail domain sends), and the monthly
service scorecards and leader's update with the job that makes a month's."""

import dagster as dg

from pm_pipeline.core.periods import TIMEZONE, local_date, quarter_reported_on
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
    jobs=[quarterly_performance_job, annual_report_job, monthly_reports_job],
    schedules=[quarterly_schedule, annual_report_schedule],
)
