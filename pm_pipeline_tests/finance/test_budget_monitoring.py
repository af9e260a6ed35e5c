"""The monthly budget monitoring (issue 28): finance/<YYYY-MM>/ read into budget_monitoring,
and its three rules, each with a month that breaks it (July) and one that keeps it (August).

Each month's reports job runs once for the module (two in-process runs: the register, the
finance checks, the service scorecards and the leader's update); the reading's own cases are
pure functions over files in a folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pm_pipeline.core.periods import Month
from pm_pipeline.defs.finance.read import Services, read_month
from pm_pipeline.defs.finance.rules import forecast_rag
from pm_pipeline.defs.register.budget import BudgetSettings
from pm_pipeline_tests.council import (
    Council,
    RunInstance,
    check_results,
    pi,
    query,
    run_job,
    write_csv,
)

JULY, AUGUST = Month(2026, 7), Month(2026, 8)
HEADER = [
    "service",
    "cost_centre",
    "annual_budget",
    "actual_to_date",
    "forecast_outturn",
    "commentary",
]
HEAD = "hos.place@test.example"
FORMULA = '=HYPERLINK("http://evil.example","Temporary accommodation demand")'


def council(root: Path) -> Council:
    """Housing (two cost centres) and Planning have PIs; Leisure is in services.csv only."""
    housing = {**pi("HS-1", "Homeless preventions", unit="count"), "service": "Housing"}
    planning = {**pi("PL-1", "Majors in time"), "service": "Planning"}
    made = Council(
        root,
        indicators=[housing, planning],
        targets=[("PL-1", "2026/27", 80, "")],
        settings={"finance": {"net_budget": {"2026/27": 3_000_000}}},
    ).write()
    made.services(
        [
            ["Housing", "Place", HEAD, "CC100; CC110"],
            ["Planning", "Place", HEAD, "CC200"],
            ["Leisure", "Communities", "hos.communities@test.example", ""],
        ]
    )
    # July breaks every rule: Leisure missing, Housing £150,000 over with no commentary, the
    # budgets £800,000 short of the net budget; the export's own total row is passed by
    made.finance(
        JULY,
        "budget.csv",
        [
            ["", "CC100", "1,000,000", "260000", "£1,010,000", ""],
            ["", "cc110", "500000", "120000", "640000", ""],
            ["Planning", "", "700000", "170000", "(10000)", "Fee income below profile"],
            ["Total", "", "2200000", "550000", "1640000", ""],
        ],
        HEADER,
    )
    # August keeps them: every service, Housing's £60,000 explained, £3,000,000 in all
    made.finance(
        AUGUST,
        "budget.csv",
        [
            ["Housing", "", "1500000", "520000", "1560000", FORMULA],
            ["Planning", "", "700000", "230000", "700000", ""],
            ["Leisure", "", "800000", "260000", "790000", ""],
        ],
        HEADER,
    )
    return made


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, bool]]]:
    """The data directory after July's and August's monthly reports jobs, and each month's
    checks."""
    root = tmp_path_factory.mktemp("finance")
    data, home = root / "data", root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    checks = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PM_DATA_DIR", str(data))
        env.setenv("DAGSTER_HOME", str(home))
        council(data)
        instance = RunInstance.get()
        for month in (JULY, AUGUST):
            result = run_job(data, "monthly_reports_job", month.key, instance=instance)
            checks[month.key] = check_results(result, "budget_monitoring")
    return data, checks


def issues(data: Path, month: Month, rule: str) -> list[tuple]:
    return query(
        data,
        "SELECT source_file, source_row, owner, message FROM finance_issues "
        "WHERE period = ? AND rule = ? ORDER BY message",
        month.key,
        rule,
    )


def test_a_missing_service_fails_its_check_naming_the_file_and_the_service(months):
    data, checks = months
    assert checks[JULY.key]["budget_services_reported"] is False
    (missing,) = issues(data, JULY, "budget_services_reported")
    assert missing[0] == "2026-07/budget.csv" and missing[2] == "hos.communities@test.example"
    assert "finance/2026-07/budget.csv: no row for the service Leisure in July 2026" in missing[3]
    assert checks[AUGUST.key]["budget_services_reported"] is True
    assert issues(data, AUGUST, "budget_services_reported") == []


def test_a_missing_service_holds_back_the_months_reports(months):
    """budget_services_reported is an ERROR: July's reports wait for the finance file to be
    put right; August's, whose file is complete, are written."""
    data, _ = months
    assert not (data / "reports" / "2026-07").exists()
    written = sorted(p.name for p in (data / "reports" / "2026-08").iterdir())
    assert written == [
        "leader_update.html",
        "leader_update.pdf",
        "service_scorecard_communities.html",
        "service_scorecard_communities.xlsx",
        "service_scorecard_place.html",
        "service_scorecard_place.xlsx",
    ]


def test_commentary_is_escaped_in_the_page_and_never_a_formula_in_excel(months):
    from openpyxl import load_workbook

    data, _ = months
    folder = data / "reports" / "2026-08"
    html = (folder / "service_scorecard_place.html").read_text()
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in html and '<a href="http://evil' not in html
    sheet = load_workbook(folder / "service_scorecard_place.xlsx")["Finance"]
    cells = [c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in cells] == [(f"'{FORMULA}", "s")]


