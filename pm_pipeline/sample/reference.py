"""Write the sample reference files: publishers' layouts, synthetic values, labelled as sample.

`python -m pm_pipeline.sample.reference data/` writes `data/reference/` for the sample
council (E07000999, fictional), its 15 comparators (real East Midlands districts, invented
figures), the East Midlands region and England: Census 2021 bulk CSVs, the Indices of
Deprivation 2019 (File 7 and File 10) and 2025 (File 7), ONS mid-year estimates workbooks and
Nomis CSVs. Every file name contains `sample` and every workbook says so in its title rows;
none of the numbers are real statistics for these places. The same seed writes the same
figures every time.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pm_pipeline.district import census
from pm_pipeline.safe_write import write_atomic
from pm_pipeline.sample import catalogue as cat

FIXED_TIME = datetime(2026, 10, 1)
SEED = "pm-pipeline-sample-reference"
COUNCIL_NAME = "Sample District"
REGION = ("E12000004", "East Midlands")
ENGLAND = ("E92000001", "England")
MYE_YEARS = (2022, 2023, 2024, 2025)
APS_PERIODS = [(y, m) for y in range(2022, 2027) for m in (3, 6, 9, 12) if (y, m) <= (2026, 6)]
BUSINESS_YEARS = (2022, 2023, 2024, 2025, 2026)
LSOAS_IN_ENGLAND = {"IoD2019": 32_844, "IoD2025": 33_755}
DISTRICTS_IN_ENGLAND = 317
SAMPLE_NOTE = "SAMPLE DATA: synthetic values in the publisher's layout, not real statistics"
NOMIS_GEOGRAPHY = {
    "ltla": ("local authorities: district / unitary (as of April 2023)", 424),
    "rgn": ("regions", 480),
    "ctry": ("countries", 499),
}


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str  # ltla | rgn | ctry
    population: int  # Census 2021 usual residents
    age_tilt: float  # > 1: an older population
    deprivation: float  # 0 (least) .. 1 (most deprived), districts only
    prosperity: float  # -1 .. 1: employment, skills and business


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in (SEED, *parts)))


def areas() -> list[Area]:
    """The sample council first, then its comparators, the region and England."""
    # The sample council is set to tell a story: older, more deprived and less prosperous
    # than most of its neighbours; the comparators vary at random around it.
    out = [Area(cat.AREA_CODE, COUNCIL_NAME, "ltla", 104_650, 1.14, 0.64, -0.3)]
    for code, name in cat.COMPARATORS:
        rng = _rng("area", code)
        out.append(
            Area(
                code,
                name,
                "ltla",
                rng.randint(72_000, 128_000),
                rng.uniform(0.9, 1.25),
                rng.uniform(0.15, 0.75),
                rng.uniform(-1, 1),
            )
        )
    out.append(Area(*REGION, "rgn", 4_880_100, 1.02, 0.45, 0.0))
    out.append(Area(*ENGLAND, "ctry", 56_490_000, 1.0, 0.5, 0.1))
    return out


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Whole counts proportional to `weights` that add up to `total` exactly."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    counts = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _jitter(rng: random.Random, base: Sequence[float], spread: float) -> list[float]:
    return [b * rng.uniform(1 - spread, 1 + spread) for b in base]


# England-like shares, per cent, that the sample areas vary around.
AGE_BASE = [
    5.4,
    5.9,
    6.0,
    5.7,
    5.8,
    6.6,
    6.9,
    6.7,
    6.4,
    6.2,
    6.8,
    6.7,
    5.9,
    5.1,
    5.1,
    3.9,
    2.7,
    2.2,
]


def age_weights(area: Area, rng: random.Random) -> list[float]:
    tilt = [1.0] * 13 + [area.age_tilt] * 5
    young = [2 - area.age_tilt] * 4 + [1.0] * 14
    return [b * t * y for b, t, y in zip(_jitter(rng, AGE_BASE, 0.05), tilt, young, strict=True)]


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


def _with_suffix(columns: list[str], suffix: bool) -> list[str]:
    return [f"{c}; measures: Value" if suffix else c for c in columns]


def census_rows(area: Area) -> dict[str, tuple[list[str], list[int]]]:
    """Each table's category headings (as ONS publishes them) and this area's counts."""
    rng = _rng("census", area.code)
    p = area.population
    out: dict[str, tuple[list[str], list[int]]] = {}
    household, communal = split(p, [100 - (c := rng.uniform(1.0, 2.4)), c])
    out["TS001"] = (
        _with_suffix(
            [
                "Residence type: Total",
                "Residence type: Lives in a household",
                "Residence type: Lives in a communal establishment",
            ],
            True,
        ),
        [p, household, communal],
    )
    bands = split(p, age_weights(area, rng))
    out["TS007A"] = (["Age: Total", *[h for _, (h,) in census.BY_ID["TS007A"].parts]], [p, *bands])
    female = round(p * rng.uniform(0.504, 0.514))
    male = p - female
    out["TS008"] = (
        _with_suffix(["Sex: All persons", "Sex: Female", "Sex: Male"], True),
        [p, female, male],
    )
    shift = 1 + 0.25 * (area.deprivation - 0.5)
    health = split(p, [47.5 / shift, 33.7, 13.0 * shift, 4.2 * shift**2, 1.3 * shift**2])
    out["TS037"] = (
        [
            "General health: Total: All usual residents",
            *[
                f"General health: {lv} health"
                for lv in ("Very good", "Good", "Fair", "Bad", "Very bad")
            ],
        ],
        [p, *health],
    )
    out["TS054"] = _tenure(area, rng)
    out["TS066"] = _economic_activity(area, rng)
    adults = round(p * rng.uniform(0.81, 0.84))
    lift = 1 + 0.2 * area.prosperity
    quals = split(adults, _jitter(rng, [21.0 / lift, 9.9, 13.5, 5.6, 17.0, 29.5 * lift, 2.8], 0.05))
    q = census._QUAL
    level4 = "or above" if area.level == "rgn" else "and above"  # ONS's one variant spelling
    out["TS067"] = (
        [
            f"{q}: Total: All usual residents aged 16 years and over",
            f"{q}: No qualifications",
            f"{q}: Level 1 and entry level qualifications",
            f"{q}: Level 2 qualifications",
            f"{q}: Apprenticeship",
            f"{q}: Level 3 qualifications",
            f"{q}: Level 4 qualifications {level4}",
            f"{q}: Other qualifications",
        ],
        [adults, *quals],
    )
    return out


def _tenure(area: Area, rng: random.Random) -> tuple[list[str], list[int]]:
    households = round(area.population / rng.uniform(2.25, 2.4))
    d = area.deprivation
    owned, shared, social, private, free = split(
        households, [70 - 12 * d, 0.6, 12 + 10 * d, 16, 0.3]
    )
    outright = round(owned * rng.uniform(0.5, 0.62))
    council = round(social * rng.uniform(0.3, 0.6))
    landlord = round(private * rng.uniform(0.9, 0.95))
    t = "Tenure of household"
    return (
        [
            f"{t}: Total: All households",
            f"{t}: Owned",
            f"{t}: Owned: Owns outright",
            f"{t}: Owned: Owns with a mortgage or loan",
            f"{t}: Shared ownership",
            f"{t}: Shared ownership: Shared ownership",
            f"{t}: Social rented",
            f"{t}: Social rented: Rents from council or Local Authority",
            f"{t}: Social rented: Other social rented",
            f"{t}: Private rented",
            f"{t}: Private rented: Private landlord or letting agency",
            f"{t}: Private rented: Other private rented",
            f"{t}: Lives rent free",
        ],
        [
            households,
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
        ],
    )


def _employment_split(total: int, rng: random.Random) -> list[int]:
    """Employee / self-employed with / without employees, each part-time and full-time."""
    employee, with_staff, without = split(total, [85.5, 3.0, 11.5])
    out = []
    for group, part_time in ((employee, 0.27), (with_staff, 0.15), (without, 0.3)):
        pt = round(group * rng.uniform(part_time - 0.03, part_time + 0.03))
        out += [group, pt, group - pt]
    return out


def _economic_activity(area: Area, rng: random.Random) -> tuple[list[str], list[int]]:
    adults = round(area.population * rng.uniform(0.81, 0.84))
    w = 1 + 0.05 * area.prosperity
    emp, unemp, st_emp, st_unemp, retired, student, home, sick, other = split(
        adults,
        _jitter(rng, [56.5 * w, 3.3 / w, 2.2, 0.7, 23.5, 4.4, 4.7, 4.2 / w, 2.8], 0.04),
    )
    ea = "Economic activity status"
    ex = f"{ea}: Economically active (excluding full-time students)"
    st = f"{ea}: Economically active and a full-time student"
    ina = f"{ea}: Economically inactive"

    def in_employment(prefix: str) -> list[str]:
        cols = []
        for kind in ("Employee", "Self-employed with employees", "Self-employed without employees"):
            cols += [
                f"{prefix}:In employment:{kind}",
                f"{prefix}: In employment: {kind}: Part-time",
                f"{prefix}: In employment: {kind}: Full-time",
            ]
        return cols

    header = [
        f"{ea}: Total: All usual residents aged 16 years and over",
        ex,
        f"{ex}:In employment",
        *in_employment(ex),
        f"{ex}: Unemployed",
        st,
        f"{st}:In employment",
        *in_employment(st),
        f"{st}: Unemployed",
        ina,
        f"{ina}: Retired",
        f"{ina}: Student",
        f"{ina}: Looking after home or family",
        f"{ina}: Long-term sick or disabled",
        f"{ina}: Other",
    ]
    inactive = retired + student + home + sick + other
    values = [
        adults,
        emp + unemp,
        emp,
        *_employment_split(emp, rng),
        unemp,
        st_emp + st_unemp,
        st_emp,
        *_employment_split(st_emp, rng),
        st_unemp,
        inactive,
        retired,
        student,
        home,
        sick,
        other,
    ]
    return header, values


def write_census(folder: Path, all_areas: list[Area]) -> list[Path]:
    written = []
    tables = {area.code: census_rows(area) for area in all_areas}
    for table in ("TS001", "TS007A", "TS008", "TS037", "TS054", "TS066", "TS067"):
        for level in ("ltla", "rgn", "ctry"):
            members = [a for a in all_areas if a.level == level]
            header = ["date", "geography", "geography code", *tables[members[0].code][table][0]]
            rows = [[2021, a.name, a.code, *tables[a.code][table][1]] for a in members]
            path = folder / f"census2021-{table.lower()}-{level}-sample.csv"
            written.append(write_atomic(path, _csv_text(header, rows)))
    return written


def population_by_age(area: Area, year: int) -> list[int]:
    """Single years 0..89 and 90+, grown from the census age profile."""
    rng = _rng("mye", area.code)
    growth = rng.uniform(0.002, 0.011) * (1.4 if area.code == cat.AREA_CODE else 1.0)
    total = round(area.population * (1 + growth) ** (year - 2021 + 0.27))
    bands = age_weights(area, _rng("census", area.code))
    singles = []
    for band_weight in bands[:-1]:
        singles += [band_weight / 5] * 5
    singles += [bands[-1] * 0.8 / 5] * 5 + [bands[-1] * 0.2]
    ageing = 1 + 0.01 * (year - 2021)
    singles = [w * (ageing if age >= 65 else 1.0) for age, w in enumerate(singles)]
    return split(total, singles)


def write_population(folder: Path, all_areas: list[Area]) -> list[Path]:
    from openpyxl import Workbook

    written = []
    kinds = {"ltla": "Non-metropolitan District", "rgn": "Region", "ctry": "Country"}
    header = ["Code", "Name", "Geography", "All ages", *range(90), "90+"]
    for year in MYE_YEARS:
        book = Workbook()
        cover = book.active
        cover.title = "Cover"
        cover.append([f"Population estimates for local authorities, mid-{year}"])
        cover.append([SAMPLE_NOTE + " — generated by pm_pipeline, not published by ONS"])
        people = {a.code: population_by_age(a, year) for a in all_areas}
        for sheet, share in (
            ("MYE2 - Persons", None),
            ("MYE2 - Males", 0.49),
            ("MYE2 - Females", 0.51),
        ):
            ws = book.create_sheet(sheet)
            titles = [
                f"MYE2: Population estimates by single year of age and sex for local "
                f"authorities in the UK, mid-{year}",
                f"{sheet.split(' - ')[1]}. {SAMPLE_NOTE}.",
                "This worksheet contains one table. Some cells refer to notes.",
            ]
            if year == MYE_YEARS[0]:
                titles += ["Source: pm_pipeline sample generator", "Units: persons"]
            for line in titles:
                ws.append([line])
            ws.append(header)
            for area in all_areas:
                ages = people[area.code]
                if share is not None:
                    males = [round(n * 0.49) for n in ages]
                    ages = (
                        males if share < 0.5 else [n - m for n, m in zip(ages, males, strict=True)]
                    )
                ws.append([area.code, area.name, kinds[area.level], sum(ages), *ages])
        book.properties.created = book.properties.modified = FIXED_TIME
        buffer = io.BytesIO()
        book.save(buffer)
        written.append(write_atomic(folder / f"mye-mid-{year}-sample.xlsx", buffer.getvalue()))
    return written


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
    rng = _rng("aps", area.code, year, month)
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
    return write_atomic(folder / "NM_17_5_employment_rate_sample.csv", _csv_text(header, rows))


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
            rng = _rng("business", area.code, year)
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
    return write_atomic(folder / "NM_142_1_business_counts_sample.csv", _csv_text(header, table))


def lsoa_rows(area: Area, edition: str) -> list[dict[str, Any]]:
    """Synthetic neighbourhoods: national rank, decile, score and population."""
    rng = _rng("iod", edition, area.code)
    n_england = LSOAS_IN_ENGLAND[edition]
    d = area.deprivation + (0.03 * rng.uniform(-1, 1) if edition == "IoD2025" else 0.0)
    count = rng.randint(52, 78) + (rng.randint(0, 4) if edition == "IoD2025" else 0)
    rows = []
    for i in range(count):
        percentile = rng.betavariate(0.8 + 2.2 * (1 - d), 0.8 + 2.2 * d)
        rank = min(n_england, max(1, round(percentile * n_england)))
        score = round(max(0.5, 75 * (1 - percentile) ** 2.3 + rng.uniform(-1.5, 1.5)), 3)
        suffix = f"{1 + i // 4:03d}{'ABCD'[i % 4]}"
        rows.append(
            {
                "suffix": suffix,
                "rank": rank,
                "score": score,
                "population": rng.randint(1_250, 2_300),
            }
        )
    return rows


def _unique_ranks(per_area: dict[str, list[dict[str, Any]]], n_england: int) -> None:
    """National ranks are unique: move any repeat to the nearest free rank."""
    taken: set[int] = set()
    for rows in per_area.values():
        for row in rows:
            rank = int(row["rank"])
            step = 0
            while rank in taken or not 1 <= rank <= n_england:
                step += 1
                rank = int(row["rank"]) + (step // 2 + 1) * (1 if step % 2 else -1)
            taken.add(rank)
            row["rank"] = rank


def write_deprivation(folder: Path, all_areas: list[Area]) -> list[Path]:
    districts = [a for a in all_areas if a.level == "ltla"]
    written = []
    for edition, lsoa_year, district_year, pop_year in (
        ("IoD2019", 2011, 2019, "mid 2015"),
        ("IoD2025", 2021, 2024, "mid 2022"),
    ):
        n_england = LSOAS_IN_ENGLAND[edition]
        per_area = {a.code: lsoa_rows(a, edition) for a in districts}
        _unique_ranks(per_area, n_england)
        header = [
            f"LSOA code ({lsoa_year})",
            f"LSOA name ({lsoa_year})",
            f"Local Authority District code ({district_year})",
            f"Local Authority District name ({district_year})",
            "Index of Multiple Deprivation (IMD) Score",
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
            "Income Score (rate)",
            "Income Rank (where 1 is most deprived)",
            "Income Decile (where 1 is most deprived 10% of LSOAs)",
            f"Total population: {pop_year} (excluding prisoners)",
        ]
        rows = []
        for number, area in enumerate(districts):
            for index, row in enumerate(per_area[area.code]):
                rank = int(row["rank"])
                decile = math.ceil(10 * rank / n_england)
                income_rank = max(
                    1, min(n_england, rank + _rng("inc", area.code, rank).randint(-900, 900))
                )
                rows.append(
                    [
                        f"E01{90_000 + number * 100 + index:06d}",
                        f"{area.name} {row['suffix']}",
                        area.code,
                        area.name,
                        row["score"],
                        rank,
                        decile,
                        round(float(row["score"]) / 260, 3),
                        income_rank,
                        math.ceil(10 * income_rank / n_england),
                        row["population"],
                    ]
                )
        name = f"File_7_{edition}_All_Ranks_Scores_Deciles_Population_Denominators_sample.csv"
        written.append(write_atomic(folder / name, _csv_text(header, rows)))
        if edition == "IoD2019":
            written.append(_write_file_10(folder, districts, per_area, n_england))
    return written


def _district_summary(rows: list[dict[str, Any]], n_england: int) -> dict[str, float]:
    pop = sum(int(r["population"]) for r in rows)
    ordered = sorted(rows, key=lambda r: int(r["rank"]))
    most_deprived_tenth, running = [], 0
    for r in ordered:
        if running >= pop * 0.1:
            break
        most_deprived_tenth.append(r)
        running += int(r["population"])
    return {
        "average_rank": sum(int(r["rank"]) * int(r["population"]) for r in rows) / pop,
        "average_score": sum(float(r["score"]) * int(r["population"]) for r in rows) / pop,
        "share": sum(1 for r in rows if int(r["rank"]) <= n_england / 10) / len(rows),
        "extent": sum(int(r["population"]) for r in rows if int(r["rank"]) <= 0.3 * n_england)
        / pop,
        "local": sum(int(r["rank"]) for r in most_deprived_tenth) / len(most_deprived_tenth),
    }


def _ranks(values: dict[str, float], most_deprived_high: bool) -> dict[str, int]:
    """Ranks spread over England's 317 districts, in the sample districts' order."""
    ordered = sorted(values.values(), reverse=most_deprived_high)
    step = DISTRICTS_IN_ENGLAND / len(values)
    return {code: round((ordered.index(v) + 0.5) * step) for code, v in values.items()}


def _write_file_10(folder: Path, districts: list[Area], per_area: dict, n_england: int) -> Path:
    from openpyxl import Workbook

    summary = {a.code: _district_summary(per_area[a.code], n_england) for a in districts}
    ranks = {
        key: _ranks({c: s[key] for c, s in summary.items()}, high)
        for key, high in (
            ("average_rank", False),
            ("average_score", True),
            ("share", True),
            ("extent", True),
            ("local", False),
        )
    }
    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["English Indices of Deprivation 2019: Local Authority District Summaries"])
    notes.append([SAMPLE_NOTE + " — generated by pm_pipeline, not published by MHCLG"])
    ws = book.create_sheet("IMD")
    ws.append(
        [
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
            "IMD 2019 - Local concentration ",
            "IMD 2019 - Rank of local concentration ",
        ]
    )
    for area in districts:
        s, c = summary[area.code], area.code
        ws.append(
            [
                c,
                area.name,
                round(s["average_rank"], 3),
                ranks["average_rank"][c],
                round(s["average_score"], 3),
                ranks["average_score"][c],
                round(s["share"], 4),
                ranks["share"][c],
                round(s["extent"], 4),
                ranks["extent"][c],
                round(s["local"], 3),
                ranks["local"][c],
            ]
        )
    ws2 = book.create_sheet("Income")
    ws2.append(
        [
            "Local Authority District code (2019)",
            "Local Authority District name (2019)",
            "Income - Average rank ",
        ]
    )
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    name = "File_10_IoD2019_Local_Authority_District_Summaries_lower-tier_sample.xlsx"
    return write_atomic(folder / name, buffer.getvalue())


README = """# Reference files for the State of the District — SAMPLE

