"""Every test gets its own PM_DATA_DIR and DAGSTER_HOME; none touches the repository's data/."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pm_pipeline.stack.services import LocalPostgres, free_port

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    home = tmp_path / "dagster_home"
    data.mkdir()
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("PM_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in ("LGINFORM_API_KEY", "LGINFORM_API_SECRET", "LGINFORM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture
def data_dir(isolated_dirs: Path) -> Path:
    return isolated_dirs


@pytest.fixture
def postgres():
    """A real PostgreSQL server on a loopback port (the one `make stack` starts): its port."""
    # outside pytest's tmp dir, which is private to this user and closed to the postgres user
    root = Path(tempfile.mkdtemp(prefix="pm-pipeline-pg-"))
    try:
        server = LocalPostgres(root, free_port())
    except FileNotFoundError as missing:
        pytest.skip(f"{missing}; .ci/run installs it")
    try:
        server.start()
        yield server.port
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
