"""The warm time of saving a 40-PI return in the portal, validated by the returns suite
(issue 29 asks under a second). `python bench/portal_save.py`"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the tests' doubles (pm_pipeline_tests) beside the product

from pm_pipeline.core.files import CouncilFiles  # noqa: E402
from pm_pipeline.core.periods import Quarter  # noqa: E402
from pm_pipeline.core.warehouse import Warehouse  # noqa: E402
from pm_pipeline.defs.register.load import load_register  # noqa: E402
from pm_pipeline.defs.register.store import write_register  # noqa: E402
from pm_pipeline.portal.records import Entry, Snapshot, now_local, save_returns  # noqa: E402
from pm_pipeline_tests.council import Council, pi  # noqa: E402

PIS = 40
OWNER = "owner@test.example"


def main() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    root = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    Council(
        root, indicators=[pi(f"PI-{n:02}", f"Indicator {n}", valid_max="100") for n in range(PIS)]
    ).write()
    with Warehouse(database=str(root / "warehouse.duckdb")).write() as conn:
        write_register(conn, load_register(root / "config"))
    files, quarter = CouncilFiles(data_dir=str(root)), Quarter(2026, 2)
    timings = []
    for round_ in range(4):  # the first is cold (Great Expectations imports)
        entries = {
            f"PI-{n:02}": Entry(value=str(50 + n + round_), note="Steady performance.")
            for n in range(PIS)
        }
        start = time.perf_counter()
        snapshot = Snapshot.read(files, quarter)
        outcome = save_returns(files, snapshot, quarter, OWNER, entries, now_local(), "bench")
        timings.append(time.perf_counter() - start)
        assert outcome.saved, outcome.errors
    print(
        f"portal save of a {PIS}-PI return with validation: cold {timings[0]:.2f} s, "
        f"warm {min(timings[1:]):.2f} s (best of {len(timings) - 1})"
    )


if __name__ == "__main__":
    main()
