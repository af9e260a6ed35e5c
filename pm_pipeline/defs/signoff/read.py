"""Reading `signoff/<YYYY-YY-Qn>/*.csv|xlsx`: managers' decisions on the quarter's figures.

Read with the returns' tolerant reader (`tabular`: encodings, BOM, delimiters, title rows,
Excel dates) and the returns' cell parsers, so a manager's file is read exactly as an owner's.
Nothing is lost: every data row is a decision or a `signoff_readable` / `signoff_known` issue
naming its file and row (a warning: a sign-off file that cannot be read never holds the report
back). `checked_at` is required: a decision is bound to the figure that stood when it was made.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import Quarter, parse_period_label
from pm_pipeline.core.seal import portal_secret, sealed
from pm_pipeline.core.sheets import FileLimits, FileProblem, clean_text
from pm_pipeline.core.spreadsheets import read_table_bytes
from pm_pipeline.defs.intake.cells import parse_timestamp
from pm_pipeline.defs.intake.folder import read_entries
from pm_pipeline.defs.quality.rules import Issue

SIGNOFF_COLUMNS = ("pi_id", "decision", "checked_by", "checked_at", "comment", "period")
# The returns portal's files (pm_pipeline/portal): `portal_<manager>.csv`, each row sealed with
# the portal's secret in `portal_seal`, so a decision made by a signed-in manager is told from
# one typed into a file (docs/contracts.md, "Sign-off files").
PORTAL_PREFIX = "portal_"
SEAL_COLUMN = "portal_seal"
BY_PORTAL, BY_FILE = "portal", "file"
REQUIRED = ("pi_id", "decision", "checked_by", "checked_at")
DECISIONS = {"approved": "approved", "approve": "approved", "query": "query", "queried": "query"}
DECISION_COLUMNS = [
    "period",
    "pi_id",
    "decision",
    "checked_by",
    "checked_at",
    "comment",
    "source_file",
    "source_row",
    "file_sha256",
    "recorded_by",
]
_GAP = re.compile(r"[\s_]+")


@dataclass
class SignoffRead:
    """A quarter's sign-off files: the decisions, the problems, and each file's bytes."""

    decisions: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    rows_in: int = 0
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)


def _problem(
    rule: str,
    file: str,
    row: int | None,
    text: str,
    pi_id: str | None = None,
    value: object = None,
    checked_by: str | None = None,
) -> Issue:
    """A reading problem; `owner` is the row's checked_by for now (the step puts it on the
    PI's manager's list, or the data team's when the name is no decider's)."""
    where = f"signoff/{file} row {row}" if row else f"signoff/{file}"
    shown = clean_text(value) or None
    return Issue(rule, pi_id, file, row, shown, f"{where}: {text}", checked_by or None)


def _decision(
    record: dict[str, object], quarter: Quarter, ids: dict[str, str], file: str, row: int
) -> tuple[dict | None, list[Issue]]:
    """One row as a decision, or the problems that stop it being one."""
    raw_id = clean_text(record.get("pi_id"))
    pid = ids.get(raw_id.casefold())
    checked_by = clean_text(record.get("checked_by")).casefold()
    problems: list[Issue] = []

    def problem(rule: str, text: str, cell: str | None = None) -> None:
        value = record.get(cell) if cell else None
        problems.append(_problem(rule, file, row, text, pid or raw_id or None, value, checked_by))

    if not raw_id:
        problem("signoff_readable", "pi_id is empty — give the PI id")
    elif pid is None:
        problem(
            "signoff_known", f"'{raw_id}' is not a PI in the register — correct the pi_id", "pi_id"
        )
    period = clean_text(record.get("period"))
    if period:
        try:
            stated = parse_period_label(period)
        except ValueError:
            stated = None
        if stated != quarter:
            problem(
                "signoff_known",
                f"period '{period}' is not {quarter.label}, the quarter of the folder "
                f"{quarter.folder} — move the row to that quarter's sign-off folder or "
                "correct the period",
                "period",
            )
    decision = DECISIONS.get(clean_text(record.get("decision")).casefold())
    if decision is None:
        problem(
            "signoff_readable",
            f"decision '{clean_text(record.get('decision'))}' is not approved or query — "
            "write approved or query",
            "decision",
        )
    if not checked_by:
        problem("signoff_readable", "checked_by is empty — give your e-mail")
    try:
        checked_at = parse_timestamp(record.get("checked_at"))
    except ValueError as exc:
        checked_at = None
        problem("signoff_readable", f"checked_at {exc}", "checked_at")
    else:
        if checked_at is None:
            problem(
                "signoff_readable",
                "checked_at is empty — write when you checked the figure, e.g. 22/07/2025 "
                "10:30: a decision counts for the figure that stood then",
            )
    if problems:
        return None, problems
    return {
        "period": quarter.key,
        "pi_id": pid,
        "decision": decision,
        "checked_by": checked_by,
        "checked_at": checked_at,
        "comment": clean_text(record.get("comment")) or None,
        SEAL_COLUMN: clean_text(record.get(SEAL_COLUMN)),
    }, []


def seal_fields(decision: dict) -> list[str]:
    """What the portal's seal covers: the decision as read (period key, pi_id, decision,
    checked_by, checked_at, comment), so an edited row no longer verifies."""
    return [
        str(decision["period"]),
        str(decision["pi_id"]),
        str(decision["decision"]),
        str(decision["checked_by"]),
        pd.Timestamp(decision["checked_at"]).isoformat(),
        str(decision.get("comment") or ""),
    ]


def recorded_by(decision: dict, source_file: str, secret: bytes | None) -> str:
    """`portal` for a row of a portal file whose seal verifies, else `file`."""
    portal = Path(source_file).name.startswith(PORTAL_PREFIX)
    if portal and sealed(secret, seal_fields(decision), decision.get(SEAL_COLUMN) or ""):
        return BY_PORTAL
    return BY_FILE


def read_signoff_bytes(
    data: bytes,
    source_file: str,
    quarter: Quarter,
    ids: dict[str, str],
    secret: bytes | None = None,
) -> tuple[list[dict], list[Issue], int]:
    """Decisions, problems and the number of data rows of one file; each decision says
    whether the portal recorded it (`recorded_by`), verified with the portal's `secret`."""
    if Path(source_file).suffix.casefold() not in (".csv", ".xlsx"):
        return (
            [],
            [
                _problem(
                    "signoff_readable",
                    source_file,
                    None,
                    "only .csv and .xlsx are read — save it as one",
                )
            ],
            0,
        )
    try:
        sheets = read_table_bytes(data, source_file, {"pi_id", "pi id"}, FileLimits.from_env())
    except FileProblem as exc:
        return (
            [],
            [_problem("signoff_readable", source_file, exc.row, exc.message)],
            exc.data_rows or 0,
        )
    if not sheets:
        text = f"has no header row naming pi_id — put the headings ({', '.join(SIGNOFF_COLUMNS[:5])}) in row 1"
        return [], [_problem("signoff_readable", source_file, None, text)], 0
    sheet = sheets[0]
    sheet.header = [_GAP.sub("_", h) for h in sheet.header]
    missing = [c for c in REQUIRED if c not in sheet.header]
    if missing:
        text = (
            f"has no {', '.join(missing)} column in its header (row {sheet.header_row}), so none "
            f"of its {len(sheet.rows)} row(s) were read — add the column(s)"
        )
        return (
            [],
            [_problem("signoff_readable", source_file, sheet.header_row, text)],
            len(sheet.rows),
        )
    rows: list[dict] = []
    issues: list[Issue] = []
    for excel_row, record in sheet.records():
        decision, problems = _decision(record, quarter, ids, source_file, excel_row)
        issues += problems
        if decision:
            by = recorded_by(decision, source_file, secret)
            del decision[SEAL_COLUMN]
            rows.append(
                {
                    **decision,
                    "source_file": source_file,
                    "source_row": excel_row,
                    "recorded_by": by,
                }
            )
    return rows, issues, len(sheet.rows)


def read_signoffs(signoff_dir: Path, quarter: Quarter, ids: dict[str, str]) -> SignoffRead:
    """Every file in `signoff/<quarter>/` read (links and devices reported, never read)."""
    out = SignoffRead(pd.DataFrame(columns=DECISION_COLUMNS))
    rows: list[dict] = []
    secret = portal_secret(signoff_dir.parent)
    for entry in read_entries(signoff_dir, quarter):
        if entry.problem:
            out.issues.append(_problem("signoff_readable", entry.source_file, None, entry.problem))
            continue
        data = entry.data
        sha = hashlib.sha256(data).hexdigest()
        out.contents[entry.source_file] = (data, sha)
        found, issues, count = read_signoff_bytes(data, entry.source_file, quarter, ids, secret)
        rows += [{**r, "file_sha256": sha} for r in found]
        out.issues += issues
        out.rows_in += count
    if rows:
        out.decisions = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    return out
