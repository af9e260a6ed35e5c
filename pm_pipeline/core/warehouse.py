"""The DuckDB warehouse: table contracts (docs/contracts.md, "Warehouse tables") and
whole-partition writes.

Every write replaces a whole partition (or table) inside one transaction, so a re-run never
duplicates rows and a crash mid-write leaves the previous good rows in place.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from pm_pipeline.core.files import CouncilFiles, default_data_dir, make_private

OWNERS = ["team:performance"]  # the council's performance team looks after every asset


@dataclass(frozen=True, eq=False)
class Table:
    """A warehouse table other tools may read: its columns in order with their DuckDB types,
    and the asset that writes it. Each domain declares its own tables (its `tables.py`)."""

    name: str
    columns: Mapping[str, str]
    asset: str = ""  # the asset's key, where the contract names it apart from the table

    @property
    def key(self) -> str:
        return self.asset or self.name

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def empty(self) -> pd.DataFrame:
        return pd.DataFrame(columns=self.column_names)

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with exactly the table's columns, in order (missing ones empty)."""
        return frame.reindex(columns=self.column_names)

    def metadata(self) -> dict[str, Any]:
        """The definition metadata that makes an asset a table in the UI: name and columns."""
        return {
            "dagster/table_name": self.name,
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name, kind) for name, kind in self.columns.items()]
            ),
        }

    def spec(self, kinds: set[str] | None = None, **kwargs: Any) -> dg.AssetSpec:
        """The asset spec of this table (the asset key is the table's name unless `asset`)."""
        return dg.AssetSpec(
            self.key,
            kinds={"duckdb", *(kinds or ())},
            owners=OWNERS,
            metadata=self.metadata(),
            **kwargs,
        )


def ensure_table(conn: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Create the table, or add the contract's newer columns to a warehouse made before them."""
    columns = ", ".join(f'"{name}" {kind}' for name, kind in table.columns.items())
    conn.execute(f'CREATE TABLE IF NOT EXISTS "{table.name}" ({columns})')
    have = {row[1] for row in conn.execute(f"PRAGMA table_info('{table.name}')").fetchall()}
    for name, kind in table.columns.items():
        if name not in have:
            conn.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{name}" {kind}')


def _insert(conn: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    staged = table.conform(frame)
    conn.register("_staged", staged)
    try:
        select = ", ".join(
            f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in table.columns.items()
        )
        quoted = ", ".join(f'"{c}"' for c in table.columns)
        conn.execute(f'INSERT INTO "{table.name}" ({quoted}) SELECT {select} FROM _staged')
    finally:
        conn.unregister("_staged")


@dataclass(frozen=True)
class Replacement:
    """Rows of `table` matching `where` are replaced by `frame`."""

    table: Table
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
            conn.execute(f'DELETE FROM "{item.table.name}" WHERE {item.where}', list(item.params))
            _insert(conn, item.table, item.frame)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def replace_rows(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    frame: pd.DataFrame,
    where: str = "TRUE",
    params: Sequence[object] = (),
) -> int:
    """Replace the rows matching `where` with `frame`, atomically. Returns rows written."""
    replace_all(conn, [Replacement(table, frame, where, params)])
    return len(frame)


def partition(table: Table, frame: pd.DataFrame, period: str) -> Replacement:
    return Replacement(table, frame, "period = ?", (period,))


def where_in(column: str, values: Sequence[object]) -> tuple[str, list[object]]:
    """A `column IN (?, ...)` clause and its parameters, for `read_table` (never SQL by hand
    from values: they go as parameters). No values selects nothing."""
    if not values:
        return "FALSE", []
    return f'"{column}" IN ({", ".join("?" for _ in values)})', list(values)


def read_table(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    where: str = "TRUE",
    params: Sequence[object] = (),
) -> pd.DataFrame:
    """Rows of a contract table (empty, with its columns, if nothing has written it yet)."""
    try:
        return conn.execute(f'SELECT * FROM "{table.name}" WHERE {where}', list(params)).df()
    except duckdb.CatalogException:
        return table.empty()


def quoted(path: Path) -> str:
    """A path as an SQL string literal (a data directory may have a quote in its name)."""
    return "'" + str(path).replace("'", "''") + "'"


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
    with backoff, then fails naming the process that holds it. Both files hold personal data
    and are kept 0640 (the service's group reads them, no other account).
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
        """A read-write connection; on success the readers' copy is refreshed, copied while
        this connection still holds DuckDB's lock on the file: not every writer is in the
        `warehouse` pool (the benchmark fetches are not), and a copy taken after the close
        could catch the next writer half-way (a torn copy analysts cannot open)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect(read_only=False)
        make_private(self.path)
        try:
            yield conn
            conn.execute("CHECKPOINT")
            self.publish_reader_copy()
        finally:
            conn.close()

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
        """Copy the checkpointed file beside itself and rename it into place (atomic); called
        by `write()` under its lock."""
        if not self.path.exists():
            return
        tmp = self.reader_copy.with_name(f".{READER_COPY}.{os.getpid()}.tmp")
        shutil.copyfile(self.path, tmp)
        make_private(tmp)
        os.replace(tmp, self.reader_copy)


def build_resources(data_dir: Path | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources every asset uses, pointed at one data directory."""
    root = (data_dir or default_data_dir()).resolve()
    files = CouncilFiles(data_dir=str(root))
    return {
        "council_files": files,
        "warehouse": Warehouse(database=str(files.warehouse_path)),
    }
