"""Issue 28's register: config/services.csv (directorates, heads of service, cost centres),
the scorecard_section column and council.yaml's finance settings, each checked like the rest
of the register (file, row, column, what to write)."""

from pathlib import Path

import duckdb
import pytest

from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.model import RegisterError
from pm_pipeline.defs.register.store import read_register, write_register
from pm_pipeline_tests.council import Council, pi

HEAD = "Head.Housing@test.example"


def council(root: Path, services: list[list[str]] | None, **settings: object) -> Path:
    housing = {**pi("HS-1", "Preventions", unit="count"), "service": "Housing"}
    complaints = {
        **pi("CX-1", "Complaints received", type_="contextual", unit="count"),
        "service": "Housing",
        "scorecard_section": "Customers",
    }
    made = Council(root, indicators=[housing, complaints], targets=[], settings=settings).write()
    if services is not None:
        made.services(services)
    return root / "config"


def problems(config: Path) -> str:
    with pytest.raises(RegisterError) as caught:
        load_register(config)
    return str(caught.value)


def test_services_give_each_service_its_directorate_and_load_into_the_warehouse(data_dir):
    config = council(
        data_dir,
        [["Housing", "Place", HEAD, "cc100; CC110"], ["Leisure", "Communities", HEAD, ""]],
        finance={"net_budget": {"2026/27": 3_000_000}, "red_pct": 4},
    )
    register = load_register(config)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        write_register(conn, register)
        back = read_register(conn)
    rows = back.services.set_index("service")
    assert rows.at["Housing", "directorate"] == "Place"
    assert rows.at["Housing", "head_of_service"] == HEAD.casefold()
    assert list(rows.at["Housing", "cost_centres"]) == ["CC100", "CC110"]
    assert dict(
        zip(back.indicators["pi_id"], back.indicators["scorecard_section"], strict=True)
    ) == {
        "HS-1": "performance",  # blank: performance
        "CX-1": "customers",
    }
    settings = back.council.finance
    assert settings.net_budget == (("2026/27", 3_000_000.0),)
    assert (settings.red_pct, settings.red_gbp) == (4.0, 100_000.0)  # the rest: defaults


def test_without_services_csv_the_register_still_loads(data_dir):
    register = load_register(council(data_dir, None))
    assert register.services.empty


def test_each_services_problem_names_file_row_and_column_and_what_to_write(data_dir):
    found = problems(
        council(
            data_dir,
            [
                ["Leisure", "", HEAD, "CC100"],
                ["Leisure", "Communities", "not an address", "cc100"],
            ],
        )
    )
    assert "services.csv, row 2, column directorate: empty — write the directorate's name" in found
    assert "services.csv, row 3, column service: 'Leisure' duplicates row 2" in found
    assert "services.csv, row 3, column head_of_service: 'not an address'" in found
    assert "services.csv, row 3, column cost_centres: CC100 is already row 2's cost centre" not in (
        found  # the same service's cost centre twice is a duplicate row, not a clash
    )
    assert (
        "services.csv: no row for the service 'Housing' that indicators.csv gives for HS-1 — "
        "add a row: Housing,<directorate>,<head of service e-mail>"
    ) in found


def test_a_cost_centre_belongs_to_one_service(data_dir):
    found = problems(
        council(
            data_dir,
            [["Housing", "Place", HEAD, "CC100"], ["Leisure", "Communities", HEAD, "CC100"]],
        )
    )
    assert "services.csv, row 3, column cost_centres: CC100 is already row 2's cost centre" in found


def test_an_unknown_scorecard_section_stops_the_register_naming_row_and_column(data_dir):
    config = council(data_dir, None)
    text = (config / "indicators.csv").read_text().replace("Customers", "Complaints")
    (config / "indicators.csv").write_text(text)
    found = problems(config)
    assert (
        "indicators.csv, row 3, column scorecard_section: 'Complaints' is not one of "
        "performance, finance, customers, people"
    ) in found


def test_finance_settings_in_council_yaml_are_checked_by_key(data_dir):
    found = problems(
        council(
            data_dir,
            None,
            finance={"net_budget": {"2026/27": "lots", "26/27": 5}, "red_pct": 150, "colour": 1},
        )
    )
    assert "council.yaml, key finance.colour: not a finance setting" in found
    assert "council.yaml, key finance.red_pct: '150' must be a percentage" in found
    assert (
        "council.yaml, key finance.net_budget, 2026/27: 'lots' is not an amount in pounds" in found
    )
    assert "council.yaml, key finance.net_budget: '26/27' is not a financial year" in found
