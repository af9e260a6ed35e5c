"""Which figure the monthly reports show for a PI (issue 28): a monthly PI's latest month from
pi_monthly_returns, with its direction on last month and an SPC reading once it has 15 months;
any other PI its latest quarter ended by the month's end that has a scorecard.

Read from a real DuckDB warehouse holding the register and the tables the view reads (the
monthly returns table is written as issue 28's monthly intake writes it)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Month, Quarter
from pm_pipeline.core.warehouse import replace_rows
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.store import read_register, write_register
from pm_pipeline.defs.reports.monthly import PI_MONTHLY_RETURNS, month_picture, quarter_as_at
from pm_pipeline.defs.scorecard.tables import KPI_SCORECARD
from pm_pipeline_tests.council import Council, pi

SEPTEMBER = Month(2026, 9)


def months_to(last: Month, n: int) -> list[Month]:
    out = [last]
    while len(out) < n:
        out.append(out[-1].previous)
    return out[::-1]


def warehouse(data_dir, monthly: dict[str, list[float]]) -> duckdb.DuckDBPyConnection:
    """The register (CALLS and SHORT returned monthly, QTR quarterly) and QTR's 2026/27 Q1
    scorecard row; `monthly` gives each monthly PI's figures up to September 2026."""
    Council(
        data_dir,
        indicators=[
            {**pi("CALLS", "Calls answered in 60 seconds"), "scorecard_section": "customers"},
            pi("SHORT", "A PI with a short history"),
            pi("QTR", "A quarterly PI"),
        ],
        targets=[("CALLS", "2026/27", 80, ""), ("QTR", "2026/27", 50, "")],
    ).write()
    register = load_register(data_dir / "config")
    conn = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    write_register(conn, register)
    rows = [
        {"period": m.key, "pi_id": pid, "value": v, "status": "final", "note": "n"}
        for pid, values in monthly.items()
        for m, v in zip(months_to(SEPTEMBER, len(values)), values, strict=True)
    ]
    replace_rows(conn, PI_MONTHLY_RETURNS, pd.DataFrame(rows))
    q1 = Quarter(2026, 1)
    replace_rows(
        conn,
        KPI_SCORECARD,
        pd.DataFrame(
            [
                {
                    "period": q1.key,
                    "period_label": q1.label,
                    "pi_id": "QTR",
                    "value": 47.0,
                    "target": 50.0,
                    "rag": "AMBER",
                    "direction_vs_previous": "WORSENING",
                    "variation": "none: only 4 quarters of history; SPC needs 15",
                    "assurance": "none: only 4 quarters of history; SPC needs 15",
                }
            ]
        ),
    )
    return conn


def entries(conn: duckdb.DuckDBPyConnection, month: Month) -> dict[str, dict]:
    picture = month_picture(conn, month, read_register(conn))
    return {e["pi_id"]: e for e in picture.entries}


def test_a_monthly_pi_shows_its_latest_month_with_direction_and_spc(data_dir):
    calls = [78.0 + (i % 3) for i in range(15)] + [85.5]  # 16 months, the last a jump
    with warehouse(data_dir, {"CALLS": calls, "SHORT": [60.0] * 5}) as conn:
        shown = entries(conn, SEPTEMBER)
    assert shown["CALLS"]["period_label"] == "September 2026"
    assert shown["CALLS"]["value_text"] == "85.5%"
    assert shown["CALLS"]["direction"] == "IMPROVING"  # 80.0 in August: 5.5 points up
    assert shown["CALLS"]["compared"] == "on last month"
    assert shown["CALLS"]["rag"] == "GREEN" and shown["CALLS"]["section"] == "customers"
    assert shown["CALLS"]["variation"] == "improving special cause"  # beyond its limits
    assert shown["SHORT"]["spc_reason"] == "Only 5 months of history; SPC needs 15."


def test_a_quarterly_pi_shows_the_latest_quarter_ended_by_the_months_end(data_dir):
    with warehouse(data_dir, {}) as conn:
        # 2026/27 Q2 has no scorecard yet: September shows Q1's, as August and June do
        for month in (SEPTEMBER, Month(2026, 8), Month(2026, 6)):
            qtr = entries(conn, month)["QTR"]
            assert (qtr["period_label"], qtr["value_text"], qtr["rag"]) == (
                "2026/27 Q1",
                "47.0%",
                "AMBER",
            ), month
            assert qtr["compared"] == "on last quarter"
        # in May the latest quarter ended is 2025/26 Q4, which has no scorecard
        assert "QTR" not in entries(conn, Month(2026, 5))
    assert quarter_as_at(SEPTEMBER) == Quarter(2026, 2)
    assert quarter_as_at(Month(2026, 8)) == Quarter(2026, 1)
