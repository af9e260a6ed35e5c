"""The annual performance report: each PI's outturn for the year against its target.

KPIs are reported every three months and annually. A PI's outturn for the year is worked
out from its measure (docs/contracts.md, "Annual outturn"; `core.measures.combine`): the
sum of the quarters for a flow, the year-end figure for a stock, a cumulative or a rolling PI,
Σnumerators / Σdenominators for a ratio, the (weighted) mean for an average. It is judged
against the annual target where targets.csv gives one, else the quarterly target (four times
it for a flow's total).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd

from pm_pipeline.core.measures import (
    Targets,
    combine,
    is_rolling,
    parts_for,
    quarters_of,
)
from pm_pipeline.core.periods import FinancialYear
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table, where_in
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.reports.plan_sections import annual_plan_view
from pm_pipeline.defs.scorecard import rules
from pm_pipeline.defs.scorecard.rules import EXCEPTION_TEXT
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD
from pm_pipeline.render.pages import is_sample, publish, sample_label
from pm_pipeline.render.spreadsheet import Sheet
from pm_pipeline.render.wording import direction_label, format_value, rag_label


def _rounded(value: float | None, pi: dict) -> float | None:
    """A worked-out year at the PI's own decimals, as every quarter's figure is returned."""
    return None if value is None else round(value, int(pi["decimals"]))


def annual_view(conn: duckdb.DuckDBPyConnection, year: FinancialYear, register: Register) -> dict:
    """Everything the annual report shows, as plain data."""
    keys = [q.key for q in year.previous.quarters + year.quarters]
    returns = read_table(conn, PI_RETURNS, *where_in("period", keys))
    returned = {(r.period, r.pi_id): r for r in returns.itertuples()}
    q4 = year.quarters[-1]
    scorecard = read_table(conn, KPI_SCORECARD, "period = ?", [q4.key]).set_index("pi_id")
    year_keys = [q.key for q in year.quarters]
    exceptions = read_table(conn, KPI_EXCEPTIONS, *where_in("period", year_keys))
    targets = Targets(register.targets)
    council = register.council
    rows = []
    for pi in register.indicators.to_dict("records"):
        quarters = quarters_of(pi, year.quarters)
        this_parts = parts_for(returned, pi["pi_id"], quarters)
        last_parts = parts_for(returned, pi["pi_id"], quarters_of(pi, year.previous.quarters))
        this = [p.value if p else None for p in this_parts]
        figure = combine(pi["measure"], pi["unit"], this_parts, is_rolling(pi))
        value = _rounded(figure.value, pi)
        before = _rounded(combine(pi["measure"], pi["unit"], last_parts, is_rolling(pi)).value, pi)
        goal = targets.to_date(pi, year.label)
        target, amber = goal.value, goal.amber
        rag = rules.rag(
            value,
            target,
            pi["polarity"],
            pi["type"],
            int(pi["decimals"]),
            council.amber_tolerance_pct,
            None if is_missing(amber) else amber,
        )
        direction = rules.direction(
            value, before, pi["polarity"], int(pi["decimals"]), rules.band_of(pi, council)
        )
        fmt = lambda v, _pi=pi: format_value(v, _pi["unit"], int(_pi["decimals"]))  # noqa: E731
        bench = scorecard.loc[pi["pi_id"]] if pi["pi_id"] in scorecard.index else None
        position = ""
        if bench is not None and not is_missing(bench["rank"]):
            position = (
                f"{int(bench['rank'])} of {int(bench['comparator_count'])} "
                f"(quartile {int(bench['quartile'])}, {bench['benchmark_period']})"
            )
        reasons = sorted(
            {
                EXCEPTION_TEXT.get(e.exception, e.reason)
                for e in exceptions.itertuples()
                if e.pi_id == pi["pi_id"]
            }
        )
        rows.append(
            {
                "pi_id": pi["pi_id"],
                "title": pi["title"],
                "theme": pi["theme"],
                "type": pi["type"],
                "unit": pi["unit"],
                "decimals": int(pi["decimals"]),
                "frequency": pi["frequency"],
                "method": figure.how,
                "measure": pi["measure"],
                "no_value_reason": figure.reason,
                "target_basis": goal.how,
                "quarters": [fmt(v) for v in this],
                "quarter_values": this,
                "value": value,
                "value_text": fmt(value),
                "target": None if is_missing(target) else target,
                "target_text": "" if is_missing(target) else fmt(target),
                "rag": rag,
                "last_year": before,
                "last_year_text": fmt(before),
                "direction": direction,
                "position": position,
                "exceptions": reasons,
            }
        )
    by_theme = [
        {
            "name": theme,
            "rows": [r for r in rows if r["theme"] == theme and r["frequency"] != "annual"],
        }
        for theme in council.themes
    ]
    return {
        "council_name": council.name,
        "sample": is_sample(council.name),
        "year": year,
        "quarter_labels": [f"Q{q.q}" for q in year.quarters],
        "themes": by_theme,
        "annual_rows": [r for r in rows if r["frequency"] == "annual"],
        "exception_rows": [r for r in rows if r["exceptions"]],
        "rag_counts": Counter(r["rag"] for r in rows),
        "direction_counts": Counter(r["direction"] for r in rows),
        "rows": rows,
        "comparator_group": council.comparator_group,
        "plan": annual_plan_view(conn, year, register.names),
    }


def summary_sentence(view: dict) -> str:
    rag, dot = view["rag_counts"], view["direction_counts"]
    scored = rag["GREEN"] + rag["AMBER"] + rag["RED"]
    exceptions = len(view["exception_rows"])
    return (
        f"In {view['year'].label}, {rag['GREEN']} of the {plural(scored, 'indicator')} with a "
        f"target met it, {rag['AMBER']} came close and {rag['RED']} missed it. Against the year "
        f"before, {dot['IMPROVING']} improved, {dot['WORSENING']} got worse and {dot['STABLE']} "
        f"held steady; {plural(exceptions, 'indicator')} "
        f"{plural(exceptions, 'was an exception', 'were exceptions', False)} during the year."
    )


def annual_sheet(view: dict) -> pd.DataFrame:
    out = []
    for r in view["rows"]:
        quarters = dict(zip(view["quarter_labels"], r["quarter_values"], strict=False))
        if r["frequency"] == "annual":
            quarters = {"Q4": r["quarter_values"][-1]}
        out.append(
            {
                "PI": r["pi_id"],
                "Title": r["title"],
                "Theme": r["theme"],
                "Type": r["type"],
                "Frequency": r["frequency"],
                "Unit": r["unit"],
                **{label: quarters.get(label) for label in view["quarter_labels"]},
                "Measure": r["measure"],
                "Outturn": r["value"],
                "How the outturn is worked out": r["method"],
                "Why no outturn": r["no_value_reason"],
                "Target": r["target"],
                "Target basis": r["target_basis"],
                "RAG": rag_label(r["rag"]),
                "Last year": r["last_year"],
                "Direction vs last year": direction_label(r["direction"]),
                "Among similar councils": r["position"],
                "Exceptions in the year": "; ".join(r["exceptions"]),
            }
        )
    return pd.DataFrame(out)


def write_annual_files(folder: Path, view: dict) -> dict[str, Path]:
    view = {**view, "summary": summary_sentence(view)}
    title = f"{view['council_name']} annual performance report {view['year'].label}"
    sheets = [
        Sheet(
            "Outturns",
            annual_sheet(view),
            widths={"Title": 40, "Exceptions in the year": 50},
            intro=[sample_label(title, view["sample"])],
        )
    ]
    return publish(
        folder,
        "annual_performance_report",
        "annual_performance_report.html.j2",
        view,
        title,
        sheets,
    )
