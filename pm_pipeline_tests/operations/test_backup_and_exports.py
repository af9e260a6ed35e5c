"""Backups come back table for table, and the BI exports hold exactly the warehouse's rows."""

import csv
import os
import stat
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.mail import SentLog, write_eml
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import Warehouse
from pm_pipeline.defs.operations import backup
from pm_pipeline_tests.council import Council, good_row, pi, query, run_job, snapshot

# the tests share a state built once per worker (built_state): one worker builds it once
pytestmark = pytest.mark.xdist_group("backup-one-quarter")

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


DAY = date(2026, 1, 2)


def backed_up(data_dir: Path) -> Path:
    """A backup of the warehouse as the warehouse_backup job makes it, under backups/<DAY>/."""
    files = CouncilFiles(data_dir=str(data_dir))
    with Warehouse(database=str(files.warehouse_path)).read() as conn:
        return backup.snapshot(conn, files, DAY, keep=14)


def test_restore_takes_only_the_date_of_a_backup_under_backups(ran_quarter):
    """`make restore DATE=../../x` would have imported whatever SQL sat in that folder."""
    data_dir = ran_quarter
    backed_up(data_dir)
    before = snapshot(data_dir, tables(data_dir))
    elsewhere = data_dir / "elsewhere" / "warehouse"
    elsewhere.mkdir(parents=True)
    (elsewhere / "schema.sql").write_text("CREATE TABLE planted AS SELECT 1 AS x;\n")
    (elsewhere / "load.sql").write_text("")
    for day in ("../elsewhere", "../../elsewhere", "2026-1-2", "2026-02-30", "latest"):
        with pytest.raises(SystemExit, match=r"is not a backup's date: give the date of one"):
            backup.main(["restore", day, "--data-dir", str(data_dir)])
    with pytest.raises(SystemExit, match=r"No backup for 2026-01-03 .*\(the latest: 2026-01-02\)"):
        backup.main(["restore", "2026-01-03", "--data-dir", str(data_dir)])
    assert snapshot(data_dir, tables(data_dir)) == before and "planted" not in tables(data_dir)


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line)


@pytest.mark.parametrize(
    ("craft", "refusal"),
    [
        (
            lambda b: add_line(b / "warehouse" / "load.sql", "CREATE TABLE planted AS SELECT 1;\n"),
            "warehouse/load.sql differs from the file the backup wrote",
        ),
        (
            lambda b: (b / "warehouse" / "extra.sql").write_text("CREATE TABLE planted (x INT);"),
            "warehouse/extra.sql is not in backup_manifest.csv",
        ),
        (
            lambda b: (b / "warehouse" / "kpi_scorecard.parquet").write_bytes(b"PAR1 not it"),
            "warehouse/kpi_scorecard.parquet differs from the file the backup wrote",
        ),
        (
            lambda b: (b / "backup_manifest.csv").unlink(),
            "has no backup_manifest.csv",
        ),
    ],
    ids=["edited-sql", "added-file", "changed-parquet", "no-manifest"],
)
def test_a_crafted_backup_is_refused_and_the_warehouse_kept(ran_quarter, craft, refusal):
    data_dir = ran_quarter
    folder = backed_up(data_dir)
    before = snapshot(data_dir, tables(data_dir))
    craft(folder)
    with pytest.raises(SystemExit, match=r"Restore another date|restore a later backup") as refused:
        backup.main(["restore", DAY.isoformat(), "--data-dir", str(data_dir)])
    assert refusal in str(refused.value)
    assert snapshot(data_dir, tables(data_dir)) == before  # untouched, nothing kept aside
    assert not [p for p in data_dir.iterdir() if "restor" in p.name]


def test_restore_rebuilds_the_tables_from_parquet_and_never_runs_the_backups_sql(ran_quarter):
    """Even SQL whose hash is in the manifest (someone rewrote both) is never run: each table
    is made from the product's definition and filled from its Parquet file."""
    data_dir = ran_quarter
    folder = backed_up(data_dir)
    before = snapshot(data_dir, tables(data_dir))
    planted = data_dir / "planted.csv"
    for script in ("schema.sql", "load.sql"):
        add_line(folder / "warehouse" / script, f"COPY (SELECT 42) TO '{planted}';\n")
    written = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != backup.CONTENTS)
    (folder / backup.CONTENTS).write_text(backup._manifest(written, folder))
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        conn.execute("DELETE FROM kpi_scorecard")
    backup.main(["restore", DAY.isoformat(), "--data-dir", str(data_dir)])
    assert snapshot(data_dir, tables(data_dir)) == before
    assert not planted.exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def closed_to_others(root: Path) -> list[str]:
    """What under `root` (itself included) is not a 0750 folder or a 0640 file."""
    return [
        f"{p.relative_to(root.parent)} {mode(p):o}"
        for p in [root, *root.rglob("*")]
        if mode(p) != (0o750 if p.is_dir() else 0o640)
    ]


def test_outputs_holding_personal_data_are_closed_to_other_accounts(ran_quarter):
    """Exports, backups, archived returns, owners' lists, the outbox, the sent log and the
    warehouse are 0640 in 0750 folders whatever the umask; the published reports are not."""
    data_dir = ran_quarter
    backed_up(data_dir)
    files = CouncilFiles(data_dir=str(data_dir))
    outbox = files.reports_dir / Q.folder / "outbox"
    message = EmailMessage()
    message["To"], message["Subject"] = "owner@test.example", "What to fix"
    message.set_content("KPI-1: the note is missing")
    write_eml(outbox, message, "k" * 64)
    with SentLog.of(data_dir).appending() as log:
        log.add("k" * 64, "owner@test.example", "What to fix", sent=True)

    for folder in (
        data_dir / "exports",
        data_dir / "backups",
        files.archive_dir,
        files.reports_dir / Q.folder / "quality",
        outbox,
        data_dir / "mail",
    ):
        assert folder.is_dir() and closed_to_others(folder) == [], folder
    for warehouse in ("warehouse.duckdb", "warehouse_readonly.duckdb"):
        assert mode(data_dir / warehouse) == 0o640, warehouse
    # the reports for their audiences keep the modes the umask gives
    umask = os.umask(0)
    os.umask(umask)
    published = [p for p in (files.reports_dir / Q.folder).glob("*.html")]
    assert published and {mode(p) for p in published} == {0o666 & ~umask}
