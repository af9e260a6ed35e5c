"""Reading a month's budget-monitoring folder, `finance/<YYYY-MM>/` (docs/contracts.md,
"Finance files"), into rows by service and the problems found.

A finance system's export names a service, or a cost centre that config/services.csv maps to
one; its amounts may carry £ signs, thousands separators and brackets for negatives. Nothing
is lost: every data row is either taken or a `finance_row_readable` issue naming file, row
and column, and a file that cannot be read at all is one `finance_file_readable` issue. The
folder is read as the returns folders are (intake/folder.py): a link or anything but an
ordinary file is reported, never followed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import Month
from pm_pipeline.core.sheets import FileLimits, FileProblem, Sheet, clean_text, shown, where
from pm_pipeline.core.spreadsheets import read_table_bytes
from pm_pipeline.core.values import parse_number
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.columns import HEADER_GAP, SUPPORTED_SUFFIXES
from pm_pipeline.defs.intake.folder import read_entries
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.register.services import cost_centre_codes

AMOUNTS = ("annual_budget", "actual_to_date", "forecast_outturn")
FINANCE_COLUMNS = ("service", "cost_centre", *AMOUNTS, "commentary")
# Headings finance systems use for the same columns (after spaces become underscores).
ALIASES = {
    "cost_center": "cost_centre",
    "cost_centre_code": "cost_centre",
    "budget": "annual_budget",
    "current_budget": "annual_budget",
    "revised_budget": "annual_budget",
    "full_year_budget": "annual_budget",
    "actual": "actual_to_date",
    "actuals": "actual_to_date",
    "actuals_to_date": "actual_to_date",
    "ytd_actual": "actual_to_date",
    "spend_to_date": "actual_to_date",
    "forecast": "forecast_outturn",
    "projected_outturn": "forecast_outturn",
    "outturn": "forecast_outturn",
    "comment": "commentary",
    "comments": "commentary",
    "narrative": "commentary",
    "explanation": "commentary",
}
# a header row is one naming any of these (spaces or underscores)
HEADER_NAMES = {
    name.replace("_", sep)
    for name in ("service", "cost_centre", "annual_budget", "budget", "forecast_outturn")
    for sep in ("_", " ")
}
# an export's own sum of the rows above ("Total", "Grand total", "Net total"): not a service
TOTAL_ROW = re.compile(r"(?i)^(?:grand |net |sub-?)?totals?\b")
ROW_COLUMNS = [
    "service",
    "cost_centre",
    *AMOUNTS,
    "commentary",
    "source_file",
    "source_row",
    "file_sha256",
]


@dataclass
class MonthRead:
    """One month's folder, read: the rows taken (one per service or cost centre, mapped to
    the service), the problems, and the files seen."""

    month: Month
    rows: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # relative to finance/


@dataclass(frozen=True)
class Services:
    """The services a month's rows may name: by name (case forgiven) and by cost centre."""

    names: dict[str, str]  # casefolded -> as config/services.csv (or indicators.csv) writes it
    cost_centres: dict[str, str]  # code -> service

    @classmethod
    def of(cls, services: pd.DataFrame, indicators: pd.DataFrame) -> Services:
        """services.csv's services and cost centres; without it the register's services."""
        if len(services):
            names = {s.casefold(): s for s in services["service"]}
            centres = {
                code: service
                for service, codes in zip(
                    services["service"], services["cost_centres"], strict=True
                )
                for code in list(codes)
            }
            return cls(names, centres)
        return cls({s.casefold(): s for s in indicators["service"]}, {})


def _headings(sheet: Sheet) -> list[str]:
    named = [HEADER_GAP.sub("_", h) for h in sheet.header]
    return [ALIASES.get(h, h) for h in named]


def _missing(header: list[str]) -> list[str]:
    missing = [c for c in AMOUNTS if c not in header]
    if "service" not in header and "cost_centre" not in header:
        missing.insert(0, "service (or cost_centre)")
    return missing


