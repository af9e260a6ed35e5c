"""What a failed run failed on, read from its event log: the data team is alerted to errors and
crashes, not to an owner's return failing the rules (the owner's list already says what to fix)."""

from dataclasses import dataclass
from typing import cast

import dagster as dg

from pm_pipeline.defs.district.definitions import state_of_the_district_job
from pm_pipeline.defs.intake.sensors import (
    monthly_returns_job,
    monthly_returns_sensor,
    returns_sensor,
)
from pm_pipeline.defs.intake.tables import PI_MONTHLY_RETURNS
from pm_pipeline.defs.reports.definitions import annual_report_job, monthly_job


@dataclass(frozen=True)
class Failure:
    """What went wrong in a run: failed steps, the blocking checks that failed, and whether
    anything failed other than those checks (an error or a crash)."""

    steps: tuple[str, ...]
    checks: tuple[str, ...]
    beyond_checks: bool


def failed_parts(instance: dg.DagsterInstance, run_id: str) -> Failure:
    steps, checks, beyond = [], [], False
    for record in instance.all_logs(
        run_id,
        of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION},
    ):
        event = record.dagster_event
        if event is None:  # of_type asks for Dagster events only
            continue
        data = event.event_specific_data
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            steps.append(cast(str, event.step_key))  # a step failure names its step
            error = getattr(data, "error", None)
            beyond |= error is None or error.cls_name != "DagsterAssetCheckFailedError"
        elif (
            isinstance(data, dg.AssetCheckEvaluation)
            and not data.passed
            and data.severity == dg.AssetCheckSeverity.ERROR
        ):
            checks.append(data.check_name)
    beyond |= not steps  # a run that failed with no failed step died around them (a crash)
    return Failure(tuple(dict.fromkeys(steps)), tuple(dict.fromkeys(checks)), beyond)


def partition_kind(run: dg.DagsterRun) -> str:
    """Whether a run's partition key names a quarter, a month, a half-year or a financial year."""
    assets = {key.to_user_string() for key in run.asset_selection or ()}
    if run.job_name in (monthly_job.name, monthly_returns_job.name):
        return "month"
    if assets & {PI_MONTHLY_RETURNS.key, "monthly_reminder_mail"}:  # the mail domain's asset
        return "month"
    if run.job_name == annual_report_job.name or "annual_performance_report" in assets:
        return "financial year"
    if run.job_name == state_of_the_district_job.name or "state_of_the_district" in assets:
        return "half-year"
    return "quarter"


def owners_business(run: dg.DagsterRun, failure: Failure) -> bool:
    """An owner's save that failed only on ERROR rules: the owner's list says what to fix, and
    the data team is not woken for it."""
    from_sensor = run.tags.get("dagster/sensor_name") in (
        returns_sensor.name,
        monthly_returns_sensor.name,
    )
    return from_sensor and bool(failure.checks) and not failure.beyond_checks


def run_partition(run: dg.DagsterRun) -> str | None:
    """The run's partition, or the range a backfill run covered."""
    if "dagster/partition" in run.tags or "dagster/asset_partition_range_start" not in run.tags:
        return run.tags.get("dagster/partition")
    return (
        f"{run.tags['dagster/asset_partition_range_start']}..."
        f"{run.tags['dagster/asset_partition_range_end']}"
    )
