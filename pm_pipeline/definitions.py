"""The one assembly point: every asset, check, job, schedule, sensor and resource."""

import warnings

import dagster as dg

# Quarterly assets take single-run backfills (one process reads many quarters, importing Great
# Expectations once); Dagster marks that parameter beta. We opt in knowingly.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

from pm_pipeline import automation
from pm_pipeline.intake.assets import returns_intake
from pm_pipeline.register.assets import indicator_register
from pm_pipeline.reports.assets import outstanding_returns, quarterly_performance_report
from pm_pipeline.resources import build_resources
from pm_pipeline.scorecard.assets import kpi_scorecard

defs = dg.Definitions(
    assets=[
        indicator_register,
        returns_intake,
        kpi_scorecard,
        quarterly_performance_report,
        outstanding_returns,
    ],
    jobs=[
        automation.quarterly_performance_job,
        automation.register_job,
        automation.returns_job,
        automation.outstanding_returns_job,
    ],
    schedules=[automation.quarterly_schedule, automation.reminder_schedule],
    sensors=[automation.returns_sensor],
    resources=build_resources(),
    executor=dg.in_process_executor,
)
