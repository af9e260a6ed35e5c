"""The council's own outturn against its own LG Inform value: the check that warns when they
differ beyond the data team's tolerance, its rows in quality_issues and the management report."""

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pm_pipeline.core.periods import FinancialYear, Quarter, range_tags
from pm_pipeline.core.warehouse import replace_rows
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.register.model import Council as CouncilSettings
from pm_pipeline.defs.scorecard.reconcile import reconcile, year_checked
from pm_pipeline_tests.council import (
    Council,
    RunInstance,
    check_results,
    good_row,
    pi,
    query,
    run_job,
)

YEAR = FinancialYear(2025)
AREA = "E07000999"  # the test council's area code (pm_pipeline_tests.council)
SETTINGS = CouncilSettings("Testshire", AREA, "E12000004", ("People",))  # 0.5 points, 2%
# recycling: 5,200 of 10,000 t, 5,300/10,000, 4,000/8,000, 3,500/8,000 -> 18,000 / 36,000 = 50%
RECYCLING = [(52.0, 5200, 10000), (53.0, 5300, 10000), (50.0, 4000, 8000), (43.8, 3500, 8000)]
HOMES = [10, 12, 9, 11]  # a flow: 42 in the year


def indicators() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "pi_id": "WR-1",
                "title": "Recycling rate",
                "unit": "percent",
                "decimals": 1,
                "measure": "ratio",
                "rolling": False,
                "frequency": "quarterly",
                "lginform_metric": "900001",
                "owner": "waste@test.example",
            },
            {
                "pi_id": "HO-1",
                "title": "Homes delivered",
                "unit": "count",
                "decimals": 0,
                "measure": "flow",
                "rolling": False,
                "frequency": "quarterly",
                "lginform_metric": "900002",
                "owner": "homes@test.example",
            },
        ]
    )


def returns() -> dict:
    out = {}
    for q, (value, num, den), homes in zip(YEAR.quarters, RECYCLING, HOMES, strict=True):
        out[(q.key, "WR-1")] = pd.Series({"value": value, "numerator": num, "denominator": den})
        out[(q.key, "HO-1")] = pd.Series({"value": homes, "numerator": None, "denominator": None})
    return {k: type("Row", (), v.to_dict()) for k, v in out.items()}


def published(recycling: float, homes: float, year: FinancialYear = YEAR) -> pd.DataFrame:
    """The council's own LG Inform rows for the two metrics and one year (and a peer's)."""
    rows = []
    for metric, value in (("900001", recycling), ("900002", homes)):
        for area, figure in ((AREA, value), ("E07000170", value + 7)):
            rows.append(
                {
                    "source": "lginform",
                    "metric_id": metric,
                    "metric_name": f"Metric {metric}",
                    "area_code": area,
                    "area_name": area,
                    "period_label": year.label,
                    "period_start": year.start,
                    "period_end": year.end,
                    "value": figure,
                    "unit": "",
                    "polarity": "",
                }
            )
    return pd.DataFrame(rows)


def test_a_quarter_checks_the_year_that_ended_in_the_twelve_months_to_its_end():
    assert year_checked(Quarter(2025, 4)) == YEAR
    assert year_checked(Quarter(2026, 1)) == YEAR
    assert year_checked(Quarter(2026, 3)) == YEAR
    assert year_checked(Quarter(2026, 4)) == FinancialYear(2026)


def test_outturns_within_the_tolerance_raise_nothing():
    # 50.4% is 0.4 points from the year's 50.0%; 42 homes is 1.9% from the published 42.8
    found = reconcile(indicators(), returns(), published(50.4, 42.8), SETTINGS, Quarter(2026, 1))
    assert found == []


