"""The State of the District prints one population and one employment rate: the council's PIs
taken from those statistics (PB-05 Residents, PB-04 Employment rate) carry the report's own
figures, not a second value."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import build_resources
from pm_pipeline.defs.district.assets import district_context, state_of_the_district
from pm_pipeline.defs.district.layout import LayoutError
from pm_pipeline.defs.district.reference import read_reference_dir
from pm_pipeline_tests.council import Council, RunInstance, pi, query, run_job, write_csv
from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

from .files import nomis_header
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
    instance = RunInstance.get()
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


def claimant_csv(path: Path, rows: list[tuple[str, str, int, object]], ages: int = 1) -> Path:
    """NM_162_1 as the Nomis API writes it: (month, area code, MEASURE, value) rows, all
    people aged 16+ (or `ages` different AGE values, to break it)."""
    header = nomis_header(["DATE", "GEOGRAPHY", "GENDER", "AGE", "MEASURE", "MEASURES"])
    body = []
    for i, (month, code, measure, value) in enumerate(rows):
        body.append(
            [
                *[month, f"Month {month}", month, "date", 0, i],
                *[1946157000 + i, "Testshire", code, "district", 424, i],
                *[0, "Total", 0, "gender", 0, 0],
                *[i % ages, "All categories: Age 16+", i % ages, "age", 0, 0],
                *[measure, "Measure", measure, "measure", 0, measure],
                *[20100, "Value", 20100, "measures", 0, 20100],
                *["" if value is None else value, "A", "Normal Value", "F", "Free", i, len(rows)],
            ]
        )
    return write_csv(path, header, body)


def test_the_claimant_count_is_read_as_nomis_publishes_it(data_dir: Path) -> None:
    ref = data_dir / "reference"
    claimant_csv(
        ref / "NM_162_1.data.csv",
        [("2026-09", "E07000999", 1, 2_105), ("2026-09", "E07000999", 2, 3.3)],
    )
    context = read_reference_dir(ref).context.set_index("measure")
    assert context.loc["claimant_rate", "value"] == 3.3
    assert context.loc["claimant_count", "value"] == 2_105
    assert context.loc["claimant_rate", "period_end"] == date(2026, 9, 30)
    assert context.loc["claimant_rate", "available_from"] == date(2026, 10, 20)
    assert context.loc["claimant_rate", "source"] == "ONS Claimant Count (Nomis)"


def test_a_claimant_count_by_age_or_of_another_measure_is_refused(data_dir: Path) -> None:
    ref = data_dir / "reference"
    rows = [("2026-09", "E07000999", 2, 3.3), ("2026-08", "E07000999", 2, 3.2)]
    claimant_csv(ref / "NM_162_1.data.csv", rows, ages=2)
    with pytest.raises(
        LayoutError, match=r"column 'AGE': 2 different values .*Download the total only \(age=0\)"
    ):
        read_reference_dir(ref)
    claimant_csv(ref / "NM_162_1.data.csv", [("2026-09", "E07000999", 3, 2.9)])
    with pytest.raises(LayoutError, match=r"row 2, column 'MEASURE': this pipeline reads MEASURE"):
        read_reference_dir(ref)
