"""One data row of a return, checked cell by cell: ids, periods, numbers, dates, statuses,
and what the reader noted about the row (hidden, merged, a formula without its result)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter

from pm_pipeline.core.periods import Month, parse_period_label
from pm_pipeline.core.sheets import (
    EXCEL_CELL_LIMIT,
    EXCEL_ERRORS,
    Sheet,
    ascii_lookalike,
    clean_text,
    odd_characters,
    shown,
)
from pm_pipeline.core.values import parse_number
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.cells import parse_status, parse_timestamp
from pm_pipeline.defs.intake.columns import (
    HEADER_GAP,
    NO_SUCH_QUARTER,
    REQUIRED_COLUMNS,
    RETURN_COLUMNS,
    TEXT_COLUMNS,
    FileRead,
    Parsed,
)
from pm_pipeline.defs.quality.rules import Issue


def _rows_read(sheet: Sheet) -> str:
    """ "3 rows were" / "1 row was": how many rows of a sheet a header problem left unread."""
    n = len(sheet.rows)
    return f"{plural(n, 'row')} {plural(n, 'was', 'were', False)}"


def _describe_id(raw: str) -> str:
    """Name characters a look-alike or invisible could hide, e.g. a Cyrillic 'Н' in 'HS-03'."""
    odd = odd_characters(raw)
    return f" — it contains {odd}; retype the id" if odd else ""


def _memo(parse: Callable[[object], object]) -> Callable[[object], Parsed]:
    """`parse` as (value, None) or (None, message), remembered: a file repeats its periods,
    statuses and dates on every row, so each distinct cell is parsed once."""

    @lru_cache(maxsize=4096, typed=True)
    def parsed(cell: object) -> Parsed:
        try:
            return parse(cell), None
        except ValueError as exc:
            return None, str(exc)

    return parsed


def _period_key(cell: object) -> str | None:
    """The quarter key a `period` cell names; a date or a Q5 is told apart from a typo."""
    if cell is None:
        return None
    if isinstance(cell, datetime | date):
        raise ValueError(
            f"is a date ({cell:%d/%m/%Y}), not a quarter — Excel turned what was typed into a "
            "date; format the cell as Text and type the quarter, e.g. 2025/26 Q1"
        )
    text = clean_text(cell)
    if NO_SUCH_QUARTER.search(text):
        raise ValueError(
            f"'{shown(text)}' is not a quarter: there are four, Q1 (April-June) to Q4 (January-March) "
            "— write it like 2025/26 Q1"
        )
    return parse_period_label(text).key


def _month_key(cell: object) -> str | None:
    """The month key a monthly return's `period` cell names (`July 2026`, `2026-07`); a date
    on the 1st is what Excel makes of a typed "July 2026", so it is that month."""
    if cell is None:
        return None
    if isinstance(cell, datetime | date):
        if cell.day != 1:
            raise ValueError(
                f"is a date ({cell:%d/%m/%Y}), not a month — format the cell as Text and type "
                "the month, e.g. July 2026"
            )
        return Month(cell.year, cell.month).key
    return Month.parse(clean_text(cell)).key


_NUMBER = _memo(parse_number)
# the parsers of a quarter's rows and of a month's: only the period differs
_PERIOD_PARSERS = {False: _memo(_period_key), True: _memo(_month_key)}
_EMPTY_PERIOD = {
    False: "is empty — write the quarter, e.g. 2025/26 Q1",
    True: "is empty — write the month, e.g. July 2026",
}
_PARSERS: tuple[tuple[str, Callable[[object], Parsed]], ...] = (
    ("value", _NUMBER),
    ("numerator", _NUMBER),
    ("denominator", _NUMBER),
    ("status", _memo(parse_status)),
    ("submitted_at", _memo(parse_timestamp)),
)


def _text(cell: object) -> str:
    """A cell as text (the readers have already cleaned the cells that are strings)."""
    if cell is None:
        return ""
    return cell if cell.__class__ is str else clean_text(cell)


def _id_problem(raw_id: str, canonical_ids: dict[str, str]) -> tuple[str | None, str] | None:
    """An id that matches no PI because of a look-alike character (a Cyrillic 'Н', an en dash)
    or a space: (the register id it imitates, if one; what to tell the owner)."""
    if raw_id.isascii() and " " not in raw_id:
        return None
    meant = canonical_ids.get(ascii_lookalike(raw_id).replace(" ", "").casefold())
    what = []
    if not raw_id.isascii():
        what.append(
            f"contains {odd_characters(raw_id)}, which looks like an ordinary character but is not"
        )
    if " " in raw_id:
        what.append("has a space in it, which no PI id has")
    fix = f"retype the id as {meant}" if meant else "retype the id as your list of PIs spells it"
    return (
        meant,
        f"'{shown(raw_id)}' {' and '.join(what)}, so it matches no PI in the register — {fix}",
    )


def _layout_problems(sheet: Sheet, excel_row: int) -> list[tuple[str | None, str]]:
    """What the reader noted on the row (hidden, merged, formula without result, split row),
    for the return columns only: a helper column to the right is the owner's business."""
    problems: list[tuple[str | None, str]] = []
    for note in sheet.notes.get(excel_row, ()):
        column = sheet.column_name(note.column)
        if note.column is None or column in RETURN_COLUMNS:
            problems.append((column, note.text))
    return problems


