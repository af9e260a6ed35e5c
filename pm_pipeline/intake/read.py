"""Reading a quarter's returns folder (DESIGN 3.2) into candidate rows and intake issues.

Nothing is lost: each data row becomes a candidate return or a `row_readable` issue, and a
file that cannot be read at all becomes one `file_readable` issue that says how many rows it
held. The data-quality rules then run on the candidates.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pm_pipeline.intake.cells import parse_number, parse_status, parse_timestamp
from pm_pipeline.periods import Quarter, parse_period_label
from pm_pipeline.quality.rules import Issue
from pm_pipeline.tabular import FileProblem, Sheet, clean_text, read_table_bytes

RETURN_COLUMNS = (
    "pi_id",
    "period",
    "value",
    "numerator",
    "denominator",
    "status",
    "note",
    "submitted_by",
    "submitted_at",
)
REQUIRED_COLUMNS = ("pi_id", "period", "value", "note")
SUPPORTED_SUFFIXES = (".csv", ".xlsx")
CANDIDATE_COLUMNS = [
    "pi_id",
    "stated_period",
    "value",
    "numerator",
    "denominator",
    "status",
    "note",
    "submitted_by",
    "submitted_at",
    "source_file",
    "source_row",
    "file_sha256",
    "raw_value",
]


@dataclass
class ReturnFile:
    """One file as seen: where it is, its content hash, and what was read from it."""

    source_file: str
    sha256: str
    data_rows: int = 0
    accepted_rows: int = 0
    readable: bool = True


@dataclass
class FileRead:
    rows: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    data_rows: int = 0


def _describe_id(raw: str) -> str:
    """Name characters a look-alike or invisible could hide, e.g. a Cyrillic 'Н' in 'HS-03'."""
    odd = [
        f"'{ch}' ({unicodedata.name(ch, 'unnamed')}, U+{ord(ch):04X})"
        for ch in raw
        if ord(ch) > 127
    ]
    return f" — it contains {', '.join(odd)}; retype the id" if odd else ""


def _sheet_rows(
    sheet: Sheet, source_file: str, sha: str, canonical_ids: dict[str, str], out: FileRead
) -> None:
    sheet.header = [re.sub(r"[\s_]+", "_", h) for h in sheet.header]  # "Submitted At" too
    missing = [c for c in REQUIRED_COLUMNS if c not in sheet.header]
    if missing:
        out.data_rows += len(sheet.rows)
        out.issues.append(
            Issue(
                "file_readable",
                None,
                source_file,
                sheet.header_row,
                None,
                f"{source_file} has no {', '.join(missing)} column(s) in its header (row "
                f"{sheet.header_row}), so none of its {len(sheet.rows)} row(s) were read — add "
                f"the column(s) (headings: {', '.join(RETURN_COLUMNS)}) and save the file",
            )
        )
        return
    for excel_row, record in sheet.records():
        out.data_rows += 1
        raw_id = clean_text(record.get("pi_id"))
        where = f"{source_file} row {excel_row}"
        problems: list[tuple[str, str]] = []
        if raw_id.casefold() == "pi_id":
            out.issues.append(
                Issue(
                    "row_readable",
                    None,
                    source_file,
                    excel_row,
                    None,
                    f"{where} repeats the header row — delete the row",
                )
            )
            continue
        if not raw_id:
            problems.append(("pi_id", "is empty — give the PI's id from the register"))
        parsed: dict[str, object] = {}
        for column, parse in (
            ("period", lambda c: parse_period_label(clean_text(c)).key if c is not None else None),
            ("value", parse_number),
            ("numerator", parse_number),
            ("denominator", parse_number),
            ("status", parse_status),
            ("submitted_at", parse_timestamp),
        ):
            try:
                parsed[column] = parse(record.get(column))
            except ValueError as exc:
                problems.append((column, str(exc)))
        if parsed.get("period") is None and "period" not in dict(problems):
            problems.append(("period", "is empty — write the quarter, e.g. 2025/26 Q1"))
        pid = canonical_ids.get(raw_id.casefold(), raw_id)
        if problems:
            for column, text in problems:
                out.issues.append(
                    Issue(
                        "row_readable",
                        pid or None,
                        source_file,
                        excel_row,
                        clean_text(record.get(column)) or None,
                        f"{pid or 'The return'} in {where}, column {column}: {text}",
                    )
                )
            continue
        out.rows.append(
            {
                "pi_id": pid,
                "raw_id_hint": _describe_id(raw_id) if pid == raw_id else "",
                "stated_period": parsed["period"],
                "value": parsed["value"],
                "numerator": parsed["numerator"],
                "denominator": parsed["denominator"],
                "status": parsed["status"],
                "note": clean_text(record.get("note")) or None,
                "submitted_by": clean_text(record.get("submitted_by")) or None,
                "submitted_at": parsed["submitted_at"],
                "source_file": source_file,
                "source_row": excel_row,
                "file_sha256": sha,
                "raw_value": clean_text(record.get("value")) or None,
            }
        )


def read_return_bytes(
    data: bytes, source_file: str, canonical_ids: dict[str, str], sha: str | None = None
) -> FileRead:
    """Candidate rows and intake issues from one file's bytes."""
    out = FileRead()
    sha = sha or hashlib.sha256(data).hexdigest()
    suffix = Path(source_file).suffix.casefold()
    if suffix not in SUPPORTED_SUFFIXES:
        out.issues.append(
            Issue(
                "file_readable",
                None,
                source_file,
                None,
                None,
                f"{source_file} was not read: only .csv and .xlsx files are — save it as an Excel "
                ".xlsx workbook or CSV in the same folder",
            )
        )
        return out
    try:
        sheets = read_table_bytes(data, source_file, {"pi_id"})
    except FileProblem as exc:
        out.issues.append(Issue("file_readable", None, source_file, exc.row, None, exc.message))
        return out
    if not sheets:
        out.issues.append(
            Issue(
                "file_readable",
                None,
                source_file,
                None,
                None,
                f"{source_file} has no header row naming pi_id in its first 20 rows — put the "
                f"headings ({', '.join(RETURN_COLUMNS)}) in row 1",
            )
        )
        return out
    _sheet_rows(sheets[0], source_file, sha, canonical_ids, out)
    for extra in sheets[1:]:
        out.data_rows += len(extra.rows)
        out.issues.append(
            Issue(
                "file_readable",
                None,
                source_file,
                None,
                None,
                f"{source_file} has returns on more than one sheet; only sheet "
                f"'{sheets[0].name}' was read and the {len(extra.rows)} row(s) on sheet "
                f"'{extra.name}' were not — move them onto one sheet",
            )
        )
    return out