def _file_issue(month: Month, source_file: str, message: str, row: int | None = None) -> Issue:
    return Issue("finance_file_readable", None, source_file, row, None, message, period=month.key)


def _row_issue(
    month: Month, source_file: str, row: int, column: str | None, value: object, text: str
) -> Issue:
    return Issue(
        "finance_row_readable",
        None,
        source_file,
        row,
        shown(clean_text(value)) or None,
        f"{where(source_file, row, column)}: {text}",
        period=month.key,
    )


def _service_of(
    record: dict[str, object], services: Services
) -> tuple[str | None, str | None, str | None, str]:
    """(service, cost centre, column of the problem, problem) for one row."""
    named = clean_text(record.get("service"))
    code = cost_centre_codes(clean_text(record.get("cost_centre")))
    centre = code[0] if len(code) == 1 else None
    if len(code) > 1:
        return None, None, "cost_centre", "names more than one cost centre — give one per row"
    by_centre = services.cost_centres.get(centre) if centre else None
    by_name = services.names.get(named.casefold()) if named else None
    if centre and by_centre is None:
        return (
            None,
            centre,
            "cost_centre",
            (
                f"'{shown(centre)}' is not a cost centre in config/services.csv — add it to its "
                "service's cost_centres there, or write the service's name in the service column"
            ),
        )
    if named and by_name is None and by_centre is None:
        known = ", ".join(sorted(services.names.values()))
        return (
            None,
            centre,
            "service",
            (
                f"'{shown(named)}' is not a service in the register — write it as "
                f"config/services.csv names it ({known}), or give its cost centre"
            ),
        )
    if by_centre and by_name and by_centre != by_name:
        return (
            None,
            centre,
            "service",
            (
                f"'{shown(named)}' is not the service of cost centre {centre} ({by_centre}) — "
                "correct one of them"
            ),
        )
    service = by_centre or by_name
    if service is None:
        return None, None, "service", "is empty — write the service (or its cost centre)"
    return service, centre, None, ""


def _sheet_rows(
    sheet: Sheet,
    month: Month,
    source_file: str,
    sha: str,
    services: Services,
    seen: dict[str, str],
) -> tuple[list[dict], list[Issue]]:
    """The rows of one sheet taken, and the problems of the rest; `seen` is what was already
    taken this month (`_given_before`)."""
    rows: list[dict] = []
    issues: list[Issue] = []
    sheet.header = _headings(sheet)
    for excel_row, record in sheet.records():
        noted = sheet.notes.get(excel_row, ())
        if noted:
            for note in noted:
                column = sheet.column_name(note.column)
                issues.append(
                    _row_issue(month, source_file, excel_row, column, None, note.sentence())
                )
            continue
        if TOTAL_ROW.match(clean_text(record.get("service") or record.get("cost_centre"))):
            continue
        service, centre, column, problem = _service_of(record, services)
        if problem:
            value = record.get(column) if column else None
            issues.append(_row_issue(month, source_file, excel_row, column, value, problem))
            continue
        assert service is not None
        amounts: dict[str, float | None] = {}
        for amount in AMOUNTS:
            try:
                amounts[amount] = parse_number(record.get(amount))
            except ValueError as exc:
                issues.append(
                    _row_issue(month, source_file, excel_row, amount, record.get(amount), str(exc))
                )
                break
            if amounts[amount] is None:
                issues.append(
                    _row_issue(
                        month,
                        source_file,
                        excel_row,
                        amount,
                        None,
                        "is empty — write the amount in pounds (0 if there is none)",
                    )
                )
                break
        else:
            clash = _given_before(service, centre, seen)
            if clash:
                issues.append(
                    _row_issue(
                        month,
                        source_file,
                        excel_row,
                        "cost_centre" if centre else "service",
                        centre or service,
                        f"{clash} — give each service once a month, whole or by its cost "
                        "centres; this row was not used",
                    )
                )
                continue
            here = where(source_file, excel_row)
            seen.setdefault(f"service:{service.casefold()}", here)
            if centre:
                seen[f"centre:{centre}"] = here
            else:
                seen[f"whole:{service.casefold()}"] = here
            rows.append(
                {
                    "service": service,
                    "cost_centre": centre,
                    **amounts,
                    "commentary": clean_text(record.get("commentary")) or None,
                    "source_file": source_file,
                    "source_row": excel_row,
                    "file_sha256": sha,
                }
            )
    return rows, issues


