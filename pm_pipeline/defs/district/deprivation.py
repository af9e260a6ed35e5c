"""The English Indices of Deprivation (MHCLG): neighbourhood (LSOA) files and district summaries.

- LSOA files: IoD2019 File 7 (CSV, 2011 LSOAs), IoD2025 File 7 (CSV, 2021 LSOAs) or File 1
  (workbook, sheet `IMD25`/`IMD2019`): `LSOA code (yyyy)`, `LSOA name (yyyy)`, `Local Authority
  District code (yyyy)`, `... name (yyyy)`, the IMD rank and decile and, in File 7, the score
  and the population denominator.
- District summaries: IoD2019 File 10, sheet `IMD` (`IMD - Average rank `, `IMD - Rank of
  average score `, `IMD - Proportion of LSOAs in most deprived 10% nationally `, ... published
  with trailing spaces).

Where an edition has a published district summary its figures are used as published. Where it
does not (the 2025 summary layout is unconfirmed), the district figures are computed from the
LSOA rows the way MHCLG defines them: the share of the district's LSOAs in England's most
deprived decile, and population-weighted average score and rank (unweighted, and said so,
when the file has no population column); a district's rank is then among the districts in
the file, which is all of England for the full file.
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

SOURCE = "MHCLG English Indices of Deprivation"
DATASET = "IoD"
EDITIONS = {"IoD2019": date(2019, 9, 26), "IoD2025": date(2025, 10, 30)}  # publication dates
DISTRICTS_RANKED = {"IoD2019": 317}  # lower-tier districts in England in the published summary
EDITION_BY_LSOA_YEAR = {2011: "IoD2019", 2021: "IoD2025"}
EDITION_BY_DISTRICT_YEAR = {2019: "IoD2019", 2024: "IoD2025"}
_LSOA_CODE = re.compile(r"^lsoa code \((\d{4})\)$")
_DISTRICT_CODE = re.compile(r"^local authority district code \((\d{4})\)$")
_EDITION_IN_NAME = re.compile(r"iod[_ -]?(\d{4})", re.IGNORECASE)
IMD = "index of multiple deprivation (imd)"
SCORE = f"{IMD} score"
SUMMARY_MEASURES = {
    "average_rank": ("IMD - Average rank", "rank"),
    "rank_of_average_rank": ("IMD - Rank of average rank", "rank"),
    "average_score": ("IMD - Average score", "score"),
    "rank_of_average_score": ("IMD - Rank of average score", "rank"),
    "share_of_lsoas_in_most_deprived_decile": (
        "IMD - Proportion of LSOAs in most deprived 10% nationally",
        "percent",
    ),
    "rank_of_share_of_lsoas_in_most_deprived_decile": (
        "IMD - Rank of proportion of LSOAs in most deprived 10% nationally",
        "rank",
    ),
}


def _vintage(header: list[str], pattern: re.Pattern) -> tuple[int, int] | None:
    for index, name in enumerate(header):
        m = pattern.match(header_key(name))
        if m:
            return index, int(m.group(1))
    return None


def is_lsoa_file(header: list[str]) -> bool:
    return _vintage(header, _LSOA_CODE) is not None


def is_summary_header(header: list[str]) -> bool:
    return _vintage(header, _DISTRICT_CODE) is not None


def edition_of(file: str, year: int, by_year: dict[int, str], what: str) -> str:
    """The edition the file name gives (IoD2025), which must agree with its geography's year."""
    from_columns = by_year.get(year)
    named = _EDITION_IN_NAME.search(file)
    from_name = f"IoD{named.group(1)}" if named else None
    edition = from_name or from_columns
    if edition is None or edition not in EDITIONS:
        raise LayoutError(
            f"{file}: cannot tell which edition of the Indices this is ({what} ({year})"
            f"{', name says ' + from_name if from_name else ''}); this pipeline knows "
            f"{', '.join(EDITIONS)}. Keep MHCLG's file name (e.g. File_7_IoD2025_...csv) or add "
            "the edition and its publication date to EDITIONS in pm_pipeline/district/deprivation.py"
        )
    if from_columns and from_name and from_columns != from_name:
        raise LayoutError(
            f"{file}: the name says {from_name} but its {what} ({year}) are those of "
            f"{from_columns} — was the file renamed?"
        )
    return edition


@dataclass
class LsoaFile:
    edition: str
    rows: pd.DataFrame  # the deprivation_lsoa columns
    weighted: bool
    has_score: bool


