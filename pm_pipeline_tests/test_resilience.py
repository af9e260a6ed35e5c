"""Crashes, overlapping runs and re-runs never lose or corrupt data."""

import itertools
import multiprocessing
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline_tests import crash_driver
from pm_pipeline_tests.council import Council, good_row, kpi_and_service, query, run_job, snapshot

pytestmark = pytest.mark.slow  # runs in subprocesses, killed and overlapping
REPO = Path(__file__).resolve().parent.parent
Q = Quarter(2025, 1)


def council(root: Path, value: float) -> Council:
    made = kpi_and_service(root)
    made.returns(Q, "returns.csv", [good_row("KPI-1", Q, value), good_row("SVC-1", Q, 12)])
    return made


def values(data_dir: Path) -> list[tuple]:
    return query(
        data_dir, "SELECT pi_id, value FROM pi_returns WHERE period = ? ORDER BY pi_id", Q.key
    )


def run_until_paused(job: str, pause: str, tmp: Path) -> None:
    """Start the job in a real process of its own, wait until it reaches `pause`, then SIGKILL
    it."""
    marker = tmp / f"{pause}.paused"
    log = tmp / f"{pause}.stderr"
    child = crash_driver.start(job, Q.key, pause, str(marker), log)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if not child.is_alive():
            pytest.fail(
                "the run ended before the crash point: " + log.read_text(errors="replace")[-2000:]
            )
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("the run never reached the crash point")
        time.sleep(0.05)
    child.kill()  # SIGKILL
    child.join()


def test_killed_while_writing_pi_returns_keeps_the_previous_partition(data_dir, tmp_path):
    council(data_dir, 51.5)
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    assert run_job(data_dir, "returns_job", Q.key, instance=instance).success
    before = values(data_dir)
    assert before == [("KPI-1", 51.5), ("SVC-1", 12.0)]

    council(data_dir, 60.0)  # the owner corrects the file; the rerun is killed mid-write
    run_until_paused("returns_job", "warehouse-write", tmp_path)
    assert values(data_dir) == before  # the half-done transaction was rolled back

    assert run_job(data_dir, "returns_job", Q.key, instance=instance).success
    assert values(data_dir) == [("KPI-1", 60.0), ("SVC-1", 12.0)]


def test_killed_while_writing_the_report_leaves_no_half_written_file(data_dir, tmp_path):
    council(data_dir, 51.5)
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    assert run_job(data_dir, "quarterly_performance_job", Q.key, instance=instance).success
    report = data_dir / "reports" / Q.folder / "kpi_scorecard.html"
    first = report.read_text()
    assert "51.5%" in first

    council(data_dir, 60.0)
    run_until_paused("quarterly_performance_job", "report-write", tmp_path)
    assert report.read_text() == first  # the reader still sees the whole previous report
    visible = [p.name for p in report.parent.iterdir() if not p.name.startswith(".")]
    assert sorted(visible) == [
        "cabinet_report.html",
        "cabinet_report.pdf",
        "governance_report.html",
        "governance_report.pdf",
        "kpi_scorecard.html",
        "kpi_scorecard.pdf",
        "kpi_scorecard.xlsx",
        "management_report.html",
        "quality",
        "service_report.html",
        "service_report.xlsx",
    ]

    assert run_job(data_dir, "quarterly_performance_job", Q.key, instance=instance).success
    assert "60.0%" in report.read_text() and report.read_text().rstrip().endswith("</html>")
    assert not list(report.parent.glob(".*.tmp"))  # the killed writer's temporary file is gone


def _start(job: str, partition: str, log: Path) -> multiprocessing.Process:
    """The job in a process of its own; its stderr goes to `log`."""
    return crash_driver.start(job, partition, "none", "-", log)


def _ended(run: multiprocessing.Process, log: Path) -> None:
    run.join(timeout=300)
    assert run.exitcode == 0, log.read_text(errors="replace")[-3000:]


def _warehouse_steps(instance: dg.DagsterInstance) -> list[tuple[float, float, str]]:
    """(start, end, run) of every step of the warehouse pool, across all runs."""
    spans = []
    for run in instance.get_runs():
        begun = {}
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None or event.step_key not in (
                "returns_intake",
                "kpi_scorecard",
                "benchmarks",
            ):
                continue
            if event.event_type_value == "STEP_START":
                begun[event.step_key] = record.timestamp
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                spans.append((begun[event.step_key], record.timestamp, run.run_id))
    return sorted(spans)


TABLES = ("pi_returns", "quality_issues", "kpi_scorecard", "restatements")


def test_sensor_and_schedule_runs_together_queue_on_the_warehouse(data_dir, tmp_path):
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())  # the pool limit
    council(data_dir, 51.5)
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    logs = [tmp_path / "returns.stderr", tmp_path / "quarterly.stderr"]
    runs = [
        _start("returns_job", Q.key, logs[0]),
        _start("quarterly_performance_job", Q.key, logs[1]),
    ]
    for run, log in zip(runs, logs, strict=True):
        _ended(run, log)
    spans = _warehouse_steps(instance)
    assert len({run for *_, run in spans}) == 2
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        assert start >= end - 0.05, "two warehouse writes overlapped"
    assert values(data_dir) == [("KPI-1", 51.5), ("SVC-1", 12.0)]
    assert query(data_dir, "SELECT count(*) FROM kpi_scorecard") == [(2,)]


@pytest.mark.timeout(900)  # two runs of two quarters in subprocesses, then one of three
def test_two_overlapping_backfills_give_the_same_tables_as_one(data_dir, tmp_path):
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    made = council(data_dir, 51.5)
    quarters = Quarter(2024, 4).history(1)
    while len(quarters) < 3:
        quarters.append(quarters[-1].next)
    for n, quarter in enumerate(quarters):
        made.returns(
            quarter,
            "returns.csv",
            [good_row("KPI-1", quarter, 40 + n), good_row("SVC-1", quarter, 20 - n)],
        )
    made.targets = [("KPI-1", f"{y}/{(y + 1) % 100}", 50, "") for y in (2024, 2025)]
    made.write()
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    first_half = f"{quarters[0].key}...{quarters[1].key}"  # both write the middle quarter
    second_half = f"{quarters[1].key}...{quarters[2].key}"
    logs = [tmp_path / "first.stderr", tmp_path / "second.stderr"]
    runs = [_start("returns_job", first_half, logs[0]), _start("returns_job", second_half, logs[1])]
    for run, log in zip(runs, logs, strict=True):
        _ended(run, log)
    returns_tables = [t for t in TABLES if t != "kpi_scorecard"]  # what returns_job writes
    together = snapshot(data_dir, returns_tables)
    assert query(
        data_dir, "SELECT max(n) FROM (SELECT count(*) AS n FROM pi_returns GROUP BY period, pi_id)"
    ) == [(1,)]
    assert query(data_dir, "SELECT count(*) FROM pi_returns") == [(6,)]
    serial = tmp_path / "serial.stderr"
    _ended(_start("returns_job", f"{quarters[0].key}...{quarters[2].key}", serial), serial)
    assert snapshot(data_dir, returns_tables) == together
