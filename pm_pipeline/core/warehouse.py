"""The DuckDB warehouse: table contracts (DESIGN section 4) and whole-partition writes.

Every write replaces a whole partition (or table) inside one transaction, so a re-run never
duplicates rows and a crash mid-write leaves the previous good rows in place.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from pm_pipeline.core.files import CouncilFiles, default_data_dir

OWNERS = ["team:performance"]  # the council's performance team looks after every asset

# Column order and types of every table other tools may read. The first nine are fixed by
# DESIGN section 4; the others are this product's own and documented in the README.
TABLES: dict[str, dict[str, str]] = {
    "pi_returns": {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "value": "DOUBLE",
        "numerator": "DOUBLE",
        "denominator": "DOUBLE",
        "status": "VARCHAR",
        "note": "VARCHAR",
        "submitted_by": "VARCHAR",
        "submitted_at": "TIMESTAMP",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
    },
    "quality_issues": {
        "period": "VARCHAR",
        "rule": "VARCHAR",
        "severity": "VARCHAR",
        "pi_id": "VARCHAR",
        "owner": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "value": "VARCHAR",
        "message": "VARCHAR",
    },
    "kpi_scorecard": {
        "period": "VARCHAR",
        "period_label": "VARCHAR",
        "pi_id": "VARCHAR",
        "title": "VARCHAR",
        "type": "VARCHAR",
        "theme": "VARCHAR",
        "owner": "VARCHAR",
        "unit": "VARCHAR",
        "polarity": "VARCHAR",
        "value": "DOUBLE",
        "target": "DOUBLE",
        "rag": "VARCHAR",
        "previous_value": "DOUBLE",
        "direction_vs_previous": "VARCHAR",
        "last_year_value": "DOUBLE",
        "direction_vs_last_year": "VARCHAR",
        "benchmark_source": "VARCHAR",
        "benchmark_period": "VARCHAR",
        "comparator_median": "DOUBLE",
        "comparator_best": "DOUBLE",
        "rank": "INTEGER",
        "comparator_count": "INTEGER",
        "quartile": "INTEGER",
        "note": "VARCHAR",
        "status": "VARCHAR",
        "restated": "BOOLEAN",
        "variation": "VARCHAR",
        "assurance": "VARCHAR",
    },
    "benchmarks": {
        "source": "VARCHAR",
        "metric_id": "VARCHAR",
        "metric_name": "VARCHAR",
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
        "period_label": "VARCHAR",
        "period_start": "DATE",
        "period_end": "DATE",
        "value": "DOUBLE",
        "unit": "VARCHAR",
        "polarity": "VARCHAR",
    },
    # each source's rows before they are combined (same columns as benchmarks)
    "lginform_benchmarks": {},
    "oflog_benchmarks": {},
    "register_council": {
        "name": "VARCHAR",
        "area_code": "VARCHAR",
        "region_code": "VARCHAR",
        "themes": "VARCHAR[]",
        "amber_tolerance_pct": "DOUBLE",
        "stable_band_pct": "DOUBLE",
        "comparator_group": "VARCHAR",
    },
    "register_indicators": {
        "pi_id": "VARCHAR",
        "title": "VARCHAR",
        "description": "VARCHAR",
        "type": "VARCHAR",
        "theme": "VARCHAR",
        "service": "VARCHAR",
        "owner": "VARCHAR",
        "manager": "VARCHAR",
        "unit": "VARCHAR",
        "polarity": "VARCHAR",
        "frequency": "VARCHAR",
        "decimals": "INTEGER",
        "valid_min": "DOUBLE",
        "valid_max": "DOUBLE",
        "lginform_metric": "VARCHAR",
        "oflog_metric": "VARCHAR",
        "annual_outturn": "VARCHAR",
    },
    "register_targets": {
        "pi_id": "VARCHAR",
        "financial_year": "VARCHAR",
        "target": "DOUBLE",
        "amber_threshold": "DOUBLE",
    },
    "register_comparators": {
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
    },
    "kpi_exceptions": {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "exception": "VARCHAR",
        "reason": "VARCHAR",
    },
    # Place context for the State of the District (documented in pm_pipeline/district/tables.py)
    "district_context": {
        "source": "VARCHAR",
        "dataset": "VARCHAR",
        "measure": "VARCHAR",
        "category": "VARCHAR",
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
        "period": "VARCHAR",
        "period_start": "DATE",
        "period_end": "DATE",
        "available_from": "DATE",
        "value": "DOUBLE",
        "unit": "VARCHAR",
        "note": "VARCHAR",
        "source_file": "VARCHAR",
    },
    "deprivation_lsoa": {
        "edition": "VARCHAR",
        "lsoa_code": "VARCHAR",
        "lsoa_name": "VARCHAR",
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
        "imd_score": "DOUBLE",
        "imd_rank": "INTEGER",
        "imd_decile": "INTEGER",
        "population": "DOUBLE",
        "source_file": "VARCHAR",
    },
    "restatements": {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "value": "DOUBLE",
        "first_reported_value": "DOUBLE",
        "first_version": "INTEGER",
        "version": "INTEGER",
        "source_file": "VARCHAR",
    },
    # managers' decisions (DESIGN 3.5): provenance as pi_returns, and the figure decided on
    "signoffs": {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "decision": "VARCHAR",
        "checked_by": "VARCHAR",
        "checked_at": "TIMESTAMP",
        "comment": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
        "figure_file": "VARCHAR",
        "figure_row": "INTEGER",
        "figure_sha256": "VARCHAR",
        "figure_version": "INTEGER",
    },
    # Corporate plan deliverables, improvement actions and risks (DESIGN 3.6)
    "action_register": {
        "action_id": "VARCHAR",
        "title": "VARCHAR",
        "kind": "VARCHAR",
        "theme": "VARCHAR",
        "service": "VARCHAR",
        "owner": "VARCHAR",
        "manager": "VARCHAR",
        "start_date": "DATE",
        "due_date": "DATE",
        "linked_pis": "VARCHAR[]",
        "linked_risks": "VARCHAR[]",
    },
    "risk_register": {
        "risk_id": "VARCHAR",
        "title": "VARCHAR",
        "theme": "VARCHAR",
        "owner": "VARCHAR",
        "likelihood": "INTEGER",
        "impact": "INTEGER",
        "appetite": "VARCHAR",
    },
    "action_updates": {
        "period": "VARCHAR",
        "action_id": "VARCHAR",
        "status": "VARCHAR",
        "percent_complete": "DOUBLE",
        "note": "VARCHAR",
        "revised_due_date": "DATE",
        "submitted_by": "VARCHAR",
        "submitted_at": "TIMESTAMP",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
    },
    "risk_updates": {
        "period": "VARCHAR",
        "risk_id": "VARCHAR",
        "likelihood": "INTEGER",
        "impact": "INTEGER",
        "score": "INTEGER",
        "note": "VARCHAR",
        "submitted_by": "VARCHAR",
        "submitted_at": "TIMESTAMP",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
    },
}


TABLES["lginform_benchmarks"] = TABLES["oflog_benchmarks"] = TABLES["benchmarks"]


def ensure_table(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create the table, or add the contract's newer columns to a warehouse made before them."""
    columns = ", ".join(f'"{name}" {kind}' for name, kind in TABLES[table].items())
    conn.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({columns})')
    have = {row[1] for row in conn.execute(f"PRAGMA table_info('{table}')").fetchall()}
    for name, kind in TABLES[table].items():
        if name not in have:
            conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The frame with exactly the table's columns, in order (missing ones empty)."""
    return frame.reindex(columns=list(TABLES[table]))


