"""Reading XLSX workbooks: owners' returns (with what Excel hides) and publishers' named sheets.

openpyxl gives cell values but not what an owner cannot see in a cell's value: a formula
saved without its result, a hidden row, a vertical merge. The OOXML scan here reads the
sheet's own XML for those (only when the raw bytes hint at them), because openpyxl's
read-only mode does not expose them and its full mode costs what the sheet declares, not
what it holds.

A little over ~400 lines: the owners' reader and the publishers' named-sheet reader share
`open_workbook` and the cell cleaning, and together they are the one workbook reader.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from pm_pipeline.core.sheets import (
    HEADER_SEARCH_ROWS,
    FileLimits,
    FileProblem,
    Sheet,
    check_header,
    clean_text,
    column_letter,
    normalise_header,
)

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

_ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_LAYOUT_HINT = re.compile(rb"<(?:\w+:)?f[\s>/]|hidden=\"(?:1|true)\"|<(?:\w+:)?mergeCell\s")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _xlsx_cell(cell: object) -> object:
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        return clean_text(value) or None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and "%" in str(getattr(cell, "number_format", "") or ""):
        return round(value * 100, 10)
    return value


def _ole_problem(data: bytes, name: str) -> FileProblem:
    """An OLE compound file: an encrypted (password-protected) workbook or an old .xls."""
    if _ENCRYPTED_STREAM in data:
        return FileProblem(
            f"{name} is password-protected, so it cannot be read — in Excel choose File > Info > "
            "Protect Workbook > Encrypt with Password, clear the password, and save it again"
        )
    return FileProblem(
        f"{name} is an old Excel 97-2003 (.xls) workbook or another Office file, not an .xlsx "
        "workbook — open it in Excel and use File > Save As > Excel Workbook (.xlsx)"
    )


def _zip_problem(archive: zipfile.ZipFile, name: str) -> FileProblem | None:
    """Why a zip package is not an .xlsx workbook (an .xlsb, .ods, Word file), or None."""
    names = set(archive.namelist())
    if any(n.endswith("workbook.xml") for n in names):
        return None
    if "xl/workbook.bin" in names:
        kind = "an Excel binary workbook (.xlsb)"
    elif "content.xml" in names and "mimetype" in names:
        kind = "an OpenDocument spreadsheet (.ods)"
    elif "word/document.xml" in names:
        kind = "a Word document"
    else:
        kind = "a zip archive"
    return FileProblem(
        f"{name} is {kind}, not an Excel .xlsx workbook — open it and save it as an Excel "
        "Workbook (.xlsx) or CSV UTF-8"
    )


def _damaged(name: str, exc: Exception) -> FileProblem:
    return FileProblem(
        f"{name} is a damaged Excel workbook ({exc.__class__.__name__}: {exc}) — open it in "
        "Excel (it may offer to repair it) and save it again, or send the original again"
    )


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """The workbook's zip package (a damaged part is found when the part is read)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(name, exc) from exc
    problem = _zip_problem(archive, name)
    if problem is not None:
        raise problem
    return archive


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the XML part holding it, from the workbook and its relationships."""
    try:
        root_rels = ElementTree.fromstring(archive.read("_rels/.rels"))
        book_part = next(
            r.get("Target", "").lstrip("/")
            for r in root_rels.iter(f"{_PKG_REL_NS}Relationship")
            if r.get("Type", "").endswith("/officeDocument")
        )
        book = ElementTree.fromstring(archive.read(book_part))
        folder = PurePosixPath(book_part).parent
        rels_part = PurePosixPath(folder, "_rels", f"{PurePosixPath(book_part).name}.rels")
        rels = ElementTree.fromstring(archive.read(rels_part.as_posix()))
    except (KeyError, StopIteration, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL_NS}Relationship")}
    parts = {}
    for sheet in book.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        path = target.lstrip("/") if target.startswith("/") else (folder / target).as_posix()
        parts[sheet.get("name", "")] = posixpath.normpath(path)
    return parts


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _cell_box(ref: str) -> tuple[int, int, int, int] | None:
    """(first row, first column, last row, last column) of `A1:B3` (columns 0-based)."""
    corners = [_CELL_REF.match(part) for part in ref.split(":")]
    if not all(corners) or len(corners) not in (1, 2):
        return None
    first, last = corners[0], corners[-1]
    assert first is not None and last is not None  # all(corners) above
    return (
        int(first.group(2)),
        _column_index(first.group(1)),
        int(last.group(2)),
        _column_index(last.group(1)),
    )


@dataclass
class _Layout:
    """What Excel shows differently from what a value-only read gives."""

    hidden_rows: set[int] = field(default_factory=set)
    merges: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    uncached: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> formula


def _has_result(cell: ElementTree.Element) -> bool:
    """Whether a formula cell carries its last calculated value (an empty text result counts)."""
    return bool(cell.findtext(f"{_MAIN_NS}v")) or cell.get("t") in ("str", "inlineStr")


def _scan_layout(xml: bytes) -> _Layout:
    """Hidden rows, merged ranges and formulas saved without a result, from a sheet's XML."""
    layout = _Layout()
    if not _LAYOUT_HINT.search(xml):
        return layout
    for _, element in ElementTree.iterparse(io.BytesIO(xml)):
        tag = element.tag
        if tag == f"{_MAIN_NS}c":
            formula = element.find(f"{_MAIN_NS}f")
            if formula is not None and not _has_result(element):
                box = _cell_box(element.get("r", ""))
                if box:
                    layout.uncached[(box[0], box[1])] = f"={formula.text}" if formula.text else ""
        elif tag == f"{_MAIN_NS}row":
            if element.get("hidden") in ("1", "true"):
                layout.hidden_rows.add(int(element.get("r", "0")))
            element.clear()
        elif tag == f"{_MAIN_NS}mergeCell":
            box = _cell_box(element.get("ref", ""))
            if box and box[2] > box[0]:  # only merges down rows hide values from rows
                layout.merges.append((element.get("ref", ""), box))
    return layout


