"""The council's own outturn against its own LG Inform value for the same PI and year
(docs/contracts.md, "quality_issues": `outturn_matches_lginform`).

LG Inform publishes what the council itself submitted to the statutory returns (WasteDataFlow,
PS1/PS2, CTR and so on), so a year's outturn worked out from the council's quarterly returns
should match it. A gap beyond the data team's tolerance (council.yaml `reconcile_points` for
percentages, in percentage points; `reconcile_pct` for everything else, relative) means one
of the two is wrong: a quarter restated and not resubmitted, a different definition, or the
wrong measure in the register. The check warns; it never stops a report.

Each quarter's scorecard step checks the financial year that ended in the 12 months to the
quarter's end (the year itself at Q4, the year before at Q1-Q3), so a discrepancy stays on the
quarter's list until LG Inform and the returns agree, and no older year is rechecked forever.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pm_pipeline.core.measures import combine, is_rolling, parts_for, quarters_of
from pm_pipeline.core.periods import FinancialYear, Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.register.model import Council
from pm_pipeline.render.wording import format_value

RULE = "outturn_matches_lginform"


def year_checked(quarter: Quarter) -> FinancialYear:
    """The financial year a quarter's check covers: the one that ended in the 12 months to
    the quarter's end."""
    year = quarter.financial_year
    return year if quarter.q == 4 else year.previous


def gap(outturn: float, published: float, unit: str, council: Council) -> tuple[bool, str]:
    """Whether two figures disagree beyond the tolerance (percentage points for a percentage,
    else relative to the published figure), and the gap as the team reads it."""
    if unit == "percent":
        points = abs(outturn - published)
        return points > council.reconcile_points + 1e-9, (
            f"{points:.1f} percentage points apart (tolerance {council.reconcile_points:g})"
        )
    base = abs(published) or abs(outturn)
    relative = 0.0 if not base else abs(outturn - published) / base * 100
    return relative > council.reconcile_pct + 1e-9, (
        f"{relative:.1f}% apart (tolerance {council.reconcile_pct:g}%)"
    )


def reconcile(
    indicators: pd.DataFrame,
    returns: Mapping[tuple[str, str], object],
    benchmarks: pd.DataFrame,
    council: Council,
    quarter: Quarter,
) -> list[Issue]:
    """One issue per PI mapped to an LG Inform metric whose outturn for the year checked
    differs from the council's own LG Inform value beyond the tolerance. `returns` are
    pi_returns rows keyed (period, pi_id); `benchmarks` the long table's rows."""
    year = year_checked(quarter)
    own = benchmarks[
        (benchmarks["source"] == "lginform")
        & (benchmarks["area_code"] == council.area_code)
        & (pd.to_datetime(benchmarks["period_start"]).dt.date == year.start)
        & (pd.to_datetime(benchmarks["period_end"]).dt.date == year.end)
        & benchmarks["value"].notna()
    ]
    published = dict(zip(own["metric_id"], own["value"], strict=True))
    issues = []
    for pi in indicators.to_dict("records"):
        metric = pi.get("lginform_metric")
        if not isinstance(metric, str) or metric not in published:
            continue
        figure = combine(
            pi.get("measure"),
            pi["unit"],
            parts_for(returns, pi["pi_id"], quarters_of(pi, year.quarters)),
            is_rolling(pi),
        )
        if figure.value is None or is_missing(figure.value):
            continue  # no outturn: the returns' own rules say why
        theirs = float(published[metric])
        differs, apart = gap(figure.value, theirs, pi["unit"], council)
        if not differs:
            continue
        fmt = lambda v, _pi=pi: format_value(v, _pi["unit"], int(_pi["decimals"]))  # noqa: E731
        issues.append(
            Issue(
                RULE,
                pi["pi_id"],
                f"LG Inform metric {metric}",
                None,
                f"{fmt(figure.value)} vs {fmt(theirs)}",
                f"{pi['pi_id']} ({pi['title']}) {year.label}: the council's own outturn is "
                f"{fmt(figure.value)} ({figure.how}) but its own LG Inform value (metric "
                f"{metric}) is {fmt(theirs)}, {apart} — check the quarters' returns against "
                "what was submitted to the statutory return, any restated quarter, and the "
                "PI's measure in indicators.csv; correct whichever is wrong",
                owner=pi.get("owner") if isinstance(pi.get("owner"), str) else None,
                period=quarter.key,
            )
        )
    return issues
