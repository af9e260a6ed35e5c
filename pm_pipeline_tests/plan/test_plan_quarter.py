"""One quarter end to end: a RED KPI reported with its improvement action and risk, and a
typo in the plan's links that the plan's own check names while the KPI reports publish."""

from html import unescape
from pathlib import Path

import dagster as dg
import pytest
from openpyxl import load_workbook

from pm_pipeline.core.periods import Quarter
from pm_pipeline_tests.council import (
    RunInstance,
    check_results,
    good_row,
    kpi_and_service,
    query,
    run_job,
)
from pm_pipeline_tests.council import write_csv as write_rows

Q = Quarter(2025, 2)  # 2025/26 Q2: KPI-1's target is 50
ACTIONS = [
    "action_id,title,kind,theme,service,owner,manager,start_date,due_date,linked_pis,linked_risks",
    "IA-1,Recycling recovery plan,improvement,People,Waste,owner@test.example,"
    "manager@test.example,01/07/2025,31/03/2026,KPI-1,R-1",
    "CP-1,Open the new depot,deliverable,Place,Waste,owner@test.example,,2025-04-01,2025-09-30,,",
    "CP-2,=Depot phase two,deliverable,Place,Waste,owner@test.example,,2025-04-01,2026-09-30,,",
]
RISKS = [
    "risk_id,title,theme,owner,likelihood,impact,appetite",
    "R-1,Recycling contamination,Place,owner@test.example,3,4,moderate",
    "R-2,Depot fire,Place,owner@test.example,2,5,low",
    "R-3,Fleet breakdowns,Place,fleet@test.example,2,2,moderate",
]


def write_plan(root: Path) -> None:
    (root / "config" / "actions.csv").write_text("\n".join(ACTIONS) + "\n")
    (root / "config" / "risks.csv").write_text("\n".join(RISKS) + "\n")
    folder = root / "returns" / Q.folder
    write_rows(
        folder / "plan_updates.csv",
        ["action_id", "status", "percent_complete", "note", "revised_due_date"],
        [
            ["IA-1", "On Track", "40%", "Contamination campaign launched in August.", ""],
            ["CP-1", "at risk", "80", "Roof delayed by the contractor.", "31/12/2025"],
            ["CP-9", "on_track", "10", "Not in the register.", ""],
        ],
    )
    write_rows(
        folder / "risks.csv",
        ["risk_id", "likelihood", "impact", "note"],
        [["R-1", 4, 4, "Contamination rose over the summer."], ["R-2", 7, 5, "Typo."]],
    )


def test_a_red_kpi_is_reported_with_its_linked_action_and_risk(data_dir):
    council = kpi_and_service(data_dir)
    council.returns(
        Q,
        "returns.csv",
        [good_row("KPI-1", Q, 40, note="Recycling fell."), good_row("SVC-1", Q, 12)],
    )
    write_plan(data_dir)
    instance = RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    from pm_pipeline.definitions import build_defs

    job = build_defs(data_dir).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        partition_key=Q.key,
        asset_selection=[
            dg.AssetKey(k)
            for k in (
                "pi_returns",
                "quality_issues",
                "restatements",
                "action_updates",
                "risk_updates",
                "kpi_scorecard",
                "kpi_exceptions",
                "quarterly_performance_report",
                "outstanding_returns",
            )
        ],
        raise_on_error=False,
    )
    assert result.success
    checks = check_results(result)
    assert checks["red_kpi_has_action"] is True  # KPI-1 is RED and IA-1 answers it
    assert checks["action_id_known"] is False and checks["risk_score_in_range"] is False
    assert query(data_dir, "SELECT action_id, status, percent_complete FROM action_updates") == [
        ("IA-1", "on_track", 40.0),
        ("CP-1", "at_risk", 80.0),
    ]
    assert query(data_dir, "SELECT risk_id, score FROM risk_updates") == [("R-1", 16)]
    issues = query(
        data_dir,
        "SELECT rule, pi_id, source_file, source_row FROM quality_issues "
        "WHERE rule IN ('action_id_known', 'risk_score_in_range') ORDER BY rule",
    )
    assert issues == [
        ("action_id_known", "CP-9", f"{Q.folder}/plan_updates.csv", 4),
        ("risk_score_in_range", "R-2", f"{Q.folder}/risks.csv", 3),
    ]
    folder = data_dir / "reports" / Q.folder
    owner_list = (folder / "quality" / "owner@test.example.html").read_text()
    assert "CP-9" in owner_list and "R-2" in owner_list  # one list for the owner
    html = (folder / "kpi_scorecard.html").read_text()
    assert "left out of this report" not in html  # every link names a PI and a risk we have
    exceptions = html[html.index('id="exceptions"') : html.index('id="scorecard"')]
    assert "Improvement action IA-1:" in exceptions and "Recycling recovery plan" in exceptions
    assert "40% complete" in exceptions and "On track" in exceptions
    assert "Risk R-1:" in exceptions and "score 16 (likelihood 4 × impact 4)" in exceptions
    assert "no earlier score since last quarter" in exceptions
    assert "Open the new depot" in html and "revised to 31 Dec 2025" in html and "At risk" in html
    assert 'id="risk-grid-caption"' in html and "Impact 4</th>" in html
    book = load_workbook(folder / "kpi_scorecard.xlsx")
    assert {"Actions", "Risks"} <= set(book.sheetnames)
    titles = [row[1] for row in book["Actions"].iter_rows(values_only=True)]
    assert "'=Depot phase two" in titles  # a formula-looking title is neutralised
    outstanding = (folder / "outstanding_returns.csv").read_text()
    assert "IA-1" not in outstanding and "R-1" not in outstanding  # updated
    assert "fleet@test.example,,R-3,Fleet breakdowns,Place,risk update" in outstanding


