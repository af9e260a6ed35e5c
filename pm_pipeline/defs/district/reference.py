"""Every file under `reference/`, recognised by its content and read by its publisher's layout.

Files are recognised by what they contain, not where they sit or what they are called, so a
refreshed download can be dropped in as it comes:

| kind | recognised by |
|---|---|
| Census 2021 bulk CSV | first columns `date, geography, geography code` |
| Nomis API CSV | `OBS_VALUE` and `GEOGRAPHY_CODE` columns (dataset id in the file name) |
| IoD LSOA file | a `LSOA code (yyyy)` column (CSV File 7, or workbook File 1 sheet `IMD25`) |
| IoD district summary | workbook with a sheet `IMD` naming `Local Authority District code (yyyy)` |
| Mid-year estimates | workbook with a sheet `MYE2 - Persons` |

A CSV or workbook that is none of these stops the run with a message saying what each kind
needs, because a publisher's renamed column would otherwise make a file silently vanish.
Other files (README.md, notes) are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pm_pipeline.core.sheets import FileProblem, normalise_header
from pm_pipeline.core.spreadsheets import read_csv_bytes
from pm_pipeline.core.warehouse import Table
from pm_pipeline.core.xlsx import is_xlsx, read_named_sheet, sheet_names
from pm_pipeline.defs.district import census, deprivation, nomis, population
from pm_pipeline.defs.district.layout import LayoutError
from pm_pipeline.defs.district.tables import DEPRIVATION_LSOA, DISTRICT_CONTEXT

DATA_SUFFIXES = {".csv", ".xlsx", ".xls"}
_IOD_SHEET = re.compile(r"^imd\s?(\d{2}|\d{4})$")
KINDS_HELP = (
    "a Census 2021 bulk CSV (columns date, geography, geography code, ...), a Nomis API CSV "
    "(GEOGRAPHY_CODE ... OBS_VALUE), an IoD LSOA file (LSOA code (2011) or (2021), ...), an IoD "
    "district summary workbook (sheet IMD) or a mid-year estimates workbook (sheet MYE2 - Persons)"
)


Parsed = tuple[str, pd.DataFrame, pd.DataFrame | None]


@dataclass(frozen=True)
class FileRead:
    path: str  # relative to reference/
    kind: str
    datasets: tuple[str, ...]
    rows: int
    areas: int


@dataclass
class ReferenceRead:
    context: pd.DataFrame
    lsoas: pd.DataFrame
    files: list[FileRead] = field(default_factory=list)

    def files_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "file": f.path,
                    "kind": f.kind,
                    "datasets": ", ".join(f.datasets),
                    "rows": f.rows,
                    "areas": f.areas,
                }
                for f in self.files
            ],
            columns=["file", "kind", "datasets", "rows", "areas"],
        )


def reference_files(root: Path) -> list[Path]:
    """Data files under `root`, in a stable order, skipping hidden files and folders."""
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in DATA_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _csv(data: bytes, name: str) -> Parsed:
    sheet = read_csv_bytes(data, name)
    header = sheet.header
    if census.is_census(header):
        return "Census 2021 bulk CSV", census.parse_census(sheet, name), None
    if nomis.is_nomis(header):
        return "Nomis API CSV", nomis.parse_nomis(sheet, name), None
    if deprivation.is_lsoa_file(header):
        lsoas = deprivation.parse_lsoas(sheet, name)
        return "IoD LSOA file", deprivation.district_measures(lsoas, name), lsoas.rows
    first = ", ".join(h for h in header[:4] if h)
    raise LayoutError(
        f"{name}: not a reference file this pipeline recognises (its first columns: {first}). "
        f"Expected {KINDS_HELP}.",
        row=sheet.header_row,
    )


def _workbook(data: bytes, name: str) -> Parsed:
    sheets = {normalise_header(s): s for s in sheet_names(data, name, LayoutError)}
    if normalise_header(population.SHEET) in sheets:
        return "Mid-year estimates workbook", population.parse_population(data, name), None
    if "imd" in sheets:
        book = read_named_sheet(
            data,
            name,
            "IMD",
            deprivation.is_summary_sheet,
            "a row naming 'Local Authority District code (yyyy)' and the IMD measures",
            error=LayoutError,
        )
        return "IoD district summary", deprivation.parse_summary(book.sheet, name), None
    lsoa_sheet = next((s for key, s in sheets.items() if _IOD_SHEET.match(key)), None)
    if lsoa_sheet is not None:
        book = read_named_sheet(
            data,
            name,
            lsoa_sheet,
            deprivation.is_lsoa_file,
            "a row naming 'LSOA code (yyyy)'",
            error=LayoutError,
        )
        lsoas = deprivation.parse_lsoas(book.sheet, name)
        return "IoD LSOA file", deprivation.district_measures(lsoas, name), lsoas.rows
    raise LayoutError(
        f"{name}: a workbook this pipeline does not recognise (its sheets: "
        f"{', '.join(sheets.values())}). Expected {KINDS_HELP}."
    )


def read_file(path: Path, name: str) -> Parsed:
    """(kind, district_context rows, deprivation_lsoa rows for an IoD LSOA file else None)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LayoutError(f"{name}: an old .xls workbook — open it in Excel and save it as .xlsx")
    if not data.strip():
        raise LayoutError(f"{name} is empty (0 bytes) — download it again")
    try:
        return _workbook(data, name) if is_xlsx(data) else _csv(data, name)
    except LayoutError:
        raise
    except FileProblem as exc:
        raise LayoutError(exc.message, exc.row, exc.column) from exc


