"""What every spreadsheet reader hands back: `Sheet` rows with Excel row numbers, `CellNote`s,
the `FileProblem` an owner is told, the size limits, and how a cell's text is cleaned.

Split from `tabular` (which re-exports these names) so the CSV and XLSX readers share one set.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from pm_pipeline.core.words import plural

EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
)
EXCEL_CELL_LIMIT = 32_767  # characters an Excel cell can hold
HEADER_SEARCH_ROWS = 20
_SPACE = re.compile(r"[\s\u00a0\u2007\u202f]+")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")  # zero-width space, word joiner, stray BOM
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХУаеорсухіјѕІЈЅԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧονκρ‐‑‒–—―−",
    "ABEKMHOPCTXYaeopcyxijsIJSdqwABEZHIKMNOPTYXovkp-------",
)


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


SHOWN_LIMIT = 200  # characters of a cell that a message quotes


def shown(text: str, limit: int = SHOWN_LIMIT) -> str:
    """A cell's text as a message quotes it: a pasted essay is cut short, not copied whole."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


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


def where(file: str, row: int | None = None, column: str | None = None) -> str:
    """Where a problem is, as owners are told it: `file, row 7, column target`."""
    return ", ".join(
        [
            file,
            *([f"row {row}"] if row is not None else []),
            *([f"column {column}"] if column else []),
        ]
    )


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


def check_header(header: list[str], name: str, header_row: int, data_rows: int) -> None:
    repeated = sorted(h for h, n in Counter(h for h in header if h).items() if n > 1)
    if repeated:
        raise FileProblem(
            f"{name} has more than one column headed {', '.join(repeated)} in row "
            f"{header_row}, so none of its {plural(data_rows, 'row')} "
            f"{plural(data_rows, 'was', 'were', False)} read — delete or rename the "
            "extra column so each heading appears once",
            row=header_row,
            column=repeated[0],
            data_rows=data_rows,
        )


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
