"""ONS mid-year population estimates: the workbook's `MYE2 - Persons` sheet.

The sheet has a varying number of title rows, then the header `Code, Name, Geography, All
ages, 0, 1, ... 89, 90+`, then one row per area (countries, regions, counties, districts).
The header is the row whose first cell is `Code`; the year comes from the title ("mid-2024")
or, failing that, the file name. Age bands are summed from the single years (the leaves) and
must add up to `All ages`, which is kept as the total.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from pm_pipeline.core.sheets import clean_text
from pm_pipeline.core.xlsx import WorkbookSheet, read_named_sheet
from pm_pipeline.defs.district.layout import LayoutError, area_code, find_columns, number

SOURCE = "ONS mid-year population estimates"
DATASET = "MYE2"
SHEET = "MYE2 - Persons"
AGES = [str(a) for a in range(90)] + ["90+"]
BANDS = {
    "Aged 0 to 15": AGES[:16],
    "Aged 16 to 64": AGES[16:65],
    "Aged 65 and over": AGES[65:],
}
_YEAR = re.compile(r"mid[- _]?(\d{4})", re.IGNORECASE)


def read_workbook(data: bytes, file: str) -> WorkbookSheet:
    return read_named_sheet(
        data,
        file,
        SHEET,
        lambda header: bool(header) and header[0] == "code",
        "the row whose first cell is 'Code'",
        error=LayoutError,
    )


def year_of(book: WorkbookSheet, file: str) -> int:
    """The estimate's year: "mid-2024" in the sheet's title rows, else in the file name."""
    for text in [*book.titles, file]:
        found = _YEAR.search(text)
        if found:
            return int(found.group(1))
    raise LayoutError(
        f"{file}, sheet '{SHEET}': cannot tell which year the estimates are for — the title "
        "rows above the header do not say 'mid-yyyy' and neither does the file name"
    )


def parse_population(data: bytes, file: str) -> pd.DataFrame:
    """Population by broad age band (0-15, 16-64, 65+) and in total, for every area."""
    book = read_workbook(data, file)
    sheet = book.sheet
    year = year_of(book, file)
    wanted = {
        "code": ("Code",),
        "name": ("Name",),
        "all": ("All ages",),
        **{age: (age,) for age in AGES},
    }
    columns = find_columns(sheet.header, wanted, file, sheet.header_row, f"sheet {SHEET}")
    day = date(year, 6, 30)
    rows = []
    for excel_row, cells in sheet.rows:
        code = area_code(cells[columns["code"]], file, excel_row, "Code")
        name = clean_text(cells[columns["name"]])
        ages = {age: number(cells[columns[age]], file, excel_row, age) for age in AGES}
        total = number(cells[columns["all"]], file, excel_row, "All ages")
        if abs(sum(ages.values()) - total) > 0.5:
            raise LayoutError(
                f"{file}, sheet '{SHEET}', row {excel_row} ({code}): single years of age add up "
                f"to {sum(ages.values()):,.0f} but 'All ages' is {total:,.0f} — have the age "
                "columns changed?",
                row=excel_row,
            )
        values = {"Total": total, **{b: sum(ages[a] for a in span) for b, span in BANDS.items()}}
        for category, value in values.items():
            rows.append(
                {
                    "source": SOURCE,
                    "dataset": DATASET,
                    "measure": "population",
                    "category": category,
                    "area_code": code,
                    "area_name": name,
                    "period": f"mid-{year}",
                    "period_start": day,
                    "period_end": day,
                    # Local-authority estimates usually appear in June or July of the next year.
                    "available_from": date(year + 1, 7, 31),
                    "value": value,
                    "unit": "count",
                    "note": None,
                    "source_file": file,
                }
            )
    if not rows:
        raise LayoutError(f"{file}, sheet '{SHEET}': no areas below the header row")
    return pd.DataFrame(rows)
