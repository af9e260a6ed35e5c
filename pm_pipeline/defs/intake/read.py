"""Reading a quarter's returns folder (docs/contracts.md, "Returns files") into candidate rows
and intake issues.

Nothing is lost: each data row becomes a candidate return or a `row_readable` issue, and a
file that cannot be read at all becomes one `file_readable` issue that says how many rows it
held. A row the owner sees differently from what a value-only read gives (hidden, in a merged
range, a formula without its result, split by a stray comma) is reported, never guessed at.
The data-quality rules then run on the candidates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import Month, ReturnPeriod
from pm_pipeline.core.sheets import FileLimits, FileProblem, Sheet
from pm_pipeline.core.spreadsheets import read_table_bytes
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.columns import (
    CANDIDATE_COLUMNS,
    HEADER_GAP,
    HEADER_NAMES,
    NOT_READ,
    REQUIRED_COLUMNS,
    RETURN_COLUMNS,
    SUPPORTED_SUFFIXES,
    UPDATE_ID_COLUMNS,
    FileRead,
    ReturnFile,
)
from pm_pipeline.defs.intake.folder import fingerprint, read_entries
from pm_pipeline.defs.intake.rows import sheet_rows
from pm_pipeline.defs.quality.rules import Issue


def read_return_bytes(
    data: bytes,
    source_file: str,
    canonical_ids: dict[str, str],
    sha: str | None = None,
    monthly: bool = False,
) -> FileRead:
    """Candidate rows and intake issues from one file's bytes (a monthly return's periods are
    months)."""
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
        sheets = read_table_bytes(data, source_file, HEADER_NAMES, FileLimits.from_env())
    except FileProblem as exc:
        out.data_rows = exc.data_rows or 0
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
    out.update_of = update_kind(sheets)
    if out.update_of is None:
        _read_sheets(sheets, source_file, sha, canonical_ids, out, monthly)
    return out


def update_kind(sheets: list[Sheet]) -> str | None:
    """The id column of a plan update file ("action_id" or "risk_id"), or None for a PI return:
    a sheet headed pi_id makes it a return whatever else it holds."""
    headings = [{HEADER_GAP.sub("_", h) for h in sheet.header} for sheet in sheets]
    if any("pi_id" in h for h in headings):
        return None
    for column in UPDATE_ID_COLUMNS:
        if any(column in h for h in headings):
            return column
    return None


def _is_return_sheet(sheet: Sheet) -> bool:
    """A sheet with every required heading (a lookup list of PI ids is not a return sheet)."""
    headings = {HEADER_GAP.sub("_", h) for h in sheet.header}
    return all(c in headings for c in REQUIRED_COLUMNS)


def _read_sheets(
    sheets: list[Sheet],
    source_file: str,
    sha: str,
    canonical_ids: dict[str, str],
    out: FileRead,
    monthly: bool,
) -> None:
    """The first return sheet is read; returns on any other sheet are reported, not guessed at."""
    returns = [s for s in sheets if _is_return_sheet(s)] or sheets[:1]
    first = returns[0]
    sheet_rows(first, source_file, sha, canonical_ids, out, monthly)
    for extra in returns[1:]:
        out.data_rows += len(extra.rows)
        out.issues.append(
            Issue(
                "file_readable",
                None,
                source_file,
                None,
                None,
                f"{source_file} has returns on more than one sheet; only sheet "
                f"'{first.name}' was read and the {plural(len(extra.rows), 'row')} on sheet "
                f"'{extra.name}' {plural(len(extra.rows), 'was', 'were', False)} not — move "
                f"{plural(len(extra.rows), 'it', 'them', False)} onto one sheet",
            )
        )
    if out.data_rows == 0 and not out.issues:
        out.issues.append(
            Issue(
                "file_readable",
                None,
                source_file,
                first.header_row,
                None,
                f"{source_file} has a header row (row {first.header_row}) but no returns under "
                "it — add one row per PI, or delete the file if it was saved by mistake",
            )
        )


@dataclass
class QuarterRead:
    candidates: pd.DataFrame
    issues: list[Issue]
    files: list[ReturnFile]

    @property
    def rows_in(self) -> int:
        return sum(f.data_rows for f in self.files)

    @property
    def fingerprint(self) -> str:
        """What was read, as the sensor fingerprints the folder (names and content hashes)."""
        return fingerprint((f.source_file, f.sha256) for f in self.files)


def read_quarter(
    returns_dir: Path, quarter: ReturnPeriod, canonical_ids: dict[str, str]
) -> tuple[QuarterRead, dict[str, bytes]]:
    """Every file of the quarter (or month: `returns/2026-07/`) read; also returns each file's
    bytes for archiving. A link or anything but an ordinary file, when listed or when opened,
    is reported and never read."""
    monthly = isinstance(quarter, Month)
    rows: list[dict] = []
    issues: list[Issue] = []
    files: list[ReturnFile] = []
    contents: dict[str, bytes] = {}
    for entry in read_entries(returns_dir, quarter):
        if entry.problem:
            issues.append(
                Issue("file_readable", None, entry.source_file, None, None, entry.problem)
            )
            issues[-1].period = quarter.key
            files.append(ReturnFile(entry.source_file, NOT_READ, readable=False))
            continue
        data = entry.data
        sha = hashlib.sha256(data).hexdigest()
        contents[entry.source_file] = data
        read = read_return_bytes(data, entry.source_file, canonical_ids, sha, monthly)
        for issue in read.issues:
            issue.period = quarter.key
        rows += read.rows
        issues += read.issues
        files.append(
            ReturnFile(
                entry.source_file,
                sha,
                read.data_rows,
                readable=not any(i.rule == "file_readable" for i in read.issues),
            )
        )
    frame = pd.DataFrame(rows, columns=[*CANDIDATE_COLUMNS, "raw_id_hint"])
    return QuarterRead(frame.assign(period=quarter.key), issues, files), contents
