"""The annual report's outturns, the team's commentary overriding the generated story, and
restated figures, on a hand-made council run through Dagster."""

from pathlib import Path

import dagster as dg
import pytest
from openpyxl import load_workbook

from pm_pipeline.core.periods import FinancialYear, Quarter, range_tags
from pm_pipeline_tests.council import Council, good_row, pi, query, run_job, write_csv

# the tests share a state built once per worker (built_state): one worker builds it once
pytestmark = pytest.mark.xdist_group("reports-eight-quarters")

YEAR = FinancialYear(2025)
QUARTERS = FinancialYear(2024).quarters + YEAR.quarters
VALUES = {  # KPI-1 a ratio (Σnum / Σden), CNT-1 a flow (the total), STK-1 a stock (Q4)
    "KPI-1": [40, 42, 44, 46, 47, 49, 50, 52],
    "CNT-1": [10, 10, 10, 10, 12, 14, 9, 11],
    "STK-1": [2400, 2410, 2420, 2430, 2487, 2445, 2431, 2487],
}
# KPI-1's denominators (tonnes collected, say): 2025/26's year is 352 / 700 = 50.3%, where
# the mean of its quarters would be 49.5% (Amber) and its Q4 52%.
DENOMINATORS = [100, 100, 100, 100, 100, 100, 200, 300]
ANNUAL = {Quarter(2024, 4): 3900, Quarter(2025, 4): 3600}


def council(root: Path) -> Council:
    return Council(
        root,
        indicators=[
            pi("KPI-1", "Recycling rate"),
            pi("CNT-1", "Homes delivered", type_="service", unit="count", decimals=0),
            pi(
                "STK-1",
                "Households on the register",
                type_="contextual",
                unit="count",
                decimals=0,
                polarity="neutral",
                measure="stock",
            ),
            pi(
                "ANN-1",
                "Carbon emissions",
                type_="management",
                unit="count",
                decimals=0,
                polarity="lower_is_better",
                frequency="annual",
                theme="Place",
            ),
        ],
        targets=[
            ("KPI-1", "2024/25", 45, ""),
            ("KPI-1", "2025/26", 50, ""),
            ("CNT-1", "2025/26", 11, ""),
            ("ANN-1", "2025/26", 3700, ""),
        ],
    )


def quarter_rows(n: int, kpi: float | None = None) -> list[list[object]]:
    """The n-th quarter's returns (KPI-1 `kpi` instead of its usual value, if given)."""
    quarter = QUARTERS[n]
    value = VALUES["KPI-1"][n] if kpi is None else kpi
    den = DENOMINATORS[n]
    rows = [good_row("KPI-1", quarter, value, numerator=value * den / 100, denominator=den)]
    rows += [good_row(pid, quarter, VALUES[pid][n]) for pid in ("CNT-1", "STK-1")]
    if quarter in ANNUAL:
        rows.append(good_row("ANN-1", quarter, ANNUAL[quarter]))
    return rows


def eight_quarters_run(data_dir: Path) -> None:
    """The council's eight quarters, through the register and the quarter-history job."""
    made = council(data_dir).write()
    for n, quarter in enumerate(QUARTERS):
        made.returns(quarter, "returns.csv", quarter_rows(n))
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    from pm_pipeline.definitions import build_defs

    history = (
        build_defs(data_dir)
        .resolve_job_def("quarter_history_job")
        .execute_in_process(instance=instance, tags=range_tags(QUARTERS[0].key, QUARTERS[-1].key))
    )
    assert history.success


@pytest.fixture
def council_run(built_state):
    """The eight quarters already run (built once per session, copied into this test's
    directories): its data dir, its instance and the council."""
    data_dir = built_state("reports-eight-quarters", eight_quarters_run)
    return data_dir, dg.DagsterInstance.get(), council(data_dir)