def quarter_files(returns_dir: Path, quarter: Quarter) -> list[Path]:
    """The files owners dropped in the quarter's folder (Excel lock and hidden files skipped)."""
    folder = returns_dir / quarter.folder
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.name.startswith(("~$", ".", "~"))
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


@dataclass
class QuarterRead:
    candidates: pd.DataFrame
    issues: list[Issue]
    files: list[ReturnFile]

    @property
    def rows_in(self) -> int:
        return sum(f.data_rows for f in self.files)


def read_quarter(
    returns_dir: Path, quarter: Quarter, canonical_ids: dict[str, str]
) -> tuple[QuarterRead, dict[str, bytes]]:
    """Every file of the quarter read; also returns each file's bytes for archiving."""
    rows: list[dict] = []
    issues: list[Issue] = []
    files: list[ReturnFile] = []
    contents: dict[str, bytes] = {}
    for path in quarter_files(returns_dir, quarter):
        source_file = path.relative_to(returns_dir).as_posix()
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        contents[source_file] = data
        read = read_return_bytes(data, source_file, canonical_ids, sha)
        for issue in read.issues:
            issue.period = quarter.key
        rows += read.rows
        issues += read.issues
        files.append(
            ReturnFile(
                source_file,
                sha,
                read.data_rows,
                readable=not any(i.rule == "file_readable" for i in read.issues),
            )
        )
    frame = pd.DataFrame(rows, columns=[*CANDIDATE_COLUMNS, "raw_id_hint"])
    return QuarterRead(frame.assign(period=quarter.key), issues, files), contents
