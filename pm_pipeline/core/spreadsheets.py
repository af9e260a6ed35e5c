"""Reading the spreadsheets people actually send: CSV (any common encoding or delimiter) and XLSX.

Every data row keeps the row number the owner sees in Excel (header = row 1 when it is the
first row), so every message can point at a cell. Cells come back as Python values (strings
stripped, numbers, datetimes); interpreting them is the caller's job.

What a reader cannot take at face value is never dropped silently: a row that is hidden in
Excel, a cell in a vertical merge, a formula saved without its result, a CSV row with more cells
than its header — each becomes a `CellNote` on its row, for the caller to report.

Reading costs what the file holds, never what it declares: only the rows and cells present in
a sheet's XML are read, and merged ranges are matched to data rows, not walked. `FileLimits`
(PM_MAX_FILE_MB, PM_MAX_FILE_ROWS) refuses a file too big before it is parsed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from pm_pipeline.core.sheets import (
    HEADER_SEARCH_ROWS,
    FileLimits,
    FileProblem,
    Sheet,
    check_header,
    clean_text,
    normalise_header,
)
from pm_pipeline.core.xlsx import OLE_MAGIC, is_xlsx, read_xlsx_bytes

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


# A cell may be far longer than the csv module's default 128 KiB limit (a pasted report as a
# note); reading it lets the caller say "this note is too long" instead of "the file is broken".
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


def _binary_problem(data: bytes, name: str) -> FileProblem:
    kind = "a PDF" if data.startswith(b"%PDF") else "binary data, not text"
    return FileProblem(
        f"{name} is not a CSV text file (it holds {kind}) — open the original in Excel and "
        "save it as 'CSV UTF-8' or as an Excel .xlsx workbook"
    )


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when every other byte is zero (UTF-16 text with no BOM)."""
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4 and odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if len(sample) >= 4 and even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Text of a CSV: UTF-16 (Excel's 'Unicode text'), UTF-8 (with or without BOM), else
    Windows-1252 as Excel saves it in the UK."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        utf16 = _utf16_without_bom(data[:4096])
        if utf16 is None:
            raise _binary_problem(data, name)
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError as exc:
            raise _binary_problem(data, name) from exc
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


def _split_sep_line(text: str) -> tuple[str | None, str]:
    """Excel's optional first line `sep=;` names the delimiter; Excel does not show it as a row."""
    first, _, rest = text.partition("\n")
    line = first.strip().strip('"').strip()
    if line.casefold().startswith("sep=") and len(line) == 5:
        return line[4], rest
    return None, text


def _sniff_delimiter(text: str, header_names: set[str] | None = None) -> str:
    """The delimiter of the header line (the first line naming a wanted column, else the first)."""
    lines = [line for line in text[:65536].splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    first = lines[0] if lines else ""
    for line in lines:
        if header_names and any(name in line.casefold() for name in header_names):
            first = line
            break
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _clean_cells(record: list[str]) -> list[object] | None:
    """A record's cells cleaned (empty -> None), or None when the record is blank."""
    joined = "".join(record)
    if joined.isprintable() and "  " not in joined:  # fast path: judged once for the row
        return [c.strip() or None for c in record] if joined.strip() else None
    cells: list[object] = [clean_text(c) or None for c in record]
    return cells if any(cells) else None


def _find_header(
    records: list[tuple[int, list[object]]], header_names: set[str] | None
) -> int | None:
    """Position in `records` of the header: the first row naming a wanted column within the
    first rows, else the first row."""
    if not records:
        return None
    if header_names:
        for position, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
            if header_names & {normalise_header(c) for c in cells}:
                return position
    return 0


def _more_records_than(text: str, delimiter: str, limit: int) -> bool:
    """Whether the CSV holds more than `limit` non-blank records, judged without building or
    cleaning any row (about a fifth of the cost of reading them), stopping at limit + 1."""
    if text.count("\n") < limit:  # a record needs a line of its own
        return False
    count = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            joined = "".join(record)
            if joined.strip() if joined.isprintable() else clean_text(joined):
                count += 1
                if count > limit:
                    return True
    except csv.Error:
        return False  # the full read reports where the CSV breaks
    return False


def _csv_records(text: str, name: str, delimiter: str) -> list[tuple[int, list[object]]]:
    """Non-blank records with their Excel row numbers; an unclosed quote is a FileProblem."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[object]]] = []
    excel_row = 0
    try:
        for excel_row, record in enumerate(reader, start=1):
            cells = _clean_cells(record)
            if cells is not None:
                records.append((excel_row, cells))
    except csv.Error as exc:
        bad_row = excel_row + 1
        raise FileProblem(
            f'{name} row {bad_row} is not well-formed CSV ({exc}): a double quote (") opens a '
            "cell that is not closed properly, so that row and the ones after it cannot be "
            "read — remove the stray quote, or put the whole cell in double quotes, and save "
            "the file again",
            row=bad_row,
        ) from exc
    return records


def read_csv_bytes(
    data: bytes,
    name: str,
    header_names: set[str] | None = None,
    limits: FileLimits | None = None,
) -> Sheet:
    """A CSV as one sheet. With `header_names`, title rows above the header are skipped; with
    `limits`, a file of too many rows is refused once the first row over the limit is seen."""
    text, encoding = decode(data, name)
    delimiter, text = _split_sep_line(text)  # Excel hides a sep= line: the next line is row 1
    delimiter = delimiter or _sniff_delimiter(text, header_names)
    if limits and _more_records_than(text, delimiter, limits.max_rows + HEADER_SEARCH_ROWS + 1):
        raise limits.too_many_rows(name)  # a header within the first rows leaves more than max
    records = _csv_records(text, name, delimiter)
    position = _find_header(records, header_names)
    if position is None:
        raise FileProblem(f"{name} is empty — it has no header row and no data")
    header_row, header_cells = records[position]
    header = [normalise_header(c) for c in header_cells]
    rows = records[position + 1 :]
    if limits and len(rows) > limits.max_rows:
        raise limits.too_many_rows(name)
    check_header(header, name, header_row, len(rows))
    sheet = Sheet(name=name, header=header, header_row=header_row, rows=rows, encoding=encoding)
    _note_overlong_rows(sheet, delimiter)
    return sheet


def _note_overlong_rows(sheet: Sheet, delimiter: str) -> None:
    """A row with filled cells beyond the header, or longer than the file's other rows: a
    delimiter inside a value split it (the shifted cells may leave the extra ones empty)."""
    width = max((i + 1 for i, h in enumerate(sheet.header) if h), default=0)
    usual = Counter(len(cells) for _, cells in sheet.rows).most_common(1)
    longest_usual = max(width, len(sheet.header), usual[0][0] if usual else 0)
    what = _DELIMITERS.get(delimiter, repr(delimiter))
    for excel_row, cells in sheet.rows:
        if len(cells) > width and (any(cells[width:]) or len(cells) > longest_usual):
            sheet.note(
                excel_row,
                None,
                f"has {len(cells)} cells but the header row (row {sheet.header_row}) names "
                f"{width} columns — a {what} inside a value (often the note) splits it in two; "
                "put double quotes around that value, or save the file again from Excel as CSV",
            )


def read_table_file(path: Path, display_name: str, header_names: set[str]) -> list[Sheet]:
    return read_table_bytes(path.read_bytes(), display_name, header_names)


def read_table_bytes(
    data: bytes, display_name: str, header_names: set[str], limits: FileLimits | None = None
) -> list[Sheet]:
    """A CSV or XLSX file as sheets, judged by its content rather than trusting the extension;
    with `limits`, a file too big is refused before any of it is parsed."""
    if limits:
        limits.check_size(len(data), display_name)
    if not data.strip():
        raise FileProblem(f"{display_name} is empty (0 bytes of data) — save the file again")
    if is_xlsx(data) or data.startswith(OLE_MAGIC):
        return read_xlsx_bytes(data, display_name, header_names, limits)
    return [read_csv_bytes(data, display_name, header_names, limits)]
