"""Where a council's files live, and the DuckDB warehouse beside them."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

DATA_DIR_ENV = "PM_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parent.parent


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


def build_resources(data_dir: Path | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources every asset uses, pointed at one data directory."""
    root = (data_dir or default_data_dir()).resolve()
    files = CouncilFiles(data_dir=str(root))
    return {
        "council_files": files,
        "warehouse": DuckDBResource(database=str(files.warehouse_path)),
    }
