"""Oflog metric files under `benchmarks/oflog/` (CSV or XLSX), in either of two layouts.

The Office for Local Government closed in December 2024; its metric downloads remain the
reference set. Two layouts are read (headers match case-insensitively, whitespace collapsed):

- **Oflog prototype** (long form, as its automated-text prototype published it):
  `Financial year, Local authority code, Local authority name, Grouping, Entity_Name, Region,
  Measure, Code, Value, MEDIAN, MADs_from_median, rank_order`. `Code` is the metric id,
  `Measure` its name, `Financial year` like `2016-17`; an empty `Value` is missing.
  Required: Financial year, Local authority code, Local authority name, Measure, Code, Value.
- **Our long layout** (docs/contracts.md, "Benchmarks", without `source`): `metric_id,
  metric_name, area_code, area_name, period_label, period_start, period_end, value, unit,
  polarity`. Required: metric_id, metric_name, area_code, area_name, period_label, value; the
  dates may be left blank when period_label is a financial year; blank unit/polarity come from
  the register.

Every problem names its file, row and column; a file with problems is refused whole, so a
half-read metric never reaches the scorecard, while the other files are still used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from pm_pipeline.core.periods import FinancialYear
from pm_pipeline.core.sheets import FileProblem, Sheet, clean_text, where
from pm_pipeline.core.spreadsheets import read_table_bytes
from pm_pipeline.core.values import parse_number
from pm_pipeline.core.words import plural
from pm_pipeline.defs.benchmarks.areas import area_code_problem
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.register.model import POLARITIES, UNITS

SOURCE = "oflog"
SUFFIXES = (".csv", ".xlsx")
MAX_PROBLEMS_SHOWN = 50

PROTOTYPE = "Oflog prototype"
LONG = "long"
# layout -> {normalised header: the name to show in messages}
LAYOUT_COLUMNS: dict[str, dict[str, str]] = {
    PROTOTYPE: {
        "financial year": "Financial year",
        "local authority code": "Local authority code",
        "local authority name": "Local authority name",
        "measure": "Measure",
        "code": "Code",
        "value": "Value",
    },
    LONG: {
        name: name
        for name in ("metric_id", "metric_name", "area_code", "area_name", "period_label", "value")
    },
}


class OflogError(Exception):
    """Oflog files that cannot be read; `problems` names file, row and column for each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        super().__init__(
            f"The Oflog files under benchmarks/oflog/ have {plural(len(problems), 'problem')}:\n"
            + "\n".join(f"- {p}" for p in shown)
            + (f"\n- …and {more} more" if more else "")
        )


@dataclass(frozen=True)
class MetricInfo:
    """What the register says about a metric: the unit and polarity of the PI mapped to it."""

    unit: str | None
    polarity: str | None


def detect_layout(sheet: Sheet, file: str) -> str:
    """Which layout a sheet is in, judged by its header; an error names what is missing."""
    header = set(sheet.header)
    if "metric_id" in header:
        layout = LONG
    elif header & {"code", "financial year", "local authority code", "measure"}:
        layout = PROTOTYPE
    else:
        raise FileProblem(
            f"{where(file, sheet.header_row)}: not an Oflog metric file — expected the Oflog "
            f"layout ({', '.join(LAYOUT_COLUMNS[PROTOTYPE].values())}, ...) or the long layout "
            f"({', '.join(LAYOUT_COLUMNS[LONG].values())}, ...)",
            row=sheet.header_row,
        )
    missing = [shown for name, shown in LAYOUT_COLUMNS[layout].items() if name not in header]
    if missing:
        raise FileProblem(
            f"{where(file, sheet.header_row)}: missing column(s) {', '.join(missing)} — the "
            f"{layout} layout needs {', '.join(LAYOUT_COLUMNS[layout].values())}",
            row=sheet.header_row,
            column=missing[0],
        )
    return layout


def _iso(text: str) -> date | None:
    """A date cell: `2024-04-01` (or an Excel date, which reads as `2024-04-01 00:00:00`)."""
    if not text:
        return None
    day, _, time_of_day = text.partition(" ")
    if time_of_day not in ("", "00:00:00"):
        raise ValueError(text)
    return date.fromisoformat(day)


