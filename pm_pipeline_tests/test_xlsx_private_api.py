"""openpyxl's private parser API, as `pm_pipeline/core/xlsx.py` uses it.

xlsx.py reads owners' returns through openpyxl's own sheet parser (it yields only the cells a
file holds, where the public row iterator fills every gap), which is not public API. pyproject
pins openpyxl to one minor version for that reason; these tests are the first to fail when an
upgrade changes any of it, each saying which name and what to do.
"""

from __future__ import annotations

import importlib
import inspect
import io
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.read_only import ReadOnlyCell

from pm_pipeline.core.xlsx import _present_rows, _row_cells, read_xlsx_bytes

WHAT_TO_DO = (
    f"openpyxl {openpyxl.__version__} changed the private API pm_pipeline/core/xlsx.py uses "
    "(_present_rows and _row_cells). Adapt those two functions to the new openpyxl, or keep "
    "the openpyxl pin in pyproject.toml at the last minor version that passes these tests."
)


def private(module: str, name: str) -> Any:
    """`module.name`, or a failure saying which private name is gone and what to do."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as gone:
        pytest.fail(f"{module}.{name} is gone ({gone}). {WHAT_TO_DO}")


def tiny_workbook() -> bytes:
    """A header, a percentage, a date, a formula and one cell far off in column XFD."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Returns"
    sheet.append(["PI", "Value", "Date"])
    sheet.append(["HS-01", 0.85, datetime(2026, 7, 1)])
    sheet["B2"].number_format = "0%"
    sheet["C2"].number_format = "yyyy-mm-dd"
    sheet["A3"] = "HS-02"
    sheet["B3"] = 12
    sheet["XFD5"] = "far away"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_only_sheet() -> Any:
    """The tiny workbook's sheet, as xlsx.open_workbook opens it (read-only, cached values)."""
    book = load_workbook(io.BytesIO(tiny_workbook()), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    read_only = private("openpyxl.worksheet._read_only", "ReadOnlyWorksheet")
    assert isinstance(sheet, read_only), f"a read-only sheet is now {type(sheet)}. {WHAT_TO_DO}"
    return sheet


def test_the_private_names_exist_with_the_signatures_xlsx_calls():
    parser = private("openpyxl.worksheet._reader", "WorkSheetParser")
    read_only = private("openpyxl.worksheet._read_only", "ReadOnlyWorksheet")
    parameters = inspect.signature(parser.__init__).parameters
    wanted = ["src", "shared_strings", "data_only", "epoch", "date_formats", "timedelta_formats"]
    missing = [name for name in wanted if name not in parameters]
    assert not missing, f"WorkSheetParser() no longer takes {missing}. {WHAT_TO_DO}"
    assert callable(getattr(parser, "parse", None)), (
        f"WorkSheetParser.parse() is gone. {WHAT_TO_DO}"
    )
    assert callable(getattr(read_only, "_get_source", None)), (
        f"ReadOnlyWorksheet._get_source() is gone. {WHAT_TO_DO}"
    )
    cell = inspect.signature(ReadOnlyCell.__init__).parameters
    wanted = ["sheet", "row", "column", "value", "data_type", "style_id"]
    missing = [name for name in wanted if name not in cell]
    assert not missing, f"ReadOnlyCell() no longer takes {missing}. {WHAT_TO_DO}"


def test_the_workbook_and_sheet_carry_the_private_attributes_xlsx_reads():
    sheet = read_only_sheet()
    book = sheet.parent
    for owner, name in [
        (sheet, "_shared_strings"),
        (book, "_date_formats"),
        (book, "_timedelta_formats"),
        (book, "epoch"),
        (book, "data_only"),
    ]:
        assert hasattr(owner, name), f"{type(owner).__name__}.{name} is gone. {WHAT_TO_DO}"
    assert book.data_only is True
    assert isinstance(book._date_formats, set) and book._date_formats, (
        f"Workbook._date_formats no longer holds the date styles. {WHAT_TO_DO}"
    )


def test_the_parser_yields_only_the_cells_the_file_holds_as_dicts_readonlycell_takes():
    rows = list(_present_rows(read_only_sheet()))
    numbers = [number for number, _ in rows]
    assert numbers == [1, 2, 3, 5], f"the parser yielded rows {numbers}. {WHAT_TO_DO}"
    for number, cells in rows:
        for cell in cells:
            assert set(cell) >= {"row", "column", "value", "data_type", "style_id"}, (
                f"a parsed cell is now {cell!r}. {WHAT_TO_DO}"
            )
            assert cell["row"] == number, WHAT_TO_DO
    far = rows[-1][1]
    assert [(c["column"], c["value"]) for c in far] == [(16384, "far away")], (
        f"the parser filled gaps or lost the XFD cell: {far!r}. {WHAT_TO_DO}"
    )
    second = {c["column"]: c["value"] for c in rows[1][1]}
    assert second[3] == datetime(2026, 7, 1), (
        f"a date cell was parsed as {second[3]!r} (the date styles are not applied). {WHAT_TO_DO}"
    )


def test_cells_are_read_through_readonlycell_with_their_number_format():
    sheet = read_only_sheet()
    rows = dict(_present_rows(sheet))
    assert _row_cells(sheet, rows[1], None) == ["PI", "Value", "Date"]
    # 0.85 formatted as a percentage reads as 85, as the owner typed it
    assert _row_cells(sheet, rows[2], 3) == ["HS-01", 85.0, datetime(2026, 7, 1)], WHAT_TO_DO
    # not blank (a value right of the header), but nothing within the header's width is kept
    assert _row_cells(sheet, rows[5], 3) == [], WHAT_TO_DO


def test_a_tiny_workbook_reads_end_to_end():
    [sheet] = read_xlsx_bytes(tiny_workbook(), "tiny.xlsx", {"pi"})
    assert sheet.header == ["pi", "value", "date"], WHAT_TO_DO
    assert sheet.rows == [
        (2, ["HS-01", 85.0, datetime(2026, 7, 1)]),
        (3, ["HS-02", 12]),
        (5, []),  # the one cell in column XFD: found, and nothing kept right of the header
    ], WHAT_TO_DO