def _insert(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    columns = list(TABLES[table])
    staged = conform(frame, table)
    conn.register("_staged", staged)
    try:
        select = ", ".join(
            f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in TABLES[table].items()
        )
        quoted = ", ".join(f'"{c}"' for c in columns)
        conn.execute(f'INSERT INTO "{table}" ({quoted}) SELECT {select} FROM _staged')
    finally:
        conn.unregister("_staged")


@dataclass(frozen=True)
class Replacement:
    """Rows of `table` matching `where` are replaced by `frame`."""

    table: str
    frame: pd.DataFrame
    where: str = "TRUE"
    params: Sequence[object] = ()


def replace_all(conn: duckdb.DuckDBPyConnection, replacements: Sequence[Replacement]) -> None:
    """Apply several replacements in one transaction: all of them land, or none."""
    for item in replacements:
        ensure_table(conn, item.table)
    conn.execute("BEGIN TRANSACTION")
    try:
        for item in replacements:
            conn.execute(f'DELETE FROM "{item.table}" WHERE {item.where}', list(item.params))
            _insert(conn, item.table, item.frame)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def replace_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    where: str = "TRUE",
    params: Sequence[object] = (),
) -> int:
    """Replace the rows matching `where` with `frame`, atomically. Returns rows written."""
    replace_all(conn, [Replacement(table, frame, where, params)])
    return len(frame)


def partition(table: str, frame: pd.DataFrame, period: str) -> Replacement:
    return Replacement(table, frame, "period = ?", (period,))


