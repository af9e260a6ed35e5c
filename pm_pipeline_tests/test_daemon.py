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
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from dagster._core.scheduler.instigation import InstigatorTick, InstigatorType, TickStatus

from pm_pipeline.core.files import REPO_ROOT
from pm_pipeline.core.periods import QUARTERLY, TIMEZONE, Month, Quarter
from pm_pipeline.core.warehouse import READER_COPY
from pm_pipeline_tests.council import (
    Council,
    good_row,
    pi,
    quick_monitoring,
    range_run,
    run_job,
    wait_for,
    write_csv,
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

    def start(module: str = "pm_pipeline.definitions", max_runs: int | None = None, **env: str):
        """`max_runs=0` keeps every requested run queued: a test of ticks alone."""
        home = Path(os.environ["DAGSTER_HOME"])
        settings = quick_monitoring((REPO_ROOT / "dagster.yaml").read_text())
        if max_runs is not None:
            assert "    max_concurrent_runs: 4\n" in settings
            settings = settings.replace(
                "    max_concurrent_runs: 4\n", f"    max_concurrent_runs: {max_runs}\n"
            )
        (home / "dagster.yaml").write_text(settings)
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


def finished_tick(instance: dg.DagsterInstance, sensor: str, after: float) -> InstigatorTick | None:
    """The sensor's first tick started after `after` that has finished, if any yet."""
    ticks = [
        tick
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        if state.instigator_name == sensor
        for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, after=after)
        if tick.status != TickStatus.STARTED
    ]
    return min(ticks, key=lambda t: t.timestamp) if ticks else None


@pytest.mark.timeout(150)  # it takes about half a minute: the daemon's start, and a few ticks
def test_a_folder_made_early_for_a_running_quarter_is_left_and_the_sensors_go_on(
    data_dir, start_daemon
):
    """Problem 7: a manager makes next quarter's sign-off folder (and an owner its returns
    folder, or this month's: issue 28) before the quarter (month) has ended. Its partition
    does not exist yet: each sensor's tick names the folder and leaves it, and the sign-off
    sensor still re-reads a quarter that has ended when its files change."""
    Council(data_dir, indicators=[pi("KPI-1", "Recycling rate")], targets=[]).write()
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    now = datetime.now(ZoneInfo(TIMEZONE))
    ended = Quarter.from_key(QUARTERLY.get_partition_keys(current_time=now)[-1])
    running = ended.next
    header = ["pi_id", "decision", "checked_by", "checked_at", "comment"]
    approve = ["KPI-1", "approved", "manager@test.example", f"{now:%d/%m/%Y}", ""]
    write_csv(data_dir / "signoff" / ended.folder / "boss.csv", header, [approve])
    assert run_job(data_dir, "signoff_job", ended.key, instance=instance).success
    start_daemon(max_runs=0)  # requested runs stay queued: this test is about the ticks
    made = time.time()
    write_csv(data_dir / "signoff" / running.folder / "boss.csv", header, [approve])
    (data_dir / "returns" / running.folder).mkdir(parents=True)
    this_month = Month.containing(now.date())  # and a monthly PI's owner, this month's
    (data_dir / "returns" / this_month.folder).mkdir(parents=True)
    for sensor, folder, kind in (
        ("signoff_sensor", running.folder, "quarter"),
        ("returns_sensor", running.folder, "quarter"),
        ("monthly_returns_sensor", this_month.folder, "month"),
    ):
        tick = wait_for(f"a {sensor} tick", lambda s=sensor: finished_tick(instance, s, made), 90)
        assert tick.status == TickStatus.SKIPPED, tick.error
        assert f"{folder}/ left until the {kind} has ended" in (tick.skip_reason or "")

    write_csv(data_dir / "signoff" / ended.folder / "boss.csv", header, [approve, approve])
    changed = time.time()
    tick = wait_for(
        "the sign-off sensor to request a re-read",
        lambda: finished_tick(instance, "signoff_sensor", changed),
        30,
    )
    assert tick.status == TickStatus.SUCCESS, tick.error
    [run_id] = tick.run_ids
    assert instance.get_run_by_id(run_id).tags["dagster/partition"] == ended.key
