"""bench/mail_log.py at a tiny size runs and prints its figures, so the bench cannot rot."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_mail_bench_prints_its_figures_at_tiny_size():
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "mail_log.py"), "--sizes", "5,10"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert re.search(r"^\s+10\s+[\d.]+ s\s+[\d.]+ s\s+[\d.]+ s$", out.stdout, re.M), out.stdout
    assert "(the server received 15 messages)" in out.stdout
