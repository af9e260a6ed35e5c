"""Whose decision counts, and on which figure (issue 26): real runs on a two-PI council.

A decision is bound once, by its content, to the figure that stood when it was checked, so
editing the sign-off file never moves it; only the PI's manager (or a delegate named in
people.csv) decides; a sign-off file that cannot be read is a warning, never a reason to hold
the report back."""

from pathlib import Path

import dagster as dg
import duckdb

from pm_pipeline.core.periods import Quarter
from pm_pipeline.definitions import build_defs
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.reports.signoff_view import signoff_view
from pm_pipeline_tests.council import (
    RunInstance,
    check_results,
    good_row,
    kpi_and_service,
    query,
    run_job,
    write_csv,
)
from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

Q = Quarter(2025, 1)
HEADER = ["pi_id", "decision", "checked_by", "checked_at", "comment"]
MANAGER = "manager@test.example"  # the register's manager of both PIs


def signoff(data_dir: Path, name: str, rows: list[list[str]]) -> Path:
    return write_csv(data_dir / "signoff" / Q.folder / name, HEADER, rows)


def checks_said(data_dir: Path) -> dict[str, str]:
    """What the quarterly report says under each PI about the manager's check."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        view = signoff_view(conn, Q, read_register(conn))
    return {pid: check["text"] for pid, check in view["checks"].items()}


def issues(data_dir: Path, rule: str) -> list[tuple]:
    return query(
        data_dir,
        "SELECT severity, pi_id, owner, source_file, source_row, message FROM quality_issues "
        "WHERE period = ? AND rule = ? ORDER BY source_file, source_row",
        Q.key,
        rule,
    )


def start(data_dir: Path, kpi_value: object = 55, with_svc: bool = True):
    council = kpi_and_service(data_dir)
    rows = [good_row("KPI-1", Q, kpi_value)] + ([good_row("SVC-1", Q, 12)] if with_svc else [])
    council.returns(Q, "r.csv", rows)
    instance = RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    return council, instance


def test_an_approval_stays_on_the_figure_it_approved_when_its_file_is_edited(data_dir):
    """Problem 1: approve v1, the owner changes the figure keeping submitted_at, the manager
    adds another PI's row to the same file: the approval must not move to v2."""
    council, instance = start(data_dir)
    signoff(data_dir, "boss.csv", [["KPI-1", "approved", MANAGER, "22/07/2025 09:00", ""]])
    assert run_job(data_dir, "returns_job", Q.key, instance=instance).success
    assert (
        checks_said(data_dir)["KPI-1"]
        == f"Checked by {MANAGER} on 22 July 2025 (recorded by file)."
    )

    council.returns(Q, "r.csv", [good_row("KPI-1", Q, 56), good_row("SVC-1", Q, 12)])
    run_job(data_dir, "returns_job", Q.key, instance=instance)
    assert "changed since it was approved" in checks_said(data_dir)["KPI-1"]

    signoff(
        data_dir,
        "boss.csv",
        [
            ["KPI-1", "approved", MANAGER, "22/07/2025 09:00", ""],
            ["SVC-1", "approved", MANAGER, "23/07/2025 09:30", ""],
        ],
    )
    assert run_job(data_dir, "signoff_job", Q.key, instance=instance).success
    said = checks_said(data_dir)
    assert "changed since it was approved" in said["KPI-1"]  # still v1's approval
    assert said["SVC-1"] == f"Checked by {MANAGER} on 23 July 2025 (recorded by file)."


def test_a_decision_by_someone_who_is_not_the_manager_does_not_count(data_dir):
    """Problem 2: an approval by anyone who can write to signoff/ is an ERROR naming the row
    and the manager it should be, and is not counted; their query blocks nothing."""
    _, instance = start(data_dir)
    signoff(
        data_dir,
        "intern.csv",
        [
            ["KPI-1", "approved", "intern@test.example", "22/07/2025 09:00", ""],
            ["SVC-1", "query", "intern@test.example", "22/07/2025 09:05", "Looks odd"],
        ],
    )
    result = run_job(data_dir, "returns_job", Q.key, instance=instance)
    checks = check_results(result, "signoffs")
    assert checks["checked_by_manager"] is False
    assert checks["manager_query_open"] is True  # a query from anyone blocks nothing
    assert result.success
    said = checks_said(data_dir)
    assert said == {"KPI-1": "Not checked by the manager.", "SVC-1": "Not checked by the manager."}
    found = issues(data_dir, "checked_by_manager")
    assert [(r[0], r[1], r[3], r[4]) for r in found] == [
        ("ERROR", "KPI-1", "2025-26-Q1/intern.csv", 2),
        ("ERROR", "SVC-1", "2025-26-Q1/intern.csv", 3),
    ]
    assert all(r[2] == MANAGER for r in found)  # on the manager's list
    assert "intern@test.example" in found[0][5] and MANAGER in found[0][5]
    assert "not counted" in found[0][5]


