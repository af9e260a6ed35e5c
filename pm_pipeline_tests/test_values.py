"""The core's one GSS-code validator and one number parser, as every domain now reads them."""

from __future__ import annotations

import pytest

from pm_pipeline.core.values import is_gss_code, parse_number
from pm_pipeline.defs.benchmarks.areas import area_code_problem
from pm_pipeline.defs.district.layout import LayoutError, area_code


@pytest.mark.parametrize("code", ["E07000171", "W06000015", "S12000033", "N09000003", "K02000001"])
def test_gss_codes_of_every_nation_and_the_uk_are_accepted(code: str) -> None:
    assert is_gss_code(code)
    assert area_code(code, "f.csv", 2, "code") == code  # the district reader agrees


@pytest.mark.parametrize(
    "code", ["E7000171", "E070001711", "X07000171", "e07000171", " E07000171", "", "K0200000A"]
)
def test_anything_else_is_refused(code: str) -> None:
    assert not is_gss_code(code)


def test_the_register_accepts_a_k_code_like_the_benchmarks_do(tmp_path) -> None:
    """The register's comparators once refused K codes the benchmark files accept."""
    from pm_pipeline.defs.register.load import read_council

    council = tmp_path / "council.yaml"
    council.write_text(
        "name: X\narea_code: E07000171\nregion_code: K04000001\nthemes: [Health]\n",
        encoding="utf-8",
    )
    assert read_council(council).region_code == "K04000001"
    council.write_text(
        "name: X\narea_code: E07000171\nregion_code: Q04000001\nthemes: [Health]\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="'Q04000001' is not a GSS code"):
        read_council(council)
    assert area_code_problem("K02000001") is None


def test_a_misread_district_code_names_the_cell() -> None:
    with pytest.raises(LayoutError, match="row 4, column 'code': 'E7000171' is not a GSS"):
        area_code("E7000171", "f.csv", 4, "code")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234", 1234.0), ("-5", -5.0), ("+2.5", 2.5), ("1e3", 1000.0), ("", None), (" 7 ", 7.0)],
)
def test_plain_numbers_read_the_same_with_or_without_symbols(text: str, value: float) -> None:
    assert parse_number(text) == value
    assert parse_number(text, symbols=False) == value


@pytest.mark.parametrize(
    ("text", "value"), [("85%", 85.0), ("£1,234.50", 1234.5), ("(12.5)", -12.5)]
)
def test_unit_signs_are_read_in_returns_and_refused_where_they_would_be_guessed(
    text: str, value: float
) -> None:
    assert parse_number(text) == value
    with pytest.raises(ValueError, match="no %, £ or brackets"):
        parse_number(text, symbols=False)


@pytest.mark.parametrize("text", ["NaN", "inf", "1e309", "4O.1", "n/a", "12,5"])
def test_what_is_not_a_finite_number_is_refused_both_ways(text: str) -> None:
    for symbols in (True, False):
        with pytest.raises(ValueError, match="not a"):
            parse_number(text, symbols=symbols)
