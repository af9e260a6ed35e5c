"""The annual performance report: each PI's outturn for the year against its target.

KPIs are reported every three months and annually. The outturn of a quarterly PI is, by
default, the year-end (Q4) figure, or the sum of the four quarters for counts and money, which
is then judged against four times the quarterly target; a register may say otherwise with the
optional `annual_outturn` column (`latest`, `sum`, `mean`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd

from pm_pipeline.core.periods import FinancialYear
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table, where_in
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.reports.plan_sections import annual_plan_view
from pm_pipeline.defs.scorecard import rules
from pm_pipeline.defs.scorecard.rules import EXCEPTION_TEXT
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD
from pm_pipeline.render.pages import is_sample, publish, sample_label
from pm_pipeline.render.spreadsheet import Sheet
from pm_pipeline.render.wording import direction_label, format_value, rag_label

SUMMED_UNITS = frozenset({"count", "gbp"})


def outturn_method(pi: dict) -> str:
    chosen = pi.get("annual_outturn")
    if isinstance(chosen, str) and chosen:
        return chosen
    if pi["frequency"] == "annual":
        return "latest"
    return "sum" if pi["unit"] in SUMMED_UNITS else "latest"


def outturn(values: list[float | None], method: str) -> float | None:
    """The year's figure from its quarters (oldest first); a sum needs all four quarters."""
    present = [v for v in values if not is_missing(v)]
    if method == "sum":
        return sum(present) if len(present) == len(values) else None
    if method == "mean":
        return sum(present) / len(present) if present else None
    return None if is_missing(values[-1]) else values[-1]


def annual_view(conn: duckdb.DuckDBPyConnection, year: FinancialYear, register: Register) -> dict:
    """Everything the annual report shows, as plain data."""
    keys = [q.key for q in year.previous.quarters + year.quarters]
    returns = read_table(conn, PI_RETURNS, *where_in("period", keys))
    values = {(r.period, r.pi_id): r.value for r in returns.itertuples()}
    q4 = year.quarters[-1]
    scorecard = read_table(conn, KPI_SCORECARD, "period = ?", [q4.key]).set_index("pi_id")
    year_keys = [q.key for q in year.quarters]
    exceptions = read_table(conn, KPI_EXCEPTIONS, *where_in("period", year_keys))
    targets = {
        (r.pi_id, r.financial_year): (r.target, r.amber_threshold)
        for r in register.targets.itertuples()
    }
    council = register.council
    rows = []
    for pi in register.indicators.to_dict("records"):
        method = outturn_method(pi)
        quarters = year.quarters if pi["frequency"] == "quarterly" else [q4]
        this = [values.get((q.key, pi["pi_id"])) for q in quarters]
        last = [values.get((q.key, pi["pi_id"])) for q in year.previous.quarters]
        last = last if pi["frequency"] == "quarterly" else last[-1:]
        value, before = outturn(this, method), outturn(last, method)
        target, amber = targets.get((pi["pi_id"], year.label), (None, None))
        if method == "sum":  # targets are per quarter: a year's total is judged against four
            target = None if is_missing(target) else target * len(quarters)
            amber = None if is_missing(amber) else amber * len(quarters)
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
                "method": method,
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
            "rows": [r for r in rows if r["theme"] == theme and r["frequency"] == "quarterly"],
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
        "plan": annual_plan_view(conn, year),
    }


def summary_sentence(view: dict) -> str:
    rag, dot = view["rag_counts"], view["direction_counts"]
    scored = rag["GREEN"] + rag["AMBER"] + rag["RED"]
    return (
        f"In {view['year'].label}, {rag['GREEN']} of the {scored} indicators with a target met "
        f"it, {rag['AMBER']} came close and {rag['RED']} missed it. Against the year before, "
        f"{dot['IMPROVING']} improved, {dot['WORSENING']} got worse and {dot['STABLE']} held "
        f"steady; {len(view['exception_rows'])} indicators were exceptions during the year."
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
                "Outturn": r["value"],
                "How the outturn is worked out": r["method"],
                "Target": r["target"],
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
