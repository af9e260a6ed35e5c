"""The production path: a Dagster instance on a real PostgreSQL server runs the quarterly job."""

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline_tests.council import Council, good_row, pi, run_job


def documented_storage(dagster_yaml: str) -> str:
    """dagster.yaml's commented-out PostgreSQL block, uncommented as an operator would."""
    lines = dagster_yaml.splitlines()
    block = []
    for line in lines[lines.index("# storage:") :]:
        if not line.startswith("# "):
            break
        block.append(line[2:])
    return "\n".join(block) + "\n"


@pytest.mark.slow
def test_quarterly_job_runs_on_a_postgres_backed_instance(data_dir, postgres, monkeypatch):
    """The storage block README and dagster.yaml document, uncommented, is what this instance
    runs on: if the documented keys or variable were wrong, the instance would not be Postgres."""
    home = Path(os.environ["DAGSTER_HOME"])
    repo_yaml = (Path(__file__).resolve().parent.parent / "dagster.yaml").read_text()
    monkeypatch.setenv("DAGSTER_PG_URL", postgres)  # a database of its own
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n" + documented_storage(repo_yaml)
    )
    quarter = Quarter(2025, 1)
    council = Council(
        data_dir, indicators=[pi("KPI-1", "Recycling rate")], targets=[("KPI-1", "2025/26", 50, "")]
    ).write()
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