def test_annual_report_outturns_against_targets(council_run):
    data_dir, instance, _ = council_run
    assert run_job(data_dir, "annual_report_job", YEAR.key, instance=instance).success
    folder = data_dir / "reports" / YEAR.folder
    sheet = load_workbook(folder / "annual_performance_report.xlsx")["Outturns"]
    header = [c.value for c in sheet[3]]
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=4, values_only=True)
    }
    assert rows["KPI-1"]["Outturn"] == 50.3 and rows["KPI-1"]["Target"] == 50
    assert rows["KPI-1"]["Measure"] == "ratio"
    assert rows["KPI-1"]["How the outturn is worked out"] == (
        "Σnumerators / Σdenominators of the 4 quarters"
    )
    assert rows["STK-1"]["Outturn"] == 2487  # the year-end snapshot, not 9,850 added up
    assert rows["STK-1"]["Last year"] == 2430
    assert rows["CNT-1"]["Target basis"] == "4 x the quarterly target"
    assert (
        rows["KPI-1"]["RAG"] == "Green" and rows["KPI-1"]["Direction vs last year"] == "Improving"
    )
    assert [rows["KPI-1"][q] for q in ("Q1", "Q2", "Q3", "Q4")] == [47, 49, 50, 52]
    assert rows["CNT-1"]["Outturn"] == 46 and rows["CNT-1"]["Target"] == 44  # 4 × 11 a quarter
    assert (
        rows["CNT-1"]["Last year"] == 40 and rows["CNT-1"]["Direction vs last year"] == "Improving"
    )
    assert rows["ANN-1"]["Outturn"] == 3600 and rows["ANN-1"]["RAG"] == "Green"  # below 3,700
    assert rows["ANN-1"]["Last year"] == 3900
    html = (folder / "annual_performance_report.html").read_text()
    assert "Annual performance report: 2025/26" in html
    assert "Indicators reported once a year" in html and "Carbon emissions" in html
    assert "In 2025/26, 3 of the 3 indicators with a target met it" in html


def test_team_commentary_stands_beside_the_generated_sentence(council_run):
    """The one sentence (scorecard/narrative.py) always shows, so a commentary cannot leave a
    Green badge beside a target the PI will consistently fail unexplained."""
    data_dir, instance, _ = council_run
    q4 = YEAR.quarters[-1]
    write_csv(
        data_dir / "commentary" / f"{q4.folder}.csv",
        ["pi_id", "commentary", "author"],
        [["kpi-1", "Garden waste <b>returned</b> in March.", "Jo Bloggs"]],
    )
    assert run_job(data_dir, "quarterly_performance_job", q4.key, instance=instance).success
    html = (data_dir / "reports" / q4.folder / "kpi_scorecard.html").read_text()
    assert (
        "Performance team's commentary (Jo Bloggs):</strong> Garden waste &lt;b&gt;returned" in html
    )
    assert "Recycling rate rose to 52.0%" in html
    assert (
        "Homes delivered rose to 11 in Q4 from 9 in Q3" in html
    )  # others keep the generated story
    sheet = load_workbook(data_dir / "reports" / q4.folder / "kpi_scorecard.xlsx")["Scorecard"]
    header = [c.value for c in sheet[3]]
    kpi = next(
        dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=4, values_only=True)
        if r[0] == "KPI-1"
    )
    assert kpi["Story"].startswith("Recycling rate rose to 52.0%")
    assert kpi["Performance team's commentary"] == "Garden waste <b>returned</b> in March."


def test_the_scorecard_shows_the_year_to_date_by_measure(council_run):
    data_dir, _, _ = council_run
    q2 = YEAR.quarters[1]
    rows = {
        r[0]: r[1:]
        for r in query(
            data_dir,
            "SELECT pi_id, measure, year_to_date, year_to_date_target, year_to_date_rag "
            "FROM kpi_scorecard WHERE period = ?",
            q2.key,
        )
    }
    assert rows["KPI-1"][:2] == ("ratio", pytest.approx(48.0))  # (47 + 49) / 200
    assert rows["KPI-1"][2:] == (50, "AMBER")  # a ratio's target does not add up
    assert rows["CNT-1"][:2] == ("flow", 26)  # 12 + 14
    assert rows["CNT-1"][2:] == (22, "GREEN")  # two quarters' targets of 11
    assert rows["STK-1"][1] is None  # a snapshot's year to date is just its latest figure


