"""Nomis API CSVs: the APS employment rate (NM_17_5), UK Business Counts (NM_142_1) and the
Claimant Count (NM_162_1).

A Nomis CSV gives each dimension X as `X, X_NAME, X_CODE, X_TYPE, X_TYPECODE, X_SORTORDER`
(`DATE…`, `GEOGRAPHY…`, `MEASURES…` and the dataset's own), then `OBS_VALUE, OBS_STATUS,
OBS_STATUS_NAME, OBS_CONF, OBS_CONF_NAME, RECORD_OFFSET, RECORD_COUNT`. A missing estimate is
an empty `OBS_VALUE` with a status such as `Q`; it is kept, with the status as its note, so
the report can say why there is no figure. The dataset is named by the file (`NM_17_5`): the
columns alone cannot tell UK Business Counts' enterprises from its local units.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

import pandas as pd

from pm_pipeline.core.sheets import Sheet, clean_text
from pm_pipeline.defs.district.layout import LayoutError, area_code, find_columns, number

APS = "NM_17_5"
BUSINESS = "NM_142_1"
CLAIMANTS = "NM_162_1"
APS_SOURCE = "ONS Annual Population Survey (Nomis)"
BUSINESS_SOURCE = "ONS UK Business Counts (Nomis)"
CLAIMANT_SOURCE = "ONS Claimant Count (Nomis)"
# NM_162_1's MEASURE dimension (read with MEASURES 20100, the value): the count of claimants,
# and claimants as a proportion of residents aged 16-64 (ONS's headline local rate).
CLAIMANT_MEASURES = {1: ("claimant_count", "count"), 2: ("claimant_rate", "percent")}
CLAIMANT_LAG = timedelta(days=20)  # a month's count is published in the next month's third week
EMPLOYMENT_RATE_VARIABLE = 45  # "Employment rate - aged 16-64"
APS_MEASURES = {
    20599: ("employment_rate", "percent"),
    21001: ("employment_rate_numerator", "count"),
    21002: ("employment_rate_denominator", "count"),
    21003: ("employment_rate_confidence", "percentage points"),
}
BUSINESS_MEASURES = {20100: ("enterprises", "count")}
APS_LAG = timedelta(days=106)  # year to March is published in mid-July
BUSINESS_RELEASE = (10, 1)
ROUNDING = 5  # UK Business Counts are rounded to the nearest 5  # the March count is published in late September or October
_DATASET_IN_NAME = re.compile(r"nm_(\d+)_(\d+)", re.IGNORECASE)
COMMON = {
    "date": ("date", "date_code"),
    "geography_code": ("geography_code",),
    "geography_name": ("geography_name",),
    "measures": ("measures",),
    "obs_value": ("obs_value",),
}


def is_nomis(header: list[str]) -> bool:
    return "obs_value" in header and "geography_code" in header


def dataset_of(file: str) -> str:
    found = _DATASET_IN_NAME.search(file)
    dataset = f"NM_{found.group(1)}_{found.group(2)}" if found else None
    if dataset not in (APS, BUSINESS, CLAIMANTS):
        raise LayoutError(
            f"{file}: a Nomis CSV, but its name does not say which dataset it is "
            f"({dataset or 'no NM_ id in the name'}). Name it after its Nomis dataset: "
            f"{APS} (Annual Population Survey employment rate), {BUSINESS} (UK Business "
            f"Counts, enterprises) or {CLAIMANTS} (Claimant Count), e.g. NM_17_5.data.csv as "
            "Nomis saves it."
        )
    return dataset


def _status(cells: list[object], header: list[str]) -> str | None:
    parts = [
        clean_text(cells[header.index(name)])
        for name in ("obs_status", "obs_status_name")
        if name in header and header.index(name) < len(cells)
    ]
    text = " ".join(p for p in parts if p)
    return f"Nomis status {text}" if text else None


def _code(cell: object, file: str, row: int, column: str) -> int:
    value = number(cell, file, row, column)
    return int(value)


def _observation(
    sheet: Sheet,
    cells: list[object],
    columns: dict[str, int],
    file: str,
    excel_row: int,
    **fields: object,
) -> dict[str, object]:
    """One row of district_context from a Nomis row: the area and the value (a missing estimate
    kept with its status as the note) read the same way for every dataset, plus `fields`
    (source, dataset, measure, category, unit, period and its dates)."""
    value = number(cells[columns["obs_value"]], file, excel_row, "OBS_VALUE", blank_ok=True)
    return {
        **fields,
        "area_code": area_code(cells[columns["geography_code"]], file, excel_row, "GEOGRAPHY_CODE"),
        "area_name": clean_text(cells[columns["geography_name"]]),
        "value": value,
        "note": None if value is not None else _status(cells, sheet.header),
        "source_file": file,
    }


def _aps_period(text: str, file: str, row: int) -> tuple[date, date]:
    """`2025-03` is the 12 months to March 2025."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise LayoutError(
            f"{file}, row {row}, column 'DATE': '{text}' is not an APS period like 2025-03 "
            "(the 12 months to March 2025)",
            row=row,
            column="DATE",
        )
    year, month = int(m.group(1)), int(m.group(2))
    end = date(year, month, calendar.monthrange(year, month)[1])
    start = date(year - 1, month, 1) + timedelta(days=31)
    return start.replace(day=1), end


