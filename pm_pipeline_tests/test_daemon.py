"""Under a real `dagster-daemon` (sensor and automation ticks, queued runs in subprocesses), as
`make ui` runs it: a dropped file is reported within two sensor ticks, deleting it clears its
issues, and a closed quarter restated with an old modification time is re-read, after which
the later scorecards' previous-quarter figures change by themselves."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pm_pipeline.core.files import REPO_ROOT
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import READER_COPY
from pm_pipeline_tests.council import (
    Council,
    good_row,
    pi,
    quick_monitoring,
    range_run,
    run_job,
    wait_for,
)
from pm_pipeline_tests.council import query as query_warehouse

pytestmark = [
    pytest.mark.xdist_group("daemon"),  # on one worker, handed out early (groups go first)
    pytest.mark.slow,
]
QUARTERS = [Quarter(2025, 1), Quarter(2025, 2), Quarter(2025, 3)]
TICK = 2  # seconds between sensor ticks in this test (30 in production)
KEYS = str(tuple(q.key for q in QUARTERS))
OLD = time.mktime((2020, 1, 1, 0, 0, 0, 0, 0, -1))


def council(root: Path) -> Council:
    c = Council(
        root,
        indicators=[pi("KPI-1", "Recycling rate")],
        targets=[("KPI-1", "2025/26", 50, "")],
    ).write()
    for n, q in enumerate(QUARTERS):
        c.returns(q, "recycling.csv", [good_row("KPI-1", q, 50 + n)])
    return c


@pytest.fixture
def start_daemon(data_dir: Path, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Starts `dagster-daemon run` on a workspace of `module`, as `make ui` does."""
    started: list[subprocess.Popen] = []

    def start(module: str = "pm_pipeline.definitions", **env: str) -> None:
        home = Path(os.environ["DAGSTER_HOME"])
        (home / "dagster.yaml").write_text(
            quick_monitoring((REPO_ROOT / "dagster.yaml").read_text())
        )
        workspace = tmp_path / "workspace.yaml"
        workspace.write_text(
            f"load_from:\n  - python_module:\n      module_name: {module}\n"
            f"      working_directory: {REPO_ROOT}\n"
        )
        instance = dg.DagsterInstance.get()  # create the SQLite storages before the daemon
        instance.get_runs(limit=1)
        instance.all_instigator_state()
        instance.fetch_materializations(dg.AssetKey("pi_returns"), limit=1)
        started.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(workspace)],
                env={**os.environ, "PM_SENSOR_INTERVAL_SECONDS": str(TICK), **env},
                stdout=subprocess.DEVNULL,
                stderr=(tmp_path / "daemon.log").open("w"),
                start_new_session=True,
            )
        )

    try:
        yield start
    finally:
        for daemon in started:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)


def query(data_dir: Path, sql: str, *params: object) -> list[tuple]:
    """Read as an analyst would while runs write: the readers' copy."""
    return query_warehouse(data_dir, sql, *params, file=READER_COPY)


def issue_files(data_dir: Path, q: Quarter) -> set[str]:
    rows = query(data_dir, "SELECT source_file FROM quality_issues WHERE period = ?", q.key)
    return {r[0] for r in rows}


@pytest.mark.timeout(1500)  # its waits add up to 14 minutes; it takes a few
def test_the_running_daemon_sees_drops_deletions_and_restatements(data_dir, start_daemon):
    c = council(data_dir)
    first, second, third = QUARTERS
    assert range_run(data_dir, first.key, third.key).success  # the history, scorecards built
    start_daemon()
    q3_previous = "SELECT previous_value FROM kpi_scorecard WHERE period = ?"
    assert query(data_dir, q3_previous, second.key) == [(50.0,)]

    bad = c.returns(third, "late.csv", [good_row("KPI-9", third, "1")])
    wait_for(
        "the dropped file's issue",
        lambda: f"{third.folder}/late.csv" in issue_files(data_dir, third),
        TICK * 2 + 240,  # two ticks, then the run (a new process importing GX, on 2 cores)
    )
    bad.unlink()
    wait_for("its issues cleared", lambda: not issue_files(data_dir, third), 240)

    restated = c.returns(first, "recycling.csv", [good_row("KPI-1", first, "44")])
    os.utime(restated, (OLD, OLD))
    wait_for(
        "2025/26 Q2's scorecard to show the restated Q1 as its previous quarter",
        lambda: query(data_dir, q3_previous, second.key) == [(44.0,)],
        360,
    )
    instance = dg.DagsterInstance.get()
    runs = instance.get_run_records(dg.RunsFilter(tags={"dagster/sensor_name": "returns_sensor"}))
    assert runs and all(r.dagster_run.job_name == "returns_job" for r in runs)


@pytest.mark.timeout(1200)  # its waits add up to 13 minutes
def test_a_worker_killed_holding_the_pool_does_not_stall_the_queue(
    data_dir, tmp_path, start_daemon
):
    council(data_dir)
    assert run_job(data_dir, "register_job").success
    marker = tmp_path / "paused.pid"
    start_daemon("pm_pipeline_tests.paused_definitions", PM_TEST_PAUSE_MARKER=str(marker))
    wait_for("a sensor run to pause inside the pooled write", marker.exists, 240)
    os.kill(int(marker.read_text()), signal.SIGKILL)  # out of memory, or a reboot
    every_quarter = f"SELECT count(DISTINCT period) FROM pi_returns WHERE period IN {KEYS}"

    def every_quarter_read() -> bool:
        try:
            return query(data_dir, every_quarter) == [(len(QUARTERS),)]
        except duckdb.CatalogException:  # no run has written pi_returns yet (it was killed)
            return False

    wait_for("the retry and the queued runs to read every quarter", every_quarter_read, 420)
    instance = dg.DagsterInstance.get()
    statuses = {r.dagster_run.status for r in instance.get_run_records()}
    assert dg.DagsterRunStatus.FAILURE in statuses  # the killed run, marked failed
    retried = dg.RunsFilter(
        tags={"dagster/retry_number": "1"}, statuses=[dg.DagsterRunStatus.SUCCESS]
    )
    wait_for("its retry to succeed", lambda: instance.get_run_records(retried), 120)