def read_reference_dir(root: Path) -> ReferenceRead:
    """All reference files as the two tidy tables, with what each file gave."""
    context_parts, lsoa_parts, files = [], [], []
    summarised: set[str] = set()
    derived: dict[str, pd.DataFrame] = {}
    for path in reference_files(root):
        name = path.relative_to(root).as_posix()
        kind, context, lsoas = read_file(path, name)
        if lsoas is not None:
            derived[name] = context
            lsoa_parts.append(lsoas)
        else:
            context_parts.append(context)
            if kind == "IoD district summary":
                summarised |= set(context["period"])
        files.append(
            FileRead(
                path=name,
                kind=kind,
                datasets=tuple(sorted(set(context["dataset"]) | _editions(lsoas))),
                rows=len(context) + (0 if lsoas is None else len(lsoas)),
                areas=context["area_code"].nunique(),
            )
        )
    for frame in derived.values():
        context_parts.append(frame[~frame["period"].isin(summarised)])
    context = _concat(context_parts, DISTRICT_CONTEXT)
    lsoa_rows = _concat(lsoa_parts, DEPRIVATION_LSOA)
    _check_duplicates(context, ["dataset", "measure", "category", "area_code", "period"])
    _check_duplicates(lsoa_rows, ["edition", "lsoa_code"])
    return ReferenceRead(context=context, lsoas=lsoa_rows, files=files)


def _editions(lsoas: pd.DataFrame | None) -> set[str]:
    return set() if lsoas is None or lsoas.empty else set(lsoas["edition"])


def _concat(parts: list[pd.DataFrame], table: Table) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return table.empty()
    return table.conform(pd.concat(parts, ignore_index=True))


def _check_duplicates(frame: pd.DataFrame, key: list[str]) -> None:
    """The same figure from two files would be counted twice: name both files."""
    if frame.empty:
        return
    repeated = frame[frame.duplicated(key, keep=False)]
    if repeated.empty:
        return
    first = repeated.iloc[0]
    same = repeated
    for column in key:
        same = same[same[column] == first[column]]
    files = sorted(set(same["source_file"]))
    what = ", ".join(str(first[c]) for c in key)
    raise LayoutError(
        f"The same figures ({what}) come from more than one file: {'; '.join(files)} — keep "
        "one copy of each download in reference/"
        if len(files) > 1
        else f"{files[0]}: the figure ({what}) appears twice in the file"
    )