def _merged_cells(
    merges: list[tuple[str, tuple[int, int, int, int]]], sheet: Sheet
) -> Iterator[tuple[int, int, str, int]]:
    """(data row, column, range, its top row) for the first column of each merge under the
    header, once per cell: only the data rows inside a merge are visited (never every row it
    declares, which may be a million), and a cell in overlapping merges is named by the first."""
    rows = sorted(row for row, _ in sheet.rows)
    by_column: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for ref, (top, left, bottom, _) in merges:
        if left < len(sheet.header):
            by_column[left].append((top, bottom, ref))
    for left, spans in by_column.items():
        covered = sheet.header_row  # every data row up to here already has its note in this column
        for top, bottom, ref in sorted(spans):
            first = bisect_left(rows, max(top, covered + 1))
            for row in rows[first : bisect_right(rows, bottom)]:
                yield row, left, ref, top
            covered = max(covered, bottom)


def _note_layout(sheet: Sheet, layout: _Layout) -> None:
    """Turn what Excel shows but a value-only read misses into notes on the data rows."""
    data_rows = {row for row, _ in sheet.rows}
    for row in sorted(layout.hidden_rows & data_rows):
        sheet.note(
            row,
            None,
            "is hidden in Excel (or filtered out), so it was not read — clear any filter, "
            "unhide the row (select the rows either side, right-click, Unhide), check it and "
            "save the file",
        )
    for row, left, ref, top in _merged_cells(layout.merges, sheet):
        sheet.note(
            row,
            left,
            f"is in the merged cells {ref}, which Excel shows as one value but stores "
            f"only in {column_letter(left)}{top} — unmerge them (Home > Merge & Center) "
            "and type the value in each row",
        )
    for (row, column), formula in sorted(layout.uncached.items()):
        if row in data_rows:
            shown = f" ({formula})" if formula else ""
            sheet.note(
                row,
                column,
                f"is a formula{shown} saved without its result, so its value cannot be read — "
                "open the file in Excel and save it (the program that wrote it did not "
                "calculate the formula), or type the value",
            )


def _present_rows(ws: ReadOnlyWorksheet) -> Iterator[tuple[int, list[dict]]]:
    """(row number, cells) for each row and cell the sheet's XML holds. openpyxl's own row
    iterator fills every gap: one cell in column XFD makes each row 16,384 cells, one in row
    1,048,576 makes a million empty rows; its parser, used here, yields only what is there.
    That parser is private API: pyproject pins openpyxl's minor version, and
    pm_pipeline_tests/test_xlsx_private_api.py fails first when an upgrade changes it."""
    from openpyxl.worksheet._reader import WorkSheetParser

    book = ws.parent
    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        yield from parser.parse()


def _row_cells(
    ws: ReadOnlyWorksheet, present: list[dict], width: int | None
) -> list[object] | None:
    """A row's values by 0-based column, as long as its last filled cell within `width`
    (cells to the right of the header are not kept), or None when the whole row is blank."""
    from openpyxl.cell.read_only import ReadOnlyCell

    values: dict[int, object] = {}
    blank = True
    for cell in present:
        if cell["value"] is None:
            continue
        value = _xlsx_cell(ReadOnlyCell(ws, **cell))
        blank = blank and (value is None or (isinstance(value, str) and not value.strip()))
        column = cell["column"] - 1
        if width is None or column < width:
            values[column] = value
    if blank:
        return None
    cells: list[object] = [None] * (max(values, default=-1) + 1)
    for column, value in values.items():
        cells[column] = value
    return cells


