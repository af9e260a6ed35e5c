"""What the Great Expectations rules cost: load time, time added to a run, GX against pandas.

    python bench/quality_checks.py           # the figures in docs/performance.md
    python bench/quality_checks.py --tiny    # a few seconds, for CI (a test runs it)

Prints (1) how long `import pm_pipeline.definitions` takes in a fresh interpreter and whether
Great Expectations was imported by it (it must not be); (2) for the sample council's latest
quarter, the time to read the files, the time the rules add (first run in a process, which
pays for importing GX, and warm runs) and the time its Data Docs take; (3) the returns suite on 100,000 synthetic returns
(100 quarters x 1,000 PIs) against the same rules in plain pandas, on the same validation
frame in the same process, best of 5, and the ratio (goal: at most 3x).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOAD = (
    "import sys, time; t = time.perf_counter(); import pm_pipeline.definitions; "
    "print(time.perf_counter() - t, 'great_expectations' in sys.modules)"
)
GOAL = 3.0


def load_time(runs: int) -> tuple[float, bool]:
    times, imported = [], False
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LOAD], capture_output=True, text=True, check=True
        )
        seconds, gx = out.stdout.split()
        times.append(float(seconds))
        imported |= gx == "True"
    return statistics.median(times), imported


def rules_time(data_dir: Path, warm_runs: int) -> None:
    import pandas as pd

    from pm_pipeline.core.periods import Quarter
    from pm_pipeline.defs.intake.read import read_quarter
    from pm_pipeline.defs.register.load import load_register

    register = load_register(data_dir / "config")
    quarter = Quarter.from_folder(sorted(p.name for p in (data_dir / "returns").iterdir())[-1])
    t = time.perf_counter()
    read, _ = read_quarter(data_dir / "returns", quarter, register.canonical_ids())
    read_s = time.perf_counter() - t
    history = pd.DataFrame(columns=["pi_id", "period", "value"])
    args = (read.candidates, register.indicators, [quarter], history, quarter.end)
    t = time.perf_counter()
    from pm_pipeline.defs.quality.evaluate import evaluate_returns

    evaluate_returns(*args)
    first = time.perf_counter() - t
    warm = []
    for _ in range(warm_runs):
        t = time.perf_counter()
        evaluate_returns(*args)
        warm.append(time.perf_counter() - t)
    from pm_pipeline.defs.quality.data_docs import write_data_docs

    evaluation = evaluate_returns(*args)
    with tempfile.TemporaryDirectory() as scratch:
        docs = []
        for _ in range(warm_runs):
            t = time.perf_counter()
            write_data_docs(evaluation, [quarter], Path(scratch), Path(scratch) / "reports")
            docs.append(time.perf_counter() - t)
    print(f"sample quarter {quarter.label}: {read.rows_in} rows in {len(read.files)} files")
    for label, seconds in (
        ("reading the files", read_s),
        ("rules, first run (incl. importing GX)", first),
        (f"rules, warm (median of {warm_runs})", statistics.median(warm)),
        (f"its Data Docs, warm (median of {warm_runs})", statistics.median(docs)),
    ):
        print(f"  {label + ':':<42} {seconds:6.2f} s")


def pandas_rules(frame, indicators, quarters) -> dict[str, set]:
    """The suite's rules in plain pandas on the same validation frame (same derived columns)."""
    import pandas as pd

    from pm_pipeline.defs.quality.suite import (
        MIN_UNAVAILABLE_NOTE,
        MOVEMENT_Z_LIMIT,
        PLACEHOLDER_NOTE,
    )
    from pm_pipeline.defs.register.load import due_pis

    f, out = frame, {}
    out["pi_in_register"] = set(f.index[~f["pi_id"].isin(indicators["pi_id"])])
    out["one_return_per_pi"] = set(f.index[f.duplicated(["period", "pi_id"], keep=False)])
    out["period_matches_folder"] = set(f.index[f["stated_period"] != f["period"]])
    out["value_present"] = set(f.index[f["value"].isna() & (f["status"] != "unavailable")])
    note = f["note"]
    out["note_present"] = set(
        f.index[
            note.isna()
            | note.str.match(PLACEHOLDER_NOTE).fillna(False).astype(bool)
            | ((f["status"] == "unavailable") & (note.str.len() < MIN_UNAVAILABLE_NOTE))
        ]
    )
    v, unit = f["value"], f["unit"]
    bad = (v < f["valid_min"]) | (v > f["valid_max"])
    bad |= (unit == "percent") & ((v < 0) | (v > 100))
    bad |= (unit == "count") & (v < 0)
    bad |= f["count_fraction"] > 0
    out["value_in_range"] = set(f.index[bad])
    out["numerator_denominator_agree"] = set(f.index[f["ratio_excess"] > 0])
    owed = pd.concat(
        [due_pis(indicators, q)[["pi_id"]].assign(period=q.key) for q in quarters],
        ignore_index=True,
    )
    given = f[["period", "pi_id"]].drop_duplicates().assign(returned=True)
    owed = owed.merge(given, on=["period", "pi_id"], how="left")
    out["returns_complete"] = set(owed.index[owed["returned"].isna()])
    out["submitted_on_time"] = set(
        f.index[(f["submitted_at"] < f["window_start"]) | (f["submitted_at"] > f["window_end"])]
    )
    out["movement_usual"] = set(f.index[f["movement_z"].abs() > MOVEMENT_Z_LIMIT])
    out["final_figures"] = set(f.index[f["report_ready"] & (f["status"] == "provisional")])
    return out


