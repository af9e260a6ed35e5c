"""Backfilling every quarter in one command, twice, gives identical tables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline_tests.council import Council, good_row, pi, snapshot

REPO = Path(__file__).resolve().parent.parent
FIRST, LAST = Quarter(2023, 1), Quarter(2026, 2)
REGISTER_SELECTION = (
    "indicator_register,register_council,register_targets,register_comparators,register_people"
)
TABLES = ("pi_returns", "quality_issues", "kpi_scorecard", "kpi_exceptions", "restatements")


def quarters() -> list[Quarter]:
    out = [FIRST]
    while out[-1] < LAST:
        out.append(out[-1].next)
    return out


def dagster(*args: str) -> None:
    command = [
        str(Path(sys.executable).parent / "dagster"),
        "asset",
        "materialize",
        "-m",
        "pm_pipeline_tests.plain_definitions",  # the product's, printing without a browser
        *args,
    ]
    done = subprocess.run(command, cwd=REPO, env=os.environ, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(900)  # fourteen quarters, twice, through the command line
def test_backfill_2023_to_2026_in_one_command_is_repeatable(data_dir):
    days = pi("DAY-1", "Days to decide", type_="service", unit="days", polarity="lower_is_better")
    council = Council(
        data_dir,
        indicators=[pi("KPI-1", "Recycling rate"), days],
        targets=[("KPI-1", f"{y}/{(y + 1) % 100}", 50, "") for y in range(2023, 2027)],
    ).write()
    for n, quarter in enumerate(quarters()):
        rows = [good_row("KPI-1", quarter, 45 + n * 0.7), good_row("DAY-1", quarter, 30 - n)]
        council.returns(quarter, "returns.csv", rows)
    dagster("--select", REGISTER_SELECTION)
    selection = (
        "pi_returns,quality_issues,restatements,kpi_scorecard,kpi_exceptions,"
        "quarterly_performance_report,quarterly_report_pdf"
    )
    dagster("--select", selection, "--partition-range", f"{FIRST.key}...{LAST.key}")
    first = snapshot(data_dir, TABLES)
    assert len(first["pi_returns"]) == 2 * len(quarters())
    assert len(first["kpi_scorecard"]) == 2 * len(quarters())
    assert all((data_dir / "reports" / q.folder / "kpi_scorecard.pdf").exists() for q in quarters())
    dagster("--select", selection, "--partition-range", f"{FIRST.key}...{LAST.key}")
    assert snapshot(data_dir, TABLES) == first
