"""The asset graph tells the truth: every warehouse table is an asset with its columns, history
reads are declared, any one asset can be materialised alone, and a restated quarter rebuilds
the later scorecards by itself."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.periods import HALF_YEARLY, MONTHLY, QUARTERLY, Month, Quarter
from pm_pipeline.definitions import build_defs
from pm_pipeline.defs.operations.exports import WAREHOUSE
from pm_pipeline_tests.council import Council, RunInstance, good_row, pi, query, run_job
from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

QUARTERS = [Quarter(2025, 1), Quarter(2025, 2), Quarter(2025, 3)]


def council(root: Path) -> Council:
    c = Council(
        root,
        indicators=[
            pi("KPI-1", "Recycling rate"),
            pi("SVC-1", "Days", type_="service", unit="days", polarity="lower_is_better"),
        ],
        targets=[("KPI-1", "2025/26", 50, ""), ("SVC-1", "2025/26", 10, "")],
    ).write()
    for n, q in enumerate(QUARTERS):
        c.returns(q, "all.csv", [good_row("KPI-1", q, 50 + n), good_row("SVC-1", q, 9)])
    c.finance(  # the last quarter's last month, for the monthly assets
        Month.containing(QUARTERS[-1].end),
        "budget.csv",
        [["Test service", "100000", "75000", "100000", ""]],
        ["service", "annual_budget", "actual_to_date", "forecast_outturn", "commentary"],
    )
    return c


def test_every_warehouse_table_is_an_asset_with_its_columns():
    graph = build_defs().resolve_asset_graph()
    tables = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = node.metadata.get("dagster/table_name")
        assert node.owners == ["team:performance"], key
        assert node.description, key
        if name:
            schema = node.metadata["dagster/column_schema"]
            tables[name] = [(c.name, c.type) for c in schema.columns]
    assert tables == {t.name: list(t.columns.items()) for t in WAREHOUSE.values()}


def test_history_reads_are_declared():
    graph = build_defs().resolve_asset_graph()
    parents = graph.get_parent_partition_keys_for_child
    returns, scorecard = dg.AssetKey("pi_returns"), dg.AssetKey("kpi_scorecard")
    read = parents("2025-10-01", returns, scorecard).partitions_subset.get_partition_keys()
    assert {"2025-07-01", "2024-10-01", "2025-10-01"} <= set(read)  # last quarter, last year
    spc_window = parents("2026-07-01", returns, scorecard).partitions_subset.get_partition_keys()
    assert spc_window[0] == "2021-04-01" and spc_window[-1] == "2026-07-01"  # up to 24 quarters
    assert len(parents("2027-01-01", returns, scorecard).partitions_subset) <= 24
    movement = parents("2025-10-01", returns, returns).partitions_subset.get_partition_keys()
    assert "2025-07-01" in movement and "2025-10-01" not in movement
    annual = dg.AssetKey("annual_performance_report")
    years = parents("2025-04-01", returns, annual).partitions_subset.get_partition_keys()
    assert years[0] == "2024-04-01" and years[-1] == "2026-01-01"  # two financial years


@pytest.mark.slow  # the quarterly job, then every asset alone
def test_every_asset_materialises_alone(data_dir):
    """After one cycle, each asset on its own (the UI's or CLI's single selection) runs."""
    council(data_dir)
    instance = RunInstance.get()
    q = QUARTERS[-1]
    assert run_job(data_dir, "quarterly_performance_job", q.key, instance=instance).success
    defs = build_defs(data_dir, pdf_printer=PlainPdfPrinter())  # the graph, not the pages
    graph = defs.resolve_asset_graph()
    for key in sorted(graph.get_all_asset_keys()):
        partition = {
            None: None,
            QUARTERLY: q.key,
            HALF_YEARLY: q.half.key,
            MONTHLY: Month.containing(q.end).key,
        }.get(graph.get(key).partitions_def, q.financial_year.key)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[key], partition_key=partition, raise_on_error=False
        )
        assert result.success, key
        materialised = {e.asset_key for e in result.get_asset_materialization_events()}
        assert materialised == {key}, key  # nothing written but what was selected
    rows = query(data_dir, "SELECT count(*) FROM pi_returns WHERE period = ?", q.key)
    assert rows == [(2,)]


@pytest.mark.slow  # dagster asset materialize, in subprocesses
def test_the_documented_selections_run_from_the_command_line(data_dir):
    council(data_dir)
    cli = [str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-m"]
    for select, key in (
        (
            "indicator_register,register_council,register_targets,register_comparators,register_people",
            None,
        ),
        ("pi_returns", "2025-10-01"),
        ("+kpi_scorecard", "2025-04-01"),
    ):
        args = [*cli, "pm_pipeline.definitions", "--select", select]
        done = subprocess.run(
            args + (["--partition", key] if key else []), capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert query(data_dir, "SELECT count(*) FROM kpi_scorecard WHERE period = '2025-04-01'") == [
        (2,)
    ]
