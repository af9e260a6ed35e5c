"""config/people.csv: optional; read, checked like the register, loaded into register_people,
and where a manager's delegate is named."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.model import RegisterError
from pm_pipeline.defs.register.store import read_register, write_register
from pm_pipeline_tests.council import Council, pi, write_csv

HEADER = ["email", "name", "job_title", "service", "role", "delegate_for"]
OWNER, MANAGER = "owner@test.example", "manager@test.example"
PEOPLE = [
    [OWNER, "Olu Owens", "Performance officer", "Test service", "owner", ""],
    ["Manager@Test.example", "Mina Marsh", "Head of service", "Test service", "manager", ""],
    ["deputy@test.example", "Dev Patel", "Deputy head", "Test service", "delegate", MANAGER],
    ["data@test.example", "Dana Ray", "", "", "performance_team", ""],
]


def council(root: Path, people: list[list[str]] | None = PEOPLE) -> Path:
    Council(root, indicators=[pi("KPI-1", "Recycling rate")], targets=[]).write()
    if people is not None:
        write_csv(root / "config" / "people.csv", HEADER, people)
    return root / "config"


def problems(config: Path) -> str:
    with pytest.raises(RegisterError) as caught:
        load_register(config)
    return str(caught.value)


def test_people_load_into_the_warehouse_and_name_the_delegates(data_dir):
    register = load_register(council(data_dir))
    assert list(register.people["email"]) == [
        OWNER,
        MANAGER,  # stored lower-case, as checked_by is
        "deputy@test.example",
        "data@test.example",
    ]
    assert register.deciders() == {"KPI-1": {MANAGER: "manager", "deputy@test.example": "delegate"}}
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        write_register(conn, register)
        back = read_register(conn)
    assert back.people.set_index("email").at["deputy@test.example", "delegate_for"] == MANAGER
    assert pd.isna(back.people.set_index("email").at["data@test.example", "job_title"])


def test_without_people_csv_only_the_manager_decides(data_dir):
    register = load_register(council(data_dir, people=None))
    assert register.people.empty
    assert register.deciders() == {"KPI-1": {MANAGER: "manager"}}


def test_each_problem_names_file_row_and_column_and_what_to_write(data_dir):
    bad = [
        [OWNER, "Olu Owens", "", "", "owner", ""],
        ["owner@TEST.example", "Olu again", "", "", "owner", ""],
        ["not-an-address", "Nobody", "", "", "manager", ""],
        ["x@test.example", "", "", "", "boss", ""],
        ["d1@test.example", "Dee One", "", "", "delegate", "someone@test.example"],
        ["d2@test.example", "Dee Two", "", "", "delegate", ""],
        ["m2@test.example", "Em Two", "", "", "manager", MANAGER],
    ]
    message = problems(council(data_dir, bad))
    for expected in (
        "people.csv, row 3, column email: 'owner@TEST.example' duplicates row 2",
        "people.csv, row 4, column email: 'not-an-address' is not an e-mail address",
        "people.csv, row 5, column name: empty",
        "people.csv, row 5, column role: 'boss' is not one of owner, manager, delegate, "
        "performance_team",
        "people.csv, row 6, column delegate_for: 'someone@test.example' is not the manager of "
        "any PI in indicators.csv",
        "people.csv, row 7, column delegate_for: empty — write the e-mail of the manager",
        "people.csv, row 8, column delegate_for: only a delegate decides for a manager",
    ):
        assert expected in message, expected


def test_a_people_file_without_its_required_columns_is_named(data_dir):
    config = council(data_dir, people=None)
    write_csv(config / "people.csv", ["email", "name"], [[OWNER, "Olu"]])
    assert "people.csv" in problems(config) and "role" in problems(config)


def test_the_sample_council_names_every_owner_and_manager_and_one_delegate(tmp_path):
    from pm_pipeline.sample import catalogue as cat
    from pm_pipeline.sample.generate import write_register

    write_register(tmp_path, cat.CATALOGUE)
    assert (tmp_path / "config" / "people.csv").read_text().startswith("SAMPLE DATA")
    register = load_register(tmp_path / "config")
    indicators = register.indicators
    named = set(register.people["email"])
    assert set(indicators["owner"]) | set(indicators["manager"].dropna()) <= named
    [delegate] = register.people[register.people["role"] == "delegate"].to_dict("records")
    assert delegate["delegate_for"] in set(indicators["manager"])


def test_every_output_names_a_person_by_name_and_job_title_or_else_by_address(data_dir):
    """`Register.names`, the one way a report, list, sheet or e-mail shows a person: people.csv's
    name and job title, found whatever the address's case; an address people.csv does not list
    (it is optional) as it is; a blank cell as nothing."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        write_register(conn, load_register(council(data_dir)))
        names = read_register(conn).names
    assert names.named(OWNER) == "Olu Owens, Performance officer"
    assert names.named("MANAGER@test.example") == "Mina Marsh, Head of service"
    assert names.named("data@test.example") == "Dana Ray"  # no job title: the name alone
    assert names.name(OWNER) == "Olu Owens"  # to greet them by
    assert names.named("stranger@test.example") == "stranger@test.example"
    assert names.name("stranger@test.example") == "stranger@test.example"
    assert names.named(None) == names.named(float("nan")) == ""
    unlisted = load_register(council(data_dir / "without", people=None)).names
    assert unlisted.named(OWNER) == OWNER
