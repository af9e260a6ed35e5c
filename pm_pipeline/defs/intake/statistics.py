"""Official statistics in the returns (docs/contracts.md, "Official statistics").

A PI whose register row says `statistic_use: taken` owes no return: its accepted figure for a
period is the published statistic (read from `district_context`, which the State of the
District reads too), labelled with its source in `note`, `submitted_by` and `source_file`. A PI
that says `checked` is returned by its owner as usual and compared with the published figure;
a difference at the PI's decimals is a `statistic_agrees` warning naming the PI, the period,
both values and what to do. So no report prints two values for one fact.

The figure for a period is the latest release whose own period ends within the PI's period (a
financial year for an annual PI, the quarter for a quarterly one): mid-2025's population is
2025/26's, the APS year to March 2026 is 2025/26's employment rate.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.register.statistics import OFFICIAL_STATISTICS, OfficialStatistic
from pm_pipeline.render.wording import format_value

RULE = "statistic_agrees"
SOURCE_TABLE = "district_context"  # written by the district_context asset
STATISTIC_COLUMNS = [
    "dataset",
    "measure",
    "category",
    "period",
    "period_end",
    "value",
    "source",
    "source_file",
]


def read_statistics(conn: duckdb.DuckDBPyConnection, area_code: str) -> pd.DataFrame:
    """The council's rows of every statistic a PI may name (none before the reference files
    have been read: a taken PI then has no figure and says why)."""
    datasets = sorted({s.dataset for s in OFFICIAL_STATISTICS.values()})
    marks = ", ".join("?" for _ in datasets)
    try:
        frame = conn.execute(
            f"SELECT {', '.join(STATISTIC_COLUMNS)} FROM {SOURCE_TABLE} "
            f"WHERE area_code = ? AND dataset IN ({marks})",
            [area_code, *datasets],
        ).df()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=STATISTIC_COLUMNS)
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.date
    return frame


def _window(pi: dict, quarter: Quarter) -> tuple[date, date]:
    """The dates a PI's figure for `quarter` describes: the year for an annual PI."""
    start = quarter.financial_year.start if pi["frequency"] == "annual" else quarter.start
    return start, quarter.end


def published(
    statistics: pd.DataFrame, statistic: OfficialStatistic, start: date, end: date
) -> dict | None:
    """The latest release of `statistic` whose period ends between `start` and `end`: its
    period, value, source and file. (Only the rate is taken: a publisher's rounded numerator
    and denominator need not give the published rate back.)"""
    if statistics.empty:
        return None
    own = statistics[
        (statistics["dataset"] == statistic.dataset)
        & (statistics["measure"] == statistic.measure)
        & (statistics["category"] == statistic.category)
        & statistics["value"].notna()
        & statistics["period_end"].map(lambda d: start <= d <= end)
    ]
    if own.empty:
        return None
    latest = own.sort_values("period_end").iloc[-1]
    return {
        "period": str(latest["period"]),
        "value": float(latest["value"]),
        "source": str(latest["source"]),
        "source_file": str(latest["source_file"]),
    }


def _label(figure: dict) -> str:
    return (
        f"Taken from {figure['source']}, {figure['period']}: no return is owed for this indicator."
    )


def _differing(returned: pd.DataFrame, published: float, decimals: int) -> list[dict]:
    """The returned rows whose figure is not the published one at the PI's decimals."""
    return [
        row
        for row in returned.to_dict("records")
        if not is_missing(row["value"])
        and round(row["value"], decimals) != round(published, decimals)
    ]


def apply_statistics(
    accepted: pd.DataFrame,
    indicators: pd.DataFrame,
    quarter: Quarter,
    statistics: pd.DataFrame,
) -> tuple[pd.DataFrame, list[Issue]]:
    """The quarter's accepted returns with taken PIs' figures from their source, and the
    `statistic_agrees` issues (a checked figure that differs, a taken one with no release, an
    owner's figure for a taken PI that differs and is not used)."""
    if "statistic_use" not in indicators:
        return accepted, []
    declared = indicators[indicators["statistic_use"].isin(("taken", "checked"))]
    due = declared[(declared["frequency"] == "quarterly") | (quarter.q == 4)]
    issues: list[Issue] = []
    taken_rows: list[dict] = []
    drop: list[object] = []
    for pi in due.to_dict("records"):
        statistic = OFFICIAL_STATISTICS[pi["statistic"]]
        figure = published(statistics, statistic, *_window(pi, quarter))
        decimals = int(pi["decimals"])
        returned = accepted[accepted["pi_id"] == pi["pi_id"]]

        def shown(value: float | None, pi: dict = pi) -> str:
            return format_value(value, pi["unit"], int(pi["decimals"]))

        if pi["statistic_use"] == "taken":
            drop += list(returned.index)
            if figure is None:
                issues.append(
                    Issue(
                        RULE,
                        pi["pi_id"],
                        None,
                        None,
                        None,
                        f"{pi['pi_id']} is taken from {statistic.source}, which has no figure "
                        f"for {quarter.financial_year.label if pi['frequency'] == 'annual' else quarter.label} "
                        "in reference/ — add the release to reference/ and run district_context; "
                        "until then the indicator has no figure",
                        owner=pi["owner"],
                        period=quarter.key,
                    )
                )
                continue
            for row in _differing(returned, figure["value"], decimals):
                issues.append(
                    Issue(
                        RULE,
                        pi["pi_id"],
                        row["source_file"],
                        row["source_row"],
                        shown(row["value"]),
                        f"{pi['pi_id']} {quarter.label}: the return gives {shown(row['value'])} "
                        f"but the indicator is taken from {statistic.source} "
                        f"({shown(figure['value'])}, {figure['period']}), so the return is not "
                        "used — delete the row from the file",
                        owner=pi["owner"],
                        period=quarter.key,
                    )
                )
            taken_rows.append(
                {
                    "period": quarter.key,
                    "pi_id": pi["pi_id"],
                    "value": round(figure["value"], decimals),
                    "numerator": None,
                    "denominator": None,
                    "status": "final",
                    "note": _label(figure),
                    "submitted_by": figure["source"],
                    "submitted_at": pd.NaT,
                    "source_file": f"reference/{figure['source_file']}",
                    "source_row": None,
                    "file_sha256": None,
                    "version": 1,
                }
            )
            continue
        if figure is None:
            continue
        for row in _differing(returned, figure["value"], decimals):
            issues.append(
                Issue(
                    RULE,
                    pi["pi_id"],
                    row["source_file"],
                    row["source_row"],
                    shown(row["value"]),
                    f"{pi['pi_id']} {quarter.label}: the return gives {shown(row['value'])} but "
                    f"{statistic.source} gives {shown(figure['value'])} for {figure['period']} "
                    f"(reference/{figure['source_file']}) — correct the return to the published "
                    "figure; if the return is right (a newer release), put that release in "
                    "reference/ and run district_context; to use the published figure without a "
                    "return, set statistic_use to taken in indicators.csv",
                    owner=pi["owner"],
                    period=quarter.key,
                )
            )
    kept = accepted.drop(index=drop)
    if taken_rows:
        kept = pd.concat([kept, pd.DataFrame(taken_rows)], ignore_index=True)
    return kept, issues
