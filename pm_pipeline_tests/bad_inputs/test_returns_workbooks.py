"""Returns as Excel workbooks: what Excel shows that a plain read of the values would miss."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from pm_pipeline_tests.bad_inputs.support import (
    assert_rows_accounted,
    data_rows,
    read,
    row,
    says,
    with_cached_results,
    workbook,
    write_bytes,
)
from pm_pipeline_tests.council import RETURN_HEADER

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def three_returns() -> list[list[object]]:
    return [RETURN_HEADER, row("HS-01"), row("HS-02"), row("WR-01")]


def test_returns_on_two_sheets_and_a_lookup_list(data_dir: Path):
    data = workbook(
        {
            "Lookups": [["pi_id", "title"], ["HS-01", "Homes"], ["HS-02", "Repairs"]],
            "Returns": [RETURN_HEADER, row("HS-01"), row("HS-02")],
            "Late ones": [RETURN_HEADER, row("WR-01"), row("HS-02"), row("HS-01")],
        }
    )
    write_bytes(data_dir, "sheets.xlsx", data)
    result = read(data_dir)
    assert list(result.candidates["pi_id"]) == ["HS-01", "HS-02"]  # the lookup list is no return
    message = says(result, "sheets.xlsx")
    assert "only sheet 'Returns' was read and the 3 rows on sheet 'Late ones' were not" in message
    assert_rows_accounted(result, {"sheets.xlsx": [2, 3, 2, 3, 4]})


def test_merged_cells_down_rows_are_named_on_each_row(data_dir: Path):
    def merge_period(book: Workbook) -> None:
        book.active.merge_cells("B2:B3")

    write_bytes(data_dir, "merged.xlsx", workbook({"Returns": three_returns()}, merge_period))
    result = read(data_dir)
    message = says(result, "merged.xlsx", 3, "period")
    assert "is in the merged cells B2:B3, which Excel shows as one value but stores only in B2" in (
        message
    )
    assert "unmerge them (Home > Merge & Center)" in message
    assert says(result, "merged.xlsx", 2, "period")
    assert list(result.candidates["pi_id"]) == ["WR-01"]
    assert_rows_accounted(result, {"merged.xlsx": data_rows(2, 3)})


def test_a_merged_title_above_the_header_is_harmless(data_dir: Path):
    def title(book: Workbook) -> None:
        book.active.insert_rows(1)
        book.active["A1"] = "Housing returns"
        book.active.merge_cells("A1:I1")

    write_bytes(data_dir, "title.xlsx", workbook({"Returns": three_returns()}, title))
    result = read(data_dir)
    assert result.issues == [] and list(result.candidates["source_row"]) == [3, 4, 5]
    assert_rows_accounted(result, {"title.xlsx": data_rows(3, 3)})


def test_hidden_and_filtered_rows_are_reported_not_read(data_dir: Path):
    def hide(book: Workbook) -> None:
        book.active.row_dimensions[3].hidden = True

    write_bytes(data_dir, "hidden.xlsx", workbook({"Returns": three_returns()}, hide))
    result = read(data_dir)
    message = says(result, "hidden.xlsx", 3)
    assert message.startswith("HS-02 in 2025-26-Q1/hidden.xlsx row 3 is hidden in Excel")
    assert "clear any filter, unhide the row" in message
    assert list(result.candidates["pi_id"]) == ["HS-01", "WR-01"]
    assert_rows_accounted(result, {"hidden.xlsx": data_rows(2, 3)})


def test_error_cells_are_named(data_dir: Path):
    rows = three_returns()
    rows[1][2] = "#DIV/0!"
    rows[2][0] = "#N/A"
    write_bytes(data_dir, "errors.xlsx", workbook({"Returns": rows}))
    result = read(data_dir)
    assert "column value: is the Excel error #DIV/0! — fix the formula" in says(
        result, "errors.xlsx", 2, "value"
    )
    assert "column pi_id: is the Excel error #N/A — fix the formula or type the pi_id" in says(
        result, "errors.xlsx", 3, "pi_id"
    )
    assert_rows_accounted(result, {"errors.xlsx": data_rows(2, 3)})


def formulas() -> bytes:
    rows = three_returns()
    rows[0] = [*RETURN_HEADER, "check"]
    rows[1][2] = "=D2/E2*100"
    rows[1][3:5] = [17, 20]
    rows[2][2] = "=SUM(40,45)"
    rows[3] = [*rows[3], "=C4*2"]  # the owner's own working to the right
    return workbook({"Returns": rows})


def test_formulas_saved_by_excel_are_read_by_their_results(data_dir: Path):
    write_bytes(data_dir, "calc.xlsx", with_cached_results(formulas(), {"C2": "85", "C3": "85"}))
    result = read(data_dir)
    assert list(result.candidates["value"]) == [85, 85, 85] and result.issues == []
    assert_rows_accounted(result, {"calc.xlsx": data_rows(2, 3)})


def test_formulas_without_results_say_open_and_save_in_excel(data_dir: Path):
    write_bytes(data_dir, "generated.xlsx", formulas())
    result = read(data_dir)
    message = says(result, "generated.xlsx", 2, "value")
    assert "is a formula (=D2/E2*100) saved without its result" in message
    assert "open the file in Excel and save it" in message
    assert "=SUM(40,45)" in says(result, "generated.xlsx", 3, "value")
    assert list(result.candidates["pi_id"]) == ["WR-01"]  # the helper column is not a return
    assert_rows_accounted(result, {"generated.xlsx": data_rows(2, 3)})


def test_date_serials_and_date_cells_in_submitted_at(data_dir: Path):
    rows = three_returns()
    rows[1][8] = 45852.4375  # a date cell whose format was cleared to General
    rows[2][8] = datetime(2025, 7, 15, 9, 0)
    rows[3][8] = 12
    write_bytes(data_dir, "dates.xlsx", workbook({"Returns": rows}))
    result = read(data_dir)
    assert list(result.candidates["submitted_at"]) == [
        datetime(2025, 7, 14, 10, 30),
        datetime(2025, 7, 15, 9, 0),
    ]
    assert "'12' is a number, not a date" in says(result, "dates.xlsx", 4, "submitted_at")
    assert_rows_accounted(result, {"dates.xlsx": data_rows(2, 3)})


def test_cells_excel_turned_into_dates(data_dir: Path):
    rows = three_returns()
    rows[1][2] = datetime(2025, 2, 1)  # "1/2" typed as a value
    rows[2][1] = datetime(2025, 4, 1)  # "Apr-25" typed as a period
    write_bytes(data_dir, "autodate.xlsx", workbook({"Returns": rows}))
    result = read(data_dir)
    assert "is a date or time (01/02/2025), not a number" in says(
        result, "autodate.xlsx", 2, "value"
    )
    assert "is a date (01/04/2025), not a quarter — Excel turned what was typed" in says(
        result, "autodate.xlsx", 3, "period"
    )
    assert_rows_accounted(result, {"autodate.xlsx": data_rows(2, 3)})


def test_true_false_in_a_value(data_dir: Path):
    rows = three_returns()
    rows[3][2] = True
    write_bytes(data_dir, "bool.xlsx", workbook({"Returns": rows}))
    result = read(data_dir)
    assert "'True' is TRUE/FALSE, not a number" in says(result, "bool.xlsx", 4, "value")
    assert_rows_accounted(result, {"bool.xlsx": data_rows(2, 3)})


def test_a_header_below_row_20(data_dir: Path):
    rows = [[f"Guidance line {n}"] for n in range(1, 22)] + three_returns()
    write_bytes(data_dir, "deep.xlsx", workbook({"Returns": rows}))
    result = read(data_dir)
    assert "has no header row naming pi_id in its first 20 rows" in says(result, "deep.xlsx")
    assert_rows_accounted(result, {"deep.xlsx": []})  # its rows could not be found to count


def half_a_sheet() -> bytes:
    """A workbook whose sheet part was cut off half-way (a copy interrupted mid-file)."""
    out = io.BytesIO()
    data = workbook({"Returns": three_returns()})
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            cut = item.filename.startswith("xl/worksheets/")
            dst.writestr(item, content[: len(content) // 2] if cut else content)
    return out.getvalue()


def ole_file(*streams: str) -> bytes:
    """The first bytes of an OLE compound file naming its streams (as Office writes them)."""
    names = b"".join(name.encode("utf-16-le") + b"\x00\x00" for name in streams)
    return OLE + b"\x00" * 504 + names + b"\x00" * 1024


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (
            ole_file("EncryptionInfo", "EncryptedPackage"),
            "is password-protected, so it cannot be read — in Excel choose File > Info",
        ),
        (ole_file("Workbook", "SummaryInformation"), "is an old Excel 97-2003 (.xls) workbook"),
        (b"PK\x03\x04" + b"\x14\x00garbage" * 50, "is a damaged Excel workbook"),
        (workbook({"Returns": [RETURN_HEADER, row()]})[:900], "is a damaged Excel workbook"),
        (half_a_sheet(), "is a damaged Excel workbook (ParseError: "),
    ],
    ids=["password-protected", "xls-renamed", "corrupt-zip", "truncated", "broken-sheet-xml"],
)
def test_workbooks_that_cannot_be_opened(data_dir: Path, data: bytes, fragment: str):
    write_bytes(data_dir, "locked.xlsx", data)
    result = read(data_dir)
    message = says(result, "locked.xlsx")
    assert message.startswith("2025-26-Q1/locked.xlsx ") and fragment in message
    assert [i.rule for i in result.issues] == ["file_readable"]
    assert_rows_accounted(result, {"locked.xlsx": []})


def test_an_opendocument_spreadsheet_renamed_xlsx(data_dir: Path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as ods:
        ods.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        ods.writestr("content.xml", "<office:document-content/>")
    write_bytes(data_dir, "calc.xlsx", buffer.getvalue())
    result = read(data_dir)
    assert "is an OpenDocument spreadsheet (.ods), not an Excel .xlsx workbook" in says(
        result, "calc.xlsx"
    )
    assert_rows_accounted(result, {"calc.xlsx": []})
