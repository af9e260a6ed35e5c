"""Spreadsheets people open in Excel: CSV and XLSX with formula injection neutralised.

A cell of text that starts with = + - @ (or a tab or carriage return) could be run as a
formula when an officer opens the file; such text is written as plain text instead. That holds
for every cell written here, not only the returns' text: titles, headings and intro lines carry
configuration (a council or PI name) and column names, so all of them pass through `_cells`
(and, in a workbook, `_append`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pm_pipeline.core.files import write_atomic
from pm_pipeline.core.values import is_missing

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that Excel would treat as a formula, prefixed with an apostrophe (OWASP advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _plain(value: object) -> object:
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _cells(values: Iterable[object]) -> list[object]:
    """One row as it is written to any spreadsheet: plain Python values, text neutralised."""
    return [neutralise(_plain(v)) for v in values]


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_cells(frame.columns))
    for row in frame.itertuples(index=False):
        writer.writerow(["" if v is None else v for v in _cells(row)])
    return write_atomic(path, "\ufeff" + buffer.getvalue())


@dataclass
class Sheet:
    """One worksheet: a table with a frozen header and filters; `formats` by column name."""

    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    widths: dict[str, int] = field(default_factory=dict)
    intro: Sequence[str] = ()


def _append(ws: Worksheet, values: Iterable[object]) -> None:
    """One row added to a worksheet, its text stored as text: never a formula, and never an
    Excel error (openpyxl reads '#N/A' typed in a note as one)."""
    ws.append(_cells(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def write_xlsx(path: Path, sheets: Sequence[Sheet], title: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="F3F2F1")
    for spec in sheets:
        ws = book.create_sheet(spec.title[:31])
        for line in spec.intro:
            _append(ws, [line])
        if spec.intro:
            ws.append([])
        header_row = len(spec.intro) + 2 if spec.intro else 1
        _append(ws, [str(c) for c in spec.frame.columns])
        for cell in ws[header_row]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in spec.frame.itertuples(index=False):
            _append(ws, row)
        for index, column in enumerate(spec.frame.columns, start=1):
            letter = get_column_letter(index)
            if column in spec.formats:
                for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=index, max_col=index):
                    cell.number_format = spec.formats[column]
            ws.column_dimensions[letter].width = spec.widths.get(column, 14)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        if len(spec.frame.columns):
            last = get_column_letter(len(spec.frame.columns))
            ws.auto_filter.ref = f"A{header_row}:{last}{max(ws.max_row, header_row)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return write_atomic(path, buffer.getvalue())
