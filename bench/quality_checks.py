"""What the Great Expectations rules cost: code-location load time, and time added to a run.

    python bench/quality_checks.py

Prints (1) how long `import pm_pipeline.definitions` takes in a fresh interpreter and whether
Great Expectations was imported by it (it must not be), and (2) for the sample council's
latest quarter, the time to read the files and the time the rules add (first run in a
process, which pays for importing GX, and warm runs).
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOAD = (
    "import sys, time; t = time.perf_counter(); import pm_pipeline.definitions; "
    "print(time.perf_counter() - t, 'great_expectations' in sys.modules)"
)


def load_time(runs: int = 5) -> tuple[float, bool]:
    times, imported = [], False
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LOAD], capture_output=True, text=True, check=True
        )
        seconds, gx = out.stdout.split()
        times.append(float(seconds))
        imported |= gx == "True"
    return statistics.median(times), imported


def rules_time(data_dir: Path) -> None:
    import pandas as pd

    from pm_pipeline.intake.read import read_quarter
    from pm_pipeline.periods import Quarter
    from pm_pipeline.register.load import load_register

    register = load_register(data_dir / "config")
    quarter = Quarter(2026, 2)
    t = time.perf_counter()
    read, _ = read_quarter(data_dir / "returns", quarter, register.canonical_ids())
    read_s = time.perf_counter() - t
    history = pd.DataFrame(columns=["pi_id", "period", "value"])
    t = time.perf_counter()
    from pm_pipeline.quality.evaluate import evaluate_returns

    evaluate_returns(read.candidates, register.indicators, quarter, history, quarter.end)
    first = time.perf_counter() - t
    warm = []
    for _ in range(5):
        t = time.perf_counter()
        evaluate_returns(read.candidates, register.indicators, quarter, history, quarter.end)
        warm.append(time.perf_counter() - t)
    print(f"sample quarter {quarter.label}: {read.rows_in} rows in {len(read.files)} files")
    print(f"  reading the files:                         {read_s:6.2f} s")
    print(f"  rules, first run (incl. importing GX):     {first:6.2f} s")
    print(f"  rules, warm (median of 5):                 {statistics.median(warm):6.2f} s")


if __name__ == "__main__":
    seconds, imported = load_time()
    print(f"code-location load (import pm_pipeline.definitions, median of 5): {seconds:.2f} s")
    print(f"Great Expectations imported at load: {'YES — fix this' if imported else 'no'}")
    rules_time(REPO / "data")
