"""The council's data directory, and files written whole or not at all.

`CouncilFiles` says where each kind of file lives; `write_atomic` writes a temporary file
beside the target and renames it, so a reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import glob
import os
import tempfile
from pathlib import Path

import dagster as dg

DATA_DIR_ENV = "PM_DATA_DIR"
# Where the source tree would be; only a checkout has data/ (the sample council) there. An
# installed package has nothing beside it, so there PM_DATA_DIR must be set.
REPO_ROOT = Path(__file__).resolve().parents[2]
# how often the returns, owners' mail, alert mail and scorecard-rebuild sensors look
SENSOR_SECONDS = int(os.environ.get("PM_SENSOR_INTERVAL_SECONDS", "30"))


class DataDirNotSet(RuntimeError):
    """PM_DATA_DIR is unset where there is no checkout's data/ to fall back on."""


def source_checkout() -> Path | None:
    """The repository pm_pipeline runs from (`make demo`), or None when it is installed."""
    try:
        project = (REPO_ROOT / "pyproject.toml").read_text()
    except OSError:
        return None
    return REPO_ROOT if 'name = "pm_pipeline"' in project else None


def default_data_dir() -> Path:
    """`$PM_DATA_DIR`; in a source checkout, else, its `data/` (so `make demo` needs no
    setting). Installed, there is no default: a council's files are never beside the code."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    checkout = source_checkout()
    if checkout is None:
        raise DataDirNotSet(
            f"{DATA_DIR_ENV} is not set: point it at the council's data directory (config/, "
            "returns/, benchmarks/ ...); an installed pm_pipeline has no data/ of its own"
        )
    return checkout / "data"


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


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _umask()


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Replace `path` with `data` so a reader (or a crash) never sees half a file."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)  # left by a writer that was killed mid-write
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # as open() would have made it, not mkstemp's 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
