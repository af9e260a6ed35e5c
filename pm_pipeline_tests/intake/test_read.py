"""Reading returns files as owners send them: every parsing case with a file the test writes."""

import io
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import parse_number
from pm_pipeline.defs.intake.cells import parse_status, parse_timestamp
from pm_pipeline.defs.intake.read import read_quarter
from pm_pipeline_tests.council import RETURN_HEADER, write_csv

Q = Quarter(2025, 1)
IDS = {"hs-01": "HS-01", "hs-02": "HS-02", "wr-01": "WR-01"}


def read(data_dir: Path):
    result, _ = read_quarter(data_dir / "returns", Q, IDS)
    return result


def folder(data_dir: Path) -> Path:
    path = data_dir / "returns" / Q.folder
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("85%", 85.0),
        ("1,234", 1234.0),
        ("£1,234.50", 1234.5),
        ("-0", 0.0),
        ("(12.5)", -12.5),
        (" 7 ", 7.0),
        ("\u221212", -12.0),
        (0.5, 0.5),
        (None, None),
        ("", None),
    ],
)
def test_numbers_as_people_type_them(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("12,5", "use a point for decimals"),
        ("NaN", "not a number"),
        ("inf", "not a number"),
        ("1e309", "not a finite number"),
        ("#DIV/0!", "Excel error #DIV/0!"),
        ("abc", "not a number"),
        (float("nan"), "not a finite number"),
        (True, "TRUE/FALSE"),
    ],
)
def test_numbers_that_are_not_say_what_to_type(text, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("14/07/2025", datetime(2025, 7, 14)),
        ("14/07/2025 09:30", datetime(2025, 7, 14, 9, 30)),
        ("2025-07-14", datetime(2025, 7, 14)),
        ("2025-07-14T09:30:15", datetime(2025, 7, 14, 9, 30, 15)),
        ("2025-07-14T08:30:00Z", datetime(2025, 7, 14, 8, 30)),
    ],
)
def test_uk_and_iso_dates(text, when):
    assert parse_timestamp(text) == when


def test_dates_and_statuses_that_cannot_be_read():
    with pytest.raises(ValueError, match="not a real date"):
        parse_timestamp("31/02/2025")
    with pytest.raises(ValueError, match="write it as 14/07/2025"):
        parse_timestamp("July 14th")
    assert parse_status(" Provisional ") == "provisional"
    assert parse_status(None) == "final"
    with pytest.raises(ValueError, match="use final, provisional or unavailable"):
        parse_status("draft")


def test_csv_with_bom_crlf_odd_headers_blank_lines_and_case_folded_ids(data_dir):
    text = (
        "\ufeff PI_ID ,Period,VALUE,Note, Submitted At \r\n"
        "hs-01 ,2025/26 Q1,85%,Fine.,14/07/2025\r\n"
        "\r\n"
        '  HS-02,Q1 2025/26,"1,234",Also fine.,2025-07-15\r\n'
    )
    (folder(data_dir) / "housing.csv").write_bytes(text.encode("utf-8"))
    result = read(data_dir)
    rows = result.candidates.set_index("pi_id")
    assert list(rows.index) == ["HS-01", "HS-02"]
    assert rows.at["HS-01", "value"] == 85.0 and rows.at["HS-02", "value"] == 1234.0
    assert rows.at["HS-02", "source_row"] == 4  # the blank line is row 3 in Excel
    assert rows.at["HS-01", "source_file"] == "2025-26-Q1/housing.csv"
    assert rows.at["HS-01", "submitted_at"] == datetime(2025, 7, 14)
    assert rows.at["HS-01", "status"] == "final"
    assert result.issues == []


def test_cp1252_pound_sign_and_semicolon_delimiter(data_dir):
    text = "pi_id;period;value;note\nWR-01;2025/26 Q1;£1234.50;Spent £1,234.\n"
    (folder(data_dir) / "waste.csv").write_bytes(text.encode("cp1252"))
    result = read(data_dir)
    assert result.candidates.iloc[0]["value"] == 1234.5
    assert result.candidates.iloc[0]["note"] == "Spent £1,234."


