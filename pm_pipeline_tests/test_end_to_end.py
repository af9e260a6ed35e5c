"""One council's quarter through the whole cycle, with a real DuckDB file and Dagster instance."""

from pathlib import Path

import dagster as dg
import pytest
from openpyxl import load_workbook

from pm_pipeline.core.periods import Quarter, range_tags
from pm_pipeline_tests.council import Council, check_results, good_row, pi, query, run_job

NOW = Quarter(2025, 1)
QUARTERS = [Quarter(2024, 1), Quarter(2024, 2), Quarter(2024, 3), Quarter(2024, 4), NOW]


def build_council(root: Path) -> Council:
    council = Council(
        root,
        indicators=[
            pi("REC-1", "Household waste recycled", theme="Place"),
            pi(
                "DAY-1",
                "Days to process new claims",
                type_="service",
                unit="days",
                polarity="lower_is_better",
            ),
            pi("POP-1", "Residents", type_="place", unit="count", polarity="neutral", decimals=0),
            pi("INC-1", "Commercial income", type_="management", unit="gbp", decimals=0),
        ],
        targets=[
            ("REC-1", "2024/25", 45, ""),
            ("REC-1", "2025/26", 50, ""),
            ("DAY-1", "2025/26", 20, ""),
            ("INC-1", "2025/26", 100000, ""),
        ],
    ).write()
    values = {  # REC-1 rises; DAY-1 gets slower; INC-1 meets its target
        "REC-1": [40.0, 41.0, 42.0, 43.0, 48.0],
        "DAY-1": [18.0, 18.0, 18.0, 19.0, 23.0],
        "POP-1": [1000, 1001, 1002, 1003, 1003],
        "INC-1": [90000, 95000, 99000, 99500, 120000],
    }
    for n, quarter in enumerate(QUARTERS):
        rows = [
            good_row(pid, quarter, series[n], note=f"{pid} note for {quarter.label}.")
            for pid, series in values.items()
        ]
        rows[0][3:5] = [values["REC-1"][n] * 10, 1000]  # REC-1, a ratio, gives its parts
        if quarter == NOW:
            rows[0][6] = '=HYPERLINK("http://x") <script>alert(1)</script>'
        council.returns(quarter, "returns.csv", rows)
    return council


