"""Does a long report render delay an owner's re-read? Prints the sensor run's time alone and
while the quarterly report and its PDF are being rendered in another process.

    python bench/warehouse_readers.py

Works on a copy of the sample council in a temporary folder. Report steps open the warehouse
read-only and close it before rendering, so the re-read (a writer, in the `warehouse` pool)
should take about as long either way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LATEST = "2026-07-01"


def run(env: dict[str, str], job: str, partition: str) -> subprocess.Popen:
    """One job in its own process (the crash driver's plain mode), as a daemon would launch."""
    command = [sys.executable, "-m", "pm_pipeline_tests.crash_driver", job, partition, "none", "-"]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)


def render(env: dict[str, str], partition: str) -> subprocess.Popen:
    """Only the report and its PDF (they read the warehouse, and are not in the pool)."""
    dagster = Path(sys.executable).parent / "dagster"
    select = "quarterly_performance_report,quarterly_report_pdf"
    command = [str(dagster), "asset", "materialize", "-m", "pm_pipeline.definitions"]
    command += ["--select", select, "--partition", partition]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def timed(env: dict[str, str], job: str, partition: str) -> float:
    started = time.perf_counter()
    assert run(env, job, partition).wait() == 0, job
    return time.perf_counter() - started


def write_waits(data: Path, reader: subprocess.Popen | None) -> list[float]:
    """Open the warehouse for writing every half second, while `reader` runs (or for 10 s):
    how long each open took. CPU contention aside, this is what a reader can cost a writer."""
    from pm_pipeline.core.warehouse import Warehouse

    warehouse = Warehouse(database=str(data / "warehouse.duckdb"))
    waits, until = [], time.monotonic() + 10
    while (reader.poll() is None) if reader else time.monotonic() < until:
        started = time.perf_counter()
        with warehouse.write() as conn:
            conn.execute("SELECT 1")
        waits.append(time.perf_counter() - started)
        time.sleep(0.5)
    return waits


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pm-readers-") as tmp:
        data, home = Path(tmp) / "data", Path(tmp) / "home"
        shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("warehouse*", "reports"))
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        env = {**os.environ, "PM_DATA_DIR": str(data), "DAGSTER_HOME": str(home)}
        print("building the sample's warehouse ...", flush=True)
        timed(env, "register_job", "")
        timed(env, "quarter_history_job", f"2023-04-01...{LATEST}")
        timed(env, "quarterly_performance_job", LATEST)
        alone = timed(env, "returns_job", LATEST)
        started = time.perf_counter()
        assert render(env, LATEST).wait() == 0
        rendering = time.perf_counter() - started
        report = render(env, LATEST)
        time.sleep(2)
        during = timed(env, "returns_job", LATEST)
        assert report.wait() == 0
        idle, busy = write_waits(data, None), write_waits(data, render(env, LATEST))
        print(f"report and PDF alone:                      {rendering:6.1f} s")
        print(f"a write's wait for the warehouse, idle:    {max(idle):6.2f} s at most")
        print(
            f"the same while the report renders:        {max(busy):6.2f} s at most "
            f"({len(busy)} writes)"
        )
        print(f"returns_job alone:                         {alone:6.1f} s")
        print(f"returns_job while the report is rendering: {during:6.1f} s")


if __name__ == "__main__":
    main()
