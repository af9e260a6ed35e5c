"""The register's `statistic` and `statistic_use` columns: a PI that measures an official
statistic names it and says whether it is taken from the source or checked against it."""

from pathlib import Path

import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.district.catalogue import BY_KEY
from pm_pipeline.defs.register.load import load_register, returns_owed
from pm_pipeline.defs.register.statistics import OFFICIAL_STATISTICS
from pm_pipeline_tests.council import pi
from pm_pipeline_tests.register.test_load import council, problems


def population(**kwargs: str) -> dict:
    fields = {"statistic": "population", "statistic_use": "taken", "unit": "count", **kwargs}
    return pi("PB-05", "Residents", "place", polarity="neutral", frequency="annual", **fields)


def test_a_pi_taken_from_a_statistic_loads_and_owes_no_return(data_dir: Path) -> None:
    rate = pi(
        "PB-04",
        "Employment rate",
        "place",
        frequency="annual",
        statistic="Employment_Rate",
        statistic_use="Checked",
    )
    council(
        data_dir,
        indicators=[pi("KPI-1", "Recycling rate"), population(), rate],
        targets=[("KPI-1", "2025/26", 50, "")],
    )
    indicators = load_register(data_dir / "config").indicators.set_index("pi_id")
    assert indicators.at["PB-05", "statistic"] == "population"
    assert indicators.at["PB-05", "statistic_use"] == "taken"
    assert indicators.at["PB-04", "statistic_use"] == "checked"  # case-folded
    assert is_missing(indicators.at["KPI-1", "statistic"])
    owed = returns_owed(indicators.reset_index(), Quarter(2025, 4))
    assert set(owed["pi_id"]) == {"KPI-1", "PB-04"}  # the taken PI is not chased


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"statistic": "residents"},
            "indicators.csv, row 2, column statistic: 'residents' is not an official statistic "
            "the State of the District reads (population, employment_rate, claimant_rate)",
        ),
        (
            {"statistic_use": "copied"},
            "indicators.csv, row 2, column statistic_use: 'copied' is not one of taken, checked",
        ),
        (
            {"statistic_use": ""},
            "indicators.csv, row 2, column statistic_use: '' is not one of taken, checked",
        ),
        (
            {"statistic": ""},
            "indicators.csv, row 2, column statistic_use: 'taken' but the statistic column is "
            "blank — name the official statistic",
        ),
        (
            {"unit": "rate"},
            "indicators.csv, row 2, column unit: 'rate' but Population (mid-year estimate) is "
            "published as a count — a PI measuring it must have unit count",
        ),
    ],
)
def test_a_bad_statistic_is_a_register_error_naming_row_and_column(
    data_dir: Path, fields: dict, expected: str
) -> None:
    council(data_dir, indicators=[population(**fields)], targets=[])
    assert expected in problems(data_dir)


def test_every_statistic_is_one_the_state_of_the_district_reads() -> None:
    """The register's names are the report's figure keys, read from the same rows."""
    for name, statistic in OFFICIAL_STATISTICS.items():
        figure = BY_KEY[name]
        assert (figure.dataset, figure.measure, figure.parts) == (
            statistic.dataset,
            statistic.measure,
            (statistic.category,),
        )
        assert figure.whole is None and not figure.change
