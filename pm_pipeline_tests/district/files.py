"""Small publisher-shaped reference files, written by the tests with numbers they choose."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from pm_pipeline_tests.council import write_csv

TENURE = "Tenure of household"
TENURE_HEADER = [
    f"{TENURE}: Total: All households",
    f"{TENURE}: Owned",
    f"{TENURE}: Owned: Owns outright",
    f"{TENURE}: Owned: Owns with a mortgage or loan",
    f"{TENURE}: Shared ownership",
    f"{TENURE}: Shared ownership: Shared ownership",
    f"{TENURE}: Social rented",
    f"{TENURE}: Social rented: Rents from council or Local Authority",
    f"{TENURE}: Social rented: Other social rented",
    f"{TENURE}: Private rented",
    f"{TENURE}: Private rented: Private landlord or letting agency",
    f"{TENURE}: Private rented: Other private rented",
    f"{TENURE}: Lives rent free",
]


def tenure_values(
    total: int, owned: int, shared: int, social: int, private: int, free: int
) -> list[int]:
    """A TS054 row: parents and their children, side by side as ONS publishes them."""
    assert owned + shared + social + private + free == total
    outright = owned // 2
    council = social // 2
    landlord = private - private // 10
    return [
        total,
        owned,
        outright,
        owned - outright,
        shared,
        shared,
        social,
        council,
        social - council,
        private,
        landlord,
        private - landlord,
        free,
    ]


def census_csv(
    path: Path, header: Sequence[str], rows: Sequence[tuple[str, str, Sequence[int]]]
) -> Path:
    """A Census 2021 bulk CSV (UTF-8 with BOM): date, geography, geography code, categories."""
    return write_csv(
        path,
        ["date", "geography", "geography code", *header],
        [[2021, name, code, *values] for code, name, values in rows],
        encoding="utf-8-sig",
    )


NOMIS_DIMENSION = ("", "_NAME", "_CODE", "_TYPE", "_TYPECODE", "_SORTORDER")


def nomis_header(dimensions: Sequence[str]) -> list[str]:
    header = [f"{d}{suffix}" for d in dimensions for suffix in NOMIS_DIMENSION]
    observation = ["OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME", "OBS_CONF", "OBS_CONF_NAME"]
    return [*header, *observation, "RECORD_OFFSET", "RECORD_COUNT"]


def _dimension(value: object, name: str) -> list[object]:
    return [value, name, value, "type", 0, 0]


def aps_csv(path: Path, rows: Sequence[tuple[str, str, str, str, int, object]]) -> Path:
    """NM_17_5 rows: (date, date name, area code, area name, measure, value or None)."""
    body = []
    for i, (when, when_name, code, name, measure, value) in enumerate(rows):
        status = ("A", "Normal Value") if value is not None else ("Q", "These figures are missing.")
        body.append(
            [
                *_dimension(when, when_name),
                1946157000 + i,
                name,
                code,
                "district",
                424,
                i,
                *_dimension(45, "Employment rate - aged 16-64"),
                *_dimension(measure, "Variable"),
                "" if value is None else value,
                *status,
                "F",
                "Free",
                i,
                len(rows),
            ]
        )
    return write_csv(path, nomis_header(["DATE", "GEOGRAPHY", "VARIABLE", "MEASURES"]), body)


def business_csv(
    path: Path,
    rows: Sequence[tuple[int, str, str, str, object]],
    industries: Sequence[tuple[int, str]] = ((37748736, "Total"),),
) -> Path:
    """NM_142_1 rows: (year, area code, area name, size band, value), industries in turn."""
    body = []
    for i, (year, code, name, band, value) in enumerate(rows):
        industry = industries[i % len(industries)]
        body.append(
            [
                *_dimension(year, str(year)),
                1946157000 + i,
                name,
                code,
                "district",
                424,
                i,
                *_dimension(*industry),
                *_dimension(0, band),
                *_dimension(0, "Total"),
                *_dimension(20100, "Value"),
                value,
                "A",
                "Normal Value",
                "F",
                "Free",
                i,
                len(rows),
            ]
        )
    header = nomis_header(
        ["DATE", "GEOGRAPHY", "INDUSTRY", "EMPLOYMENT_SIZEBAND", "LEGAL_STATUS", "MEASURES"]
    )
    return write_csv(path, header, body)


def _save(book: Workbook, path: Path) -> Path:
    buffer = io.BytesIO()
    book.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def mye_workbook(
    path: Path,
    year: int | None,
    areas: Sequence[tuple[str, str, dict[int, int]]],
    title_rows: int = 3,
    header: Sequence[object] | None = None,
) -> Path:
    """An ONS MYE workbook: sheet MYE2 - Persons with title rows, then Code, Name, ... 90+.

    `areas` gives each area's population by single year of age (others are 0; 90 = 90+).
    """
    book = Workbook()
    book.active.title = "Contents"
    ws = book.create_sheet("MYE2 - Persons")
    titles = [f"Population estimates for local authorities, mid-{year}" if year else "Estimates"]
    titles += [f"Title line {n}" for n in range(2, title_rows + 1)]
    for line in titles:
        ws.append([line])
    ws.append(
        list(header) if header else ["Code", "Name", "Geography", "All ages", *range(90), "90+"]
    )
    for code, name, ages in areas:
        singles = [ages.get(a, 0) for a in range(91)]
        ws.append([code, name, "Non-metropolitan District", sum(singles), *singles])
    return _save(book, path)


FILE_10_HEADER = [
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "IMD - Average rank ",
    "IMD - Rank of average rank ",
    "IMD - Average score ",
    "IMD - Rank of average score ",
    "IMD - Proportion of LSOAs in most deprived 10% nationally ",
    "IMD - Rank of proportion of LSOAs in most deprived 10% nationally ",
    "IMD 2019 - Extent ",
    "IMD 2019 - Rank of extent ",
]


def file_10(
    path: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = FILE_10_HEADER
) -> Path:
    """IoD2019 File 10: a Notes sheet, then sheet IMD with the published (trailing-space) headers."""
    book = Workbook()
    book.active.title = "Notes"
    ws = book.create_sheet("IMD")
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    return _save(book, path)


LSOA_2019_HEADER = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Score",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    "Total population: mid 2015 (excluding prisoners)",
]


def lsoa_2025_workbook(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    """IoD2025 File 1: sheet IMD25 with ranks and deciles (no scores, no population)."""
    book = Workbook()
    book.active.title = "Notes"
    ws = book.create_sheet("IMD25")
    ws.append(
        [
            "LSOA code (2021)",
            "LSOA name (2021)",
            "Local Authority District code (2024)",
            "Local Authority District name (2024)",
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
        ]
    )
    for row in rows:
        ws.append(list(row))
    return _save(book, path)
