"""Daily warehouse backups to `backups/<date>/`, and bringing one back.

The `warehouse_backup` job holds the `warehouse` pool, so no run writes while DuckDB's
`EXPORT DATABASE` copies every table to Parquet (with the schema to rebuild them): the
snapshot is consistent. Beside it, `returns_manifest.csv` lists every archived return file
with its size and content hash, so a restore can be checked against the archive, and
`backup_manifest.csv` lists every file of the backup itself with its size and content hash.
The last `keep` dated backups are kept. Backups hold personal data: `backups/` is 0750 and
its files 0640. Restore (stop the services first):

    python -m pm_pipeline.defs.operations.backup restore 2026-11-29      # make restore DATE=...

Restore takes only a date of a backup under `backups/`, refuses a backup whose files are not
exactly those its manifest lists with their hashes, and never runs the backup's SQL: each
table is made from the product's own definition and filled from its Parquet file.
"""

import argparse
import csv
import hashlib
import io
import os
import re
import shutil
import stat
import sys
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pm_pipeline.core.files import (
    CouncilFiles,
    default_data_dir,
    make_private,
    private_folder,
    write_atomic,
)
from pm_pipeline.core.periods import TIMEZONE, local_date
from pm_pipeline.core.warehouse import Warehouse, ensure_table, quoted
from pm_pipeline.defs.operations.exports import WAREHOUSE

DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MANIFEST = "returns_manifest.csv"
CONTENTS = "backup_manifest.csv"  # every file of the backup: path, bytes, sha256


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _manifest(files: list[Path], root: Path) -> str:
    """CSV of `files`: path under `root`, bytes, sha256."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path", "bytes", "sha256"])
    for path in files:
        writer.writerow([path.relative_to(root).as_posix(), path.stat().st_size, sha256_file(path)])
    return out.getvalue()


def returns_manifest(archive_dir: Path, root: Path) -> str:
    """CSV of every archived return file: path under the data dir, bytes, sha256."""
    return _manifest(sorted(p for p in archive_dir.rglob("*") if p.is_file()), root)


def snapshot(conn: duckdb.DuckDBPyConnection, files: CouncilFiles, day: date, keep: int) -> Path:
    """Write backups/<day>/ whole (a hidden folder, then a rename), then prune to `keep`."""
    backups = private_folder(files.root / "backups")
    target = backups / day.isoformat()
    partial = backups / f".{day.isoformat()}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        conn.execute(f"EXPORT DATABASE {quoted(partial / 'warehouse')} (FORMAT PARQUET)")
        write_atomic(partial / MANIFEST, returns_manifest(files.archive_dir, files.root))
        written = sorted(p for p in partial.rglob("*") if p.is_file())
        write_atomic(partial / CONTENTS, _manifest(written, partial))
        make_private(partial)
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


class RestoreRefused(SystemExit):
    """The date or the backup is not one restore can trust; the message says what and what
    to do, and nothing was changed."""


def _dates(backups: Path) -> str:
    found = (
        sorted(p.name for p in backups.iterdir() if DATED.match(p.name)) if backups.is_dir() else []
    )
    return ", ".join(found[-5:]) or "none"


def backup_folder(data_dir: Path, day: str) -> Path:
    """backups/<day>/ for a strict YYYY-MM-DD `day` that names a backup folder there."""
    backups = data_dir / "backups"
    try:
        valid = bool(DATED.match(day)) and date.fromisoformat(day).isoformat() == day
    except ValueError:
        valid = False
    if not valid:
        raise RestoreRefused(
            f"{day!r} is not a backup's date: give the date of one of the folders in "
            f"{backups} as YYYY-MM-DD (the latest: {_dates(backups)})"
        )
    folder = backups / day
    if folder.is_symlink() or not folder.is_dir():
        raise RestoreRefused(
            f"No backup for {day} under {backups} (the latest: {_dates(backups)}) — give one "
            "of those dates"
        )
    return folder


def _as_listed(path: Path, row: dict[str, str]) -> bool:
    """The file has the size and SHA-256 its manifest row gives."""
    size = str(path.stat().st_size)
    return size == row.get("bytes") and sha256_file(path) == row.get("sha256")


def checked_files(folder: Path) -> list[str]:
    """The backup's files as its manifest lists them, each checked against its size and hash;
    `RestoreRefused` naming every file that is missing, added, changed or not a file."""
    shown = f"{folder.parent.name}/{folder.name}"
    manifest = folder / CONTENTS
    if manifest.is_symlink() or not manifest.is_file():
        raise RestoreRefused(
            f"{shown} has no {CONTENTS} (the list of its files and their hashes, written by "
            "every backup since pm_pipeline checks them), so what it holds cannot be checked "
            "and it was not restored — restore a later backup, or run the warehouse_backup "
            "job to make one"
        )
    with manifest.open(encoding="utf-8", newline="") as handle:
        listed = {row.get("path") or "": row for row in csv.DictReader(handle)}
    problems = []
    present = {  # every entry but the manifest and real folders (links are not followed)
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p != manifest and (p.is_symlink() or not p.is_dir())
    }
    for name, path in sorted(present.items()):
        if name not in listed:
            problems.append(f"{name} is not in {CONTENTS}: it was put there after the backup")
        elif not stat.S_ISREG(path.lstat().st_mode):
            problems.append(f"{name} is a link or not an ordinary file")
    for name, row in sorted(listed.items()):
        found = present.get(name)
        if found is None:
            problems.append(f"{name} is listed in {CONTENTS} but missing")
        elif stat.S_ISREG(found.lstat().st_mode) and not _as_listed(found, row):
            problems.append(f"{name} differs from the file the backup wrote (its SHA-256)")
    if problems:
        raise RestoreRefused(
            f"The backup {shown} is not as it was written, so it was not restored and the "
            "warehouse is unchanged:\n  "
            + "\n  ".join(problems)
            + "\nRestore another date, and find out who changed this folder (backups/ should "
            "be writable only by the account the services run as)"
        )
    return sorted(listed)


def rebuild(conn: duckdb.DuckDBPyConnection, folder: Path, files: list[str]) -> list[str]:
    """Each table of the backup made from the product's own definition and filled from its
    Parquet file; the backup's SQL (schema.sql, load.sql) is never run."""
    problems, tables = [], []
    for name in files:
        if not (name.startswith("warehouse/") and name.endswith(".parquet")):
            continue
        path = folder / name
        table = WAREHOUSE.get(Path(name).stem)
        if table is None:
            problems.append(f"{name} is not a table this version of pm_pipeline has")
            continue
        described = conn.execute(f"DESCRIBE SELECT * FROM read_parquet({quoted(path)})")
        columns = [column for column, *_ in described.fetchall()]
        unknown = [c for c in columns if c not in table.columns]
        if unknown:
            problems.append(
                f"{name} has column(s) {', '.join(unknown)}, which {table.name} has not"
            )
            continue
        ensure_table(conn, table)
        names = ", ".join(f'"{c}"' for c in columns)
        cast = ", ".join(f'CAST("{c}" AS {table.columns[c]})' for c in columns)
        conn.execute(
            f'INSERT INTO "{table.name}" ({names}) SELECT {cast} FROM read_parquet({quoted(path)})'
        )
        tables.append(table.name)
    if problems:
        raise RestoreRefused(
            f"The backup {folder.parent.name}/{folder.name} was not restored (the warehouse is "
            "unchanged):\n  "
            + "\n  ".join(problems)
            + "\nRestore it with the version of pm_pipeline that made it, or another date"
        )
    return tables


def restore(data_dir: Path, day: str) -> Path:
    """Rebuild warehouse.duckdb from backups/<day>/, checked first; the current file is kept
    aside."""
    folder = backup_folder(data_dir, day)
    files = checked_files(folder)
    warehouse = data_dir / "warehouse.duckdb"
    building = warehouse.with_name("warehouse.duckdb.restoring")
    building.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(building)) as conn:
            make_private(building)
            rebuild(conn, folder, files)
    except BaseException:
        building.unlink(missing_ok=True)
        raise
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
