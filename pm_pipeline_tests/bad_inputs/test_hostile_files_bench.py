"""bench/hostile_files.py --tiny runs and prints its table, so the bench cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_tiny_bench_prints_a_row_for_each_hostile_file():
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "hostile_files.py"), "--tiny"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert lines[0].startswith("clean quarter 2025/26 Q1: 60 rows, read only")
    assert lines[1].split() == [
        "file",
        "size",
        "seconds",
        "x",
        "clean",
        "peak",
        "MiB",
        "rows",
        "issues",
    ]
    table = {line.split()[0]: line.split()[1:] for line in lines[2:-1]}
    assert set(table) == {
        "merged_5000.xlsx",
        "xfd_500_rows.xlsx",
        "duplicates_21mb.csv",
        "rows_100001.csv",
        "unclosed_quote.csv",
    }
    for name, cells in table.items():
        seconds, ratio, peak = (float(c.replace(",", "")) for c in cells[2:5])
        assert seconds > 0 and ratio > 0 and peak > 0, name
    assert lines[-1].startswith("(clean peak ")
