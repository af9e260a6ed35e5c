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
import os
import posixpath
import re
import unicodedata
import zipfile
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
)
EXCEL_CELL_LIMIT = 32_767  # characters an Excel cell can hold
HEADER_SEARCH_ROWS = 20
_SPACE = re.compile(r"[\s\u00a0\u2007\u202f]+")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")  # zero-width space, word joiner, stray BOM
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_LAYOUT_HINT = re.compile(rb"<(?:\w+:)?f[\s>/]|hidden=\"(?:1|true)\"|<(?:\w+:)?mergeCell\s")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХУаеорсухіјѕІЈЅԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧονκρ‐‑‒–—―−",
    "ABEKMHOPCTXYaeopcyxijsIJSdqwABEZHIKMNOPTYXovkp-------",
)

# A cell may be far longer than the csv module's default 128 KiB limit (a pasted report as a
# note); reading it lets the caller say "this note is too long" instead of "the file is broken".
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


class FileProblem(Exception):
    """A file (or one row of it) that cannot be read, with where and how to fix it.

    `data_rows` is how many data rows the file held, when that could still be counted.
    """

    def __init__(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        data_rows: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column
        self.data_rows = data_rows


@dataclass(frozen=True)
class FileLimits:
    """The most one file may hold before it is refused unread: a file far beyond any real
    return (a pasted export, a copied-down sheet) must not hold up the whole quarter."""

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 100_000

    @classmethod
    def from_env(cls) -> FileLimits:
        """`PM_MAX_FILE_MB` and `PM_MAX_FILE_ROWS`, else the defaults."""
        return cls(
            max_bytes=round(_env_number("PM_MAX_FILE_MB", cls.max_bytes / 1024 / 1024) * 1024**2),
            max_rows=int(_env_number("PM_MAX_FILE_ROWS", cls.max_rows)),
        )

    def check_size(self, size: int, name: str) -> None:
        """Refuse a file by its size alone, before any of it is parsed."""
        if size > self.max_bytes:
            raise FileProblem(
                f"{name} is {_mb(size)} MB, more than the {_mb(self.max_bytes)} MB a "
                "file may be (PM_MAX_FILE_MB), so it was not read and none of its rows were "
                "taken — a return needs one row per PI: delete copied-down or pasted rows and "
                "save it again, or ask the data team to raise the limit"
            )

    def too_many_rows(self, name: str) -> FileProblem:
        return FileProblem(
            f"{name} has more than {self.max_rows:,} data rows, the most a file may hold "
            f"(PM_MAX_FILE_ROWS), so it was not read and none of its rows were taken — a "
            "return needs one row per PI: delete copied-down or pasted rows, or split the "
            "file, and save it again, or ask the data team to raise the limit"
        )


def _mb(size: int) -> str:
    """Megabytes to two places, without trailing zeros (20, 0.5, 52.43)."""
    return f"{size / 1024**2:,.2f}".rstrip("0").rstrip(".")


def _env_number(variable: str, default: float) -> float:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0 < number < float("inf"):
        raise ValueError(f"{variable}={text!r} is not a positive number (default {default:g})")
    return number


def clean_text(value: object) -> str:
    """A cell as text: non-breaking and other odd spaces collapsed, zero-width ones removed,
    ends trimmed."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and "  " not in text:  # fast path: no odd or repeated spaces
        return text.strip()
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def normalise_header(value: object) -> str:
    """Header matching: case-insensitive, surrounding and repeated whitespace ignored."""
    return clean_text(value).casefold()


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class CellNote:
    """Why a row cannot be taken at face value; `column` is a 0-based index, None for the row.

    `text` finishes a sentence whose subject is the cell (or the row), e.g. "is hidden ...".
    """

    column: int | None
    text: str

    def sentence(self) -> str:
        """The note as a clause after "<file>, row <n>[, column <c>]: "."""
        return f"{'the row' if self.column is None else 'the cell'} {self.text}"


@dataclass
class Sheet:
    """One table read from a file: its header and its data rows with Excel row numbers."""

    name: str
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    encoding: str | None = None
    notes: dict[int, list[CellNote]] = field(default_factory=dict)

    def column(self, name: str) -> int | None:
        try:
            return self.header.index(name)
        except ValueError:
            return None

    def column_name(self, index: int | None) -> str | None:
        """The heading of a column, or its Excel letter when it has none."""
        if index is None:
            return None
        if index < len(self.header) and self.header[index]:
            return self.header[index]
        return column_letter(index)

    def note(self, row: int, column: int | None, text: str) -> None:
        self.notes.setdefault(row, []).append(CellNote(column, text))

    def records(self) -> list[tuple[int, dict[str, object]]]:
        """Rows as {header: cell} (unnamed columns dropped)."""
        named = [(i, h) for i, h in enumerate(self.header) if h]
        return [
            (row, {h: cells[i] if i < len(cells) else None for i, h in named})
            for row, cells in self.rows
        ]


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


def _check_header(header: list[str], name: str, header_row: int, data_rows: int) -> None:
    repeated = sorted(h for h, n in Counter(h for h in header if h).items() if n > 1)
    if repeated:
        raise FileProblem(
            f"{name} has more than one column headed {', '.join(repeated)} in row "
            f"{header_row}, so none of its {data_rows} row(s) were read — delete or rename the "
            "extra column so each heading appears once",
            row=header_row,
            column=repeated[0],
            data_rows=data_rows,
        )


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
    _check_header(header, name, header_row, len(rows))
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
    1,048,576 makes a million empty rows; its parser, used here, yields only what is there."""
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
        _check_header(sheet.header, f"{name} sheet '{ws.title}'", sheet.header_row, len(sheet.rows))
    return sheet


def read_xlsx_bytes(
    data: bytes, name: str, header_names: set[str], limits: FileLimits | None = None
) -> list[Sheet]:
    """Every visible sheet whose header row (within its first 20 rows) names a wanted column;
    with `limits`, a sheet of too many rows is refused once the first row over it is read."""
    from openpyxl import load_workbook

    if data.startswith(_OLE_MAGIC):
        raise _ole_problem(data, name)
    archive = _open_zip(data, name)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileProblem(
            f"{name} is not a readable Excel .xlsx workbook ({exc.__class__.__name__}); "
            "open it in Excel and save it again as .xlsx"
        ) from exc
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
    if is_xlsx(data) or data.startswith(_OLE_MAGIC):
        return read_xlsx_bytes(data, display_name, header_names, limits)
    return [read_csv_bytes(data, display_name, header_names, limits)]


def ascii_lookalike(text: str) -> str:
    """`text` with look-alike letters and dashes (Cyrillic 'Н', en dash) replaced by the ASCII
    characters they imitate, and full-width forms folded, so a mistyped id can be recognised."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)


def odd_characters(text: str) -> str:
    """Each non-ASCII character of `text` named, e.g. "'Н' (CYRILLIC CAPITAL LETTER EN, U+041D)"."""
    seen = dict.fromkeys(ch for ch in text if ord(ch) > 127)
    return ", ".join(
        f"'{ch}' ({unicodedata.name(ch, 'unnamed character')}, U+{ord(ch):04X})" for ch in seen
    )
