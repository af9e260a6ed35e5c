"""`returns_sensor` and `monthly_returns_sensor`: the owners' fix loop. A saved, deleted or
renamed return is re-read (and every rule re-run) within a minute, once the quarter's (or
month's) files have settled; a folder of a period still running is left until it ends."""

import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import cast

import dagster as dg

from pm_pipeline.core.alerts import sensor_failed
from pm_pipeline.core.files import SENSOR_SECONDS, CouncilFiles
from pm_pipeline.core.periods import Month, Quarter, ReturnPeriod
from pm_pipeline.defs.intake.assets import FILES_READ
from pm_pipeline.defs.intake.tables import PI_MONTHLY_RETURNS, PI_RETURNS
from pm_pipeline.defs.intake.watch import QuarterFolders, look, months_to_watch, quarters_to_watch
from pm_pipeline.defs.quality.definitions import returns_job
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.store import register_not_loaded

monthly_returns_job = dg.define_asset_job(
    "monthly_returns_job",
    selection=dg.AssetSelection.assets(PI_MONTHLY_RETURNS.key),
    description="Re-read one month's returns of the monthly PIs and re-run every data-quality "
    "check on them.",
)


def last_read(
    instance: dg.DagsterInstance,
    quarter: ReturnPeriod,
    assets: tuple[str, ...] = (QUALITY_ISSUES.key, PI_RETURNS.key),
) -> tuple[int, str | None]:
    """The latest read of this quarter (of a month: `assets` = pi_monthly_returns): its event's
    storage id (0 if never read) and the folder fingerprint that run recorded of the files it
    read."""
    latest = None
    for asset in assets:
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
        yield from _returns_requests(context, council_files, quarters_to_watch)
    except Exception as exc:
        sensor_failed(council_files, "returns_sensor", exc)
        raise


@dg.sensor(
    job=monthly_returns_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the month folders in returns/ (returns/<YYYY-MM>/): when a month's "
    "files differ from what its last run read, re-reads that month once the files have "
    "settled. A folder for a month still running is left until the month has ended.",
)
def monthly_returns_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    try:
        yield from _returns_requests(
            context, council_files, months_to_watch, (PI_MONTHLY_RETURNS.key,)
        )
    except Exception as exc:
        sensor_failed(council_files, "monthly_returns_sensor", exc)
        raise


def _returns_requests(
    context: dg.SensorEvaluationContext,
    files: CouncilFiles,
    to_watch: Callable[[Path, list[str]], QuarterFolders[Quarter] | QuarterFolders[Month]],
    assets: tuple[str, ...] = (QUALITY_ISSUES.key, PI_RETURNS.key),
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    if not_loaded := register_not_loaded(context.instance):
        yield not_loaded
        return
    cursor = json.loads(context.cursor) if context.cursor else {}
    seen_before: dict[str, dict] = cursor.get("files", {})
    watched = to_watch(files.returns_dir, list(seen_before))
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
        since, read = last_read(context.instance, quarter, assets)  # indexed look-ups
        if read == fingerprint or (read is None and not seen.files):
            continue
        requested += 1
        yield dg.RunRequest(  # one run per change since the last read, even back to old files
            run_key=f"returns-{quarter.folder}-{since}-{fingerprint}",
            partition_key=quarter.key,
            tags={watched.kind: quarter.label, "trigger": "returns changed"},
        )
    context.update_cursor(json.dumps({"files": files_now}))
    if not requested:
        detail = (
            "; ".join(waiting) if waiting else f"every {watched.kind} matches what was last read"
        )
        yield dg.SkipReason(f"Nothing to re-read: {detail}.")
