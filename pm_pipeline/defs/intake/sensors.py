"""`returns_sensor`: the owners' fix loop. A saved, deleted or renamed return is re-read (and
every rule re-run) within a minute, once the quarter's files have settled."""

import json
import time
from collections.abc import Iterator, Mapping
from typing import cast

import dagster as dg

from pm_pipeline.core.alerts import sensor_failed
from pm_pipeline.core.files import SENSOR_SECONDS, CouncilFiles
from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.intake.assets import FILES_READ
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.intake.watch import look, quarters_to_watch
from pm_pipeline.defs.quality.definitions import returns_job
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.store import register_not_loaded


def last_read(instance: dg.DagsterInstance, quarter: Quarter) -> tuple[int, str | None]:
    """The latest read of this quarter: its event's storage id (0 if never read) and the
    folder fingerprint that run recorded of the files it read."""
    latest = None
    for asset in (QUALITY_ISSUES.key, PI_RETURNS.key):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[quarter.key]),
            limit=1,
        ).records
        if records and (latest is None or records[0].storage_id > latest.storage_id):
            latest = records[0]
    if latest is None:
        return 0, None
    materialization = latest.asset_materialization
    read = materialization.metadata.get(FILES_READ) if materialization else None
    if read is None:
        return latest.storage_id, None
    files_read = cast(Mapping[str, str] | None, read.value)  # FILES_READ is {quarter: fingerprint}
    return latest.storage_id, (files_read or {}).get(quarter.key)


@dg.sensor(
    job=returns_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches returns/: when the names or contents of a quarter's files differ from "
    "what its last run read (a save, a deletion, a rename, a restored old file), re-reads that "
    "quarter once the files have settled, so an owner sees a fix within a minute.",
)
def returns_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    try:
        yield from _returns_requests(context, council_files)
    except Exception as exc:
        sensor_failed(council_files, "returns_sensor", exc)
        raise


def _returns_requests(
    context: dg.SensorEvaluationContext, files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    if not_loaded := register_not_loaded(context.instance):
        yield not_loaded
        return
    cursor = json.loads(context.cursor) if context.cursor else {}
    seen_before: dict[str, dict] = cursor.get("files", {})
    watched = quarters_to_watch(files.returns_dir, list(seen_before))
    waiting = [watched.note()] if watched.not_yet else []
    if watched.not_yet:
        context.log.info(f"returns/: {watched.note()}")
    requested = 0
    files_now: dict[str, dict] = {}
    for quarter in watched.quarters:
        seen = look(files.returns_dir, quarter, seen_before.get(quarter.folder, {}), time.time())
        files_now[quarter.folder] = seen.files
        if seen.waiting_for:
            waiting.append(f"{quarter.folder}: {seen.waiting_for}")
            continue
        fingerprint = seen.fingerprint
        since, read = last_read(context.instance, quarter)  # two indexed look-ups a quarter
        if read == fingerprint or (read is None and not seen.files):
            continue
        requested += 1
        yield dg.RunRequest(  # one run per change since the last read, even back to old files
            run_key=f"returns-{quarter.folder}-{since}-{fingerprint}",
            partition_key=quarter.key,
            tags={"quarter": quarter.label, "trigger": "returns changed"},
        )
    context.update_cursor(json.dumps({"files": files_now}))
    if not requested:
        detail = "; ".join(waiting) if waiting else "every quarter matches what was last read"
        yield dg.SkipReason(f"Nothing to re-read: {detail}.")