def _prototype_row(cells: Mapping[str, str], where: Callable) -> tuple[dict, list[str]]:
    problems: list[str] = []
    row: dict[str, object] = {
        "metric_id": cells.get("code", ""),
        "metric_name": cells.get("measure", ""),
        "area_code": cells.get("local authority code", "").upper(),
        "area_name": cells.get("local authority name", ""),
        "unit": None,
        "polarity": None,
    }
    try:
        year = FinancialYear.from_label(cells.get("financial year", ""))
        row.update(period_label=year.label, period_start=year.start, period_end=year.end)
    except ValueError:
        problems.append(
            f"{where('Financial year')}: '{cells.get('financial year', '')}' is not a financial "
            "year like 2016-17"
        )
    return row, problems


def _long_row(cells: Mapping[str, str], where: Callable) -> tuple[dict, list[str]]:
    problems: list[str] = []
    row: dict[str, object] = {
        "metric_id": cells.get("metric_id", ""),
        "metric_name": cells.get("metric_name", ""),
        "area_code": cells.get("area_code", "").upper(),
        "area_name": cells.get("area_name", ""),
        "period_label": cells.get("period_label", ""),
        "unit": cells.get("unit", "").casefold() or None,
        "polarity": cells.get("polarity", "").casefold() or None,
    }
    for column, allowed in (("unit", UNITS), ("polarity", POLARITIES)):
        if row[column] is not None and row[column] not in allowed:
            problems.append(
                f"{where(column)}: '{cells.get(column)}' is not one of {', '.join(allowed)}"
            )
    try:
        start, end = _iso(cells.get("period_start", "")), _iso(cells.get("period_end", ""))
    except ValueError:
        problems.append(
            f"{where('period_start')}: period_start and period_end must be dates like 2023-04-01"
        )
        return row, problems
    if start is None or end is None:
        try:
            year = FinancialYear.from_label(str(row["period_label"]))
        except ValueError:
            problems.append(
                f"{where('period_start')}: give period_start and period_end (YYYY-MM-DD) for "
                f"period '{row['period_label']}', which is not a financial year like 2023/24"
            )
            return row, problems
        row["period_label"] = year.label
        start, end = start or year.start, end or year.end
    if end < start:
        problems.append(f"{where('period_end')}: {end} is before period_start {start}")
    row.update(period_start=start, period_end=end)
    return row, problems


def _noted_rows(sheet: Sheet, file: str) -> dict[int, list[str]]:
    """Rows the reader could not take at face value (hidden, merged, split by a comma)."""
    return {
        row: [f"{where(file, row, sheet.column_name(n.column))}: {n.sentence()}" for n in notes]
        for row, notes in sheet.notes.items()
    }


def _keep_areas(sheet: Sheet, layout: str, areas: frozenset[str] | None) -> None:
    """Drop rows for other valid areas before any cell is parsed: a publisher's file covers
    every council, a council needs its own and its peers'. A malformed code is kept, so that
    it is reported (it may be a peer's, mistyped)."""
    column = sheet.column("local authority code" if layout == PROTOTYPE else "area_code")
    if areas is None or column is None:
        return

    def wanted(row: int, cells: list[object]) -> bool:
        code = clean_text(cells[column]).upper() if column < len(cells) else ""
        return row in sheet.notes or code in areas or area_code_problem(code) is not None

    sheet.rows = [(row, cells) for row, cells in sheet.rows if wanted(row, cells)]


