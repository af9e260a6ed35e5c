"""Under a real `dagster-daemon` on SQLite storage (queued runs in subprocesses), as `make ui`
runs it: a run killed while it holds the warehouse pool does not stall the queue behind it.
(The sensors and automation at work under a daemon are tested on the running stack,
test_stack.py, which starts one anyway.)"""

import os
import signal
import subprocess
import sys
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
    query,
    quick_monitoring,
    run_job,
    wait_for,
)

pytestmark = [
    pytest.mark.xdist_group("daemon"),  # on one worker, handed out early (groups go first)
    pytest.mark.slow,
]
QUARTERS = [Quarter(2025, 1), Quarter(2025, 2)]  # one killed holding the pool, one queued
TICK = 2  # seconds between sensor ticks in this test (30 in production)
KEYS = str(tuple(q.key for q in QUARTERS))


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

    def start(module: str, **env: str):
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


@pytest.mark.timeout(1200)  # its waits add up to 13 minutes
def test_a_worker_killed_holding_the_pool_does_not_stall_the_queue(
    data_dir, tmp_path, start_daemon
):
    council(data_dir)
    # on disk: the daemon's sensors wait for the register's run
    assert run_job(data_dir, "register_job", instance=dg.DagsterInstance.get()).success
    marker = tmp_path / "paused.pid"
    start_daemon("pm_pipeline_tests.paused_definitions", PM_TEST_PAUSE_MARKER=str(marker))
    wait_for("a sensor run to pause inside the pooled write", marker.exists, 240)
    os.kill(int(marker.read_text()), signal.SIGKILL)  # out of memory, or a reboot
    every_quarter = f"SELECT count(DISTINCT period) FROM pi_returns WHERE period IN {KEYS}"

    def every_quarter_read() -> bool:
        try:
            return query(data_dir, every_quarter, file=READER_COPY) == [(len(QUARTERS),)]
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
