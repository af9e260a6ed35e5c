"""Runs one job in a process of its own, for the crash and overlapping-run tests.

    python -m pm_pipeline_tests.crash_driver JOB PARTITION PAUSE MARKER

or `start(...)` from a test: the same, in a process forked from a server that has already
imported Dagster, the product and Great Expectations (the standard library's forkserver), so
each run does not pay the five seconds of CPU those imports cost a fresh interpreter.

PARTITION is a key, or `START...END` for a single-run backfill of a range. PAUSE is `none`,
`warehouse-write` (inside the DuckDB transaction that replaces a partition, after the
new rows are inserted and before the commit) or `report-write` (a report's temporary file is
written, not yet renamed). At that point the driver creates MARKER and sleeps; the test kills
it with SIGKILL. Nothing is patched in the test's own process: the kill, the files and the
DuckDB recovery are real.
"""

import multiprocessing
import os
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


FORKSERVER = multiprocessing.get_context("forkserver")
FORKSERVER.set_forkserver_preload(
    ["dagster", "great_expectations", "pm_pipeline.definitions", "pm_pipeline_tests.crash_driver"]
)


def _child(env: dict[str, str], log: str, args: tuple[str, ...]) -> None:
    """In the forked process: the test's environment now (PM_DATA_DIR, DAGSTER_HOME), stdout
    discarded and stderr to `log` (a file, not a pipe nobody reads until the child ends)."""
    os.environ.clear()
    os.environ.update(env)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.dup2(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    main(*args)


def start(job: str, partition: str, pause: str, marker: str, log: Path) -> multiprocessing.Process:
    """`main(job, partition, pause, marker)` in a process of its own (a real process: the tests
    SIGKILL it), started now with this process's environment; its exit code is 0 on success."""
    child = FORKSERVER.Process(
        target=_child, args=(dict(os.environ), str(log), (job, partition, pause, marker))
    )
    child.start()
    return child


if __name__ == "__main__":
    main(*sys.argv[1:])