Every file here is SAMPLE DATA: synthetic values written by
`python -m pm_pipeline.sample.reference data/` in the layouts the publishers issue. The
sample council (E07000999, "Sample District") is fictional; its comparators are real East
Midlands districts but none of the figures are theirs. Replace these files with the real
downloads (see the README section "Refreshing the State of the District reference files").

- `census2021/`: Census 2021 bulk CSVs (TS001, TS007A, TS008, TS037, TS054, TS066, TS067) for
  districts (ltla), the region (rgn) and England (ctry).
- `deprivation/`: English Indices of Deprivation 2019 (File 7 LSOA CSV, File 10 district
  summaries) and 2025 (File 7 LSOA CSV).
- `population/`: ONS mid-year estimates workbooks (sheet `MYE2 - Persons`), mid-2022 to mid-2025.
- `nomis/`: Annual Population Survey employment rate (NM_17_5) and UK Business Counts
  enterprises (NM_142_1).
"""


def write_sample(data_dir: Path) -> list[Path]:
    """Every sample reference file under `data_dir/reference/`; returns the paths written."""
    root = data_dir / "reference"
    all_areas = areas()
    written = [write_atomic(root / "README.md", README)]
    written += write_census(root / "census2021", all_areas)
    written += write_deprivation(root / "deprivation", all_areas)
    written += write_population(root / "population", all_areas)
    written.append(write_aps(root / "nomis", all_areas))
    written.append(write_business(root / "nomis", all_areas))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the data directory (reference/ is written)")
    args = parser.parse_args(argv)
    paths = write_sample(args.data_dir)
    print(f"Wrote {len(paths)} sample reference files under {args.data_dir / 'reference'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
