"""Sample Census 2021 bulk CSVs and ONS mid-year population estimates workbooks."""

from __future__ import annotations

import io
import random
from pathlib import Path

from pm_pipeline.core.files import write_atomic
from pm_pipeline.defs.district import census
from pm_pipeline.sample import catalogue as cat
from pm_pipeline.sample.reference_areas import (
    FIXED_TIME,
    MYE_YEARS,
    SAMPLE_NOTE,
    Area,
    age_weights,
    csv_text,
    jitter,
    seeded_rng,
    split,
    with_suffix,
)


def census_rows(area: Area) -> dict[str, tuple[list[str], list[int]]]:
    """Each table's category headings (as ONS publishes them) and this area's counts."""
    rng = seeded_rng("census", area.code)
    p = area.population
    out: dict[str, tuple[list[str], list[int]]] = {}
    household, communal = split(p, [100 - (c := rng.uniform(1.0, 2.4)), c])
    out["TS001"] = (
        with_suffix(
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
        with_suffix(["Sex: All persons", "Sex: Female", "Sex: Male"], True),
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
    quals = split(adults, jitter(rng, [21.0 / lift, 9.9, 13.5, 5.6, 17.0, 29.5 * lift, 2.8], 0.05))
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
        jitter(rng, [56.5 * w, 3.3 / w, 2.2, 0.7, 23.5, 4.4, 4.7, 4.2 / w, 2.8], 0.04),
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
            written.append(write_atomic(path, csv_text(header, rows)))
    return written


def population_by_age(area: Area, year: int) -> list[int]:
    """Single years 0..89 and 90+, grown from the census age profile."""
    rng = seeded_rng("mye", area.code)
    growth = rng.uniform(0.002, 0.011) * (1.4 if area.code == cat.AREA_CODE else 1.0)
    total = round(area.population * (1 + growth) ** (year - 2021 + 0.27))
    bands = age_weights(area, seeded_rng("census", area.code))
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