def test_outturns_beyond_the_tolerance_name_pi_year_both_values_and_what_to_check():
    # 49.1% is 0.9 points below 50.0% (the mean of the quarters' rates would be 49.7%);
    # 42 homes is 6.7% of the published 45 away (relative to the published figure)
    found = reconcile(indicators(), returns(), published(49.1, 45), SETTINGS, Quarter(2026, 1))
    by_pi = {i.pi_id: i for i in found}
    assert set(by_pi) == {"WR-1", "HO-1"}
    recycling = by_pi["WR-1"]
    assert recycling.rule == "outturn_matches_lginform" and recycling.severity == "WARN"
    assert recycling.period == Quarter(2026, 1).key and recycling.owner == "waste@test.example"
    assert recycling.value == "50.0% vs 49.1%"
    assert recycling.message.startswith(
        "WR-1 (Recycling rate) 2025/26: the council's own outturn is 50.0% (Σnumerators / "
        "Σdenominators of the 4 quarters) but its own LG Inform value (metric 900001) is 49.1%, "
        "0.9 percentage points apart (tolerance 0.5)"
    )
    assert "check the quarters' returns against what was submitted" in recycling.message
    assert "6.7% apart (tolerance 2%)" in by_pi["HO-1"].message


def test_the_tolerance_is_the_data_teams():
    loose = CouncilSettings("T", AREA, "E12000004", ("People",), reconcile_points=1.0)
    assert reconcile(indicators(), returns(), published(49.1, 42), loose, Quarter(2026, 1)) == []


def test_a_year_without_a_published_value_or_an_outturn_is_not_checked():
    other_year = published(30.0, 5, FinancialYear(2024))
    assert reconcile(indicators(), returns(), other_year, SETTINGS, Quarter(2026, 1)) == []
    partial = {k: v for k, v in returns().items() if k[0] != YEAR.quarters[1].key}
    assert reconcile(indicators(), partial, published(30.0, 5), SETTINGS, Quarter(2026, 1)) == []


def small_council(root: Path) -> Council:
    return Council(
        root,
        indicators=[
            pi("WR-1", "Recycling rate", lginform="900001", owner="waste@test.example"),
            pi("HO-1", "Homes delivered", type_="service", unit="count", decimals=0),
        ],
        targets=[("WR-1", YEAR.label, 50, "")],
    ).write()


def run_year(data_dir: Path, lginform: float) -> dg.ExecuteInProcessResult:
    made = small_council(data_dir)
    for q, (value, num, den), homes in zip(YEAR.quarters, RECYCLING, HOMES, strict=True):
        rows = [
            good_row("WR-1", q, value, numerator=num, denominator=den),
            good_row("HO-1", q, homes),
        ]
        made.returns(q, "returns.csv", rows)
    instance = RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        replace_rows(conn, BENCHMARKS, published(lginform, 42))
    first, last = YEAR.quarters[0], YEAR.quarters[-1]
    return run_job(
        data_dir, "quarter_history_job", instance=instance, tags=range_tags(first.key, last.key)
    )


@pytest.mark.parametrize("lginform, differs", [(48.0, True), (50.2, False)])
def test_the_scorecard_check_writes_its_rows_for_the_management_report(
    data_dir: Path, lginform: float, differs: bool
):
    from pm_pipeline.defs.register.store import read_register
    from pm_pipeline.defs.reports.audience import write_audience_reports
    from pm_pipeline.defs.reports.scorecard_report import scorecard_view

    result = run_year(data_dir, lginform)
    assert result.success  # a WARN never stops the scorecard
    assert check_results(result, "kpi_scorecard")["outturn_matches_lginform"] is not differs
    q4 = YEAR.quarters[-1]
    rows = query(
        data_dir,
        "SELECT period, severity, pi_id, value, message FROM quality_issues WHERE rule = ?",
        "outturn_matches_lginform",
    )
    if differs:
        assert [r[:4] for r in rows] == [(q4.key, "WARN", "WR-1", "50.0% vs 48.0%")]
    else:
        assert rows == []
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        register = read_register(conn)
        view = scorecard_view(conn, q4, register, data_dir / "commentary")
        written = write_audience_reports(
            data_dir / "out", view, conn, register, q4, which=("management",)
        )
    html = written["management"]["html"].read_text()
    assert "Our outturns against our own LG Inform figures (2025/26)" in html
    if differs:
        assert "its own LG Inform value (metric 900001) is 48.0%, 2.0 percentage points" in html
    else:
        assert "agrees with our own outturn, within the tolerance" in html
