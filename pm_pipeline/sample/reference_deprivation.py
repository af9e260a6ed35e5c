"""Sample Indices of Deprivation files: File 7 (LSOAs) for 2019 and 2025 and File 10
(district summaries)."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from pm_pipeline.core.files import write_atomic
from pm_pipeline.sample.reference_areas import (
    DISTRICTS_IN_ENGLAND,
    FIXED_TIME,
    LSOAS_IN_ENGLAND,
    SAMPLE_NOTE,
    Area,
    csv_text,
    seeded_rng,
)


def lsoa_rows(area: Area, edition: str) -> list[dict[str, Any]]:
    """Synthetic neighbourhoods: national rank, decile, score and population."""
    rng = seeded_rng("iod", edition, area.code)
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
                    1, min(n_england, rank + seeded_rng("inc", area.code, rank).randint(-900, 900))
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
        written.append(write_atomic(folder / name, csv_text(header, rows)))
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
