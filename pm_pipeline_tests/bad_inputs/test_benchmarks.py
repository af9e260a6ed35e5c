"""Broken benchmark files: Oflog CSV/XLSX and the LG Inform cache, each problem located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pm_pipeline.defs.benchmarks.cache import CacheProblem, from_json
from pm_pipeline.defs.benchmarks.oflog import OflogError, parse_file, read_oflog_folder
from pm_pipeline_tests.bad_inputs.support import workbook

HEADER = ["Financial year", "Local authority code", "Local authority name", "Measure", "Code"]


def oflog_row(code: str = "E07000171", value: str = "41.2", year: str = "2022-23") -> list[str]:
    return [year, code, "Bassetlaw", "Household waste recycled", "WM1", value]


def oflog_csv(*rows: list[str], header: list[str] | None = None, sep: str = ",") -> bytes:
    lines = [header or [*HEADER, "Value"], *rows]
    return ("\n".join(sep.join(cells) for cells in lines) + "\n").encode()


def problems(data: bytes, name: str = "oflog/waste.csv") -> list[str]:
    with pytest.raises(OflogError) as caught:
        parse_file(data, name)
    return caught.value.problems


@pytest.mark.parametrize("value", ["n/a", "NaN", "inf", "1e309", "#N/A", "41.2%", "4I.2"])
def test_a_value_that_is_not_a_number(value: str):
    found = problems(oflog_csv(oflog_row(), oflog_row(code="E07000170", value=value)))
    assert found == [
        f"oflog/waste.csv, row 3, column Value: '{value}' is not a number — give a number, or "
        "leave the cell empty when the value is missing"
    ]


def test_a_missing_code_column():
    header = [h for h in HEADER if h != "Code"] + ["Value"]
    found = problems(
        oflog_csv(["2022-23", "E07000171", "Bassetlaw", "Waste", "41.2"], header=header)
    )
    assert found[0].startswith("oflog/waste.csv, row 1: missing column(s) Code — the Oflog")


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("E05000001", "'E05000001' is not a council, region or country code"),
        ("E7000171", "'E7000171' is not a GSS area code like E07000171"),
        ("Bassetlaw", "'BASSETLAW' is not a GSS area code"),
        ("", "the area code is empty"),
    ],
)
def test_an_unknown_area_code(code: str, says: str):
    found = problems(oflog_csv(oflog_row(code=code)))
    assert found[0].startswith(f"oflog/waste.csv, row 2, column Local authority code: {says}")


def test_a_year_that_is_not_a_financial_year():
    found = problems(oflog_csv(oflog_row(year="2022")))
    assert found[0].startswith("oflog/waste.csv, row 2, column Financial year: '2022' is not")


def test_a_cp1252_semicolon_file_reads():
    data = oflog_csv([*oflog_row()[:3], "Spend £ per head", "FN1", "12.5"], sep=";")
    frame = parse_file(data.decode().encode("cp1252"), "oflog/spend.csv")
    assert frame.iloc[0]["metric_name"] == "Spend £ per head" and frame.iloc[0]["value"] == 12.5


def test_a_row_split_by_an_unquoted_comma():
    data = oflog_csv(oflog_row(), oflog_row(code="E07000170"))
    data = data.replace(b"E07000170,Bassetlaw,Household", b"E07000170,Bassetlaw,Household, all")
    found = problems(data)
    assert found[0].startswith("oflog/waste.csv, row 3: the row has 7 cells but the header row")


def test_a_hidden_row_in_an_oflog_workbook():
    def hide(book) -> None:
        book.active.row_dimensions[3].hidden = True

    data = workbook({"Data": [[*HEADER, "Value"], oflog_row(), oflog_row("E07000170")]}, hide)
    found = problems(data, "oflog/waste.xlsx")
    assert found[0].startswith("oflog/waste.xlsx, row 3: the row is hidden in Excel")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "oflog/bad.csv is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "password"),
        (b"Metric,Area\nWM1,E07000171\n", "oflog/bad.csv, row 1: not an Oflog metric file"),
    ],
    ids=["zero-bytes", "password-protected", "not-oflog"],
)
def test_a_bad_file_is_refused_whole_and_the_good_one_kept(tmp_path: Path, data: bytes, says):
    (tmp_path / "good.csv").write_bytes(oflog_csv(oflog_row()))
    (tmp_path / "bad.csv").write_bytes(data)
    read = read_oflog_folder(tmp_path, {})
    assert read.refused == ["bad.csv"] and len(read.frame) == 1
    assert says in read.problems[0] and read.problems[0].startswith("oflog/bad.csv")


def lginform_cache(**changes: object) -> dict:
    """A well-formed LG Inform cache file's content, with `changes` applied."""
    cached = {
        "format": 1,
        "fetched_at": "2025-10-01T06:00:00+00:00",
        "base_url_host": "test.invalid",
        "note": None,
        "request": {"metricType": "123"},
        "metric": {"identifier": "123", "label": "Recycling", "polarity": "High value is good"},
        "periods": {
            "fin_2024_25": {
                "identifier": "fin_2024_25",
                "label": "2024/25",
                "startDate": "2024-04-01",
                "endDate": "2025-03-31",
            }
        },
        "records": [
            {
                "metricTypeIdentifier": "123",
                "areaIdentifier": "E07000171",
                "periodIdentifier": "fin_2024_25",
                "value": 41.2,
            }
        ],
    }
    return {**cached, **changes}


def test_a_good_cache_reads():
    assert from_json(json.dumps(lginform_cache()), "metric_123.json").records[0]["value"] == 41.2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (json.dumps(lginform_cache())[:-40], "metric_123.json is not valid JSON ("),
        (json.dumps(lginform_cache(format=2)), "metric_123.json is not an LG Inform cache file"),
        (
            json.dumps({k: v for k, v in lginform_cache().items() if k != "fetched_at"}),
            "metric_123.json is incomplete (KeyError: 'fetched_at')",
        ),
        (
            json.dumps(
                lginform_cache(records=[{**lginform_cache()["records"][0], "value": "n/a"}])
            ),
            "metric_123.json is damaged: LG Inform's data.table answer for metric 123, record 1 "
            "has value 'n/a', which is neither a number nor null",
        ),
        (
            json.dumps(
                lginform_cache(
                    records=[{**lginform_cache()["records"][0], "periodIdentifier": "fin_1999"}]
                )
            ),
            "metric_123.json is incomplete (ValueError: no dates for period(s) fin_1999)",
        ),
    ],
    ids=["truncated", "wrong-format", "no-fetched-at", "text-value", "undated-period"],
)
def test_a_damaged_lginform_cache_names_what_is_wrong(text: str, says: str):
    with pytest.raises(CacheProblem) as caught:
        from_json(text, "metric_123.json")
    assert str(caught.value).startswith(says)
