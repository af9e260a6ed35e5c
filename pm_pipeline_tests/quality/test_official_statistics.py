"""PIs that measure an official statistic, run through Dagster: a taken PI's figure comes from
the reference files (no return chased), a checked PI's return is compared with the published
figure (`statistic_agrees`, WARN, with its row in quality_issues)."""

from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import build_resources
from pm_pipeline.defs.district.assets import district_context
from pm_pipeline_tests.council import (
    Council,
    RunInstance,
    check_results,
    good_row,
    pi,
    query,
    run_job,
)
from pm_pipeline_tests.district.files import aps_csv, mye_workbook

Q = Quarter(2024, 4)  # January to March 2025: the annual PIs are due
AREA = "E07000999"


def build(data_dir: Path, rate_returned: str, population_returned: str | None = None) -> None:
    Council(
        data_dir,
        indicators=[
            pi("KPI-1", "Recycling rate"),
            pi(
                "POP-1",
                "Residents",
                "place",
                unit="count",
                polarity="neutral",
                frequency="annual",
                decimals=0,
                statistic="population",
                statistic_use="taken",
            ),
            pi(
                "EMP-1",
                "Employment rate",
                "place",
                statistic="employment_rate",
                statistic_use="checked",
                owner="economy@test.example",
            ),
        ],
        targets=[("KPI-1", "2024/25", 50, "")],
    ).write()
    ref = data_dir / "reference"
    mye_workbook(ref / "mye-mid-2024.xlsx", 2024, [(AREA, "Testshire", {10: 30_000, 40: 71_250})])
    aps_csv(
        ref / "NM_17_5.data.csv",
        [
            ("2024-12", "Jan 2024-Dec 2024", AREA, "Testshire", 20599, 73.9),
            ("2025-03", "Apr 2024-Mar 2025", AREA, "Testshire", 20599, 74.6),
        ],
    )
    rows = [good_row("KPI-1", Q, "51.5"), good_row("EMP-1", Q, rate_returned)]
    if population_returned is not None:
        rows.append(good_row("POP-1", Q, population_returned))
    Council(data_dir).returns(Q, "returns.csv", rows)


def run(data_dir: Path) -> dg.ExecuteInProcessResult:
    instance = RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    resources = build_resources(data_dir)
    assert dg.materialize([district_context], resources=resources, instance=instance).success
    return run_job(
        data_dir,
        "returns_job",
        Q.key,
        instance=instance,
        run_config={"ops": {"returns_intake": {"config": {"as_of": "2025-04-10"}}}},
    )


def issues(data_dir: Path) -> list[tuple]:
    return query(
        data_dir,
        "SELECT pi_id, owner, source_file, source_row, value, message FROM quality_issues "
        "WHERE rule = 'statistic_agrees' ORDER BY pi_id",
    )


def test_a_checked_return_that_differs_is_a_warning_naming_pi_period_values_and_fix(data_dir):
    build(data_dir, rate_returned="79.1")
    result = run(data_dir)
    assert result.success  # a warning: the scorecard is still built
    checks = check_results(result, "pi_returns")
    assert checks["statistic_agrees"] is False
    assert checks["returns_complete"] is True  # POP-1 is taken: nobody is chased for it
    [(pi_id, owner, source_file, row, value, message)] = issues(data_dir)
    assert (pi_id, owner, source_file, row, value) == (
        "EMP-1",
        "economy@test.example",
        "2024-25-Q4/returns.csv",
        3,
        "79.1%",
    )
    assert message == (
        "EMP-1 2024/25 Q4: the return gives 79.1% but ONS Annual Population Survey (Nomis) "
        "gives 74.6% for Apr 2024-Mar 2025 (reference/NM_17_5.data.csv) — correct the return "
        "to the published figure; if the return is right (a newer release), put that release "
        "in reference/ and run district_context; to use the published figure without a "
        "return, set statistic_use to taken in indicators.csv"
    )


def test_a_checked_return_that_agrees_and_a_taken_figure_pass(data_dir):
    build(data_dir, rate_returned="74.6")
    result = run(data_dir)
    assert result.success
    assert check_results(result, "pi_returns")["statistic_agrees"] is True
    assert issues(data_dir) == []
    rows = query(
        data_dir,
        "SELECT pi_id, value, status, note, submitted_by, source_file FROM pi_returns "
        "WHERE period = ? ORDER BY pi_id",
        Q.key,
    )
    by_pi = {r[0]: r for r in rows}
    assert by_pi["EMP-1"][1] == pytest.approx(74.6)  # the owner's, checked
    assert by_pi["POP-1"][1:] == (
        101_250.0,
        "final",
        "Taken from ONS mid-year population estimates, mid-2024: no return is owed for this "
        "indicator.",
        "ONS mid-year population estimates",
        "reference/mye-mid-2024.xlsx",
    )


def test_an_owners_figure_for_a_taken_pi_is_not_used(data_dir):
    build(data_dir, rate_returned="74.6", population_returned="141,500")
    run(data_dir)
    [(pi_id, _, source_file, row, value, message)] = issues(data_dir)
    assert (pi_id, source_file, row, value) == ("POP-1", "2024-25-Q4/returns.csv", 4, "141,500")
    assert (
        "taken from ONS mid-year population estimates (101,250, mid-2024), so the return is "
        in (message)
    )
    values = query(
        data_dir, "SELECT value FROM pi_returns WHERE pi_id = 'POP-1' AND period = ?", Q.key
    )
    assert values == [(101_250.0,)]  # one value for one fact


def test_a_taken_pi_without_a_release_says_what_to_add(data_dir):
    build(data_dir, rate_returned="74.6")
    (data_dir / "reference" / "mye-mid-2024.xlsx").unlink()
    result = run(data_dir)
    assert check_results(result, "pi_returns")["statistic_agrees"] is False
    [(pi_id, owner, _, _, _, message)] = issues(data_dir)
    assert (pi_id, owner) == ("POP-1", "owner@test.example")
    assert message == (
        "POP-1 is taken from ONS mid-year population estimates, which has no figure for "
        "2024/25 in reference/ — add the release to reference/ and run district_context; until "
        "then the indicator has no figure"
    )