def where_in(column: str, values: Sequence[object]) -> tuple[str, list[object]]:
    """A `column IN (?, ...)` clause and its parameters, for `read_table` (never SQL by hand
    from values: they go as parameters). No values selects nothing."""
    if not values:
        return "FALSE", []
    return f'"{column}" IN ({", ".join("?" for _ in values)})', list(values)


def read_table(
    conn: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE", params: Sequence[object] = ()
) -> pd.DataFrame:
    """Rows of a contract table (empty, with its columns, if nothing has written it yet)."""
    try:
        return conn.execute(f'SELECT * FROM "{table}" WHERE {where}', list(params)).df()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=list(TABLES[table]))


ASSET_OF_TABLE = {"register_indicators": "indicator_register"}  # DESIGN's asset name


def table_asset(table: str) -> str:
    """The asset that writes a table (its own name, but for the register's indicators)."""
    return ASSET_OF_TABLE.get(table, table)


def table_metadata(table: str) -> dict[str, Any]:
    """The definition metadata that makes an asset a table in the UI: name and columns."""
    return {
        "dagster/table_name": table,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind) for name, kind in TABLES[table].items()]
        ),
    }


def table_spec(
    key: str, table: str | None = None, kinds: set[str] | None = None, **kwargs: Any
) -> dg.AssetSpec:
    """An asset spec for a warehouse table (the asset key is the table's name by default)."""
    name = table or key
    return dg.AssetSpec(
        key,
        kinds={"duckdb", *(kinds or ())},
        owners=OWNERS,
        metadata=table_metadata(name),
        **kwargs,
    )


def row_count(rows: int) -> dict[str, dg.MetadataValue]:
    return {"dagster/row_count": dg.MetadataValue.int(int(rows))}


READER_COPY = "warehouse_readonly.duckdb"
_LOCK_HOLDER = re.compile(r"PID (\d+)")


class WarehouseBusy(RuntimeError):
    """Another process kept the warehouse file locked for longer than we wait."""


def _holder(message: str) -> str:
    """'PID 123 (python notebook.py)' from DuckDB's lock message, for a person to act on."""
    found = _LOCK_HOLDER.search(message)
    if not found:
        return "another process"
    pid = found.group(1)
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmd = ""
    return f"process {pid}" + (f" ({cmd[:120]})" if cmd else "")


class Warehouse(DuckDBResource):
    """The DuckDB warehouse. Writers (steps in the `warehouse` pool) use `write()`; every other
    step uses `read()`, which opens the file read-only and is closed before any rendering.

    DuckDB lets one process write a file, and a reader in another process (an analyst's
    notebook, Power BI) blocks that writer. So after each write the file is copied, whole, to
    `warehouse_readonly.duckdb` for such readers, and a write that still meets a lock waits
    with backoff, then fails naming the process that holds it.
    """

    lock_wait_seconds: float = 120.0

    @property
    def path(self) -> Path:
        return Path(self.database)

    @property
    def reader_copy(self) -> Path:
        return self.path.with_name(READER_COPY)

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        delay, waited = 0.2, 0.0
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if waited >= self.lock_wait_seconds:
                    raise WarehouseBusy(
                        f"The warehouse {self.path} is held open by {_holder(str(exc))} and "
                        f"was not released in {waited:.0f} s. Close that connection; analysts "
                        f"and BI tools should open {READER_COPY} instead, which is refreshed "
                        "after every write."
                    ) from exc
                time.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)

    def get_connection(self) -> NoReturn:
        """dagster-duckdb's own way in would skip the lock wait and the readers' copy, so it
        is closed: there is one way to write (`write()`) and one to read (`read()`)."""
        raise TypeError(
            "Warehouse.get_connection() is not used in pm_pipeline: call warehouse.write() in a "
            "step that writes (pool 'warehouse') or warehouse.read() in one that only reads"
        )

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection; on success the readers' copy is refreshed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect(read_only=False)
        try:
            yield conn
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
        self.publish_reader_copy()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection: never takes the write lock from a writer for long."""
        if not self.path.exists():
            with self.write():
                pass
        conn = self._connect(read_only=True)
        try:
            yield conn
        finally:
            conn.close()

    def publish_reader_copy(self) -> None:
        """Copy the checkpointed file beside itself and rename it into place (atomic)."""
        if not self.path.exists():
            return
        tmp = self.reader_copy.with_name(f".{READER_COPY}.{os.getpid()}.tmp")
        shutil.copyfile(self.path, tmp)
        os.replace(tmp, self.reader_copy)


def build_resources(data_dir: Path | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources every asset uses, pointed at one data directory."""
    root = (data_dir or default_data_dir()).resolve()
    files = CouncilFiles(data_dir=str(root))
    return {
        "council_files": files,
        "warehouse": Warehouse(database=str(files.warehouse_path)),
    }
