"""Reading the quarterly updates of actions and risks from `returns/<YYYY-YY-Qn>/`
(docs/contracts.md, "Plan files: deliverables, actions and risks").

They sit beside the PI returns and are told apart by their header (`intake.read.update_kind`):
a file headed `action_id` is an action update, `risk_id` a risk update, `pi_id` a PI return.
They are read as tolerantly as returns, with the same cell parsers (`85%` is 85, `14/07/2025`
a date) and the same provenance (file, Excel row, sha256, archived version). Nothing is lost:
each data row becomes a candidate update or a `*_update_readable` issue naming file and row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.sheets import FileLimits, FileProblem, Sheet, clean_text, shown
from pm_pipeline.core.spreadsheets import read_table_bytes
from pm_pipeline.core.values import parse_number
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.archive import archive
from pm_pipeline.defs.intake.cells import parse_timestamp
from pm_pipeline.defs.intake.columns import HEADER_NAMES
from pm_pipeline.defs.intake.folder import read_entries
from pm_pipeline.defs.intake.read import update_kind
from pm_pipeline.defs.quality.rules import Issue

STATUSES = ("not_started", "on_track", "at_risk", "off_track", "complete", "cancelled")
CLOSED = ("complete", "cancelled")
_GAP = re.compile(r"[\s_]+")


@dataclass(frozen=True)
class UpdateKind:
    """What one kind of update file holds: its id column, its columns, which are required."""

    id_column: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    rule: str  # the readable rule its problems are reported under


ACTION = UpdateKind(
    "action_id",
    (
        "action_id",
        "status",
        "percent_complete",
        "note",
        "revised_due_date",
        "submitted_by",
        "submitted_at",
    ),
    ("action_id", "status", "percent_complete", "note"),
    "action_update_readable",
)
RISK = UpdateKind(
    "risk_id",
    ("risk_id", "likelihood", "impact", "note", "submitted_by", "submitted_at"),
    ("risk_id", "likelihood", "impact", "note"),
    "risk_update_readable",
)
KINDS = {k.id_column: k for k in (ACTION, RISK)}


def parse_action_status(cell: object) -> str:
    """A status as returns read theirs: case and spaces ignored, anything else reported."""
    text = _GAP.sub("_", clean_text(cell).casefold())
    if text not in STATUSES:
        near = text.replace("-", "_")
        hint = f" (did you mean {near}?)" if near in STATUSES else ""
        raise ValueError(
            f"'{shown(clean_text(cell))}' is not a status{hint} — use one of {', '.join(STATUSES)}"
        )
    return text


def _date(cell: object) -> object:
    stamp = parse_timestamp(cell)
    return stamp.date() if stamp else None


PARSERS: dict[str, Callable[[object], object]] = {
    "status": parse_action_status,
    "percent_complete": parse_number,
    "revised_due_date": _date,
    "likelihood": parse_number,
    "impact": parse_number,
    "submitted_at": parse_timestamp,
}


@dataclass
class UpdatesRead:
    """A quarter's update files: candidate rows of each kind, and what could not be read."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in KINDS})
    issues: list[Issue] = field(default_factory=list)
    rows_in: int = 0

    def frame(self, id_column: str) -> pd.DataFrame:
        kind = KINDS[id_column]
        extra = ["source_file", "source_row", "file_sha256", "version"]
        return pd.DataFrame(self.rows[id_column], columns=[*kind.columns, *extra])


def _issue(kind: UpdateKind, source_file: str, row: int | None, value: object, text: str) -> Issue:
    return Issue(kind.rule, None, source_file, row, shown(clean_text(value)) or None, text)


def read_update_sheet(
    sheet: Sheet, kind: UpdateKind, source_file: str, ids: dict[str, str], out: UpdatesRead
) -> list[dict]:
    """Each row of an update sheet as a candidate, or its problems as issues."""
    sheet.header = [_GAP.sub("_", h) for h in sheet.header]
    missing = [c for c in kind.required if c not in sheet.header]
    out.rows_in += len(sheet.rows)
    if missing:
        out.issues.append(
            _issue(
                kind,
                source_file,
                sheet.header_row,
                None,
                f"{source_file} has no {', '.join(missing)} column(s) in its header (row "
                f"{sheet.header_row}), so none of its {plural(len(sheet.rows), 'row')} "
                f"{plural(len(sheet.rows), 'was', 'were', False)} read — add "
                f"the column(s) (headings: {', '.join(kind.columns)}) and save the file",
            )
        )
        return []
    found = []
    for excel_row, record in sheet.records():
        raw_id = clean_text(record.get(kind.id_column))
        row: dict = {kind.id_column: ids.get(raw_id.casefold(), raw_id)}
        who = shown(raw_id) if raw_id else f"The {kind.id_column.split('_')[0]} update"
        problems: list[tuple[str, object, str]] = []
        if not raw_id:
            problems.append((kind.id_column, None, "is empty — give the id from the register"))
        for column in kind.columns[1:]:
            cell = record.get(column)
            if column in PARSERS:
                try:
                    row[column] = PARSERS[column](cell)
                except ValueError as exc:
                    problems.append((column, cell, str(exc)))
            else:
                row[column] = clean_text(cell) or None
        for column, cell, text in problems:
            out.issues.append(
                _issue(
                    kind,
                    source_file,
                    excel_row,
                    cell,
                    f"{who} in {source_file} row {excel_row}, column {column}: {text}",
                )
            )
        if not problems:
            row.update(source_file=source_file, source_row=excel_row)
            found.append(row)
    return found


def read_update_files(
    returns_dir: Path,
    archive_dir: Path | None,
    quarter: Quarter,
    action_ids: dict[str, str],
    risk_ids: dict[str, str],
) -> UpdatesRead:
    """Every update file of the quarter (PI returns are passed by; the intake reads them, and
    reports links and unreadable files); with `archive_dir`, each file's content is archived
    as a version (the reminder list only looks)."""
    out = UpdatesRead()
    ids = {"action_id": action_ids, "risk_id": risk_ids}
    for entry in read_entries(returns_dir, quarter):
        if entry.problem or entry.path.suffix.casefold() not in (".csv", ".xlsx"):
            continue  # the returns intake reports it (file_readable)
        data = entry.data
        try:
            sheets = read_table_bytes(data, entry.source_file, HEADER_NAMES, FileLimits.from_env())
        except FileProblem:
            continue  # the returns intake reports it, whatever the file was meant to be
        kind_name = update_kind(sheets)
        if kind_name is None:
            continue
        kind = KINDS[kind_name]
        sha = hashlib.sha256(data).hexdigest()
        version = (
            archive(archive_dir, entry.source_file, data, sha).version if archive_dir else None
        )
        for sheet in sheets:
            if kind.id_column in {_GAP.sub("_", h) for h in sheet.header}:
                rows = read_update_sheet(sheet, kind, entry.source_file, ids[kind_name], out)
                for row in rows:
                    row.update(file_sha256=sha, version=version)
                out.rows[kind_name] += rows
    for issue in out.issues:
        issue.period = quarter.key
    return out
