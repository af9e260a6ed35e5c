"""Where the council's files live, and the one way into the DuckDB warehouse beside them."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

DATA_DIR_ENV = "PM_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parent.parent
READER_COPY = "warehouse_readonly.duckdb"
_LOCK_HOLDER = re.compile(r"PID (\d+)")


def default_data_dir() -> Path:
    """`$PM_DATA_DIR`, else `data/` in the repository."""
    configured = os.environ.get(DATA_DIR_ENV)
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / "data"


class CouncilFiles(dg.ConfigurableResource):
    """The council's data directory: register, returns, benchmarks, reference files, reports."""

    data_dir: str

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def returns_dir(self) -> Path:
        return self.root / "returns"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive" / "returns"

    @property
    def accepted_dir(self) -> Path:
        """The record of each PI's first accepted figure per quarter (see intake/restatements)."""
        return self.root / "archive" / "accepted"

    @property
    def benchmarks_dir(self) -> Path:
        return self.root / "benchmarks"

    @property
    def reference_dir(self) -> Path:
        return self.root / "reference"

    @property
    def commentary_dir(self) -> Path:
        return self.root / "commentary"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"


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
