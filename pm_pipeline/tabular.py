"""Reading the spreadsheets people actually send: CSV (any common encoding or delimiter) and XLSX.

Every data row keeps the row number the owner sees in Excel (header = row 1 when it is the
first row), so every message can point at a cell. Cells come back as Python values (strings
stripped, numbers, datetimes); interpreting them is the caller's job.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
)
_SPACE = re.compile(r"[\s\u00a0\u2007\u202f\ufeff]+")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileProblem(Exception):
    """A file (or one row of it) that cannot be read, with where and how to fix it."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


def clean_text(value: object) -> str:
    """A cell as text: non-breaking and other odd spaces collapsed, ends trimmed."""
    if value is None:
        return ""
    return _SPACE.sub(" ", str(value)).strip()


def normalise_header(value: object) -> str:
    """Header matching: case-insensitive, surrounding and repeated whitespace ignored."""
    return clean_text(value).casefold()


@dataclass
class Sheet:
    """One table read from a file: its header and its data rows with Excel row numbers."""

    name: str
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    encoding: str | None = None

    def column(self, name: str) -> int | None:
        try:
            return self.header.index(name)
        except ValueError:
            return None

    def records(self) -> list[tuple[int, dict[str, object]]]:
        """Rows as {header: cell} (unnamed columns dropped)."""
        named = [(i, h) for i, h in enumerate(self.header) if h]
        return [
            (row, {h: cells[i] if i < len(cells) else None for i, h in named})
            for row, cells in self.rows
        ]


def _is_blank(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Text of a CSV: UTF-8 (with or without BOM), else Windows-1252 as Excel saves it in the UK."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise FileProblem(
            f"{name} is not readable text (byte {exc.start}); save it as CSV UTF-8 from Excel"
        ) from exc


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(header: list[str], name: str, header_row: int) -> None:
    repeated = sorted(h for h, n in Counter(h for h in header if h).items() if n > 1)
    if repeated:
        raise FileProblem(
            f"{name} has more than one column headed {', '.join(repeat for repeat in repeated)} "
            f"in row {header_row} — delete or rename the extra column so each heading appears once",
            row=header_row,
            column=repeated[0],
        )


def read_csv_bytes(data: bytes, name: str) -> Sheet:
    text, encoding = decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[object]]] = []
    try:
        for excel_row, record in enumerate(reader, start=1):
            cells: list[object] = [clean_text(c) or None for c in record]
            if _is_blank(cells):
                continue
            if header is None:
                header = [normalise_header(c) for c in record]
                header_row = excel_row
                continue
            rows.append((excel_row, cells))
    except csv.Error as exc:
        raise FileProblem(
            f"{name} is not a well-formed CSV near row {reader.line_num} ({exc}); "
            "check for an unclosed quote",
            row=reader.line_num,
        ) from exc
    if header is None:
        raise FileProblem(f"{name} is empty — it has no header row and no data")
    _check_header(header, name, header_row)
    return Sheet(name=name, header=header, header_row=header_row, rows=rows, encoding=encoding)


def _xlsx_cell(cell: object) -> object:
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        return clean_text(value) or None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and "%" in str(getattr(cell, "number_format", "") or ""):
        return round(value * 100, 10)
    return value


def read_xlsx_bytes(data: bytes, name: str, header_names: set[str]) -> list[Sheet]:
    """Every visible sheet whose header row (within its first 20 rows) names a wanted column."""
    from openpyxl import load_workbook

    if data.startswith(_OLE_MAGIC):
        raise FileProblem(
            f"{name} is password-protected or an old .xls workbook — remove the password "
            "(File > Info > Protect Workbook) and save it as an Excel .xlsx workbook"
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(
            f"{name} is not a readable Excel .xlsx workbook ({exc.__class__.__name__}); "
            "open it in Excel and save it again as .xlsx"
        ) from exc
    sheets: list[Sheet] = []
    try:
        for ws in book.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible":
                continue
            ws.reset_dimensions()
            header: list[str] | None = None
            sheet = None
            for excel_row, row_cells in enumerate(ws.iter_rows(), start=1):
                cells = [_xlsx_cell(c) for c in row_cells]
                if header is None:
                    if excel_row > 20:
                        break
                    names = [normalise_header(c) for c in cells]
                    if header_names & set(names):
                        header = names
                        _check_header(header, f"{name} sheet '{ws.title}'", excel_row)
                        sheet = Sheet(name=ws.title, header=header, header_row=excel_row)
                    continue
                if not _is_blank(cells):
                    sheet.rows.append((excel_row, cells))
            if sheet is not None:
                sheets.append(sheet)
    finally:
        book.close()
    return sheets


def is_xlsx(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


def read_table_file(path: Path, display_name: str, header_names: set[str]) -> list[Sheet]:
    return read_table_bytes(path.read_bytes(), display_name, header_names)


def read_table_bytes(data: bytes, display_name: str, header_names: set[str]) -> list[Sheet]:
    """A CSV or XLSX file as sheets, judged by its content rather than trusting the extension."""
    if not data.strip():
        raise FileProblem(f"{display_name} is empty (0 bytes of data) — save the file again")
    if is_xlsx(data) or data.startswith(_OLE_MAGIC):
        return read_xlsx_bytes(data, display_name, header_names)
    return [read_csv_bytes(data, display_name)]
