"""Every test gets its own PM_DATA_DIR and DAGSTER_HOME; none touches the repository's data/."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

# The returns sensor's settling wait (2 s shipped) at 0.3 s: a test's files are written whole,
# and each sensor test waits it out several times, a core idle while it sleeps (set before the
# product is imported)
os.environ.setdefault("PM_SETTLE_SECONDS", "0.3")

from dagster._core.storage.defs_state.base import set_defs_state_storage

from pm_pipeline.core.files import REPO_ROOT
from pm_pipeline.stack.services import LocalPostgres, free_port
from pm_pipeline_tests.council import RunInstance

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (in their own order), so that xdist hands the long ones out at the
    start rather than last, where one of them would keep a worker busy after the other is done.
    (xdist sends the groups first, most tests first; this orders the tests outside them.)"""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    home = tmp_path / "dagster_home"
    data.mkdir()
    write_home(home)
    monkeypatch.setenv("PM_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in ("LGINFORM_API_KEY", "LGINFORM_API_SECRET", "LGINFORM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    # An instance entered as a context (a sensor's or schedule's test context does it) sets
    # Dagster's current definitions-state storage, a context variable nothing resets: the next
    # test's definitions would then read the previous test's instance, in a folder pytest has
    # removed. Each test starts with none, and whatever it sets is undone after it.
    with set_defs_state_storage(None):
        yield data
    RunInstance.reset()


@pytest.fixture
def data_dir(isolated_dirs: Path) -> Path:
    return isolated_dirs


def write_home(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


@pytest.fixture(scope="session")
def built_states(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """States a test starts from that take minutes of runs to build (a cycle already run),
    each built once per session (per xdist worker) into a folder of its own holding `data`
    and `dagster_home`; `built_state` copies one into the test's own directories."""
    built: dict[str, Path] = {}

    def get(name: str, build: Callable[[Path], object]) -> Path:
        if name not in built:
            root = tmp_path_factory.mktemp(f"state-{name}")
            data, home = root / "data", root / "dagster_home"
            data.mkdir()
            write_home(home)
            with pytest.MonkeyPatch.context() as env:
                env.setenv("PM_DATA_DIR", str(data))
                env.setenv("DAGSTER_HOME", str(home))
                # its runs on the state's own on-disk instance, copied with it
                env.setattr(RunInstance, "on_disk", True)
                env.setattr(RunInstance, "current", None)
                build(data)
            built[name] = root
        return built[name]

    return get


@pytest.fixture
def built_state(built_states: Callable[..., Path], isolated_dirs: Path) -> Callable[..., Path]:
    """`built_state(name, build)`: the state `build(data_dir)` makes (built once per session),
    copied into this test's PM_DATA_DIR and DAGSTER_HOME (the warehouse, the files, the
    instance's runs and materialisations); returns the test's data directory."""

    def copy(name: str, build: Callable[[Path], object]) -> Path:
        root = built_states(name, build)
        shutil.copytree(root / "data", isolated_dirs, dirs_exist_ok=True)
        shutil.copytree(root / "dagster_home", os.environ["DAGSTER_HOME"], dirs_exist_ok=True)
        RunInstance.on_disk = True  # the state's runs are on disk: the test's go there too
        return isolated_dirs

    return copy


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


def libpq_url(url: str) -> str:
    """A SQLAlchemy `postgresql+psycopg2://` URL as psycopg2 itself takes it."""
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


@contextmanager
def new_database(server: LocalPostgres) -> Iterator[str]:
    """A fresh, empty database on `server` (its SQLAlchemy URL), dropped afterwards."""
    import psycopg2

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = libpq_url(server.url())
    with closing(psycopg2.connect(admin)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.url(name)
    finally:
        with closing(psycopg2.connect(admin)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres(postgres_server: LocalPostgres) -> Iterator[str]:
    """A fresh, empty database of this test's own on the session's PostgreSQL: its URL."""
    with new_database(postgres_server) as url:
        yield url


PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pm_pipeline as pip installs it: the wheel built from this checkout, unpacked (a pure
    Python wheel is its installed files), with no source tree beside it."""
    build = tmp_path_factory.mktemp("build")
    source = build / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    shutil.copytree(
        REPO_ROOT / "pm_pipeline",
        source / "pm_pipeline",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    built = subprocess.run(
        [*PIP_WHEEL, "-w", str(build), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    wheels = list(build.glob("pm_pipeline-*.whl"))
    if built.returncode or not wheels:
        pytest.skip(f"the wheel could not be built here: {built.stderr[-1000:]}")
    site = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(wheels[0]) as wheel:
        wheel.extractall(site)
    return site