def _read_worksheet(
    ws: ReadOnlyWorksheet, name: str, header_names: set[str], limits: FileLimits | None
) -> Sheet | None:
    """The sheet's header (within its first rows) and data rows, or None with no header.
    Only the cells the file holds are read, whatever dimension the sheet declares."""
    sheet: Sheet | None = None
    for excel_row, present in _present_rows(ws):
        if sheet is None:
            if excel_row > HEADER_SEARCH_ROWS:
                break
            names = [normalise_header(c) for c in _row_cells(ws, present, None) or []]
            if header_names & set(names):
                sheet = Sheet(name=ws.title, header=names, header_row=excel_row)
            continue
        cells = _row_cells(ws, present, len(sheet.header))
        if cells is not None:
            sheet.rows.append((excel_row, cells))
            if limits and len(sheet.rows) > limits.max_rows:
                raise limits.too_many_rows(f"{name} sheet '{ws.title}'")
    if sheet is not None:
        check_header(sheet.header, f"{name} sheet '{ws.title}'", sheet.header_row, len(sheet.rows))
    return sheet


def open_workbook(
    data: bytes, name: str, fix: str, error: type[FileProblem] = FileProblem
) -> Workbook:
    """The workbook, read-only with cached values (what Excel shows), or an `error` ending in
    `fix`, what to do about it."""
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise error(
            f"{name} is not a readable Excel .xlsx workbook ({exc.__class__.__name__}); {fix}"
        ) from exc


def read_xlsx_bytes(
    data: bytes, name: str, header_names: set[str], limits: FileLimits | None = None
) -> list[Sheet]:
    """Every visible sheet whose header row (within its first 20 rows) names a wanted column;
    with `limits`, a sheet of too many rows is refused once the first row over it is read."""
    if data.startswith(OLE_MAGIC):
        raise _ole_problem(data, name)
    archive = _open_zip(data, name)
    book = open_workbook(data, name, "open it in Excel and save it again as .xlsx")
    sheets: list[Sheet] = []
    parts = _sheet_parts(archive)
    try:
        for ws in book.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible":
                continue
            sheet = _read_worksheet(ws, name, header_names, limits)
            if sheet is None:
                continue
            if sheet.rows and ws.title in parts:
                _note_layout(sheet, _scan_layout(archive.read(parts[ws.title])))
            sheets.append(sheet)
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, SyntaxError) as exc:
        raise _damaged(name, exc) from exc
    finally:
        book.close()
        archive.close()
    return sheets


def is_xlsx(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


# Publishers' workbooks (census, deprivation, population): one named sheet, read raw.

_DOWNLOAD_AGAIN = "download it again from the publisher"


@dataclass
class WorkbookSheet:
    """One named sheet of a publisher's workbook, raw values, with the title rows above its header."""

    sheet: Sheet
    titles: list[str] = field(default_factory=list)


def sheet_names(data: bytes, file: str, error: type[FileProblem] = FileProblem) -> list[str]:
    book = open_workbook(data, file, _DOWNLOAD_AGAIN, error)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _raw_cell(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value) or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_named_sheet(
    data: bytes,
    file: str,
    sheet_name: str,
    is_header: Callable[[list[str]], bool],
    header_hint: str,
    search_rows: int = 40,
    error: type[FileProblem] = FileProblem,
) -> WorkbookSheet:
    """The sheet called `sheet_name`, its header the first row `is_header` accepts.

    Read raw (unlike owners' returns) so an Excel percentage format never rescales a
    published proportion. Problems are raised as `error` (a publisher's LayoutError).
    """
    book = open_workbook(data, file, _DOWNLOAD_AGAIN, error)
    try:
        names = {normalise_header(n): n for n in book.sheetnames}
        actual = names.get(normalise_header(sheet_name))
        if actual is None:
            raise error(
                f"{file} has no sheet '{sheet_name}' (its sheets: {', '.join(book.sheetnames)})"
            )
        titles: list[str] = []
        sheet: Sheet | None = None
        for excel_row, values in enumerate(book[actual].iter_rows(values_only=True), start=1):
            cells = [_raw_cell(v) for v in values]
            if sheet is None:
                header = [normalise_header(c) for c in cells]
                if is_header(header):
                    while header and not header[-1]:
                        header.pop()
                    sheet = Sheet(name=actual, header=header, header_row=excel_row)
                elif excel_row >= search_rows:
                    break
                else:
                    titles.extend(clean_text(c) for c in cells if c is not None)
                continue
            if any(c is not None for c in cells):
                sheet.rows.append((excel_row, cells))
    finally:
        book.close()
    if sheet is None:
        raise error(
            f"{file}, sheet '{sheet_name}': no header row found in its first {search_rows} rows "
            f"({header_hint}) — has the publisher changed the layout?"
        )
    return WorkbookSheet(sheet=sheet, titles=titles)