def _cell_problems(
    record: dict[str, object], skip: set[str], parsed: dict[str, object], monthly: bool
) -> list[tuple[str | None, str]]:
    """Each cell parsed into `parsed`; what cannot be read, column by column (`skip`ped columns
    already have a problem). A month's period is read as a month, a quarter's as a quarter."""
    problems: list[tuple[str | None, str]] = []
    for column in TEXT_COLUMNS:
        cell = record[column]
        if (
            cell.__class__ is str
            and cell[:1] == "#"
            and cell.upper() in EXCEL_ERRORS
            and column not in skip
        ):
            problems.append(
                (
                    column,
                    f"is the Excel error {cell.upper()} — fix the formula or type the {column}",
                )
            )
            skip.add(column)
    for column, parse in (("period", _PERIOD_PARSERS[monthly]), *_PARSERS):
        if column not in skip:
            parsed[column], error = parse(record[column])
            if error:
                problems.append((column, error))
                skip.add(column)
    if parsed.get("period") is None and "period" not in skip:
        problems.append(("period", _EMPTY_PERIOD[monthly]))
    note = _text(record["note"])
    if len(note) > EXCEL_CELL_LIMIT and "note" not in skip:
        problems.append(
            (
                "note",
                f"is {len(note):,} characters long, more than the {EXCEL_CELL_LIMIT:,} an Excel "
                "cell can hold — shorten it to the few sentences a reader needs",
            )
        )
    return problems


@dataclass
class _Columns:
    """Where each return column sits in a sheet, read in one step per row."""

    pick: Callable[[list[object]], tuple]
    width: int

    @classmethod
    def of(cls, sheet: Sheet) -> _Columns:
        width = len(sheet.header)
        found = [sheet.column(c) for c in RETURN_COLUMNS]
        return cls(itemgetter(*(width if i is None else i for i in found)), width)

    def record(self, cells: list[object]) -> dict[str, object]:
        padded = cells[: self.width]
        padded += [None] * (self.width + 1 - len(padded))  # position `width`: absent columns
        return dict(zip(RETURN_COLUMNS, self.pick(padded), strict=True))


def _row_issue(
    out: FileRead,
    pid: str | None,
    source_file: str,
    row: int,
    column: str | None,
    text: str,
    value: object = None,
) -> None:
    where = f"{source_file} row {row}"
    subject = shown(pid) if pid else "The return"
    out.issues.append(
        Issue(
            "row_readable",
            pid or None,
            source_file,
            row,
            shown(clean_text(value)) or None,
            f"{subject} in {where}, column {column}: {text}"
            if column
            else f"{subject} in {where} {text}",
        )
    )