def synthetic_returns(rows: int):
    """`rows` clean returns: 1,000 PIs (five units) over as many quarters as it takes."""
    import pandas as pd
    from scale import _value, synthetic_pis

    from pm_pipeline.core.periods import Quarter

    pis = synthetic_pis(min(1000, rows), 0, 0)
    indicators = pd.DataFrame(
        [
            {
                "pi_id": p.pi_id,
                "title": p.title,
                "type": p.type,
                "unit": p.unit,
                "frequency": "quarterly",
                "decimals": p.decimals,
                "valid_min": None,
                "valid_max": None,
                "owner": p.owner,
                "manager": p.manager,
            }
            for p in pis
        ]
    )
    quarters = [Quarter(2026, 2)]
    while len(quarters) * len(pis) < rows:
        quarters.insert(0, quarters[0].previous)
    records = [
        {
            "pi_id": p.pi_id,
            "stated_period": q.key,
            "period": q.key,
            "value": _whole_if_count(p.unit, _value(p.pi_id, q.key)),
            "numerator": None,
            "denominator": None,
            "status": "final",
            "note": "Synthetic note for the benchmark.",
            "submitted_by": p.owner,
            "submitted_at": datetime(q.entry_window[0].year, q.entry_window[0].month, 5),
            "source_file": "x.csv",
            "source_row": 2,
            "file_sha256": "",
            "raw_value": None,
            "raw_id_hint": "",
        }
        for q in quarters
        for p in pis
    ]
    returns = pd.DataFrame(records[:rows])
    return _break_some(returns, quarters[-1].key), indicators, quarters


def _whole_if_count(unit: str, value: float) -> float:
    """Counts are whole numbers in real returns (an earlier version of this bench left a fifth
    of its rows failing value_in_range, so GX spent its time serialising 20,000 failures)."""
    return float(round(value)) if unit == "count" else value


