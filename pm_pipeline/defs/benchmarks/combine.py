"""The long `benchmarks` table (docs/contracts.md, "Benchmarks") from both sources, and the
rules its checks apply.

Pure functions over DataFrames, so the asset and its checks stay thin and the rules can be
tested on hand-made tables.
"""

from __future__ import annotations

import pandas as pd

from pm_pipeline.defs.benchmarks.areas import area_code_problem
from pm_pipeline.defs.benchmarks.refresh import metrics_wanted
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.register.model import Register

KEY = ["source", "metric_id", "area_code", "period_label"]
SOURCE_COLUMNS = {"lginform": "lginform_metric", "oflog": "oflog_metric"}


def empty_table() -> pd.DataFrame:
    return pd.DataFrame(columns=BENCHMARKS.column_names)


def combine(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (source, metric, area, period), the later row winning; and the rows dropped.

    "Later" is the order of `frames` and, within a source, of its files (sorted by name), so
    a corrected Oflog file named after the original replaces its rows.
    """
    parts = [BENCHMARKS.conform(f) for f in frames if not f.empty]
    if not parts:
        return empty_table(), empty_table()
    rows = pd.concat(parts, ignore_index=True)
    repeated = rows.duplicated(subset=KEY, keep="last")
    table = rows[~repeated].sort_values([*KEY]).reset_index(drop=True)
    return table, rows[repeated].reset_index(drop=True)


def conflicting(table: pd.DataFrame, dropped: pd.DataFrame) -> int:
    """How many dropped duplicates carried a value different from the row kept."""
    if dropped.empty:
        return 0
    merged = dropped.merge(table, on=KEY, suffixes=("_dropped", "_kept"))
    a, b = merged["value_dropped"], merged["value_kept"]
    same = (a == b) | (a.isna() & b.isna())
    return int((~same).sum())


def source_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per source: metrics, areas, periods, rows and missing values."""
    if table.empty:
        return pd.DataFrame(columns=["source", "metrics", "areas", "periods", "rows", "missing"])
    return (
        table.groupby("source")
        .agg(
            metrics=("metric_id", "nunique"),
            areas=("area_code", "nunique"),
            first=("period_label", "min"),
            last=("period_label", "max"),
            rows=("value", "size"),
            missing=("value", lambda v: int(v.isna().sum())),
        )
        .reset_index()
        .assign(periods=lambda f: f["first"] + " to " + f["last"])[
            ["source", "metrics", "areas", "periods", "rows", "missing"]
        ]
    )


def bad_area_codes(table: pd.DataFrame) -> pd.DataFrame:
    """Each distinct area code that is not a council, region or country GSS code, and why."""
    codes = table[["source", "metric_id", "area_code", "area_name"]].drop_duplicates("area_code")
    problems = codes["area_code"].map(area_code_problem)
    return codes.assign(problem=problems)[problems.notna()].reset_index(drop=True)


def duplicate_keys(table: pd.DataFrame) -> pd.DataFrame:
    """Keys that appear more than once, with how often."""
    counts = table.groupby(KEY, dropna=False).size().rename("rows").reset_index()
    return counts[counts["rows"] > 1].reset_index(drop=True)


def coverage(table: pd.DataFrame, register: Register) -> pd.DataFrame:
    """Per benchmarked metric: is this council there, and at least half its comparators?

    Judged in the latest period for which the council has a value: the period the scorecard
    would rank it in.
    """
    council = register.council.area_code
    peers = set(register.comparators["area_code"])
    rows = []
    valued = table[table["value"].notna() & table["area_code"].isin(peers | {council})]
    by_metric = dict(tuple(valued.groupby(["source", "metric_id"])))
    for source, column in SOURCE_COLUMNS.items():
        for wanted in metrics_wanted(register.indicators, column):
            series = by_metric.get((source, wanted.metric_id), valued.iloc[0:0])
            own = series[series["area_code"] == council]
            row = {
                "source": source,
                "metric": wanted.metric_id,
                "PIs": ", ".join(wanted.pi_ids),
                "period": "",
                "council": "no",
                "comparators": f"0 of {len(peers)}",
            }
            problem: str | None
            if own.empty:
                problem = (
                    f"no value for {register.council.name} ({council}) in any period"
                    if not series.empty
                    else "no figures at all for this metric"
                )
            else:
                latest = own.loc[pd.to_datetime(own["period_end"]).idxmax()]
                present = series[
                    (series["period_label"] == latest["period_label"])
                    & series["area_code"].isin(peers)
                ]["area_code"].nunique()
                row.update(
                    period=latest["period_label"],
                    council="yes",
                    comparators=f"{present} of {len(peers)}",
                )
                problem = (
                    None
                    if 2 * present >= len(peers)
                    else f"only {present} of {len(peers)} comparators have a value"
                )
            rows.append({**row, "ok": problem is None, "problem": problem or ""})
    return pd.DataFrame(
        rows,
        columns=["source", "metric", "PIs", "period", "council", "comparators", "ok", "problem"],
    )
