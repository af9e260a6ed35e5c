"""Runs one job in this process, for the crash and overlapping-run tests.

    python -m pm_pipeline_tests.crash_driver JOB PARTITION PAUSE MARKER

PARTITION is a key, or `START...END` for a single-run backfill of a range. PAUSE is `none`,
`warehouse-write` (inside the DuckDB transaction that replaces a partition, after the
new rows are inserted and before the commit) or `report-write` (a report's temporary file is
written, not yet renamed). At that point the driver creates MARKER and sleeps; the test kills
it with SIGKILL. Nothing is patched in the test's own process: the kill, the files and the
DuckDB recovery are real.
"""

import sys
import time
from pathlib import Path

import dagster as dg

from pm_pipeline.core.periods import range_tags


def pause_here(marker: Path) -> None:
    marker.write_text("paused")
    time.sleep(600)


def main(job: str, partition: str, pause: str, marker: str) -> None:
    from pm_pipeline.core import files as safe_write
    from pm_pipeline.core import warehouse
    from pm_pipeline.definitions import build_defs
    from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

    flag = Path(marker)
    if pause == "warehouse-write":
        insert = warehouse._insert

        def insert_then_pause(conn, table, frame):
            insert(conn, table, frame)
            if table.name == "pi_returns":  # a Table since the domains declare them
                pause_here(flag)

        warehouse._insert = insert_then_pause
    elif pause == "report-write":
        fsync = safe_write.os.fsync

        def fsync_then_pause(fd: int) -> None:
            fsync(fd)
            if Path(f"/proc/self/fd/{fd}").resolve().name.startswith(".kpi_scorecard.html."):
                pause_here(flag)

        safe_write.os.fsync = fsync_then_pause
    start, _, end = partition.partition("...")
    target = {"tags": range_tags(start, end)} if end else {"partition_key": start or None}
    result = (
        build_defs(pdf_printer=PlainPdfPrinter())  # the crash tests list files, not pages
        .resolve_job_def(job)
        .execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False, **target)
    )
    sys.exit(0 if result.success else 1)


if __name__ == "__main__":
    main(*sys.argv[1:])
