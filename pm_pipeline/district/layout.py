"""Shared strictness for publishers' files: find columns by their published names, or say what changed.

Publishers rename, add and split columns between releases. Every parser here names the
columns it relies on; when one is missing the error names the file, the header row, the
column it expected and the nearest heading the file does have, so whoever refreshes a file
sees at once whether the publisher renamed something or the wrong file was saved.
"""

from __future__ import annotations

import difflib
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, overload

from pm_pipeline.tabular import FileProblem, Sheet, clean_text, normalise_header

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
_MEASURES_SUFFIX = re.compile(r";\s*measures:\s*value$")
_COLON = re.compile(r"\s*:\s*")


class LayoutError(FileProblem):
    """A reference file whose layout or content differs from what its publisher issues."""


def header_key(text: object) -> str:
    """How publishers' headings are compared: case, spacing, `: ` and `; measures: Value` ignored.

    Census bulk files write the same heading with and without a space after a colon and with or
    without the `; measures: Value` suffix, depending on the table and the release.
    """
    key = _MEASURES_SUFFIX.sub("", normalise_header(text))
    return _COLON.sub(": ", key).strip()


def nearest(wanted: str, available: Iterable[str]) -> str | None:
    """The heading in the file most like the one expected (a renamed column), if any is close."""
    found = difflib.get_close_matches(wanted, list(available), n=1, cutoff=0.6)
    return found[0] if found else None


def find_columns(
    header: Sequence[str],
    wanted: Mapping[str, Sequence[str]],
    file: str,
    header_row: int,
    what: str,
) -> dict[str, int]:
    """Column index of each wanted name (any accepted spelling), else a LayoutError.

    `wanted` maps a name the caller uses to the published headings accepted for it.
    """
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for name, spellings in wanted.items():
        for spelling in spellings:
            key = header_key(spelling)
            if key in keys:
                found[name] = keys.index(key)
                break
        else:
            expected = spellings[0]
            near = nearest(header_key(expected), [k for k in keys if k])
            hint = (
                f"; the nearest heading in the file is '{near}' — has the publisher renamed it?"
                if near
                else "; no heading in the file is like it."
            )
            raise LayoutError(
                f"{file}, header row {header_row}: the column '{expected}' ({what}) is missing"
                f"{hint} Re-download the file in the publisher's standard layout, or update the "
                "layout this pipeline expects if the publisher has changed it.",
                row=header_row,
                column=expected,
            )
    return found


@overload
def number(
    cell: object, file: str, row: int, column: str, *, blank_ok: Literal[False] = False
) -> float: ...
@overload
def number(cell: object, file: str, row: int, column: str, *, blank_ok: bool) -> float | None: ...
def number(
    cell: object, file: str, row: int, column: str, *, blank_ok: bool = False
) -> float | None:
    """A numeric cell (publishers' thousands separators allowed), else a LayoutError."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        if blank_ok:
            return None
        raise LayoutError(f"{file}, row {row}, column '{column}': the cell is empty", row, column)
    if isinstance(cell, bool):
        raise LayoutError(f"{file}, row {row}, column '{column}': '{cell}' is not a number", row)
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        try:
            value = float(str(cell).replace(",", "").strip())
        except ValueError:
            raise LayoutError(
                f"{file}, row {row}, column '{column}': '{cell}' is not a number — has a "
                "column moved?",
                row=row,
                column=column,
            ) from None
    if not math.isfinite(value):
        raise LayoutError(f"{file}, row {row}, column '{column}': '{cell}' is not a number", row)
    return value


def area_code(cell: object, file: str, row: int, column: str) -> str:
    code = clean_text(cell).upper()
    if not GSS_CODE.match(code):
        raise LayoutError(
            f"{file}, row {row}, column '{column}': '{clean_text(cell)}' is not a GSS area code "
            "like E07000171 — has a column moved?",
            row=row,
            column=column,
        )
    return code


@dataclass
class WorkbookSheet:
    """One named sheet of a publisher's workbook, raw values, with the title rows above its header."""

    sheet: Sheet
    titles: list[str] = field(default_factory=list)


def sheet_names(data: bytes, file: str) -> list[str]:
    from openpyxl import load_workbook

    book = _open(data, file, load_workbook)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _open(data: bytes, file: str, load_workbook: Callable) -> Workbook:
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise LayoutError(
            f"{file} is not a readable Excel .xlsx workbook ({exc.__class__.__name__}); "
            "download it again from the publisher"
        ) from exc


def _cell(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value) or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_sheet(
    data: bytes,
    file: str,
    sheet_name: str,
    is_header: Callable[[list[str]], bool],
    header_hint: str,
    search_rows: int = 40,
) -> WorkbookSheet:
    """The sheet called `sheet_name`, its header the first row `is_header` accepts.

    Read raw (unlike owners' returns) so an Excel percentage format never rescales a
    published proportion.
    """
    from openpyxl import load_workbook

    book = _open(data, file, load_workbook)
    try:
        names = {normalise_header(n): n for n in book.sheetnames}
        actual = names.get(normalise_header(sheet_name))
        if actual is None:
            raise LayoutError(
                f"{file} has no sheet '{sheet_name}' (its sheets: {', '.join(book.sheetnames)})"
            )
        ws = book[actual]
        titles: list[str] = []
        sheet: Sheet | None = None
        for excel_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
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
        raise LayoutError(
            f"{file}, sheet '{sheet_name}': no header row found in its first {search_rows} rows "
            f"({header_hint}) — has the publisher changed the layout?"
        )
    return WorkbookSheet(sheet=sheet, titles=titles)