def parse_sheet(sheet: Sheet, file: str, areas: frozenset[str] | None = None) -> pd.DataFrame:
    """One sheet's rows in the long benchmarks layout; OflogError lists every bad cell.

    With `areas`, only those areas' rows are kept (and checked)."""
    layout = detect_layout(sheet, file)
    _keep_areas(sheet, layout, areas)
    value_column = "Value" if layout == PROTOTYPE else "value"
    build = _prototype_row if layout == PROTOTYPE else _long_row
    rows, problems = [], []
    noted = _noted_rows(sheet, file)
    for excel_row, record in sheet.records():
        if excel_row in noted:
            problems += noted[excel_row]
            continue
        cells = {k: clean_text(v) for k, v in record.items()}

        def at(column: str, excel_row: int = excel_row) -> str:
            return where(file, excel_row, column)

        row, row_problems = build(cells, at)
        code_column = "Local authority code" if layout == PROTOTYPE else "area_code"
        metric_column = "Code" if layout == PROTOTYPE else "metric_id"
        if not row["metric_id"]:
            row_problems.append(f"{at(metric_column)}: empty — every row needs its metric id")
        problem = area_code_problem(row["area_code"])
        if problem:
            row_problems.append(f"{at(code_column)}: {problem}")
        raw_value = cells.get("value", "")
        try:
            row["value"] = parse_number(raw_value, symbols=False)
        except ValueError:
            row_problems.append(
                f"{at(value_column)}: '{raw_value}' is not a number — give a number, or "
                "leave the cell empty when the value is missing"
            )
        row["area_name"] = row["area_name"] or row["area_code"]
        row["metric_name"] = row["metric_name"] or row["metric_id"]
        problems += row_problems
        if not row_problems:
            rows.append({"source": SOURCE, **row})
    if problems:
        raise OflogError(problems)
    frame = pd.DataFrame(rows, columns=BENCHMARKS.column_names)
    frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype("float64")
    return frame


def parse_file(data: bytes, file: str, areas: frozenset[str] | None = None) -> pd.DataFrame:
    """Every sheet of one Oflog file in the long layout (only `areas`' rows when given)."""
    try:
        sheets = read_table_bytes(data, file, {"code", "metric_id", "financial year"})
        if not sheets:
            raise FileProblem(f"{file}: no sheet has a header row naming Code or metric_id")
        return pd.concat([parse_sheet(s, file, areas) for s in sheets], ignore_index=True)
    except FileProblem as exc:
        raise OflogError([exc.message]) from None


def apply_register(frame: pd.DataFrame, metrics: Mapping[str, MetricInfo]) -> pd.DataFrame:
    """Blank unit and polarity filled from the register PI that maps to each metric."""
    out = frame.copy()
    for column in ("unit", "polarity"):
        known = out["metric_id"].map({m: getattr(info, column) for m, info in metrics.items()})
        out[column] = out[column].where(out[column].notna(), known)
    return out


@dataclass
class OflogRead:
    frame: pd.DataFrame  # every readable file's rows, unit and polarity from the register
    files: pd.DataFrame  # per file read: rows, metrics, areas, years
    problems: list[str]  # every problem in the files refused, with file, row and column
    refused: list[str]  # names of the files refused whole
    ignored: list[str]  # names of other files in the folder (not CSV or XLSX)


def metric_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The CSV/XLSX files to read, and the names of anything else found (not read)."""
    if not folder.is_dir():
        return [], []
    files: list[Path] = []
    ignored: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        (files if path.suffix.lower() in SUFFIXES else ignored).append(path)
    return files, [p.name for p in ignored]


def _file_summary(name: str, frame: pd.DataFrame) -> dict[str, object]:
    return {
        "file": name,
        "rows": len(frame),
        "metrics": ", ".join(sorted(frame["metric_id"].unique())),
        "areas": frame["area_code"].nunique(),
        "years": f"{frame['period_label'].min()} to {frame['period_label'].max()}"
        if len(frame)
        else "",
    }


def read_oflog_folder(
    folder: Path, metrics: Mapping[str, MetricInfo], areas: frozenset[str] | None = None
) -> OflogRead:
    """Every Oflog file under `folder`: a file with any problem is refused whole and listed.

    With `areas`, only the rows for those areas are read and checked."""
    files, ignored = metric_files(folder)
    frames, summaries, problems, refused = [], [], [], []
    for path in files:
        name = f"oflog/{path.name}"
        try:
            frame = parse_file(path.read_bytes(), name, areas)
        except OflogError as exc:
            problems += exc.problems
            refused.append(path.name)
            continue
        frames.append(frame)
        summaries.append(_file_summary(path.name, frame))
    combined = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=BENCHMARKS.column_names)
    )
    return OflogRead(
        apply_register(combined, metrics),
        pd.DataFrame(summaries, columns=["file", "rows", "metrics", "areas", "years"]),
        problems,
        refused,
        ignored,
    )
