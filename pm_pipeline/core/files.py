"""The council's data directory, and files written whole or not at all.

`CouncilFiles` says where each kind of file lives; `write_atomic` writes a temporary file
beside the target and renames it, so a reader (or a crash) never sees half a file.

Files that hold personal data (staff addresses, owners' notes, managers' comments: the
exports, backups, outbox and sent log, archived returns, owners' lists, the warehouse) are
`private`: folders 0750 and files 0640, as under `umask 0027` whatever the process's umask,
so another account on the machine cannot list or read them (README, "Personal data").
"""

from __future__ import annotations

import glob
import os
import stat
import tempfile
from pathlib import Path
from typing import IO

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
    def finance_dir(self) -> Path:
        """The monthly budget-monitoring exports, `finance/<YYYY-MM>/`."""
        return self.root / "finance"

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


PRIVATE = 0o027  # what personal data is closed to: other accounts, and the group's writing
PRIVATE_FILE = 0o666 & ~(_UMASK | PRIVATE)  # 0640 (0600 under a stricter umask)


def private_folder(path: Path, top: Path | None = None) -> Path:
    """`path` made if need be (with its parents) and closed to other accounts (0750); with
    `top`, every folder from `top` down to `path` too."""
    path.mkdir(parents=True, exist_ok=True)
    below = [] if top is None else [top / p for p in reversed(path.relative_to(top).parents)]
    for folder in [*below, path]:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if not mode & PRIVATE:
            continue
        try:
            folder.chmod(mode & ~PRIVATE)
        except PermissionError as exc:
            raise PermissionError(
                f"{folder} holds personal data but is open to other accounts (mode {mode:o}), "
                "and this account cannot close it — as its owner run: chmod o-rwx,g-w "
                f"'{folder}', or give it to the account the services run as"
            ) from exc
    return path


def make_private(root: Path) -> None:
    """`root` and everything under it closed to other accounts (folders 0750, files 0640):
    for what another library wrote (DuckDB's Parquet, the renderers) into a folder that was
    made private first, so nothing was open to others meanwhile."""
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & PRIVATE:
            path.chmod(stat.S_IMODE(mode) & ~PRIVATE)


def append_private(path: Path) -> IO[str]:
    """`path` opened for appending text, closed to other accounts (the file 0640 in a 0750
    folder): for logs that hold personal data and are added to, never rewritten (the sent
    log, the portal's audit trail)."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "a", encoding="utf-8")


def write_atomic(path: Path, data: bytes | str, private: bool = False) -> Path:
    """Replace `path` with `data` so a reader (or a crash) never sees half a file; `private`
    for personal data (its folder 0750, the file 0640)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if private:
        private_folder(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)  # left by a writer that was killed mid-write
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # as open() would have made it, not mkstemp's 0600; personal data closed to others
        os.fchmod(fd, PRIVATE_FILE if private else 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
