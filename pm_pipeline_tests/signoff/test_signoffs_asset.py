"""One Dagster run of returns + sign-offs on a two-PI council: the table, the checks, and what
the report says of each figure."""

from pathlib import Path

import dagster as dg
import duckdb

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.reports.signoff_view import signoff_view
from pm_pipeline_tests.council import (
    check_results,
    good_row,
    kpi_and_service,
    query,
    run_job,
    write_csv,
)

Q = Quarter(2025, 1)


def test_signoffs_asset_binds_figures_and_reports_checks(data_dir: Path):
    council = kpi_and_service(data_dir)
    council.returns(Q, "r.csv", [good_row("KPI-1", Q, 55), good_row("SVC-1", Q, 12)])
    write_csv(
        data_dir / "signoff" / Q.folder / "boss.csv",
        ["PI ID", "Decision", "Checked by", "Checked at", "Comment"],
        [
            ["KPI-1", "approved", "manager@test.example", "22/07/2025 09:00", ""],
            ["SVC-1", "query", "manager@test.example", "22/07/2025 09:30", "Why so low?"],
            ["NOPE-1", "approved", "manager@test.example", "22/07/2025", ""],
            ["SVC-1", "approved", "deputy@test.example", "22/07/2025 10:00", ""],
        ],
        encoding="utf-8-sig",
    )
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    result = run_job(data_dir, "returns_job", Q.key, instance=instance)
    checks = check_results(result)
    assert checks["manager_query_open"] is False  # blocking: the run fails
    assert checks["checked_by_manager"] is False  # the deputy is nobody's delegate
    assert checks["signoff_known"] is False
    assert checks["signoff_readable"] is True
    assert checks["decisions_agree"] is True  # the deputy's approval is not counted
    assert checks["manager_checked"] is True  # KPI-1 approved; SVC-1's problem is the query
    rows = query(
        data_dir,
        "SELECT pi_id, decision, checked_by, source_file, source_row, version, figure_file, "
        "figure_row, binding, decided_as, counted FROM signoffs ORDER BY pi_id, checked_at",
    )
    boss, r = "2025-26-Q1/boss.csv", "2025-26-Q1/r.csv"
    manager, deputy = "manager@test.example", "deputy@test.example"
    assert rows == [
        ("KPI-1", "approved", manager, boss, 2, 1, r, 2, "figure", "manager", True),
        ("SVC-1", "query", manager, boss, 3, 1, r, 3, "figure", "manager", True),
        ("SVC-1", "approved", deputy, boss, 5, 1, r, 3, "figure", None, False),
    ]
    figures = query(data_dir, "SELECT pi_id, value, source_file FROM signoff_figures ORDER BY 1")
    assert figures == [("KPI-1", 55.0, r), ("SVC-1", 12.0, r)]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        view = signoff_view(conn, Q, read_register(conn))
    assert (
        view["checks"]["KPI-1"]["text"]
        == "Checked by manager@test.example on 22 July 2025 (recorded by file)."
    )
    assert view["checks"]["SVC-1"]["text"].startswith("Not checked by the manager: queried")
    assert view["signoff"]["sentence"] == "1 of 2 figures (50%) were checked by their manager."

    # the owner changes KPI-1's figure: its approval lapses, and the report says so
    council.returns(Q, "r.csv", [good_row("KPI-1", Q, 56), good_row("SVC-1", Q, 12)])
    result = run_job(data_dir, "returns_job", Q.key, instance=instance)
    assert check_results(result)["manager_checked"] is False
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        view = signoff_view(conn, Q, read_register(conn))
    assert "changed since it was approved" in view["checks"]["KPI-1"]["text"]
    assert view["signoff"]["checked"] == 0

    # the sign-off sensor: nothing to do while the folder is as read; a manager's save -> one run
    from pm_pipeline.core.warehouse import build_resources
    from pm_pipeline.defs.signoff.watch import signoff_sensor

    def requests() -> list:
        context = dg.build_sensor_context(instance=instance, resources=build_resources(data_dir))
        return [r for r in signoff_sensor(context) if isinstance(r, dg.RunRequest)]

    assert requests() == []
    write_csv(
        data_dir / "signoff" / Q.folder / "boss.csv",
        ["pi_id", "decision", "checked_by", "checked_at"],
        [["KPI-1", "approved", "manager@test.example", "25/07/2025"]],
    )
    assert [r.partition_key for r in requests()] == [Q.key]