def test_a_corrected_return_is_shown_as_restated(council_run):
    data_dir, instance, council = council_run
    q4 = YEAR.quarters[-1]
    council.returns(q4, "returns.csv", quarter_rows(7, kpi=53.5))  # KPI-1 corrected from 52.0
    assert run_job(data_dir, "quarterly_performance_job", q4.key, instance=instance).success
    html = (data_dir / "reports" / q4.folder / "kpi_scorecard.html").read_text()
    assert "this figure was first reported as 52.0% and has since been corrected to 53.5%" in html
    sheet = load_workbook(data_dir / "reports" / q4.folder / "kpi_scorecard.xlsx")["Scorecard"]
    header = [c.value for c in sheet[3]]
    kpi = next(
        dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=4, values_only=True)
        if r[0] == "KPI-1"
    )
    assert kpi["Restated"] == "Restated" and kpi["First reported value"] == "52.0%"


FORMULA_NAME = '=HYPERLINK("http://x","y")'


def test_formula_like_council_and_pi_names_are_written_as_text(data_dir):
    quarter = YEAR.quarters[0]
    council = Council(
        data_dir,
        name=FORMULA_NAME,
        indicators=[pi("KPI-1", "@SUM(1)"), pi("KPI-2", "Recycling rate")],
        targets=[("KPI-1", "2025/26", 50, ""), ("KPI-2", "2025/26", 50, "")],
    ).write()
    council.returns(
        quarter, "returns.csv", [good_row("KPI-1", quarter, 55), good_row("KPI-2", quarter, 45)]
    )
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    from pm_pipeline.definitions import build_defs

    assert (
        build_defs(data_dir)
        .resolve_implicit_global_asset_job_def()
        .execute_in_process(
            instance=instance,
            asset_selection=[
                dg.AssetKey(k)
                for k in (
                    "pi_returns",
                    "quality_issues",
                    "kpi_scorecard",
                    "quarterly_performance_report",
                )
            ],
            partition_key=quarter.key,
        )
        .success
    )
    book = load_workbook(data_dir / "reports" / quarter.folder / "kpi_scorecard.xlsx")
    cells = [c for sheet in book for line in sheet.iter_rows() for c in line if c.value]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    text = [c.value for c in cells if isinstance(c.value, str)]
    assert any(v.startswith(f"'{FORMULA_NAME} KPI scorecard") for v in text), text[:3]
    assert "'@SUM(1)" in text and "Recycling rate" in text  # an ordinary title as it was


def test_every_text_cell_of_a_written_workbook_and_csv_is_text(tmp_path):
    import pandas as pd

    from pm_pipeline.render.spreadsheet import Sheet, write_csv, write_xlsx

    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["+1+1", "#N/A", "plain", None], "n": [1, 2, 3, 4]})
    sheet = Sheet("Data", frame, intro=["-2+3 title", "An ordinary title"])
    book = load_workbook(write_xlsx(tmp_path / "t.xlsx", [sheet], "=1+1"))["Data"]
    assert [[c.data_type for c in row if c.value is not None] for row in book.iter_rows()] == [
        ["s"],
        ["s"],
        [],
        ["s", "s"],
        ["s", "n"],
        ["s", "n"],
        ["s", "n"],
        ["n"],
    ]
    assert [c.value for c in book["A"]] == [
        "'-2+3 title",
        "An ordinary title",
        None,
        "'=cmd|' /C calc'!A0",
        "'+1+1",
        "#N/A",
        "plain",
        None,
    ]
    written = write_csv(tmp_path / "t.csv", frame).read_text(encoding="utf-8-sig")
    assert written.splitlines()[:2] == ["'=cmd|' /C calc'!A0,n", "'+1+1,1"]