def parse_nomis(sheet: Sheet, file: str) -> pd.DataFrame:
    dataset = dataset_of(file)
    if dataset == CLAIMANTS:
        return parse_claimants(sheet, file)
    return parse_aps(sheet, file) if dataset == APS else parse_business(sheet, file)


def parse_claimants(sheet: Sheet, file: str) -> pd.DataFrame:
    """The monthly Claimant Count, all people aged 16+: the count and the rate (claimants as a
    percentage of residents aged 16-64), for every area in the file."""
    wanted = {**COMMON, "measure": ("measure", "measure_code")}
    columns = find_columns(sheet.header, wanted, file, sheet.header_row, f"Nomis {CLAIMANTS}")
    _single(sheet, file, ("gender", "gender_code"), "gender=0")
    _single(sheet, file, ("age", "age_code"), "age=0")
    date_name = sheet.column("date_name")
    rows = []
    for excel_row, cells in sheet.rows:
        code = _code(cells[columns["measure"]], file, excel_row, "MEASURE")
        if (
            code not in CLAIMANT_MEASURES
            or _code(cells[columns["measures"]], file, excel_row, "MEASURES") != 20100
        ):
            known = ", ".join(f"{k} ({v[0]})" for k, v in CLAIMANT_MEASURES.items())
            raise LayoutError(
                f"{file}, row {excel_row}, column 'MEASURE': this pipeline reads MEASURE {known} "
                f"with MEASURES 20100 (the value) for {CLAIMANTS} — download it with "
                "measure=1,2&measures=20100",
                row=excel_row,
                column="MEASURE",
            )
        measure, unit = CLAIMANT_MEASURES[code]
        text = clean_text(cells[columns["date"]])
        m = re.fullmatch(r"(\d{4})-(\d{2})", text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise LayoutError(
                f"{file}, row {excel_row}, column 'DATE': '{text}' is not a month like 2025-09",
                row=excel_row,
                column="DATE",
            )
        year, month = int(m.group(1)), int(m.group(2))
        start = date(year, month, 1)
        end = date(year, month, calendar.monthrange(year, month)[1])
        label = clean_text(cells[date_name]) if date_name is not None else ""
        rows.append(
            _observation(
                sheet,
                cells,
                columns,
                file,
                excel_row,
                source=CLAIMANT_SOURCE,
                dataset=CLAIMANTS,
                measure=measure,
                category="Total",
                period=label or f"{end:%B %Y}",
                period_start=start,
                period_end=end,
                available_from=end + CLAIMANT_LAG,
                unit=unit,
            )
        )
    if not rows:
        raise LayoutError(f"{file}: no rows below the header row")
    return pd.DataFrame(rows)


def parse_aps(sheet: Sheet, file: str) -> pd.DataFrame:
    """Employment rate aged 16-64 (variable 45): the rate, its numerator, denominator, confidence."""
    wanted = {**COMMON, "variable": ("variable", "variable_code")}
    columns = find_columns(sheet.header, wanted, file, sheet.header_row, f"Nomis {APS}")
    date_name = sheet.column("date_name")
    rows, variables = [], set()
    for excel_row, cells in sheet.rows:
        variable = _code(cells[columns["variable"]], file, excel_row, "VARIABLE")
        variables.add(variable)
        if variable != EMPLOYMENT_RATE_VARIABLE:
            continue
        measure_code = _code(cells[columns["measures"]], file, excel_row, "MEASURES")
        if measure_code not in APS_MEASURES:
            known = ", ".join(f"{k} ({v[0]})" for k, v in APS_MEASURES.items())
            raise LayoutError(
                f"{file}, row {excel_row}, column 'MEASURES': measure {measure_code} is not one "
                f"this pipeline reads for {APS} ({known})",
                row=excel_row,
                column="MEASURES",
            )
        measure, unit = APS_MEASURES[measure_code]
        period_text = clean_text(cells[columns["date"]])
        start, end = _aps_period(period_text, file, excel_row)
        label = clean_text(cells[date_name]) if date_name is not None else ""
        rows.append(
            _observation(
                sheet,
                cells,
                columns,
                file,
                excel_row,
                source=APS_SOURCE,
                dataset=APS,
                measure=measure,
                category="Aged 16-64",
                period=label or f"{start:%b %Y}-{end:%b %Y}",
                period_start=start,
                period_end=end,
                available_from=end + APS_LAG,
                unit=unit,
            )
        )
    if not rows:
        raise LayoutError(
            f"{file}: no rows for VARIABLE {EMPLOYMENT_RATE_VARIABLE} (Employment rate - aged "
            f"16-64); the file has variables {sorted(variables) or 'none'}. Download {APS} with "
            f"variable={EMPLOYMENT_RATE_VARIABLE}."
        )
    return pd.DataFrame(rows)


def _single(sheet: Sheet, file: str, names: tuple[str, ...], hint: str) -> None:
    """A dimension the report does not break down by must hold one value (the total)."""
    for name in names:
        index = sheet.column(name)
        if index is None:
            continue
        seen = {clean_text(cells[index]) for _, cells in sheet.rows if index < len(cells)}
        if len(seen) > 1:
            raise LayoutError(
                f"{file}, column '{name.upper()}': {len(seen)} different values "
                f"({', '.join(sorted(seen)[:4])}...). Download the total only ({hint}) so counts "
                "are not added twice.",
                column=name.upper(),
            )


def parse_business(sheet: Sheet, file: str) -> pd.DataFrame:
    """Enterprises by employment size band; the bands (not the total) must add to the total."""
    wanted = {**COMMON, "band": ("employment_sizeband_name",)}
    columns = find_columns(sheet.header, wanted, file, sheet.header_row, f"Nomis {BUSINESS}")
    _single(sheet, file, ("industry", "industry_code"), "industry=37748736")
    _single(sheet, file, ("legal_status", "legal_status_code"), "legal_status=0")
    rows = []
    for excel_row, cells in sheet.rows:
        measure_code = _code(cells[columns["measures"]], file, excel_row, "MEASURES")
        if measure_code not in BUSINESS_MEASURES:
            raise LayoutError(
                f"{file}, row {excel_row}, column 'MEASURES': measure {measure_code} is not the "
                f"count (20100) this pipeline reads for {BUSINESS}",
                row=excel_row,
                column="MEASURES",
            )
        measure, unit = BUSINESS_MEASURES[measure_code]
        year_text = clean_text(cells[columns["date"]])
        if not re.fullmatch(r"\d{4}", year_text):
            raise LayoutError(
                f"{file}, row {excel_row}, column 'DATE': '{year_text}' is not a year like 2025",
                row=excel_row,
                column="DATE",
            )
        year = int(year_text)
        band = clean_text(cells[columns["band"]])
        rows.append(
            _observation(
                sheet,
                cells,
                columns,
                file,
                excel_row,
                source=BUSINESS_SOURCE,
                dataset=BUSINESS,
                measure=measure,
                category="Total" if band.casefold() == "total" else band,
                period=year_text,
                period_start=date(year, 3, 1),
                period_end=date(year, 3, 31),
                available_from=date(year, *BUSINESS_RELEASE),
                unit=unit,
            )
        )
    frame = pd.DataFrame(rows)
    _check_bands(frame, file)
    return frame


def _check_bands(frame: pd.DataFrame, file: str) -> None:
    if frame.empty or "Total" not in set(frame["category"]):
        raise LayoutError(
            f"{file}: no 'Total' employment size band; download {BUSINESS} with the total band "
            "as well as the size bands"
        )
    for (code, period), group in frame.groupby(["area_code", "period"]):
        total = group.loc[group["category"] == "Total", "value"].sum()
        bands = group.loc[group["category"] != "Total", "value"]
        # Counts are rounded to the nearest 5 one by one, so bands and total may differ a little.
        slack = ROUNDING / 2 * (len(bands) + 1)
        if bands.notna().any() and abs(bands.sum() - total) > slack:
            raise LayoutError(
                f"{file}: for {code} in {period} the size bands add up to {bands.sum():,.0f} but "
                f"the total is {total:,.0f} — download non-overlapping bands (micro, small, "
                "medium-sized, large) with the total"
            )
