"""Spreadsheets people open in Excel: CSV and XLSX with formula injection neutralised.

A cell of text from a return that starts with = + - @ (or a tab or carriage return) could be
run as a formula when an officer opens the file; such text is written as plain text instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pm_pipeline.safe_write import write_atomic
from pm_pipeline.values import is_missing

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


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow(["" if _plain(v) is None else neutralise(_plain(v)) for v in row])
    return write_atomic(path, "\ufeff" + buffer.getvalue())


@dataclass
class Sheet:
    """One worksheet: a table with a frozen header and filters; `formats` by column name."""

    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    widths: dict[str, int] = field(default_factory=dict)
    intro: Sequence[str] = ()


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
            ws.append([line])
        if spec.intro:
            ws.append([])
        header_row = len(spec.intro) + 2 if spec.intro else 1
        ws.append([str(c) for c in spec.frame.columns])
        for cell in ws[header_row]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in spec.frame.itertuples(index=False):
            ws.append([_plain(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    if cell.value.startswith(FORMULA_START):
                        cell.value = "'" + cell.value
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
