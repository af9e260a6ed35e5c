"""Backups come back table for table, and the BI exports hold exactly the warehouse's rows."""

import csv
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.operations import backup
from pm_pipeline_tests.council import Council, good_row, pi, query, run_job, snapshot

Q = Quarter(2025, 1)


def tables(data_dir: Path) -> list[str]:
    return [r[0] for r in query(data_dir, "SELECT table_name FROM information_schema.tables")]


def quarter_run(data_dir: Path) -> None:
    """A small council's quarter through the quarterly job; one note is formula-like text."""
    council = Council(
        data_dir,
        indicators=[pi("KPI-1", "Recycling rate"), pi("KPI-2", "Reuse")],
        targets=[("KPI-1", "2025/26", 50, ""), ("KPI-2", "2025/26", 10, "")],
    ).write()
    council.returns(
        Q,
        "returns.csv",
        [good_row("KPI-1", Q, "52"), good_row("KPI-2", Q, "12", note='=HYPERLINK("http://x")')],
    )
    assert run_job(data_dir, "quarterly_performance_job", Q.key).success


@pytest.fixture
def ran_quarter(built_state) -> Path:
    """The quarter already run (once per session), copied into this test's directories."""
    return built_state("backup-one-quarter", quarter_run)


def test_quarterly_run_exports_every_table_as_parquet_and_csv(ran_quarter):
    data_dir = ran_quarter
    exports = data_dir / "exports"
    names = tables(data_dir)
    assert {"pi_returns", "kpi_scorecard", "quality_issues", "benchmarks"} <= set(names)
    for table in names:
        rows = query(data_dir, f'SELECT * FROM "{table}" ORDER BY ALL')
        with duckdb.connect() as conn:  # Parquet as a BI tool reads it: same rows, same types
            parquet = conn.execute(
                f"SELECT * FROM read_parquet('{exports / f'{table}.parquet'}') ORDER BY ALL"
            ).fetchall()
        assert parquet == rows, table
        with (exports / f"{table}.csv").open(encoding="utf-8-sig", newline="") as handle:
            assert sum(1 for _ in csv.reader(handle)) == len(rows) + 1, table
    assert not [p for p in exports.iterdir() if p.name.startswith(".")]  # no temporary files
    readme = (exports / "README.txt").read_text()
    assert "kpi_scorecard  (2 rows)" in readme and "direction_vs_last_year   VARCHAR" in readme
    with (exports / "pi_returns.csv").open(encoding="utf-8-sig", newline="") as handle:
        notes = {row["pi_id"]: row["note"] for row in csv.DictReader(handle)}
    assert notes["KPI-2"] == '\'=HYPERLINK("http://x")'  # shown as text in Excel, never run


def test_backup_restores_every_table_and_keeps_the_last_n(ran_quarter, tmp_path):
    data_dir = ran_quarter
    before = snapshot(data_dir, tables(data_dir))
    backups = data_dir / "backups"
    for old in ("2020-01-01", "2020-01-02", "2020-01-03"):
        (backups / old).mkdir(parents=True)
    result = run_job(
        data_dir,
        "warehouse_backup",
        run_config={"ops": {"backup_warehouse": {"config": {"keep": 2}}}},
    )
    assert result.success
    kept = sorted(p.name for p in backups.iterdir())
    today = kept[-1]
    assert kept == ["2020-01-03", today] and date.fromisoformat(today)
    manifest = (backups / today / "returns_manifest.csv").read_text().splitlines()
    archived = [
        p for p in CouncilFiles(data_dir=str(data_dir)).archive_dir.rglob("*") if p.is_file()
    ]
    assert len(manifest) == len(archived) + 1 and manifest[1].startswith("archive/returns/")

    # the warehouse is lost; the backup brings back every table, row for row
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        conn.execute("DELETE FROM kpi_scorecard")
        conn.execute("DROP TABLE pi_returns")
    backup.main(["restore", today, "--data-dir", str(data_dir)])
    assert snapshot(data_dir, tables(data_dir)) == before
    kept_aside = [p for p in data_dir.iterdir() if ".before-restore-" in p.name]
    assert kept_aside, "the damaged warehouse is kept, not deleted"
    with pytest.raises(SystemExit, match="No backup for 1999-01-01"):
        backup.main(["restore", "1999-01-01", "--data-dir", str(data_dir)])
    assert os.listdir(backups / today / "warehouse")  # the Parquet snapshot itself
