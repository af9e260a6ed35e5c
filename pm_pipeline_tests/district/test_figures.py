"""How a figure is taken as it stood on a date and placed among similar councils."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pm_pipeline.core.periods import Half
from pm_pipeline.defs.district.figures import (
    BEST,
    HIGHEST,
    MOST_DEPRIVED,
    Figure,
    compare,
    format_figure,
    position_text,
    series,
)
from pm_pipeline.defs.district.inputs import report_date

PEERS = ("E07000170", "E07000171", "E07000172")


def rows(
    values: dict[tuple[str, str], float],
    measure: str = "m",
    category: str = "Total",
    ends: dict[str, date] | None = None,
) -> pd.DataFrame:
    ends = ends or {}
    return pd.DataFrame(
        [
            {
                "source": "Test",
                "dataset": "D",
                "measure": measure,
                "category": category,
                "area_code": code,
                "area_name": code,
                "period": period,
                "period_end": ends.get(period, date(int(period), 3, 31)),
                "available_from": ends.get(period, date(int(period), 3, 31)),
                "value": value,
                "unit": "count",
                "note": None,
                "source_file": "f.csv",
            }
            for (code, period), value in values.items()
        ]
    )


def test_position_follows_design_rule_with_shared_ranks_and_quartiles() -> None:
    figure = Figure("k", "Rate", "D", "m", polarity="higher_is_better", order=BEST)
    data = series(
        rows(
            {
                ("E07000999", "2025"): 70.0,
                ("E07000170", "2025"): 75.0,
                ("E07000171", "2025"): 70.0,
                ("E07000172", "2025"): 60.0,
            }
        ),
        figure,
    )
    result = compare(data, figure, date(2026, 1, 1), "E07000999", PEERS, "E12000004")
    assert (result.rank, result.count, result.quartile, result.median) == (2, 4, 2, 70.0)
    assert position_text(result) == "2nd best of 4 (second quartile)"


def test_neutral_figures_rank_by_size_and_deprivation_by_most_deprived() -> None:
    values = {
        ("E07000999", "2025"): 5.0,
        ("E07000170", "2025"): 12.0,
        ("E07000171", "2025"): 0.0,
        ("E07000172", "2025"): 2.0,
    }
    neutral = Figure("k", "Share", "D", "m", order=HIGHEST)
    deprived = Figure("d", "Deprived", "D", "m", polarity="lower_is_better", order=MOST_DEPRIVED)
    rank = Figure(
        "r",
        "Rank",
        "D",
        "m",
        unit="rank",
        polarity="higher_is_better",
        order=MOST_DEPRIVED,
        decimals=0,
    )
    for figure, expected in ((neutral, "2nd highest of 4"), (deprived, "2nd most deprived of 4")):
        data = series(rows(values), figure)
        result = compare(data, figure, date(2026, 1, 1), "E07000999", PEERS, "E12000004")
        assert position_text(result) == expected
    ranks = {
        ("E07000999", "2025"): 80,
        ("E07000170", "2025"): 40,
        ("E07000171", "2025"): 250,
        ("E07000172", "2025"): 150,
    }
    result = compare(series(rows(ranks), rank), rank, date(2026, 1, 1), "E07000999", PEERS, "x")
    assert position_text(result) == "2nd most deprived of 4"
    assert format_figure(rank, 80, 317) == "80th of 317"


def test_as_of_takes_the_release_published_by_then_and_its_previous_one() -> None:
    figure = Figure("k", "Count", "D", "m", unit="count", decimals=0)
    data = series(
        rows(
            {
                ("E07000999", "2024"): 100.0,
                ("E07000999", "2025"): 110.0,
                ("E07000170", "2025"): 90.0,
            }
        ),
        figure,
    )
    before = compare(data, figure, date(2025, 1, 1), "E07000999", PEERS, "E12000004")
    after = compare(data, figure, date(2025, 6, 1), "E07000999", PEERS, "E12000004")
    assert (before.period, before.previous_period) == ("2024", None)
    assert (after.period, after.value, after.previous_period, after.previous_value) == (
        "2025",
        110.0,
        "2024",
        100.0,
    )
    assert after.peers == {"E07000170": 90.0}


def test_change_figures_and_percentages_of_categories() -> None:
    change = Figure("c", "Change", "D", "m", change=True)
    data = series(rows({("E07000999", "2024"): 100.0, ("E07000999", "2025"): 101.0}), change)
    latest = compare(data, change, date(2026, 1, 1), "E07000999", PEERS, "E12000004")
    assert format_figure(change, latest.value) == "+1.0%"
    parts = pd.concat(
        [
            rows({("E07000999", "2025"): 40.0}, category="Total"),
            rows({("E07000999", "2025"): 26.0}, category="Owned"),
        ]
    )
    share = Figure("s", "Share", "D", "m", ("Owned",), ("Total",))
    assert series(parts, share)["value"].tolist() == [65.0]
    missing = Figure("x", "Missing", "D", "m", ("Rented",), ("Total",))
    assert series(parts, missing).empty


def test_report_runs_at_the_end_of_the_month_after_the_half() -> None:
    assert report_date(Half(2026, 1)) == date(2026, 10, 31)
    assert report_date(Half(2025, 2)) == date(2026, 4, 30)
