"""The one assembly point: every asset, check, job, schedule, sensor and resource."""

from pathlib import Path

import dagster as dg

from pm_pipeline import automation
from pm_pipeline.core.mail import mailer_from_env
from pm_pipeline.core.warehouse import build_resources
from pm_pipeline.defs.benchmarks.assets import asset_checks as benchmark_checks
from pm_pipeline.defs.benchmarks.assets import assets as benchmark_assets
from pm_pipeline.defs.benchmarks.lginform import lginform_resource_from_env
from pm_pipeline.defs.district.assets import assets as district_assets
from pm_pipeline.defs.intake.assets import returns_intake
from pm_pipeline.defs.mail.assets import (
    manager_reminder_mail,
    owner_mail_sensor,
    owner_reminder_mail,
)
from pm_pipeline.defs.mail.schedules import manager_reminder_job, manager_reminder_schedule
from pm_pipeline.defs.operations.backup import backup_schedule, warehouse_backup
from pm_pipeline.defs.operations.exports import warehouse_exports
from pm_pipeline.defs.plan.assets import asset_checks as plan_checks
from pm_pipeline.defs.plan.assets import assets as plan_assets
from pm_pipeline.defs.register.assets import indicator_register
from pm_pipeline.defs.reports.assets import (
    annual_performance_report,
    outstanding_returns,
    quarterly_performance_report,
    quarterly_report_pdf,
)
from pm_pipeline.defs.reports.audience_assets import audience_reports, cabinet_report_pdf
from pm_pipeline.defs.scorecard.assets import kpi_scorecard
from pm_pipeline.defs.signoff.assets import signoffs
from pm_pipeline.defs.signoff.watch import signoff_job, signoff_sensor
from pm_pipeline.render.pdf import PdfPrinter


def build_defs(data_dir: Path | None = None) -> dg.Definitions:
    """Definitions over one data directory ($PM_DATA_DIR unless given: tests pass their own)."""
    return dg.Definitions(
        assets=dg.with_source_code_references(
            [
                indicator_register,
                returns_intake,
                signoffs,
                kpi_scorecard,
                quarterly_performance_report,
                quarterly_report_pdf,
                audience_reports,
                cabinet_report_pdf,
                outstanding_returns,
                annual_performance_report,
                *benchmark_assets,
                *district_assets,
                *plan_assets,
                warehouse_exports,
                owner_reminder_mail,
                manager_reminder_mail,
            ]
        ),
        asset_checks=[*benchmark_checks, *plan_checks],
        jobs=[
            automation.quarterly_performance_job,
            automation.register_job,
            automation.returns_job,
            automation.quarter_history_job,
            automation.outstanding_returns_job,
            automation.state_of_the_district_job,
            automation.annual_report_job,
            warehouse_backup,
            manager_reminder_job,
            signoff_job,
        ],
        schedules=[
            automation.quarterly_schedule,
            automation.reminder_schedule,
            automation.state_of_the_district_schedule,
            automation.annual_report_schedule,
            backup_schedule,
            manager_reminder_schedule,
        ],
        sensors=[
            automation.returns_sensor,
            automation.failure_alert_sensor,
            automation.queue_alert_sensor,
            automation.restatement_rebuild_sensor,
            owner_mail_sensor,
            signoff_sensor,
        ],
        resources={
            **build_resources(data_dir),
            "lginform": lginform_resource_from_env(),
            "mailer": mailer_from_env(),
            "pdf_printer": PdfPrinter(),
        },
        executor=dg.in_process_executor,
    )


defs = build_defs()