def _given_before(service: str, centre: str | None, seen: dict[str, str]) -> str | None:
    """Why a row would count a service's money twice: its cost centre, or the whole service,
    is already given (`seen`: what was taken this month -> where)."""
    if centre and f"centre:{centre}" in seen:
        return f"cost centre {centre} is already given in {seen[f'centre:{centre}']}"
    whole = f"whole:{service.casefold()}"
    if whole in seen:
        return f"{service} is already given as a whole in {seen[whole]}"
    if not centre and f"service:{service.casefold()}" in seen:
        return (
            f"{service} is already given by cost centre in {seen[f'service:{service.casefold()}']}"
        )
    return None


def _read_file(
    data: bytes, month: Month, source_file: str, services: Services, seen: dict[str, str]
) -> tuple[list[dict], list[Issue]]:
    if Path(source_file).suffix.casefold() not in SUPPORTED_SUFFIXES:
        return [], [
            _file_issue(
                month,
                source_file,
                f"{source_file} was not read: only .csv and .xlsx files are — save the "
                "budget-monitoring export as CSV or as an Excel .xlsx workbook",
            )
        ]
    try:
        sheets = read_table_bytes(data, source_file, HEADER_NAMES, FileLimits.from_env())
    except FileProblem as exc:
        return [], [_file_issue(month, source_file, exc.message, exc.row)]
    usable = [s for s in sheets if not _missing(_headings(s))]
    if not usable:
        first = sheets[0] if sheets else None
        missing = _missing(_headings(first)) if first else _missing([])
        held = plural(len(first.rows), "row") if first else "no rows"
        return [], [
            _file_issue(
                month,
                source_file,
                f"{source_file} has no {', '.join(missing)} column in its header"
                + (f" (row {first.header_row})" if first else "")
                + f", so none of its {held} were read — the export needs the columns service "
                "(or cost_centre), annual_budget, actual_to_date, forecast_outturn and "
                "commentary",
                first.header_row if first else None,
            )
        ]
    sha = hashlib.sha256(data).hexdigest()
    rows, issues = _sheet_rows(usable[0], month, source_file, sha, services, seen)
    for extra in usable[1:]:
        issues.append(
            _file_issue(
                month,
                source_file,
                f"{source_file} has budget monitoring on more than one sheet; only sheet "
                f"'{usable[0].name}' was read and the {plural(len(extra.rows), 'row')} on "
                f"sheet '{extra.name}' not — put every service on one sheet",
            )
        )
    return rows, issues


def read_month(finance_dir: Path, month: Month, services: Services) -> MonthRead:
    """Every file in `finance/<YYYY-MM>/`, read; files in name order, so of two rows for one
    service the first file's is taken and the second reported."""
    out = MonthRead(month, pd.DataFrame(columns=ROW_COLUMNS))
    rows: list[dict] = []
    seen: dict[str, str] = {}
    for entry in read_entries(finance_dir, month):
        out.files.append(entry.source_file)
        if entry.problem:
            out.issues.append(_file_issue(month, entry.source_file, entry.problem))
            continue
        taken, issues = _read_file(entry.data, month, entry.source_file, services, seen)
        rows += taken
        out.issues += issues
    out.rows = pd.DataFrame(rows, columns=ROW_COLUMNS)
    return out
