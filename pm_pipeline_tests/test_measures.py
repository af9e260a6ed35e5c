"""A year and a year to date worked out from the measure, on hand-computed years."""

import pandas as pd
import pytest

from pm_pipeline.core.measures import Part, Targets, combine


def parts(*values, nums=None, dens=None) -> list[Part | None]:
    nums = nums or [None] * len(values)
    dens = dens or [None] * len(values)
    return [
        None if v == "none" else Part(f"Q{n + 1}", v, num, den)
        for n, (v, num, den) in enumerate(zip(values, nums, dens, strict=True))
    ]


def test_a_flow_year_is_the_sum_of_its_four_quarters():
    figure = combine("flow", "count", parts(10, 12, 9, 11))
    assert figure.value == 42 and figure.how == "sum of the 4 quarters" and not figure.reason


def test_a_flow_year_needs_every_quarter_and_says_which_is_missing():
    figure = combine("flow", "count", parts(10, None, 9, 11))
    assert figure.value is None
    assert figure.reason == "no figure for Q2: a total needs every quarter"
    assert combine("flow", "count", parts(10, 12)).value == 22  # a year to date at Q2


def test_a_stock_year_is_its_year_end_snapshot_not_the_sum():
    # HS-05's 2025/26 quarters: four snapshots of the housing register, not 9,850 households
    figure = combine("stock", "count", parts(2487, 2445, 2431, 2487))
    assert figure.value == 2487 and figure.how == "the latest figure"
    missing = combine("stock", "count", parts(2487, 2445, 2431, None))
    assert missing.value is None and missing.reason == "no figure for Q4"


def test_a_ratio_year_is_its_numerators_over_its_denominators():
    # recycling: 5,200 of 10,000 t, 5,300/10,000, 4,000/8,000, 3,500/8,000 -> 18,000 / 36,000
    figure = combine(
        "ratio",
        "percent",
        parts(
            52.0, 53.0, 50.0, 43.75, nums=[5200, 5300, 4000, 3500], dens=[10000] * 2 + [8000] * 2
        ),
    )
    assert figure.value == pytest.approx(50.0)  # the mean of the quarters would be 49.69
    assert figure.how == "Σnumerators / Σdenominators of the 4 quarters"


def test_a_ratio_without_its_numerator_cannot_be_worked_out_and_says_why():
    figure = combine(
        "ratio", "percent", parts(83.3, 87.5, 100.0, nums=[10, None, 13], dens=[12, 16, 13])
    )
    assert figure.value is None
    assert figure.reason.startswith("Q2 gave no numerator and denominator")
    assert combine("ratio", "percent", parts(83.3, nums=[10], dens=[12])).value == 83.3  # Q1


def test_a_ratio_whose_returns_give_no_parts_at_all_is_the_labelled_mean_of_its_quarters():
    # a council whose percentage returns carry no numerators: the best figure there is, named
    figure = combine("ratio", "percent", parts(83.3, 87.5, 100.0, 100.0))
    assert figure.value == pytest.approx(92.7)
    assert figure.how == (
        "mean of the 4 quarters (the returns give no numerators and denominators)"
    )
    gap = combine("ratio", "percent", parts(83.3, None, 100.0, 100.0))  # a quarter unreturned
    assert gap.value is None and gap.reason == "no figure for Q2: the mean needs every quarter"


def test_a_rate_keeps_its_own_scale():
    # missed bins per 100,000 collections: 660 of 1.32m and 700 of 1.4m -> 1,360 / 2.72m
    figure = combine(
        "ratio", "rate", parts(50.0, 50.0, nums=[660, 700], dens=[1_320_000, 1_400_000])
    )
    assert figure.value == pytest.approx(50.0)
    per_thousand = combine("ratio", "rate", parts(2.0, 4.0, nums=[20, 60], dens=[10_000, 15_000]))
    assert per_thousand.value == pytest.approx(80 / 25_000 * 1_000)


def test_an_average_is_weighted_by_its_denominators_where_every_quarter_gives_one():
    assert combine("average", "days", parts(20.0, 30.0)).value == 25.0
    weighted = combine("average", "days", parts(20.0, 30.0, nums=[None, None], dens=[300, 100]))
    assert weighted.value == pytest.approx(22.5)
    assert "weighted" in weighted.how
    assert combine("average", "days", parts(20.0, None)).reason == (
        "no figure for Q2: the mean needs every quarter"
    )


def test_cumulative_and_rolling_figures_are_their_latest():
    assert combine("cumulative", "gbp", parts(100.0, 210.0, 330.0, 400.0)).value == 400.0
    rolling = combine("ratio", "percent", parts(96.1, 96.3, 96.2, 96.4), rolling=True)
    assert rolling.value == 96.4 and "12 months" in rolling.how
    assert combine("flow", "count", parts(5, 6, 7, 8), rolling=True).value == 8


def test_an_annual_pi_is_its_one_return():
    assert combine("flow", "count", parts(3600)).value == 3600
    assert combine("ratio", "percent", parts(74.6)).value == 74.6


def targets(*rows) -> Targets:
    return Targets(
        pd.DataFrame(
            rows, columns=["pi_id", "financial_year", "target", "amber_threshold", "period"]
        )
    )


FLOW = {"pi_id": "F", "measure": "flow", "frequency": "quarterly", "rolling": False}
RATIO = {"pi_id": "R", "measure": "ratio", "frequency": "quarterly", "rolling": False}


def test_a_flows_year_is_judged_against_four_quarters_only_without_an_annual_target():
    quarterly = targets(("F", "2025/26", 11.0, 10.0, "quarter"))
    assert quarterly.to_date(FLOW, "2025/26").value == 44
    assert quarterly.to_date(FLOW, "2025/26").amber == 40
    assert quarterly.to_date(FLOW, "2025/26", 2).value == 22  # the year to date at Q2
    both = targets(("F", "2025/26", 11.0, None, "quarter"), ("F", "2025/26", 40.0, None, "year"))
    assert both.to_date(FLOW, "2025/26").value == 40
    assert both.to_date(FLOW, "2025/26", 2).value == 20
    assert both.quarter(FLOW, "2025/26").value == 11
    yearly = targets(("F", "2025/26", 40.0, None, "year"))
    assert yearly.quarter(FLOW, "2025/26").value == 10  # a quarter of the annual total


def test_a_ratios_year_is_judged_against_the_same_level_never_four_times_it():
    quarterly = targets(("R", "2025/26", 50.0, None, "quarter"))
    assert quarterly.to_date(RATIO, "2025/26").value == 50
    annual = targets(("R", "2025/26", 50.0, None, "quarter"), ("R", "2025/26", 48.0, None, "year"))
    assert annual.to_date(RATIO, "2025/26").value == 48
    assert annual.to_date(RATIO, "2025/26", 2).value == 48
    assert targets().to_date(RATIO, "2025/26").value is None