def parse_lsoas(sheet: Sheet, file: str) -> LsoaFile:
    """Every neighbourhood row: codes, IMD score (File 7), rank, decile and population."""
    lsoa_code = _vintage(sheet.header, _LSOA_CODE)
    assert lsoa_code is not None, "not an LSOA file (see is_lsoa_file)"
    code_index, lsoa_year = lsoa_code
    found = _vintage(sheet.header, _DISTRICT_CODE)
    if found is None:
        raise LayoutError(
            f"{file}, header row {sheet.header_row}: no 'Local Authority District code (yyyy)' "
            "column — the IoD LSOA files name each neighbourhood's district",
            row=sheet.header_row,
        )
    district_year = found[1]
    edition = edition_of(file, lsoa_year, EDITION_BY_LSOA_YEAR, "LSOA codes")
    wanted = {
        "lsoa_name": (f"LSOA name ({lsoa_year})",),
        "district_code": (f"Local Authority District code ({district_year})",),
        "district_name": (f"Local Authority District name ({district_year})",),
        "rank": ("Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",),
        "decile": (
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
        ),
    }
    columns = find_columns(sheet.header, wanted, file, sheet.header_row, f"{edition} LSOA file")
    keys = [header_key(h) for h in sheet.header]
    score = keys.index(SCORE) if SCORE in keys else None
    population = next(
        (i for i, k in enumerate(keys) if k.startswith("total population: mid")), None
    )
    rows, seen = [], dict[str, int]()
    for excel_row, cells in sheet.rows:
        lsoa = area_code(cells[code_index], file, excel_row, sheet.header[code_index])
        if lsoa in seen:
            raise LayoutError(
                f"{file}, row {excel_row}: LSOA {lsoa} appears again (first in row {seen[lsoa]})",
                row=excel_row,
            )
        seen[lsoa] = excel_row
        rank = number(cells[columns["rank"]], file, excel_row, sheet.header[columns["rank"]])
        decile = number(cells[columns["decile"]], file, excel_row, sheet.header[columns["decile"]])
        if rank < 1 or rank != int(rank) or decile not in range(1, 11):
            raise LayoutError(
                f"{file}, row {excel_row}: IMD rank {rank:g} and decile {decile:g} are not a rank "
                "(1 = most deprived) and a decile from 1 to 10 — have the columns moved?",
                row=excel_row,
            )
        rows.append(
            {
                "edition": edition,
                "lsoa_code": lsoa,
                "lsoa_name": clean_text(cells[columns["lsoa_name"]]),
                "area_code": area_code(
                    cells[columns["district_code"]],
                    file,
                    excel_row,
                    sheet.header[columns["district_code"]],
                ),
                "area_name": clean_text(cells[columns["district_name"]]),
                "imd_score": (
                    number(cells[score], file, excel_row, sheet.header[score])
                    if score is not None
                    else None
                ),
                "imd_rank": int(rank),
                "imd_decile": int(decile),
                "population": (
                    number(cells[population], file, excel_row, sheet.header[population])
                    if population is not None
                    else None
                ),
                "source_file": file,
            }
        )
    return LsoaFile(
        edition=edition,
        rows=pd.DataFrame(rows),
        weighted=population is not None,
        has_score=score is not None,
    )


def _row(
    edition: str,
    file: str,
    code: str,
    name: str,
    measure: str,
    value: float,
    unit: str,
    note: str | None = None,
) -> dict:
    published = EDITIONS[edition]
    return {
        "source": SOURCE,
        "dataset": DATASET,
        "measure": measure,
        "category": "Index of Multiple Deprivation",
        "area_code": code,
        "area_name": name,
        "period": edition,
        "period_start": published,
        "period_end": published,
        "available_from": published,
        "value": value,
        "unit": unit,
        "note": note,
        "source_file": file,
    }


def _rank(values: pd.Series, most_deprived_first: bool) -> pd.Series:
    return values.rank(method="min", ascending=not most_deprived_first).astype(int)