def test_a_large_variance_without_commentary_is_a_warning_to_the_head_of_service(months):
    data, checks = months
    assert checks[JULY.key]["variance_has_commentary"] is False
    ((file, row, owner, message),) = issues(data, JULY, "variance_has_commentary")
    assert (file, row, owner) == ("2026-07/budget.csv", 2, HEAD)
    assert message.startswith("2026-07/budget.csv, row 2, column commentary: Housing's forecast")
    assert "£150,000 (10.0%) over its budget of £1.50m" in message
    # August's £60,000 is over the threshold too, and explained
    assert checks[AUGUST.key]["variance_has_commentary"] is True


def test_budgets_that_do_not_add_up_to_the_net_budget_are_a_warning(months):
    data, checks = months
    assert checks[JULY.key]["budget_reconciles"] is False
    ((_, _, _, message),) = issues(data, JULY, "budget_reconciles")
    assert "add up to £2.20m, £800,000 (26.7%) under the council's net budget for 2026/27" in (
        message
    )
    assert checks[AUGUST.key]["budget_reconciles"] is True


def test_cost_centres_are_summed_into_their_service_and_rated(months):
    data, _ = months
    rows = query(
        data,
        "SELECT service, directorate, annual_budget, forecast_outturn, variance, rag, "
        "cost_centres FROM budget_monitoring WHERE period = ? ORDER BY service",
        JULY.key,
    )
    assert rows == [
        ("Housing", "Place", 1_500_000.0, 1_650_000.0, 150_000.0, "RED", ["CC100", "CC110"]),
        ("Planning", "Place", 700_000.0, -10_000.0, -710_000.0, "GREEN", []),
    ]
    august = dict(
        query(data, "SELECT service, rag FROM budget_monitoring WHERE period = ?", AUGUST.key)
    )
    assert august == {"Housing": "AMBER", "Planning": "GREEN", "Leisure": "GREEN"}


def test_the_variance_rag_follows_the_councils_thresholds():
    """Red at the lower of 5% of the budget and £100,000 over; Amber any overspend below it."""
    default = BudgetSettings()
    assert forecast_rag(1_000_000, 1_000_000, default) == "GREEN"  # on budget
    assert forecast_rag(1_000_000, 990_000, default) == "GREEN"  # under
    assert forecast_rag(1_000_000, 1_049_999, default) == "AMBER"  # 4.99%, under £100,000
    assert forecast_rag(1_000_000, 1_050_000, default) == "RED"  # 5%
    assert forecast_rag(5_000_000, 5_099_999, default) == "AMBER"
    assert forecast_rag(5_000_000, 5_100_000, default) == "RED"  # £100,000 is under 5%
    assert forecast_rag(-200_000, -180_000, default) == "RED"  # income £20,000 short: 10%
    strict = BudgetSettings(red_pct=1, red_gbp=10_000)
    assert forecast_rag(1_000_000, 1_010_000, strict) == "RED"


def services() -> Services:
    frame = pd.DataFrame(
        {
            "service": ["Housing", "Planning"],
            "directorate": ["Place", "Place"],
            "head_of_service": [HEAD, HEAD],
            "cost_centres": [["CC100", "CC110"], ["CC200"]],
        }
    )
    return Services.of(frame, pd.DataFrame({"service": []}))


def test_every_row_is_taken_or_reported_with_its_file_row_and_column(tmp_path):
    folder = tmp_path / "finance"
    write_csv(
        folder / "2026-07" / "export.csv",
        HEADER,
        [
            ["Housing", "", "1000", "10", "1000", ""],  # taken
            ["Parks", "", "1000", "10", "1000", ""],  # no such service
            ["", "CC999", "1000", "10", "1000", ""],  # no such cost centre
            ["Planning", "", "1000", "ten", "1000", ""],  # not an amount
            ["Planning", "", "1000", "10", "", ""],  # no forecast
            ["Housing", "", "5", "5", "5", ""],  # Housing again
            ["", "CC200", "1000", "10", "1000", ""],  # taken
        ],
    )
    (folder / "2026-07" / "notes.txt").write_text("not an export")
    read = read_month(folder, JULY, services())
    assert list(read.rows["service"]) == ["Housing", "Planning"]
    problems = {(i.rule, i.source_row): i.message for i in read.issues}
    assert problems[("finance_row_readable", 3)].startswith(
        "2026-07/export.csv, row 3, column service: 'Parks' is not a service in the register"
    )
    assert (
        "column cost_centre: 'CC999' is not a cost centre in config/services.csv"
        in (problems[("finance_row_readable", 4)])
    )
    assert (
        "row 5, column actual_to_date: 'ten' is not a number"
        in (problems[("finance_row_readable", 5)])
    )
    assert "row 6, column forecast_outturn: is empty" in problems[("finance_row_readable", 6)]
    assert (
        "Housing is already given as a whole in 2026-07/export.csv, row 2"
        in (problems[("finance_row_readable", 7)])
    )
    assert problems[("finance_file_readable", None)].startswith("2026-07/notes.txt was not read")
    assert len(read.rows) + sum(i.rule == "finance_row_readable" for i in read.issues) == 7


def test_a_file_without_the_amount_columns_is_reported_whole(tmp_path):
    folder = tmp_path / "finance"
    write_csv(folder / "2026-07" / "ledger.csv", ["service", "budget"], [["Housing", "1000"]])
    read = read_month(folder, JULY, services())
    assert read.rows.empty
    (problem,) = read.issues
    assert problem.rule == "finance_file_readable"
    assert problem.message.startswith(
        "2026-07/ledger.csv has no actual_to_date, forecast_outturn column in its header (row 1)"
    )
