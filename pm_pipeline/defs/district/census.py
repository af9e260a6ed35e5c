"""Census 2021 topic summaries from ONS/Nomis bulk CSVs (`census2021-ts054-ltla.csv`, ...).

Each bulk file has `date, geography, geography code`, then one column per category with the
hierarchy joined by `: ` (sometimes with no space after the colon, sometimes with the suffix
`; measures: Value`). Parent and child columns sit side by side, so each table below names
one set of categories that do not overlap and must add up to the table's total: the parser
sums leaves or parents, never both, and a row whose categories no longer add up means the
publisher has changed the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pm_pipeline.core.sheets import Sheet, clean_text
from pm_pipeline.defs.district.layout import (
    LayoutError,
    area_code,
    find_columns,
    header_key,
    number,
)

SOURCE = "ONS Census 2021"
CENSUS_DAY = date(2021, 3, 21)
# The topic summaries used here were released between November 2022 and January 2023; a
# report for any half-year from 2023 onwards can rely on them.
AVAILABLE_FROM = date(2023, 2, 1)
SUM_TOLERANCE = 0.001  # cell-key perturbation never moves a table's sum this far
FIRST_COLUMNS = ("date", "geography", "geography code")


@dataclass(frozen=True)
class CensusTable:
    """One topic summary: its total column and the categories that partition it."""

    table: str
    topic: str
    measure: str
    total: tuple[str, ...]
    parts: tuple[tuple[str, tuple[str, ...]], ...]

    def columns(self) -> dict[str, tuple[str, ...]]:
        return {"Total": self.total, **dict(self.parts)}


def _age_bands() -> tuple[tuple[str, tuple[str, ...]], ...]:
    bands = [("Aged 4 years and under", ("Age: Aged 4 years and under",))]
    for low in range(5, 85, 5):
        label = f"Aged {low} to {low + 4} years"
        bands.append((label, (f"Age: {label}",)))
    bands.append(("Aged 85 years and over", ("Age: Aged 85 years and over",)))
    return tuple(bands)


_EA = "Economic activity status"
_STUDENTS_EXCLUDED = f"{_EA}: Economically active (excluding full-time students)"
_STUDENTS = f"{_EA}: Economically active and a full-time student"
_INACTIVE = f"{_EA}: Economically inactive"
_QUAL = "Highest level of qualification"

TABLES: tuple[CensusTable, ...] = (
    CensusTable(
        "TS001",
        "Residence type",
        "usual residents",
        ("Residence type: Total",),
        (
            ("Lives in a household", ("Residence type: Lives in a household",)),
            (
                "Lives in a communal establishment",
                ("Residence type: Lives in a communal establishment",),
            ),
        ),
    ),
    CensusTable("TS007A", "Age", "usual residents", ("Age: Total",), _age_bands()),
    CensusTable(
        "TS008",
        "Sex",
        "usual residents",
        ("Sex: All persons",),
        (("Female", ("Sex: Female",)), ("Male", ("Sex: Male",))),
    ),
    CensusTable(
        "TS037",
        "General health",
        "usual residents",
        ("General health: Total: All usual residents",),
        tuple(
            (f"{level} health", (f"General health: {level} health",))
            for level in ("Very good", "Good", "Fair", "Bad", "Very bad")
        ),
    ),
    CensusTable(
        "TS054",
        "Tenure of household",
        "households",
        ("Tenure of household: Total: All households",),
        tuple(
            (name, (f"Tenure of household: {name}",))
            for name in (
                "Owned",
                "Shared ownership",
                "Social rented",
                "Private rented",
                "Lives rent free",
            )
        ),
    ),
    CensusTable(
        "TS066",
        _EA,
        "usual residents aged 16 and over",
        (f"{_EA}: Total: All usual residents aged 16 years and over",),
        (
            ("In employment", (f"{_STUDENTS_EXCLUDED}:In employment",)),
            ("Unemployed", (f"{_STUDENTS_EXCLUDED}: Unemployed",)),
            ("Full-time student in employment", (f"{_STUDENTS}:In employment",)),
            ("Full-time student unemployed", (f"{_STUDENTS}: Unemployed",)),
            ("Retired", (f"{_INACTIVE}: Retired",)),
            ("Student (economically inactive)", (f"{_INACTIVE}: Student",)),
            ("Looking after home or family", (f"{_INACTIVE}: Looking after home or family",)),
            ("Long-term sick or disabled", (f"{_INACTIVE}: Long-term sick or disabled",)),
            ("Other economically inactive", (f"{_INACTIVE}: Other",)),
        ),
    ),
    CensusTable(
        "TS067",
        _QUAL,
        "usual residents aged 16 and over",
        (f"{_QUAL}: Total: All usual residents aged 16 years and over",),
        (
            ("No qualifications", (f"{_QUAL}: No qualifications",)),
            (
                "Level 1 and entry level qualifications",
                (f"{_QUAL}: Level 1 and entry level qualifications",),
            ),
            ("Level 2 qualifications", (f"{_QUAL}: Level 2 qualifications",)),
            ("Apprenticeship", (f"{_QUAL}: Apprenticeship",)),
            ("Level 3 qualifications", (f"{_QUAL}: Level 3 qualifications",)),
            (
                "Level 4 qualifications and above",
                (
                    f"{_QUAL}: Level 4 qualifications and above",
                    f"{_QUAL}: Level 4 qualifications or above",
                ),
            ),
            ("Other qualifications", (f"{_QUAL}: Other qualifications",)),
        ),
    ),
)
BY_TOPIC = {header_key(t.topic): t for t in TABLES}
BY_ID = {t.table: t for t in TABLES}
_TABLE_IN_NAME = re.compile(r"census2021-(ts\d{3}[a-z]?)", re.IGNORECASE)


def is_census(header: list[str]) -> bool:
    return tuple(header[:3]) == FIRST_COLUMNS


def table_for(sheet: Sheet, file: str) -> CensusTable:
    """Which topic summary a bulk file holds, from the topic its category columns name."""
    topic = header_key(sheet.header[3]).split(":")[0] if len(sheet.header) > 3 else ""
    table = BY_TOPIC.get(topic)
    named = _TABLE_IN_NAME.search(file)
    if table is None:
        known = ", ".join(f"{t.table} ({t.topic})" for t in TABLES)
        raise LayoutError(
            f"{file}: a Census 2021 bulk file about '{topic or '(no category columns)'}', which "
            f"the State of the District does not use. It reads: {known}. Remove the file from "
            "reference/ or check that the right table was downloaded.",
            row=sheet.header_row,
        )
    if named and named.group(1).upper() != table.table:
        raise LayoutError(
            f"{file}: the file name says {named.group(1).upper()} but its columns are "
            f"{table.table} ({table.topic}) — was the file renamed or the wrong table saved?",
            row=sheet.header_row,
        )
    return table


def parse_census(sheet: Sheet, file: str) -> pd.DataFrame:
    """Tidy rows (district_context columns) for every area in one bulk file."""
    if not is_census(sheet.header):
        raise LayoutError(
            f"{file}, header row {sheet.header_row}: a Census 2021 bulk file starts with the "
            f"columns {', '.join(FIRST_COLUMNS)}; this one starts with "
            f"{', '.join(sheet.header[:3])}",
            row=sheet.header_row,
        )
    table = table_for(sheet, file)
    columns = find_columns(
        sheet.header, table.columns(), file, sheet.header_row, f"Census 2021 {table.table}"
    )
    rows = []
    for excel_row, cells in sheet.rows:
        year = clean_text(cells[0])
        if not re.fullmatch(r"\d{4}", year):
            raise LayoutError(
                f"{file}, row {excel_row}, column 'date': '{year}' is not a census year",
                row=excel_row,
                column="date",
            )
        code = area_code(cells[2], file, excel_row, "geography code")
        name = clean_text(cells[1])
        values = {}
        for category, index in columns.items():
            cell = cells[index] if index < len(cells) else None
            value = number(cell, file, excel_row, sheet.header[index])
            if value < 0:
                raise LayoutError(
                    f"{file}, row {excel_row}, column '{sheet.header[index]}': a count cannot "
                    f"be negative ({cell})",
                    row=excel_row,
                )
            values[category] = value
        _check_sum(table, values, file, excel_row, code)
        for category, value in values.items():
            rows.append(
                {
                    "source": SOURCE,
                    "dataset": table.table,
                    "measure": table.measure,
                    "category": category,
                    "area_code": code,
                    "area_name": name,
                    "period": year,
                    "period_start": CENSUS_DAY.replace(year=int(year)),
                    "period_end": CENSUS_DAY.replace(year=int(year)),
                    "available_from": AVAILABLE_FROM,
                    "value": value,
                    "unit": "count",
                    "note": None,
                    "source_file": file,
                }
            )
    return pd.DataFrame(rows)


def _check_sum(
    table: CensusTable, values: dict[str, float], file: str, row: int, code: str
) -> None:
    parts = sum(v for k, v in values.items() if k != "Total")
    total = values["Total"]
    if abs(parts - total) > max(1.0, SUM_TOLERANCE * total):
        names = ", ".join(name for name, _ in table.parts)
        raise LayoutError(
            f"{file}, row {row} ({code}): the {table.table} categories add up to {parts:,.0f} but "
            f"the total column says {total:,.0f}. The parser adds {names}; a category may have "
            "been added, split or renamed by the publisher.",
            row=row,
        )
