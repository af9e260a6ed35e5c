"""`owner_mail_sensor`: after each read of a quarter, a run that mails its owners' lists.

The tick only looks at the event log and requests runs; the mail goes in the run's step.
"""

import dagster as dg

from pm_pipeline.core.files import SENSOR_SECONDS
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.words import plural
from pm_pipeline.defs.mail.assets import owner_issue_mail
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES

# Owners are e-mailed about the quarters they are working on: the latest two read (the quarter
# being collected, and the one before while late returns and restatements come in), so loading
# years of history never sends years of lists.
CURRENT_QUARTERS = 2

owner_mail_job = dg.define_asset_job(
    "owner_mail_job",
    selection=dg.AssetSelection.assets(owner_issue_mail),
    description="E-mail each owner whose list of issues for the quarter changed.",
)


@dg.sensor(
    job=owner_mail_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each run that reads a quarter (every quality_issues materialisation, "
    f"failing checks or not), requests owner_mail_job for it, for the latest {CURRENT_QUARTERS} "
    "quarters read.",
)
def owner_mail_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    key = dg.AssetKey(QUALITY_ISSUES.key)
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, after_storage_id=after), limit=200, ascending=True
    ).records
    if not records:
        return dg.SensorResult(skip_reason="No quarter read since the last look.")
    held = sorted(context.instance.get_materialized_partitions(key))
    current = min(held[-CURRENT_QUARTERS:], default="")
    latest = {r.partition_key: r.storage_id for r in records if r.partition_key}
    old = sorted(k for k in latest if k < current)  # history loaded or re-read: nobody's to-do
    requests = [
        dg.RunRequest(
            run_key=f"owner-mail-{partition}-{storage_id}",
            partition_key=partition,
            tags={"quarter": Quarter.from_key(partition).label},
        )
        for partition, storage_id in sorted(latest.items())
        if partition >= current
    ]
    context.update_cursor(str(records[-1].storage_id))
    said = (
        f"not mailed: {plural(len(old), 'earlier quarter')} ({Quarter.from_key(old[0]).label} "
        f"to {Quarter.from_key(old[-1]).label}); owners are mailed about the latest "
        f"{CURRENT_QUARTERS} quarters read"
        if old
        else ""
    )
    if said:
        context.log.info(said)
    return dg.SensorResult(run_requests=requests, skip_reason=None if requests else said or None)
