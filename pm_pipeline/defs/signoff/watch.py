"""`signoff_sensor`: a manager's saved decisions are read within a minute, like an owner's file.

It fingerprints each quarter's `signoff/` folder by names and content hashes (never times) and
compares that with what the last `signoffs` run of the quarter recorded it read, so a save, a
deletion or a rename leads to exactly one re-read. Which folders it looks at is the returns
sensor's choice (`intake.watch.quarters_to_watch`): a folder made early for a quarter still
running is named in the tick and left until the quarter has ended.
"""

from collections.abc import Iterator
from typing import cast

import dagster as dg

from pm_pipeline.core.files import SENSOR_SECONDS, CouncilFiles
from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.intake.assets import FILES_READ
from pm_pipeline.defs.intake.folder import fingerprint, scan_quarter, sha256_of
from pm_pipeline.defs.intake.watch import quarters_to_watch
from pm_pipeline.defs.register.store import register_not_loaded
from pm_pipeline.defs.signoff.assets import SIGNOFF_DIR
from pm_pipeline.defs.signoff.tables import SIGNOFF_FIGURES, SIGNOFFS

signoff_job = dg.define_asset_job(
    "signoff_job",
    selection=dg.AssetSelection.assets(SIGNOFFS.key, SIGNOFF_FIGURES.key),
    description="Re-read one quarter's managers' sign-offs and re-run the sign-off checks.",
)


def folder_fingerprint(files: CouncilFiles, quarter: Quarter) -> str:
    root = files.root / SIGNOFF_DIR
    entries = scan_quarter(root, quarter)
    return fingerprint((e.source_file, sha256_of(root, e)) for e in entries if not e.problem)


def last_read(instance: dg.DagsterInstance, quarter: Quarter) -> str | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(SIGNOFFS.key), asset_partitions=[quarter.key]),
        limit=1,
    ).records
    event = records[0].asset_materialization if records else None
    read = event.metadata.get(FILES_READ) if event else None
    return cast(dict, read.value).get(quarter.key) if read is not None else None


@dg.sensor(
    job=signoff_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches signoff/: when a quarter's sign-off files differ from what its last "
    "signoffs run read, re-reads that quarter's decisions and re-runs the sign-off checks. "
    "A folder for a quarter that has not ended is left until it has.",
)
def signoff_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    if not_loaded := register_not_loaded(context.instance):
        yield not_loaded
        return
    watched = quarters_to_watch(council_files.root / SIGNOFF_DIR)
    if watched.not_yet:
        context.log.info(f"signoff/: {watched.note()}")
    requested = 0
    for quarter in watched.quarters:
        now = folder_fingerprint(council_files, quarter)
        if last_read(context.instance, quarter) == now:
            continue
        requested += 1
        yield dg.RunRequest(
            run_key=f"signoff-{quarter.folder}-{now}",
            partition_key=quarter.key,
            tags={"quarter": quarter.label, "trigger": "sign-off changed"},
        )
    if not requested:
        left = f"; {watched.note()}" if watched.not_yet else ""
        yield dg.SkipReason(f"Every quarter's sign-offs match what was last read{left}.")
