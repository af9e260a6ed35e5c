"""Sample Nomis CSVs: the Annual Population Survey (employment), business counts and the
Claimant Count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pm_pipeline.core.files import write_atomic
from pm_pipeline.sample import catalogue as cat
from pm_pipeline.sample.reference_areas import (
    APS_PERIODS,
    BUSINESS_YEARS,
    CLAIMANT_MONTHS,
    NOMIS_GEOGRAPHY,
    Area,
    csv_text,
    seeded_rng,
)


def _nomis_dimension(
    name: str, value: object, label: str, code: object, kind: str, kind_code: int, order: int
) -> dict[str, Any]:
    return {
        name: value,
        f"{name}_NAME": label,
        f"{name}_CODE": code,
        f"{name}_TYPE": kind,
        f"{name}_TYPECODE": kind_code,
        f"{name}_SORTORDER": order,
    }


def _geography(area: Area, order: int) -> dict[str, Any]:
    kind, kind_code = NOMIS_GEOGRAPHY[area.level]
    nomis_id = 1946157000 + int(area.code[-3:]) if area.level == "ltla" else 2013265920 + order
    return _nomis_dimension("GEOGRAPHY", nomis_id, area.name, area.code, kind, kind_code, order)


def _nomis_rows(records: list[dict[str, Any]]) -> tuple[list[str], list[list[object]]]:
    header = [*records[0], "RECORD_OFFSET", "RECORD_COUNT"]
    rows = [[*r.values(), i, len(records)] for i, r in enumerate(records)]
    return header, rows


def _status(value: object) -> dict[str, Any]:
    missing = value is None
    return {
        "OBS_VALUE": "" if missing else value,
        "OBS_STATUS": "Q" if missing else "A",
        "OBS_STATUS_NAME": "These figures are missing." if missing else "Normal Value",
        "OBS_CONF": "F",
        "OBS_CONF_NAME": "Free (free for publication)",
    }


def employment_rate(area: Area, year: int, month: int) -> float:
    rng = seeded_rng("aps", area.code, year, month)
    t = (year - 2022) + month / 12
    return round(74.5 + 3.0 * area.prosperity + 0.25 * t + rng.uniform(-0.9, 0.9), 1)


def write_aps(folder: Path, all_areas: list[Area]) -> Path:
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    records = []
    for order, area in enumerate(all_areas):
        for year, month in APS_PERIODS:
            rate = employment_rate(area, year, month)
            denominator = round(area.population * 0.62 / 100) * 100
            missing = area.code == cat.COMPARATORS[12][0] and (year, month) == (2023, 6)
            first_year = year if month == 12 else year - 1
            name = f"{months[month % 12]} {first_year}-{months[month - 1]} {year}"
            values = {
                20599: (None if missing else rate, "Variable"),
                21001: (None if missing else round(rate / 100 * denominator, -2), "Numerator"),
                21002: (None if missing else denominator, "Denominator"),
                21003: (
                    None if missing else round(3.2 + 0.8 * abs(area.prosperity), 1),
                    "Confidence",
                ),
            }
            for code, (value, label) in values.items():
                records.append(
                    {
                        **_nomis_dimension(
                            "DATE",
                            f"{year}-{month:02d}",
                            name,
                            f"{year}-{month:02d}",
                            "12 months to",
                            0,
                            year * 100 + month,
                        ),
                        **_geography(area, order),
                        **_nomis_dimension(
                            "VARIABLE", 45, "Employment rate - aged 16-64", 45, "variable", 0, 45
                        ),
                        **_nomis_dimension("MEASURES", code, label, code, "measures", 0, code),
                        **_status(value),
                    }
                )
    header, rows = _nomis_rows(records)
    return write_atomic(folder / "NM_17_5_employment_rate_sample.csv", csv_text(header, rows))


def write_business(folder: Path, all_areas: list[Area]) -> Path:
    bands = [
        (10, "Micro (0 to 9)", 89.3),
        (20, "Small (10 to 49)", 8.7),
        (30, "Medium-sized (50 to 249)", 1.6),
        (40, "Large (250+)", 0.4),
    ]
    records = []
    for order, area in enumerate(all_areas):
        for year in BUSINESS_YEARS:
            rng = seeded_rng("business", area.code, year)
            per_head = 0.034 * (1 + 0.12 * area.prosperity) * (1 + 0.012 * (year - 2022))
            total = area.population * per_head * rng.uniform(0.98, 1.02)
            counts = [
                (code, label, 5 * round(total * share / 100 / 5)) for code, label, share in bands
            ]
            rows = [(0, "Total", 5 * round(total / 5)), *counts]
            for code, label, value in rows:
                records.append(
                    {
                        **_nomis_dimension("DATE", year, str(year), str(year), "date", 0, year),
                        **_geography(area, order),
                        **_nomis_dimension(
                            "INDUSTRY", 37748736, "Total", 37748736, "industry", 0, 0
                        ),
                        **_nomis_dimension(
                            "EMPLOYMENT_SIZEBAND", code, label, code, "employment sizeband", 0, code
                        ),
                        **_nomis_dimension("LEGAL_STATUS", 0, "Total", 0, "legal status", 0, 0),
                        **_nomis_dimension("MEASURES", 20100, "Value", 20100, "measures", 0, 20100),
                        **_status(value),
                    }
                )
    header, table = _nomis_rows(records)
    return write_atomic(folder / "NM_142_1_business_counts_sample.csv", csv_text(header, table))


def claimant_rate(area: Area, year: int, month: int) -> float:
    """Claimants as a % of residents aged 16-64: lower where prosperity is higher, easing
    slowly. The sample council's ED-04 returns this figure for a quarter's last month."""
    rng = seeded_rng("claimants", area.code, year, month)
    months = (year - 2021) * 12 + month - 4
    return round(3.3 - 0.8 * area.prosperity - 0.004 * months + rng.uniform(-0.08, 0.08), 1)


def write_claimants(folder: Path, all_areas: list[Area]) -> Path:
    """NM_162_1 for every area and month: the count (MEASURE 1) and the rate (MEASURE 2),
    all people aged 16+ (gender=0, age=0), as the Nomis API writes it."""
    names = ["January", "February", "March", "April", "May", "June", "July", "August"]
    names += ["September", "October", "November", "December"]
    records = []
    for order, area in enumerate(all_areas):
        residents = round(area.population * 0.62)
        for year, month in CLAIMANT_MONTHS:
            rate = claimant_rate(area, year, month)
            for code, label, value in (
                (1, "Claimant count", round(rate / 100 * residents / 5) * 5),
                (2, "Claimants as a proportion of residents aged 16-64", rate),
            ):
                records.append(
                    {
                        **_nomis_dimension(
                            "DATE",
                            f"{year}-{month:02d}",
                            f"{names[month - 1]} {year}",
                            f"{year}-{month:02d}",
                            "date",
                            0,
                            year * 100 + month,
                        ),
                        **_geography(area, order),
                        **_nomis_dimension("GENDER", 0, "Total", 0, "gender", 0, 0),
                        **_nomis_dimension("AGE", 0, "All categories: Age 16+", 0, "age", 0, 0),
                        **_nomis_dimension("MEASURE", code, label, code, "measure", 0, code),
                        **_nomis_dimension("MEASURES", 20100, "Value", 20100, "measures", 0, 20100),
                        **_status(value),
                    }
                )
    header, rows = _nomis_rows(records)
    return write_atomic(folder / "NM_162_1_claimant_count_sample.csv", csv_text(header, rows))
