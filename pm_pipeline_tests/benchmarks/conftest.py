"""Fixtures for the benchmarks tests: the sample files, a fake LG Inform, a register.

The root conftest gives every test its own PM_DATA_DIR and DAGSTER_HOME; here that data
directory is filled with a copy of the sample register and sample benchmark files, built once
per session from the generator. Nothing under the repository's data/ is written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pm_pipeline.core.warehouse import build_resources
from pm_pipeline.defs.benchmarks.lginform import LGInformResource
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.register.store import write_register
from pm_pipeline.sample import catalogue
from pm_pipeline.sample.benchmarks import write_sample
from pm_pipeline.sample.generate import write_register as sample_register
from pm_pipeline_tests.fake_lginform import FakeLGInform, dataset_from_cache

from .support import KEY, SECRET


@pytest.fixture(scope="session")
def sample_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample register and sample benchmark files, built once, copied per test."""
    root = tmp_path_factory.mktemp("sample") / "data"
    sample_register(root, catalogue.CATALOGUE)
    write_sample(root)
    return root


@pytest.fixture
def data_dir(sample_tree: Path, isolated_dirs: Path) -> Path:
    """This test's PM_DATA_DIR (from the root conftest) holding a copy of the sample tree."""
    shutil.copytree(sample_tree, isolated_dirs, dirs_exist_ok=True)
    return isolated_dirs


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


@pytest.fixture
def make_resource():
    """LGInformResource with credentials and short timeouts/backoff: fault tests stay fast."""

    def make(base_url: str, **overrides: object) -> LGInformResource:
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

    return make