def _header_problem(sheet: Sheet, source_file: str, as_read: list[str]) -> str | None:
    """Missing required columns, or two headings that mean the same column."""
    missing = [c for c in REQUIRED_COLUMNS if c not in sheet.header]
    if missing:
        reads = ""
        if not set(sheet.header) & set(RETURN_COLUMNS):
            shown = ", ".join(h for h in as_read if h)[:120]
            reads = f"; that row reads '{shown}'"
        return (
            f"{source_file} has no {', '.join(missing)} column(s) in its header (row "
            f"{sheet.header_row}{reads}), so none of its {_rows_read(sheet)} read — "
            f"add the column(s) (headings: {', '.join(RETURN_COLUMNS)}) and save the file"
        )
    twice = sorted(c for c in RETURN_COLUMNS if sheet.header.count(c) > 1)
    if twice:
        return (
            f"{source_file} has more than one column headed {', '.join(twice)} in row "
            f"{sheet.header_row}, so none of its {_rows_read(sheet)} read — delete or "
            "rename the extra column so each heading appears once"
        )
    return None


def sheet_rows(
    sheet: Sheet,
    source_file: str,
    sha: str,
    canonical_ids: dict[str, str],
    out: FileRead,
    monthly: bool = False,
) -> None:
    as_read = list(sheet.header)
    sheet.header = [HEADER_GAP.sub("_", h) for h in sheet.header]  # "Submitted At" too
    problem = _header_problem(sheet, source_file, as_read)
    if problem:
        out.data_rows += len(sheet.rows)
        out.issues.append(
            Issue("file_readable", None, source_file, sheet.header_row, None, problem)
        )
        return
    columns = _Columns.of(sheet)
    for excel_row, cells in sheet.rows:
        out.data_rows += 1
        record = columns.record(cells)
        row = _read_row(sheet, excel_row, record, source_file, canonical_ids, out, monthly)
        if row is not None:
            row.update(source_file=source_file, source_row=excel_row, file_sha256=sha)
            out.rows.append(row)


def _read_row(
    sheet: Sheet,
    excel_row: int,
    record: dict[str, object],
    source_file: str,
    canonical_ids: dict[str, str],
    out: FileRead,
    monthly: bool,
) -> dict | None:
    """One data row as a candidate return, or None after adding its `row_readable` issues."""
    raw_id = _text(record["pi_id"])
    folded = raw_id.casefold()
    pid = canonical_ids.get(folded)
    if pid is None and HEADER_GAP.sub("_", folded) == "pi_id":
        _row_issue(out, None, source_file, excel_row, None, "repeats the header row — delete it")
        return None
    problems = _layout_problems(sheet, excel_row) if sheet.notes else []
    if any(column is None for column, _ in problems):  # hidden, or split by a comma
        for column, text in problems:
            _row_issue(out, pid or raw_id, source_file, excel_row, column, text)
        return None
    # (no column is None here: such rows returned above)
    skip = {column for column, _ in problems if column is not None}
    if pid is None and "pi_id" not in skip:
        odd = _id_problem(raw_id, canonical_ids) if raw_id else None
        if not raw_id:
            problems.append(("pi_id", "is empty — give the PI's id from the register"))
        elif odd:
            pid = odd[0]
            problems.append(("pi_id", odd[1]))
    parsed: dict[str, object] = {}
    problems += _cell_problems(record, skip, parsed, monthly)
    if problems:
        for column, text in problems:
            value = record.get(column) if column else None
            _row_issue(out, pid or raw_id, source_file, excel_row, column, text, value)
        return None
    return {
        "pi_id": pid or raw_id,
        "raw_id_hint": "" if pid else _describe_id(raw_id),
        "stated_period": parsed["period"],
        "value": parsed["value"],
        "numerator": parsed["numerator"],
        "denominator": parsed["denominator"],
        "status": parsed["status"],
        "note": _text(record["note"]) or None,
        "submitted_by": _text(record["submitted_by"]) or None,
        "submitted_at": parsed["submitted_at"],
        "raw_value": _text(record["value"]) or None,
    }
