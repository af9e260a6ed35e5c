"""The data team's alerts: a failed or crashed run, and a run stuck in the queue."""

import json
import os
from datetime import datetime, timedelta

import dagster as dg

from pm_pipeline.core.alerts import Alert, alert_team
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.words import plural
from pm_pipeline.defs.operations.alert_mail import alert_mail_job
from pm_pipeline.defs.operations.failures import (
    failed_parts,
    owners_business,
    partition_kind,
    run_partition,
)

QUEUE_ALERT_MINUTES = float(os.environ.get("PM_QUEUE_ALERT_MINUTES", "15"))


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Tells the data team of a failed or crashed run (job, period, failed step or "
    "check, link) in reports/alerts.log, by e-mail when PM_SMTP_HOST and PM_ALERT_TO are set "
    "(a failed alert e-mail is logged, not e-mailed again). An owner's save that only fails the "
    "data-quality rules is the owner's to fix, not an alert.",
)
def failure_alert_sensor(context: dg.RunFailureSensorContext, council_files: CouncilFiles) -> None:
    run = context.dagster_run
    failure = failed_parts(context.instance, run.run_id)
    if owners_business(run, failure):
        context.log.info(f"Run {run.run_id}: failed on owners' data-quality rules only")
        return
    alert_team(
        council_files,
        Alert(
            run.job_name,
            run.run_id,
            run_partition(run),
            failure.steps,
            failure.checks,
            context.failure_event.message or "run failed",
            partition_kind(run),
        ),
        mail=run.job_name != alert_mail_job.name,
    )


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Alerts the data team once about any run queued for more than "
    f"{QUEUE_ALERT_MINUTES:g} minutes (PM_QUEUE_ALERT_MINUTES), naming the run holding the "
    "warehouse pool, so a stuck queue is never found by accident.",
)
def queue_alert_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> dg.SkipReason:
    alerted = set(json.loads(context.cursor)) if context.cursor else set()
    cutoff = datetime.now() - timedelta(minutes=QUEUE_ALERT_MINUTES)
    stuck = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED], created_before=cutoff)
    )
    holders = pool_holders(context.instance)
    for record in stuck:
        run = record.dagster_run
        if run.run_id in alerted:
            continue
        alerted.add(run.run_id)
        alert_team(
            council_files,
            Alert(
                run.job_name,
                run.run_id,
                run.tags.get("dagster/partition"),
                (),
                (),
                f"queued for more than {QUEUE_ALERT_MINUTES:g} minutes; the warehouse pool "
                f"is held by {holders or 'no run'}",
                partition_kind(run),
                kind="is stuck in the queue",
            ),
        )
    queued = {r.dagster_run.run_id for r in stuck}
    context.update_cursor(json.dumps(sorted(alerted & queued)))
    return dg.SkipReason(
        f"{plural(len(stuck), 'run')} queued too long; holders: {holders or 'none'}"
    )


def pool_holders(instance: dg.DagsterInstance) -> str:
    """The runs holding the warehouse pool's slots, for the alert to name."""
    info = instance.event_log_storage.get_concurrency_info("warehouse")
    return ", ".join(sorted({slot.run_id for slot in info.claimed_slots}))