def test_a_risk_beyond_appetite_without_an_action_is_a_warning_row_and_old_columns_warn(data_dir):
    """risks.csv as written before issue 27 loads; the register's check names the columns it
    lacks, and the quarter's R-2 (10, over its low appetite of 8, no action) is a WARN row
    for its owner, while R-1 (16, over its moderate 12) is answered by IA-1."""
    council = kpi_and_service(data_dir)
    council.returns(Q, "returns.csv", [good_row("KPI-1", Q, 40, note="Recycling fell.")])
    write_plan(data_dir)
    instance = RunInstance.get()
    registered = run_job(data_dir, "register_job", instance=instance)
    assert registered.success
    assert check_results(registered, "risk_register")["risk_register_complete"] is False
    from pm_pipeline.definitions import build_defs

    job = build_defs(data_dir).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        partition_key=Q.key,
        asset_selection=[dg.AssetKey("action_updates"), dg.AssetKey("risk_updates")],
        raise_on_error=False,
    )
    assert result.success
    assert check_results(result)["risk_over_appetite_has_action"] is False
    rows = query(
        data_dir,
        "SELECT severity, pi_id, owner, value FROM quality_issues "
        "WHERE rule = 'risk_over_appetite_has_action'",
    )
    assert rows == [("WARN", "R-2", "owner@test.example", "10")]
    owner_list = data_dir / "reports" / Q.folder / "quality" / "owner@test.example.html"
    assert "R-2 (Depot fire) scores 10 in 2025/26 Q2" in owner_list.read_text()


@pytest.mark.slow  # the whole quarterly job
@pytest.mark.timeout(300)
def test_a_link_to_an_unknown_pi_or_risk_is_the_plans_error_and_the_kpi_reports_publish(
    data_dir,
):
    council = kpi_and_service(data_dir)
    council.returns(
        Q,
        "returns.csv",
        [good_row("KPI-1", Q, 40, note="Recycling fell."), good_row("SVC-1", Q, 12)],
    )
    write_plan(data_dir)
    actions = data_dir / "config" / "actions.csv"  # IA-1 is on row 2: two typos in its links
    actions.write_text(actions.read_text().replace(",KPI-1,R-1", ",KPI-1;KPI-9,R-1;R-7"))
    result = run_job(data_dir, "quarterly_performance_job", Q.key)
    assert result.success  # the plan's mistake stops nothing
    assert check_results(result, "action_register") == {"plan_links_known": False}
    assert query(
        data_dir, "SELECT linked_pis, linked_risks FROM action_register WHERE action_id = 'IA-1'"
    ) == [(["KPI-1"], ["R-1"])]  # the good links are kept
    issues = query(
        data_dir,
        "SELECT severity, pi_id, owner, source_file, source_row, value, message "
        "FROM quality_issues WHERE rule = 'plan_links_known' AND period = ? ORDER BY value",
        Q.key,
    )
    assert [i[:6] for i in issues] == [
        ("ERROR", "IA-1", "owner@test.example", "config/actions.csv", 2, "KPI-9"),
        ("ERROR", "IA-1", "owner@test.example", "config/actions.csv", 2, "R-7"),
    ]
    assert issues[0][6].startswith(
        "config/actions.csv, row 2, column linked_pis: IA-1 links to 'KPI-9', which is not a PI"
    )
    assert issues[1][6].startswith("config/actions.csv, row 2, column linked_risks:")
    folder = data_dir / "reports" / Q.folder
    owner_list = (folder / "quality" / "owner@test.example.html").read_text()
    assert "KPI-9" in owner_list and "config/actions.csv, row 2, column linked_pis" in owner_list
    for report in ("kpi_scorecard", "cabinet_report", "management_report"):
        html = unescape((folder / f"{report}.html").read_text())
        assert "Links left out of this report:" in html, report
        assert "'KPI-9' is not a PI (config/actions.csv, row 2, column linked_pis)" in html
        assert "'R-7' is not a risk (config/actions.csv, row 2, column linked_risks)" in html
    for published in ("kpi_scorecard.pdf", "cabinet_report.pdf", "kpi_scorecard.xlsx"):
        assert (folder / published).exists(), published
    scorecard = (folder / "kpi_scorecard.html").read_text()
    assert "Improvement action IA-1:" in scorecard  # still answering KPI-1, through its good link
