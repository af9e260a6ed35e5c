"""Every test gets its own PM_DATA_DIR and DAGSTER_HOME; none touches the repository's data/."""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """One real PostgreSQL server per session (per xdist worker) on a loopback port, the one
    `make stack` starts; tests take a database of their own on it (`postgres`)."""
    # outside pytest's tmp dir, which is private to this user and closed to the postgres user
    root = Path(tempfile.mkdtemp(prefix="pm-pipeline-pg-"))
    try:
        server = LocalPostgres(root, free_port())
    except FileNotFoundError as missing:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"{missing}; .ci/run installs it")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres(postgres_server: LocalPostgres) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server: its SQLAlchemy URL."""
    import psycopg2

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = f"dbname=dagster user=dagster host=127.0.0.1 port={postgres_server.port}"
    with closing(psycopg2.connect(admin)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://dagster@127.0.0.1:{postgres_server.port}/{name}"
    finally:
        with closing(psycopg2.connect(admin)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