def test_xlsx_with_title_rows_percent_cells_and_dates(data_dir):
    book = Workbook()
    sheet = book.active
    sheet.append(["Housing PI return"])
    sheet.append([])
    sheet.append(RETURN_HEADER)
    sheet.append(
        [
            "HS-01",
            "2025/26 Q1",
            0.853,
            None,
            None,
            "Provisional",
            "Up.",
            "a@b.example",
            datetime(2025, 7, 10, 9, 0),
        ]
    )
    sheet["C4"].number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    (folder(data_dir) / "housing.xlsx").write_bytes(buffer.getvalue())
    row = read(data_dir).candidates.iloc[0]
    assert row["value"] == pytest.approx(85.3)
    assert row["source_row"] == 4
    assert row["status"] == "provisional"
    assert row["submitted_at"] == datetime(2025, 7, 10, 9, 0)


def test_unreadable_cells_become_issues_naming_file_row_and_column(data_dir):
    write_csv(
        folder(data_dir) / "housing.csv",
        ["pi_id", "period", "value", "status", "note"],
        [
            ["HS-01", "2025/26 Q1", "12,5", "final", "x"],
            ["HS-02", "summer", "10", "final", "y"],
            ["", "2025/26 Q1", "10", "final", "z"],
            ["WR-01", "2025/26 Q1", "10", "draft", "w"],
            ["pi_id", "period", "value", "status", "note"],
        ],
    )
    result = read(data_dir)
    assert result.candidates.empty
    found = {(i.rule, i.source_row, i.pi_id): i.message for i in result.issues}
    assert (
        "column value: '12,5' is not a number (use a point for decimals"
        in found[("row_readable", 2, "HS-01")]
    )
    assert (
        "HS-02 in 2025-26-Q1/housing.csv row 3, column period: 'summer' is not a quarter"
        in found[("row_readable", 3, "HS-02")]
    )
    assert "column pi_id: is empty" in found[("row_readable", 4, None)]
    assert "column status: 'draft' is not a status" in found[("row_readable", 5, "WR-01")]
    assert "row 6 repeats the header row" in found[("row_readable", 6, None)]
    assert result.rows_in == 5  # every row accounted for


def test_missing_column_unsupported_and_empty_files_are_reported_not_lost(data_dir):
    write_csv(
        folder(data_dir) / "nonote.csv",
        ["pi_id", "period", "value"],
        [["HS-01", "2025/26 Q1", "1"], ["HS-02", "2025/26 Q1", "2"]],
    )
    (folder(data_dir) / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really")
    (folder(data_dir) / "empty.csv").write_bytes(b"")
    (folder(data_dir) / "~$housing.xlsx").write_bytes(b"lock file")
    result = read(data_dir)
    messages = {i.source_file: i.message for i in result.issues}
    assert set(messages) == {"2025-26-Q1/nonote.csv", "2025-26-Q1/old.xls", "2025-26-Q1/empty.csv"}
    assert (
        "has no note column(s) in its header (row 1), so none of its 2 rows"
        in messages["2025-26-Q1/nonote.csv"]
    )
    assert "only .csv and .xlsx files are" in messages["2025-26-Q1/old.xls"]
    assert "is empty" in messages["2025-26-Q1/empty.csv"]
    assert all(i.rule == "file_readable" for i in result.issues)


def test_an_xlsx_saved_with_a_csv_name_is_read_as_a_workbook(data_dir):
    book = Workbook()
    book.active.append(["pi_id", "period", "value", "note"])
    book.active.append(["HS-01", "2025/26 Q1", 5, "ok"])
    buffer = io.BytesIO()
    book.save(buffer)
    (folder(data_dir) / "housing.csv").write_bytes(buffer.getvalue())
    assert read(data_dir).candidates.iloc[0]["value"] == 5
