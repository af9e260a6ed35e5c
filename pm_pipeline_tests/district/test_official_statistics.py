"""The State of the District prints one population and one employment rate: the council's PIs
taken from those statistics (PB-05 Residents, PB-04 Employment rate) carry the report's own
figures, not a second value."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import build_resources
from pm_pipeline.defs.district.assets import district_context, state_of_the_district
from pm_pipeline_tests.council import Council, pi, query, run_job
from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

from .test_state_of_the_district import HALF_KEY, read_page, row, write_reference

YEAR_END = Quarter(2025, 4)  # 2025/26 Q4: the annual PIs' latest year


def build(root: Path) -> Path:
    Council(
        root,
        indicators=[
            pi(
                "PB-04",
                "Employment rate (aged 16-64)",
                "place",
                frequency="annual",
                theme="Prosperity",
                statistic="employment_rate",
                statistic_use="taken",
            ),
            pi(
                "PB-05",
                "Residents (mid-year estimate)",
                "place",
                unit="count",
                polarity="neutral",
                frequency="annual",
                decimals=0,
                theme="Prosperity",
                statistic="population",
                statistic_use="taken",
            ),
        ],
        themes=("People", "Place", "Prosperity"),
    ).write()
    write_reference(root / "reference")
    # The owner still sends the old figures: they must not reach any report.
    Council(root).returns(
        YEAR_END,
        "policy.csv",
        [
            ["PB-04", YEAR_END.label, "79.1", "", "", "final", "Survey.", "o@test.example", ""],
            ["PB-05", YEAR_END.label, "141500", "", "", "final", "Count.", "o@test.example", ""],
        ],
    )
    instance = dg.DagsterInstance.get()
    resources = {**build_resources(root), "pdf_printer": PlainPdfPrinter()}
    assert run_job(root, "register_job", instance=instance).success
    assert dg.materialize([district_context], resources=resources, instance=instance).success
    assert run_job(root, "returns_job", YEAR_END.key, instance=instance).success
    result = dg.materialize(
        [state_of_the_district], resources=resources, instance=instance, partition_key=HALF_KEY
    )
    assert result.success
    return root / "reports" / "2026-27-H1" / "state_of_the_district.html"


def test_the_report_prints_one_population_and_one_employment_rate(data_dir: Path) -> None:
    page, reader = read_page(build(data_dir))
    people = (
        "Population and age: the district compared with similar councils, East Midlands and England"
    )
    jobs = "Employment: the district compared with similar councils, East Midlands and England"
    indicators = "Prosperity: place-based and contextual indicators, 2026/27 H1"
    population = row(reader, people, "Population")[1]
    employment = row(reader, jobs, "Employment rate (aged 16-64)")[1]
    assert (population, employment) == ("101,000 mid-2025", "73.4% Jul 2025-Jun 2026")
    assert row(reader, indicators, "PB-05")[2] == population
    assert row(reader, indicators, "PB-04")[2] == employment
    # The owners' figures appear nowhere; the year's taken figure (72.5%, the APS year to
    # December 2025, the latest release within 2025/26) only as the release six months before.
    assert "141,500" not in page and "79.1%" not in page
    assert row(reader, indicators, "PB-04")[3] == "72.5% Jan 2025-Dec 2025"
    assert "Taken from ONS mid-year population estimates, mid-2025: the same figure as " in page
    # The quarterly reports read the year's figure from the same source.
    assert query(
        data_dir,
        "SELECT pi_id, value FROM pi_returns WHERE period = ? ORDER BY pi_id",
        YEAR_END.key,
    ) == [("PB-04", 72.5), ("PB-05", 101_000.0)]
