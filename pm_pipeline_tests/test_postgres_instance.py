"""The production path: a Dagster instance on a real PostgreSQL server runs the quarterly job."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.periods import Quarter
from pm_pipeline_tests.council import Council, good_row, pi, run_job

pytestmark = pytest.mark.xdist_group("dagster")


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if not initdb:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql; .ci/run installs it)")
    return Path(initdb).parent


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run it as the postgres system user."""
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser to start PostgreSQL as another user")
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture
def postgres():
    bindir = _pg_bin()
    # outside pytest's tmp dir, which is private to this user and closed to the postgres user
    root = Path(tempfile.mkdtemp(prefix="pm-pipeline-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = root / "cluster"
    subprocess.run(_as_postgres_user([str(bindir / "initdb"), "-D", str(data), "-U", "dagster",
                                      "--auth=trust", "-E", "UTF8"]), check=True, capture_output=True)  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root}"
    subprocess.run(_as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w",
                                      "-l", str(root / "server.log"), "start"]), check=True, capture_output=True)  # fmt: skip
    try:
        subprocess.run(_as_postgres_user([str(bindir / "createdb"), "-h", "127.0.0.1", "-p",
                                          str(port), "-U", "dagster", "dagster"]), check=True)  # fmt: skip
        yield port
    finally:
        subprocess.run(
            _as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)  # fmt: skip


def test_quarterly_job_runs_on_a_postgres_backed_instance(data_dir, postgres, monkeypatch):
    home = Path(os.environ["DAGSTER_HOME"])
    repo_yaml = (Path(__file__).resolve().parent.parent / "dagster.yaml").read_text()
    assert "#     postgres_url: { env: DAGSTER_PG_URL }" in repo_yaml  # the documented way
    monkeypatch.setenv(
        "DAGSTER_PG_URL", f"postgresql+psycopg2://dagster@127.0.0.1:{postgres}/dagster"
    )
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "storage:\n  postgres:\n    postgres_url: { env: DAGSTER_PG_URL }\n"
    )
    quarter = Quarter(2025, 1)
    council = Council(data_dir, indicators=[pi("KPI-1", "Recycling rate")],
                      targets=[("KPI-1", "2025/26", 50, "")]).write()  # fmt: skip
    council.returns(quarter, "returns.csv", [good_row("KPI-1", quarter, "52")])
    instance = dg.DagsterInstance.get()
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert run_job(data_dir, "register_job", instance=instance).success
    started = time.perf_counter()
    result = run_job(data_dir, "quarterly_performance_job", quarter.key, instance=instance)
    assert result.success, f"took {time.perf_counter() - started:.1f}s"
    runs = instance.get_runs()
    assert {r.job_name for r in runs} == {"register_job", "quarterly_performance_job"}
    assert instance.get_latest_materialization_event(dg.AssetKey("kpi_scorecard")) is not None
    assert (data_dir / "reports" / quarter.folder / "kpi_scorecard.html").exists()
