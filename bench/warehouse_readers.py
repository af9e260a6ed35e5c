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


def timed(env: dict[str, str], job: str, partition: str) -> float:
    started = time.perf_counter()
    assert run(env, job, partition).wait() == 0, job
    return time.perf_counter() - started


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
        report = run(env, "quarterly_performance_job", LATEST)
        time.sleep(8)  # let it reach the report and PDF steps
        during = timed(env, "returns_job", LATEST)
        assert report.wait() == 0
        print(f"returns_job alone:                         {alone:6.1f} s")
        print(f"returns_job while the report is rendering: {during:6.1f} s")


if __name__ == "__main__":
    main()
