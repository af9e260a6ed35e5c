"""Daily warehouse backups to `backups/<date>/`, and bringing one back.

The `warehouse_backup` job holds the `warehouse` pool, so no run writes while DuckDB's
`EXPORT DATABASE` copies every table to Parquet (with the schema to rebuild them): the
snapshot is consistent. Beside it, `returns_manifest.csv` lists every archived return file
with its size and content hash, so a restore can be checked against the archive. The last
`keep` dated backups are kept. Restore (stop the services first):

    python -m pm_pipeline.defs.operations.backup restore 2026-11-29      # make restore DATE=...
"""

import argparse
import csv
import hashlib
import io
import os
import re
import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pm_pipeline.core.files import CouncilFiles, default_data_dir, write_atomic
from pm_pipeline.core.periods import TIMEZONE, local_date
from pm_pipeline.core.warehouse import Warehouse

DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MANIFEST = "returns_manifest.csv"


def quoted(path: Path) -> str:
    """A path as an SQL string literal (a data directory may have a quote in its name)."""
    return "'" + str(path).replace("'", "''") + "'"


def returns_manifest(archive_dir: Path, root: Path) -> str:
    """CSV of every archived return file: path under the data dir, bytes, sha256."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path", "bytes", "sha256"])
    for path in sorted(p for p in archive_dir.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        writer.writerow([path.relative_to(root).as_posix(), path.stat().st_size, digest])
    return out.getvalue()


def snapshot(conn: duckdb.DuckDBPyConnection, files: CouncilFiles, day: date, keep: int) -> Path:
    """Write backups/<day>/ whole (a hidden folder, then a rename), then prune to `keep`."""
    backups = files.root / "backups"
    target = backups / day.isoformat()
    partial = backups / f".{day.isoformat()}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        conn.execute(f"EXPORT DATABASE {quoted(partial / 'warehouse')} (FORMAT PARQUET)")
        write_atomic(partial / MANIFEST, returns_manifest(files.archive_dir, files.root))
        if target.exists():  # a second backup the same day replaces the first
            shutil.rmtree(target)
        partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    for old in sorted(p for p in backups.iterdir() if DATED.match(p.name))[:-keep]:
        shutil.rmtree(old)
    return target


class BackupConfig(dg.Config):
    keep: int = 14  # dated backups to keep; older ones are deleted


@dg.op(pool="warehouse", description="Snapshot the warehouse and the returns manifest.")
def backup_warehouse(
    context: dg.OpExecutionContext,
    config: BackupConfig,
    council_files: CouncilFiles,
    warehouse: Warehouse,
) -> dg.Output[str]:

    day = local_date()
    with warehouse.read() as conn:
        target = snapshot(conn, council_files, day, max(config.keep, 1))
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    context.log.info(f"Backed up the warehouse to {target} ({size:,} bytes)")
    return dg.Output(
        str(target), metadata={"path": dg.MetadataValue.path(str(target)), "bytes": size}
    )


@dg.job(
    name="warehouse_backup",
    description="A consistent snapshot of the warehouse (Parquet) and the returns archive "
    "manifest under backups/<date>/, keeping the last N.",
)
def warehouse_backup() -> None:
    backup_warehouse()


backup_schedule = dg.ScheduleDefinition(
    name="warehouse_backup_schedule",
    job=warehouse_backup,
    cron_schedule="30 1 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="01:30 every day: the warehouse backup.",
)


def restore(data_dir: Path, day: str) -> Path:
    """Rebuild warehouse.duckdb from backups/<day>/; the current file is kept aside."""
    source = data_dir / "backups" / day / "warehouse"
    if not (source / "schema.sql").exists():
        raise SystemExit(f"No backup for {day} under {data_dir / 'backups'}")
    warehouse = data_dir / "warehouse.duckdb"
    building = warehouse.with_name("warehouse.duckdb.restoring")
    building.unlink(missing_ok=True)
    with duckdb.connect(str(building)) as conn:
        conn.execute(f"IMPORT DATABASE {quoted(source)}")
    if warehouse.exists():
        aside = warehouse.with_name(
            f"warehouse.duckdb.before-restore-{datetime.now():%Y%m%dT%H%M%S}"
        )
        warehouse.rename(aside)
        wal = warehouse.with_name("warehouse.duckdb.wal")
        if wal.exists():
            wal.rename(aside.with_name(aside.name + ".wal"))
        print(f"The previous warehouse is kept as {aside}")
    building.rename(warehouse)
    return warehouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Restore the warehouse from a daily backup.")
    parser.add_argument("command", choices=["restore"])
    parser.add_argument("date", help="the backup's date, YYYY-MM-DD (a folder under backups/)")
    parser.add_argument("--data-dir", type=Path, help="default: $PM_DATA_DIR")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()  # only asked for when not given
    print(f"Restored {restore(data_dir, args.date)} from the backup of {args.date}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