def test_a_later_approval_by_someone_else_does_not_override_the_managers_query(data_dir):
    _, instance = start(data_dir)
    signoff(data_dir, "boss.csv", [["KPI-1", "query", MANAGER, "22/07/2025 09:00", "Too high?"]])
    signoff(
        data_dir, "zz.csv", [["KPI-1", "approved", "intern@test.example", "23/07/2025 09:00", ""]]
    )
    result = run_job(data_dir, "returns_job", Q.key, instance=instance)
    assert check_results(result, "signoffs")["manager_query_open"] is False  # still open
    assert checks_said(data_dir)["KPI-1"].startswith(
        f"Not checked by the manager: queried by {MANAGER}"
    )


def test_two_decisions_at_the_same_time_that_disagree_are_an_error_until_one_goes(data_dir):
    _, instance = start(data_dir)
    approve = ["KPI-1", "approved", MANAGER, "22/07/2025 09:00", ""]
    signoff(data_dir, "a.csv", [approve])
    signoff(data_dir, "b.csv", [["KPI-1", "query", MANAGER, "22/07/2025 09:00", "Wrong"]])
    result = run_job(data_dir, "returns_job", Q.key, instance=instance)
    checks = check_results(result, "signoffs")
    assert checks["decisions_agree"] is False
    assert not result.success  # blocking, as an open query is
    assert "Checked by" not in checks_said(data_dir)["KPI-1"]
    [conflict] = issues(data_dir, "decisions_agree")
    assert conflict[0] == "ERROR" and conflict[1] == "KPI-1"
    assert "2025-26-Q1/a.csv row 2" in conflict[5] and "2025-26-Q1/b.csv row 2" in conflict[5]

    (data_dir / "signoff" / Q.folder / "b.csv").unlink()  # the query is withdrawn
    result = run_job(data_dir, "signoff_job", Q.key, instance=instance)
    assert check_results(result, "signoffs")["decisions_agree"] is True
    assert (
        checks_said(data_dir)["KPI-1"]
        == f"Checked by {MANAGER} on 22 July 2025 (recorded by file)."
    )


def test_a_decision_on_a_figure_that_does_not_exist_is_reported_and_never_attached(data_dir):
    council, instance = start(data_dir, with_svc=False)
    signoff(data_dir, "boss.csv", [["SVC-1", "approved", MANAGER, "22/07/2025 09:00", ""]])
    run_job(data_dir, "returns_job", Q.key, instance=instance)  # returns_complete blocks...
    run_job(data_dir, "signoff_job", Q.key, instance=instance)  # ...the sensor reads signoff/
    [issue] = issues(data_dir, "signoff_known")
    assert issue[:2] == ("WARN", "SVC-1") and issue[3:5] == ("2025-26-Q1/boss.csv", 2)
    assert "no figure" in issue[5]

    council.returns(Q, "r.csv", [good_row("KPI-1", Q, 55), good_row("SVC-1", Q, 12)])
    run_job(data_dir, "returns_job", Q.key, instance=instance)
    assert checks_said(data_dir)["SVC-1"] == "Not checked by the manager."


def test_a_checked_at_in_the_future_is_refused(data_dir):
    _, instance = start(data_dir)
    signoff(data_dir, "boss.csv", [["KPI-1", "approved", MANAGER, "22/07/2099 09:00", ""]])
    result = run_job(data_dir, "returns_job", Q.key, instance=instance)
    assert check_results(result, "signoffs")["signoff_readable"] is False
    assert checks_said(data_dir)["KPI-1"] == "Not checked by the manager."
    [issue] = issues(data_dir, "signoff_readable")
    assert issue[0] == "WARN" and issue[3:5] == ("2025-26-Q1/boss.csv", 2)
    assert "22/07/2099" in issue[5] or "2099" in issue[5]


def test_a_stray_file_or_a_mistyped_pi_does_not_hold_the_report_back(data_dir):
    """Problem 8: a notes.txt and a mistyped PI id are warnings in quality_issues; the report
    is still written."""
    _, instance = start(data_dir)
    folder = data_dir / "signoff" / Q.folder
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("remember to chase SVC-1\n")
    signoff(
        data_dir,
        "boss.csv",
        [
            ["KPl-1", "approved", MANAGER, "22/07/2025 09:00", ""],
            ["SVC-1", "approved", MANAGER, "22/07/2025 09:00", ""],
        ],
    )
    # the report's own run with what it needs here: the returns, the sign-offs, the report
    report = ("pi_returns", "quality_issues", "restatements", "signoffs")
    result = (
        build_defs(data_dir, pdf_printer=PlainPdfPrinter())
        .resolve_implicit_global_asset_job_def()
        .execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey(k) for k in (*report, "quarterly_performance_report")],
            partition_key=Q.key,
            raise_on_error=False,
        )
    )
    assert result.success
    checks = check_results(result, "signoffs")
    assert checks["signoff_readable"] is False and checks["signoff_known"] is False
    assert (data_dir / "reports" / Q.folder / "kpi_scorecard.html").exists()
    assert [(r[0], r[3], r[4]) for r in issues(data_dir, "signoff_readable")] == [
        ("WARN", "2025-26-Q1/notes.txt", None)
    ]
    [mistyped] = issues(data_dir, "signoff_known")
    assert mistyped[0] == "WARN" and mistyped[3:5] == ("2025-26-Q1/boss.csv", 2)
    assert "KPl-1" in mistyped[5]
    assert (
        checks_said(data_dir)["SVC-1"]
        == f"Checked by {MANAGER} on 22 July 2025 (recorded by file)."
    )