def _break_some(returns, latest: str):
    """A few rows that break each rule, so GX and pandas are seen to find the same rows."""
    returns = returns.copy()
    every = max(len(returns) // 7, 1)  # spread over the frame, one per 1,000 rows or so
    picks = returns.index[every // 2 :: max(len(returns) // 700, 7)][:42]
    for n, i in enumerate(picks):
        kind = n % 7
        if kind == 0:
            returns.loc[i, "pi_id"] = "X" + returns.loc[i, "pi_id"]  # not in the register
        elif kind == 1:
            returns.loc[i, "stated_period"] = latest  # wrong period (or a duplicate)
        elif kind == 2:
            returns.loc[i, "value"] = None  # no value
        elif kind == 3:
            returns.loc[i, "note"] = "n/a"  # placeholder note
        elif kind == 4:
            returns.loc[i, "status"] = "provisional"  # after the window closed
        elif kind == 5:
            returns.loc[i, "submitted_at"] = datetime(2030, 1, 1)  # late
        else:
            returns.loc[i, "value"] = -5.0  # below zero
    return returns


def _by_rule(validations: list) -> dict[str, set]:
    """What GX found, in `pandas_rules`' shape, to show both found the same rows."""
    out: dict[str, set] = {}
    for result in (r for v in validations for r in v.results if not r.success):
        rule = result.expectation_config.meta["rule"]
        out[rule] = out.get(rule, set()) | set(result.result["unexpected_index_list"])
    return out


def gx_versus_pandas(rows: int, repeats: int) -> float:
    """Time the GX suite against the same rules in pandas on `rows` returns (warm, best of n)."""
    import pandas as pd

    from pm_pipeline.defs.quality import evaluate as ev

    candidates, indicators, quarters = synthetic_returns(rows)
    history = pd.DataFrame(columns=["pi_id", "period", "value"])
    as_of = date(2026, 11, 23)
    context = ev.gx_context()
    timings: dict[str, list[float]] = {"gx": [], "pandas": [], "frame": []}
    for _ in range(repeats + 1):  # the first round warms GX up and is not counted
        t = time.perf_counter()
        frame = ev.validation_frame(candidates, indicators, history, as_of)
        owed = ev.due_returns(frame, indicators, quarters)
        timings["frame"].append(time.perf_counter() - t)
        t = time.perf_counter()
        failed = ev.run_suite(frame, owed, context)
        timings["gx"].append(time.perf_counter() - t)
        t = time.perf_counter()
        found = pandas_rules(frame, indicators, quarters)
        timings["pandas"].append(time.perf_counter() - t)
        assert _by_rule(failed) == {k: v for k, v in found.items() if v}, "GX and pandas differ"
    frame_s, gx, pd_ = (min(timings[k][1:]) for k in ("frame", "gx", "pandas"))
    print(
        f"rules on {len(candidates):,} returns ({len(quarters)} quarters × "
        f"{len(indicators):,} PIs), best of {repeats}"
    )
    print(f"  building the validation frame (shared):   {frame_s:6.2f} s")
    print(f"  Great Expectations suite:                 {gx:6.2f} s")
    print(f"  the same rules in plain pandas:           {pd_:6.2f} s")
    print(f"  ratio GX / pandas, rules alone:           {gx / pd_:6.1f} ×  (goal ≤ {GOAL:g} ×)")
    print(f"  ratio with the derived columns both need: {(frame_s + gx) / (frame_s + pd_):6.1f} ×")
    return gx / pd_


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a few seconds' worth, for CI")
    parser.add_argument("--rows", type=int, default=100_000, help="returns for GX vs pandas")
    args = parser.parse_args(argv)
    rows, repeats, loads = (2_000, 1, 1) if args.tiny else (args.rows, 5, 5)
    seconds, imported = load_time(loads)
    print(
        f"code-location load (import pm_pipeline.definitions, median of {loads}): {seconds:.2f} s"
    )
    print(f"Great Expectations imported at load: {'YES — fix this' if imported else 'no'}")
    rules_time(REPO / "data", warm_runs=1 if args.tiny else 5)
    gx_versus_pandas(rows, repeats)
    return 1 if imported else 0


if __name__ == "__main__":
    sys.exit(main())