def run_cycle(data_dir: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    assert run_job(data_dir, "register_job", instance=instance).success
    history = run_job(
        data_dir,
        "returns_job",
        instance=instance,
        tags=range_tags(QUARTERS[0].key, QUARTERS[-2].key),
    )
    assert history.success
    return run_job(data_dir, "quarterly_performance_job", NOW.key, instance=instance)


@pytest.mark.slow
def test_quarterly_cycle_scores_reports_and_rewrites_partitions(data_dir):
    build_council(data_dir)
    instance = dg.DagsterInstance.get()
    result = run_cycle(data_dir, instance)
    assert result.success
    checks = check_results(result)
    assert checks.pop("manager_checked") is False  # no manager has signed these figures off
    assert all(checks.values())

    rows = query(
        data_dir,
        "SELECT pi_id, value, target, rag, previous_value, direction_vs_previous, "
        "last_year_value, direction_vs_last_year, period_label, status FROM kpi_scorecard "
        "WHERE period = ? ORDER BY pi_id",
        NOW.key,
    )
    scored = {r[0]: r[1:] for r in rows}
    assert scored["REC-1"] == (
        48.0,
        50.0,
        "AMBER",
        43.0,
        "IMPROVING",
        40.0,
        "IMPROVING",
        "2025/26 Q1",
        "final",
    )
    assert scored["DAY-1"][2:4] == ("RED", 19.0)  # 23 > 20 × 1.05
    assert scored["DAY-1"][4] == "WORSENING"
    assert scored["POP-1"][2] == "NO_TARGET" and scored["POP-1"][4] == "STABLE"
    assert scored["INC-1"][2] == "GREEN"
    spc = query(
        data_dir,
        "SELECT DISTINCT variation, assurance FROM kpi_scorecard WHERE period = ?",
        NOW.key,
    )
    assert spc == [("none: only 5 quarters of history; SPC needs 15",) * 2]  # 2024/25 Q1 on
    assert query(data_dir, "SELECT pi_id, exception FROM kpi_exceptions ORDER BY 2") == [
        ("DAY-1", "RED"),
        ("DAY-1", "WORSENING_TWO_QUARTERS"),  # 18 -> 19 -> 23 days
    ]

    folder = data_dir / "reports" / NOW.folder
    html = (folder / "kpi_scorecard.html").read_text()
    assert "Quarterly performance report: 2025/26 Q1" in html
    assert "Testshire District Council" in html
    assert "Sample data" not in html  # only the sample council carries the banner
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert (
        "Household waste recycled rose to 48.0% in 2025/26 Q1 from 43.0% in 2024/25 Q4: an "
        "improvement on last quarter. No SPC reading: only 5 quarters of history; SPC needs 15. "
        "That is just below the 50.0% target."
    ) in html
    assert "no SPC reading. Only 5 quarters of history; SPC needs 15." in html
    sheet = load_workbook(folder / "kpi_scorecard.xlsx")["Scorecard"]
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref.startswith("A3:")
    column = [c.value for c in sheet[3]].index("Owner's note")
    notes = [r[column] for r in sheet.iter_rows(values_only=True) if "HYPERLINK" in str(r[column])]
    assert notes == ['\'=HYPERLINK("http://x") <script>alert(1)</script>']
    assert [c.value for c in sheet[3]][-3:] == [
        "Variation (SPC)",
        "Assurance (SPC)",
        "Why no SPC reading",
    ]
    assert (folder / "kpi_scorecard.pdf").read_bytes().startswith(b"%PDF")

    count = "SELECT count(*) FROM pi_returns"
    before = query(data_dir, count)
    again = run_job(data_dir, "quarterly_performance_job", NOW.key, instance=instance)
    assert again.success
    assert query(data_dir, count) == before == [(20,)]
    assert query(data_dir, "SELECT count(*) FROM kpi_scorecard") == [(4,)]


def test_an_error_blocks_the_scorecard_but_the_owner_still_gets_the_list(data_dir):
    council = build_council(data_dir)
    council.returns(NOW, "late.csv", [good_row("REC-1", NOW, "104.2")])  # duplicate + out of range
    instance = dg.DagsterInstance.get()
    result = run_cycle(data_dir, instance)
    assert not result.success
    checks = check_results(result)
    assert checks["value_in_range"] is False and checks["one_return_per_pi"] is False
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "value_in_range" in str(failure.event_specific_data.error)
    materialized = {
        e.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert {"pi_returns", "quality_issues"} <= materialized
    assert "kpi_scorecard" not in materialized
    # no scorecard for the quarter: the table is not even made until a scorecard is built
    assert (
        query(data_dir, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'kpi_%'")
        == []
    )
    rules = query(
        data_dir, "SELECT DISTINCT rule FROM quality_issues WHERE period = ? ORDER BY 1", NOW.key
    )
    assert rules == [("one_return_per_pi",), ("value_in_range",)]
    owner_list = data_dir / "reports" / NOW.folder / "quality" / "owner@test.example.html"
    assert "is 104.2 but a percentage must be between 0 and 100" in owner_list.read_text()


@pytest.mark.slow
def test_the_documented_command_runs_on_another_councils_files(data_dir):
    """The documented command (docs/data.md), on files that follow docs/contracts.md, "Files the
    council provides", and have nothing of the sample."""
    import os
    import subprocess
    import sys

    council = Council(
        data_dir,
        name="Otherborough Council",
        themes=("Communities", "Environment"),
        indicators=[
            pi(
                "ENV-7",
                "Trees planted",
                type_="kpi",
                unit="count",
                decimals=0,
                theme="Environment",
                owner="trees@otherborough.example",
            )
        ],
        targets=[("ENV-7", "2025/26", 300, "")],
    ).write()
    quarter = Quarter(2025, 2)
    council.returns(quarter, "trees.csv", [good_row("ENV-7", quarter, "1,250")])
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "asset",
            "materialize",
            "-m",
            "pm_pipeline.definitions",
            "--select",
            "+quarterly_performance_report",
            "--partition",
            quarter.key,
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    html = (data_dir / "reports" / quarter.folder / "kpi_scorecard.html").read_text()
    assert "Otherborough Council" in html and "Trees planted" in html
    assert query(data_dir, "SELECT pi_id, value, rag FROM kpi_scorecard") == [
        ("ENV-7", 1250.0, "GREEN")
    ]
