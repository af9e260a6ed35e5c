"""bench/benchmarks_refresh.py at a tiny size runs and prints its figures, so it cannot rot.

The other slow benches (operations, warehouse_readers, scale) run the whole Dagster cycle and
cannot be made tiny; `make lint` type-checks every bench script against the product instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_refresh_bench_prints_its_figures_at_tiny_size():
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "benchmarks_refresh.py"),
            *("--councils", "3", "--metrics", "2", "--periods", "2"),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == (
        "LG Inform refresh: 3 councils × 2 metrics × 2 periods = 12 rows (4 signed requests)"
    )
    for label in ("fetch, check and cache", "long table", "DuckDB write", "total wall time"):
        [line] = [line for line in lines if line.strip().startswith(label)]
        assert float(re.search(r"(\d+\.\d+) s", line).group(1)) >= 0, line
