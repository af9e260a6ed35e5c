"""Fixtures for the benchmarks tests: a data directory of their own, a fake LG Inform, a register.

Every test gets a fresh copy of the sample register and sample benchmark files under its own
tmp_path; nothing under the repository's data/ is written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pm_pipeline.benchmarks.fake_lginform import FakeLGInform, dataset_from_cache
from pm_pipeline.benchmarks.lginform import BASE_URL_ENV, KEY_ENV, SECRET_ENV, LGInformResource
from pm_pipeline.benchmarks.sample_data import write_sample
from pm_pipeline.register.load import Register, load_register
from pm_pipeline.register.store import write_register
from pm_pipeline.resources import REPO_ROOT, build_resources

KEY = "testkey-4c1f0a"
SECRET = "s3cret+/Value=9f2e7d"  # characters that Base64 and URLs both care about


@pytest.fixture(scope="session")
def sample_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample register and sample benchmark files, built once, copied per test."""
    root = tmp_path_factory.mktemp("sample") / "data"
    shutil.copytree(REPO_ROOT / "data" / "config", root / "config")
    write_sample(root)
    return root


@pytest.fixture
def data_dir(sample_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    shutil.copytree(sample_tree, root)
    monkeypatch.setenv("PM_DATA_DIR", str(root))
    for name in (KEY_ENV, SECRET_ENV, BASE_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    return root


@pytest.fixture
def cache_dir(data_dir: Path) -> Path:
    return data_dir / "benchmarks" / "lginform"


@pytest.fixture
def register(data_dir: Path) -> Register:
    return load_register(data_dir / "config")


@pytest.fixture
def warehouse(data_dir: Path, register: Register) -> Path:
    """The warehouse with the register written, as the indicator_register asset leaves it."""
    path = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        write_register(conn, register)
    return path


@pytest.fixture
def resources(data_dir: Path, warehouse: Path) -> dict:
    return build_resources(data_dir)


@pytest.fixture(scope="session")
def sample_dataset(sample_tree: Path):
    return dataset_from_cache(sample_tree / "benchmarks" / "lginform")


@pytest.fixture
def fake(sample_dataset) -> FakeLGInform:
    """LG Inform on loopback serving the sample metrics, checking signatures with KEY/SECRET."""
    with FakeLGInform(sample_dataset, KEY, SECRET) as server:
        yield server


def fast_resource(base_url: str, **overrides: object) -> LGInformResource:
    """Credentials set, short timeouts and backoff so fault tests take milliseconds."""
    settings = {
        "api_key": KEY,
        "api_secret": SECRET,
        "base_url": base_url,
        "timeout_seconds": 0.3,
        "max_retries": 2,
        "backoff_seconds": 0.01,
        "max_wait_seconds": 2.0,
        **overrides,
    }
    return LGInformResource(**settings)