def district_measures(lsoas: LsoaFile, file: str) -> pd.DataFrame:
    """District figures computed from LSOA rows, for an edition with no published summary."""
    frame = lsoas.rows
    weight = frame["population"] if lsoas.weighted else pd.Series(1.0, index=frame.index)
    how = "population-weighted" if lsoas.weighted else "unweighted (no population column)"
    grouped = frame.assign(
        weight=weight,
        most=(frame["imd_decile"] == 1).astype(int),
        wrank=frame["imd_rank"] * weight,
        wscore=(frame["imd_score"] * weight) if lsoas.has_score else 0.0,
    ).groupby(["area_code", "area_name"], as_index=False)
    summary = grouped[["weight", "most", "wrank", "wscore"]].sum()
    summary["lsoas"] = grouped.size()["size"]
    summary["share"] = summary["most"] / summary["lsoas"] * 100
    summary["average_rank"] = summary["wrank"] / summary["weight"]
    summary["rank_of_average_rank"] = _rank(summary["average_rank"], most_deprived_first=False)
    summary["rank_of_share"] = _rank(summary["share"], most_deprived_first=True)
    if lsoas.has_score:
        summary["average_score"] = summary["wscore"] / summary["weight"]
        summary["rank_of_average_score"] = _rank(summary["average_score"], most_deprived_first=True)
    districts = len(summary)
    among = f"ranked among the {districts} districts in the file"
    rows = []
    for r in summary.to_dict("records"):
        e, code, name = lsoas.edition, r["area_code"], r["area_name"]
        rows += [
            _row(e, file, code, name, "lsoas", r["lsoas"], "count"),
            _row(e, file, code, name, "lsoas_in_most_deprived_decile", r["most"], "count"),
            _row(
                e,
                file,
                code,
                name,
                "share_of_lsoas_in_most_deprived_decile",
                r["share"],
                "percent",
                "computed from the LSOA deciles",
            ),
            _row(
                e,
                file,
                code,
                name,
                "average_rank",
                r["average_rank"],
                "rank",
                f"{how} mean of LSOA ranks",
            ),
            _row(
                e,
                file,
                code,
                name,
                "rank_of_average_rank",
                r["rank_of_average_rank"],
                "rank",
                among,
            ),
            _row(
                e,
                file,
                code,
                name,
                "rank_of_share_of_lsoas_in_most_deprived_decile",
                r["rank_of_share"],
                "rank",
                among,
            ),
            _row(e, file, code, name, "districts_ranked", districts, "count", among),
        ]
        if lsoas.has_score:
            rows += [
                _row(
                    e,
                    file,
                    code,
                    name,
                    "average_score",
                    r["average_score"],
                    "score",
                    f"{how} mean of LSOA scores",
                ),
                _row(
                    e,
                    file,
                    code,
                    name,
                    "rank_of_average_score",
                    r["rank_of_average_score"],
                    "rank",
                    among,
                ),
            ]
    return pd.DataFrame(rows)


def is_summary_sheet(header: list[str]) -> bool:
    return is_summary_header(header) and any(header_key(h).startswith("imd - ") for h in header)


def parse_summary(sheet: Sheet, file: str) -> pd.DataFrame:
    """File 10 sheet IMD: each district's published summary measures, proportions as percent."""
    district_code = _vintage(sheet.header, _DISTRICT_CODE)
    assert district_code is not None, "not a district summary (see is_summary_sheet)"
    _, district_year = district_code
    edition = edition_of(file, district_year, EDITION_BY_DISTRICT_YEAR, "district codes")
    wanted = {
        "code": (f"Local Authority District code ({district_year})",),
        "name": (f"Local Authority District name ({district_year})",),
        **{measure: (heading,) for measure, (heading, _) in SUMMARY_MEASURES.items()},
    }
    columns = find_columns(sheet.header, wanted, file, sheet.header_row, f"{edition} File 10")
    records = [(excel_row, cells) for excel_row, cells in sheet.rows if cells[columns["code"]]]
    rows = []
    for excel_row, cells in records:
        code = area_code(cells[columns["code"]], file, excel_row, sheet.header[columns["code"]])
        name = clean_text(cells[columns["name"]])
        for measure, (_, unit) in SUMMARY_MEASURES.items():
            heading = sheet.header[columns[measure]]
            value = number(cells[columns[measure]], file, excel_row, heading)
            if unit == "percent":
                if not 0 <= value <= 1:
                    raise LayoutError(
                        f"{file}, row {excel_row}, column '{heading}': {value:g} is not a "
                        "proportion from 0 to 1 as MHCLG publishes it — has the column changed?",
                        row=excel_row,
                        column=heading,
                    )
                value *= 100
            rows.append(_row(edition, file, code, name, measure, value, unit))
        rows.append(
            _row(
                edition,
                file,
                code,
                name,
                "districts_ranked",
                DISTRICTS_RANKED.get(edition, len(records)),
                "count",
                "districts in England",
            )
        )
    return pd.DataFrame(rows)
