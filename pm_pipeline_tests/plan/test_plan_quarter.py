"""One quarter end to end: a RED KPI reported with its improvement action and risk."""

from pathlib import Path

import dagster as dg
from openpyxl import load_workbook

from pm_pipeline.core.periods import Quarter
from pm_pipeline_tests.council import check_results, good_row, kpi_and_service, query, run_job
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
    instance = dg.DagsterInstance.get()
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
    instance = dg.DagsterInstance.get()
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
