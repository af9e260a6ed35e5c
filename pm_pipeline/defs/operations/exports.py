"""Every warehouse table as Parquet and CSV under `exports/`, for Power BI, Excel and R.

An asset in `quarterly_performance_job`, downstream of the tables that job writes: it runs
after each successful quarterly run (a failed check upstream stops it, so analysts never get
a half-made quarter) and shows in the lineage beside what it copies. It holds the `warehouse`
pool while it reads, so no writer changes the file between the first table and the last.
Each file is written beside its target and renamed, so a reader never sees half a file.
"""

import os
from pathlib import Path

import dagster as dg
import duckdb

from pm_pipeline.core.files import CouncilFiles, make_private, private_folder, write_atomic
from pm_pipeline.core.warehouse import OWNERS, Table, Warehouse, quoted
from pm_pipeline.defs.benchmarks import tables as benchmarks
from pm_pipeline.defs.district import tables as district
from pm_pipeline.defs.finance import tables as finance
from pm_pipeline.defs.intake import tables as intake
from pm_pipeline.defs.plan import tables as plan
from pm_pipeline.defs.quality import tables as quality
from pm_pipeline.defs.register import tables as register
from pm_pipeline.defs.scorecard import tables as scorecard
from pm_pipeline.defs.signoff import tables as signoff
from pm_pipeline.render.spreadsheet import write_csv

# every domain's tables, in the order the data dictionary lists them
WAREHOUSE: dict[str, Table] = {
    table.name: table
    for domain in (
        intake,
        quality,
        scorecard,
        benchmarks,
        register,
        district,
        signoff,
        plan,
        finance,
    )
    for table in domain.TABLES
}

README_HEAD = """\
Warehouse export: every table of the performance warehouse, for BI tools
=======================================================================

Written by pm_pipeline after each successful quarterly run. One table per file, in two
formats: <table>.parquet (typed; Power BI, R, pandas) and <table>.csv (UTF-8 with BOM, for
Excel; text starting with = + - @ is prefixed with ' so it cannot run as a formula; a list
is written as its items joined by "; ").
Files are replaced whole; the rows are the warehouse as it stood at {exported_at} UTC.

"""


def warehouse_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _copy_parquet(conn: duckdb.DuckDBPyConnection, table: str, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        conn.execute(f'COPY "{table}" TO {quoted(tmp)} (FORMAT PARQUET)')
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def data_dictionary(counts: dict[str, int], columns: dict[str, list[tuple[str, str]]]) -> str:
    """README.txt: each table, its row count and columns, in the order of `WAREHOUSE`."""
    from datetime import UTC, datetime

    lines = [README_HEAD.format(exported_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"))]
    order = [t for t in WAREHOUSE if t in counts] + sorted(t for t in counts if t not in WAREHOUSE)
    for table in order:
        lines.append(f"{table}  ({counts[table]} rows)  {table}.parquet, {table}.csv")
        declared = WAREHOUSE[table].columns if table in WAREHOUSE else {}
        for name, kind in columns[table]:
            lines.append(f"    {name:<24} {declared.get(name, kind)}")
        lines.append("")
    return "\n".join(lines)


def export_warehouse(conn: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """Write every table to `out_dir` as Parquet and CSV plus README.txt; rows per table.
    The tables hold personal data: the folder is closed to other accounts before anything is
    written in it, and every file in it is 0640."""
    private_folder(out_dir)
    counts, columns = {}, {}
    for table in warehouse_tables(conn):
        columns[table] = [(r[0], r[1]) for r in conn.execute(f'DESCRIBE "{table}"').fetchall()]
        flat = ", ".join(  # a list cell (register_council.themes) reads "a; b" in a CSV
            f'array_to_string("{name}", \'; \') AS "{name}"' if kind.endswith("[]") else f'"{name}"'
            for name, kind in columns[table]
        )
        frame = conn.execute(f'SELECT {flat} FROM "{table}"').df()
        _copy_parquet(conn, table, out_dir / f"{table}.parquet")
        write_csv(out_dir / f"{table}.csv", frame)
        counts[table] = len(frame)
    write_atomic(out_dir / "README.txt", data_dictionary(counts, columns))
    make_private(out_dir)
    return counts


@dg.asset(
    group_name="operations",
    deps=[table.key for table in WAREHOUSE.values()],
    kinds={"duckdb", "parquet", "csv"},
    owners=OWNERS,
    description="Every warehouse table as Parquet and CSV under exports/, with a README.txt "
    "data dictionary, so Power BI, Excel and R read the warehouse without a DuckDB driver.",
)
def warehouse_exports(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> dg.MaterializeResult:
    out_dir = council_files.root / "exports"
    with warehouse.read() as conn:
        counts = export_warehouse(conn, out_dir)
    context.log.info(f"Exported {len(counts)} tables to {out_dir}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(out_dir)),
            "tables": len(counts),
            "rows": dg.MetadataValue.json(counts),
        }
    )
