"""Mail goes to the register's owner and manager addresses, so a malformed one stops the
register with its row and column named (and a good one loads)."""

import pytest

from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.model import RegisterError
from pm_pipeline_tests.council import Council, pi


def test_malformed_owner_or_manager_address_is_a_register_error_naming_the_row(data_dir):
    bad_manager = {**pi("KPI-2", "Reuse"), "manager": "Helen Morris"}
    Council(
        data_dir,
        indicators=[pi("KPI-1", "Recycling", owner="owner at test.example"), bad_manager],
    ).write()
    with pytest.raises(RegisterError) as caught:
        load_register(data_dir / "config")
    message = str(caught.value)
    assert "row 2, column owner: 'owner at test.example' is not an e-mail address" in message
    assert "row 3, column manager: 'Helen Morris' is not an e-mail address" in message


def test_well_formed_addresses_load(data_dir):
    Council(data_dir, indicators=[pi("KPI-1", "Recycling", owner="a.b@test.example")]).write()
    register = load_register(data_dir / "config")
    assert register.indicators.at[0, "owner"] == "a.b@test.example"
    assert register.indicators.at[0, "manager"] == "manager@test.example"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("a@[1.2.3.4", "is not an e-mail address"),
        ("a@[1.2.3.4]", "is not an e-mail address"),
        ("one@test.example,two@test.example", "is not one e-mail address"),
        ("Amira Khan <amira@test.example>", "is not one e-mail address"),
        ("x" * 290 + "@t.example", "is 300 characters long"),
    ],
    ids=["unclosed-literal", "ip-literal", "two-addresses", "display-name", "300-characters"],
)
def test_an_address_mail_could_not_go_to_is_a_register_error(data_dir, address: str, why: str):
    """The register is where recipients come from, so it holds one deliverable address per
    owner and manager (checked by the standard library's address parser)."""
    Council(data_dir, indicators=[pi("KPI-1", "Recycling", owner=address)]).write()
    with pytest.raises(RegisterError) as caught:
        load_register(data_dir / "config")
    message = str(caught.value)
    assert "row 2, column owner:" in message and why in message
    assert len(message) < 800
