"""Each publisher's layout is read as published, and a changed layout says what changed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pm_pipeline.defs.district.layout import LayoutError
from pm_pipeline.defs.district.reference import read_reference_dir
from pm_pipeline_tests.council import write_csv

from .files import (
    FILE_10_HEADER,
    LSOA_2019_HEADER,
    TENURE_HEADER,
    aps_csv,
    business_csv,
    census_csv,
    file_10,
    lsoa_2025_workbook,
    mye_workbook,
    tenure_values,
)


@pytest.fixture
def ref(data_dir: Path) -> Path:
    folder = data_dir / "reference"
    folder.mkdir()
    return folder


def figures(ref: Path, **where: str) -> dict[tuple[str, str], float]:
    """(area_code, category) -> value of the rows matching `where`."""
    context = read_reference_dir(ref).context
    for column, value in where.items():
        context = context[context[column] == value]
    return {(r.area_code, r.category): r.value for r in context.itertuples()}


def test_census_tenure_sums_parents_not_children(ref: Path) -> None:
    census_csv(
        ref / "census2021-ts054-ltla.csv",
        TENURE_HEADER,
        [
            ("E07000999", "Testshire", tenure_values(40_000, 26_000, 400, 6_000, 7_400, 200)),
        ],
    )
    found = figures(ref, dataset="TS054")
    assert found == {
        ("E07000999", "Total"): 40_000,
        ("E07000999", "Owned"): 26_000,
        ("E07000999", "Shared ownership"): 400,
        ("E07000999", "Social rented"): 6_000,
        ("E07000999", "Private rented"): 7_400,
        ("E07000999", "Lives rent free"): 200,
    }
    row = read_reference_dir(ref).context.iloc[0]
    assert (row["source"], row["period"], row["unit"]) == ("ONS Census 2021", "2021", "count")
    assert row["period_end"] == date(2021, 3, 21)


def test_census_headers_with_measures_suffix_and_no_space_after_colon(ref: Path) -> None:
    ea = "Economic activity status"
    ex = f"{ea}: Economically active (excluding full-time students)"
    st = f"{ea}: Economically active and a full-time student"
    inactive = f"{ea}: Economically inactive"
    header = [
        f"{ea}: Total: All usual residents aged 16 years and over",
        ex,
        f"{ex}:In employment",
        f"{ex}: Unemployed",
        st,
        f"{st}:In employment",
        f"{st}: Unemployed",
        inactive,
        f"{inactive}: Retired",
        f"{inactive}: Student",
        f"{inactive}: Looking after home or family",
        f"{inactive}: Long-term sick or disabled",
        f"{inactive}: Other",
    ]
    census_csv(
        ref / "census2021-ts066-ltla.csv",
        [f"{h}; measures: Value" for h in header],
        [
            ("E07000999", "Testshire", [1000, 600, 570, 30, 40, 35, 5, 360, 200, 50, 50, 40, 20]),
        ],
    )
    found = figures(ref, dataset="TS066")
    assert found[("E07000999", "In employment")] == 570
    assert found[("E07000999", "Full-time student unemployed")] == 5
    assert found[("E07000999", "Long-term sick or disabled")] == 40
    assert ("E07000999", "Economically inactive") not in found  # a parent, not added as well


def test_census_qualifications_accepts_the_or_above_spelling(ref: Path) -> None:
    q = "Highest level of qualification"
    header = [
        f"{q}: Total: All usual residents aged 16 years and over",
        f"{q}: No qualifications",
        f"{q}: Level 1 and entry level qualifications",
        f"{q}: Level 2 qualifications",
        f"{q}: Apprenticeship",
        f"{q}: Level 3 qualifications",
        f"{q}: Level 4 qualifications or above",
        f"{q}: Other qualifications",
    ]
    census_csv(
        ref / "census2021-ts067-rgn.csv",
        header,
        [
            ("E12000004", "East Midlands", [1000, 200, 100, 150, 50, 170, 300, 30]),
        ],
    )
    assert figures(ref)[("E12000004", "Level 4 qualifications and above")] == 300


def test_census_renamed_column_names_file_column_and_nearest_heading(ref: Path) -> None:
    header = [h.replace("Social rented", "Social rent") for h in TENURE_HEADER]
    census_csv(
        ref / "census2021-ts054-ltla.csv",
        header,
        [
            ("E07000999", "Testshire", tenure_values(40_000, 26_000, 400, 6_000, 7_400, 200)),
        ],
    )
    with pytest.raises(LayoutError) as caught:
        read_reference_dir(ref)
    message = caught.value.message
    assert message.startswith(
        "census2021-ts054-ltla.csv, header row 1: the column "
        "'Tenure of household: Social rented' (Census 2021 TS054) is missing"
    )
    assert "the nearest heading in the file is 'tenure of household: social rent'" in message
    assert "has the publisher renamed it?" in message


def test_census_categories_that_no_longer_add_up_are_refused(ref: Path) -> None:
    values = tenure_values(40_000, 26_000, 400, 6_000, 7_400, 200)
    values[0] = 41_000  # a new category the parser does not know about holds 1,000 households
    census_csv(
        ref / "census2021-ts054-ltla.csv",
        TENURE_HEADER,
        [
            ("E07000999", "Testshire", values),
        ],
    )
    with pytest.raises(LayoutError) as caught:
        read_reference_dir(ref)
    assert caught.value.message.startswith(
        "census2021-ts054-ltla.csv, row 2 (E07000999): the TS054 categories add up to 40,000 but "
        "the total column says 41,000."
    )
    assert caught.value.row == 2


def test_census_table_not_used_and_misnamed_file(ref: Path) -> None:
    census_csv(
        ref / "census2021-ts021-ltla.csv",
        ["Ethnic group: Total: All usual residents"],
        [("E07000999", "Testshire", [5])],
    )
    with pytest.raises(LayoutError, match=r"about 'ethnic group', which the State of the District"):
        read_reference_dir(ref)
    (ref / "census2021-ts021-ltla.csv").unlink()
    census_csv(
        ref / "census2021-ts037-ltla.csv",
        TENURE_HEADER,
        [("E07000999", "Testshire", tenure_values(10, 6, 1, 1, 1, 1))],
    )
    with pytest.raises(LayoutError, match=r"the file name says TS037 but its columns are TS054"):
        read_reference_dir(ref)


def test_nomis_employment_rate_measures_and_missing_value(ref: Path) -> None:
    aps_csv(
        ref / "NM_17_5.data.csv",
        [
            ("2026-06", "Jul 2025-Jun 2026", "E07000999", "Testshire", 20599, 73.4),
            ("2026-06", "Jul 2025-Jun 2026", "E07000999", "Testshire", 21001, 45_100),
            ("2026-06", "Jul 2025-Jun 2026", "E07000999", "Testshire", 21002, 61_400),
            ("2026-06", "Jul 2025-Jun 2026", "E07000999", "Testshire", 21003, 3.6),
            ("2026-06", "Jul 2025-Jun 2026", "E07000172", "Broxtowe", 20599, None),
        ],
    )
    context = read_reference_dir(ref).context
    rate = context[context["measure"] == "employment_rate"].set_index("area_code")
    assert rate.loc["E07000999", "value"] == 73.4
    assert rate.loc["E07000999", "period"] == "Jul 2025-Jun 2026"
    assert rate.loc["E07000999", "period_start"] == date(2025, 7, 1)
    assert rate.loc["E07000999", "period_end"] == date(2026, 6, 30)
    assert rate.loc["E07000999", "available_from"] == date(2026, 10, 14)
    assert rate.loc["E07000172", "value"] != rate.loc["E07000172", "value"]  # NaN: no estimate
    assert rate.loc["E07000172", "note"] == "Nomis status Q These figures are missing."
    assert set(context["measure"]) == {
        "employment_rate",
        "employment_rate_numerator",
        "employment_rate_denominator",
        "employment_rate_confidence",
    }


def test_nomis_unknown_measure_and_unnamed_dataset(ref: Path) -> None:
    aps_csv(
        ref / "NM_17_5.data.csv",
        [("2026-06", "Jul 2025-Jun 2026", "E07000999", "Testshire", 20100, 5)],
    )
    with pytest.raises(LayoutError, match=r"row 2, column 'MEASURES': measure 20100 is not one"):
        read_reference_dir(ref)
    (ref / "NM_17_5.data.csv").rename(ref / "employment.csv")
    with pytest.raises(
        LayoutError, match=r"employment.csv: a Nomis CSV, but its name does not say"
    ):
        read_reference_dir(ref)


def test_nomis_business_counts_bands_and_one_industry(ref: Path) -> None:
    rows = [
        (2026, "E07000999", "Testshire", band, value)
        for band, value in (
            ("Total", 3_600),
            ("Micro (0 to 9)", 3_200),
            ("Small (10 to 49)", 320),
            ("Medium-sized (50 to 249)", 65),
            ("Large (250+)", 15),
        )
    ]
    business_csv(ref / "NM_142_1.data.csv", rows)
    found = figures(ref, dataset="NM_142_1")
    assert found[("E07000999", "Total")] == 3_600
    assert found[("E07000999", "Micro (0 to 9)")] == 3_200
    business_csv(
        ref / "NM_142_1.data.csv",
        rows,
        industries=[(37748736, "Total"), (150994945, "A : Agriculture")],
    )
    with pytest.raises(LayoutError, match=r"column 'INDUSTRY': 2 different values"):
        read_reference_dir(ref)


def test_mid_year_estimates_header_found_below_title_rows(ref: Path) -> None:
    areas = [("E07000999", "Testshire", {5: 20_000, 40: 60_500, 70: 20_000, 90: 500})]
    mye_workbook(ref / "ukpopestimatesmid2025.xlsx", 2025, areas, title_rows=6)
    found = figures(ref, dataset="MYE2")
    assert found == {
        ("E07000999", "Total"): 101_000,
        ("E07000999", "Aged 0 to 15"): 20_000,
        ("E07000999", "Aged 16 to 64"): 60_500,
        ("E07000999", "Aged 65 and over"): 20_500,
    }
    row = read_reference_dir(ref).context.iloc[0]
    assert (row["period"], row["period_end"], row["available_from"]) == (
        "mid-2025",
        date(2025, 6, 30),
        date(2026, 7, 31),
    )


def test_mid_year_estimates_changed_layout(ref: Path) -> None:
    areas = [("E07000999", "Testshire", {40: 100})]
    header = ["Code", "Name", "Geography", "All ages (persons)", *range(90), "90+"]
    mye_workbook(ref / "mye-mid-2025.xlsx", 2025, areas, header=header)
    with pytest.raises(LayoutError) as caught:
        read_reference_dir(ref)
    assert caught.value.message.startswith(
        "mye-mid-2025.xlsx, header row 4: the column 'All ages' (sheet MYE2 - Persons) is missing; "
        "the nearest heading in the file is 'all ages (persons)' — has the publisher renamed it?"
    )
    header = ["Code", "Name", "Geography", "All ages", *range(90), "90 and over"]
    mye_workbook(ref / "mye-mid-2025.xlsx", 2025, areas, header=header)
    with pytest.raises(
        LayoutError,
        match=r"the column '90\+' \(sheet MYE2 - Persons\) is missing; "
        r"no heading in the file is like it\.",
    ):
        read_reference_dir(ref)
    mye_workbook(ref / "mye-mid-2025.xlsx", None, areas)
    (ref / "mye-mid-2025.xlsx").rename(ref / "population.xlsx")
    with pytest.raises(LayoutError, match=r"cannot tell which year the estimates are for"):
        read_reference_dir(ref)


def test_iod_2019_district_summary_as_published(ref: Path) -> None:
    file_10(
        ref / "File_10_IoD2019_Local_Authority_District_Summaries.xlsx",
        [
            ["E07000999", "Testshire", 15000.5, 120, 22.5, 80, 0.05, 90, 0.2, 100],
        ],
    )
    context = read_reference_dir(ref).context.set_index("measure")
    assert context.loc["share_of_lsoas_in_most_deprived_decile", "value"] == pytest.approx(5.0)
    assert context.loc["rank_of_average_score", "value"] == 80
    assert context.loc["average_score", "value"] == 22.5
    assert context.loc["districts_ranked", "value"] == 317
    assert context.loc["average_score", "available_from"] == date(2019, 9, 26)


def test_iod_summary_missing_column_and_rescaled_proportion(ref: Path) -> None:
    path = ref / "File_10_IoD2019_Local_Authority_District_Summaries.xlsx"
    header = [h for h in FILE_10_HEADER if not h.startswith("IMD - Average score")]
    file_10(path, [["E07000999", "Testshire", 15000.5, 120, 80, 0.05, 90, 0.2, 100]], header)
    with pytest.raises(LayoutError, match=r"the column 'IMD - Average score' \(IoD2019 File 10\)"):
        read_reference_dir(ref)
    file_10(path, [["E07000999", "Testshire", 15000.5, 120, 22.5, 80, 5.0, 90, 0.2, 100]])
    with pytest.raises(LayoutError, match=r"5 is not a proportion from 0 to 1 as MHCLG publishes"):
        read_reference_dir(ref)


def test_iod_lsoa_file_gives_district_measures_weighted_by_population(ref: Path) -> None:
    rows = [
        ["E01000001", "Testshire 001A", "E07000999", "Testshire", 50.0, 1000, 1, 1000],
        ["E01000002", "Testshire 001B", "E07000999", "Testshire", 10.0, 20000, 7, 3000],
        ["E01000003", "Otherton 001A", "E07000170", "Ashfield", 30.0, 5000, 2, 2000],
    ]
    write_csv(ref / "File_7_IoD2019_All_Ranks.csv", LSOA_2019_HEADER, rows)
    read = read_reference_dir(ref)
    assert len(read.lsoas) == 3
    mine = read.context[read.context["area_code"] == "E07000999"].set_index("measure")
    assert mine.loc["share_of_lsoas_in_most_deprived_decile", "value"] == 50.0
    assert mine.loc["average_score", "value"] == pytest.approx((50 * 1000 + 10 * 3000) / 4000)
    assert mine.loc["average_rank", "note"] == "population-weighted mean of LSOA ranks"
    assert mine.loc["rank_of_average_score", "value"] == 2  # 20.0 against Ashfield's 30.0
    assert mine.loc["districts_ranked", "value"] == 2


def test_iod_2025_lsoa_workbook_without_scores(ref: Path) -> None:
    lsoa_2025_workbook(
        ref / "File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx",
        [
            ["E01100001", "Testshire 001A", "E07000999", "Testshire", 500, 1],
            ["E01100002", "Testshire 001B", "E07000999", "Testshire", 30000, 9],
        ],
    )
    context = read_reference_dir(ref).context.set_index("measure")
    assert set(context["period"]) == {"IoD2025"}
    assert context.loc["average_rank", "value"] == 15250
    assert context.loc["average_rank", "note"] == (
        "unweighted (no population column) mean of LSOA ranks"
    )
    assert "average_score" not in context.index


def test_published_summary_preferred_to_figures_computed_from_lsoas(ref: Path) -> None:
    write_csv(
        ref / "File_7_IoD2019_All_Ranks.csv",
        LSOA_2019_HEADER,
        [["E01000001", "Testshire 001A", "E07000999", "Testshire", 50.0, 1000, 1, 1000]],
    )
    file_10(
        ref / "File_10_IoD2019_Summaries.xlsx",
        [["E07000999", "Testshire", 15000.5, 120, 22.5, 80, 0.05, 90, 0.2, 100]],
    )
    context = read_reference_dir(ref).context
    decile = context[context["measure"] == "share_of_lsoas_in_most_deprived_decile"]
    assert list(decile["value"]) == pytest.approx([5.0])
    assert list(decile["source_file"]) == ["File_10_IoD2019_Summaries.xlsx"]


def test_unknown_file_and_duplicate_figures_stop_the_run(ref: Path) -> None:
    (ref / "README.md").write_text("notes are ignored")
    write_csv(ref / "mystery.csv", ["Area", "Value"], [["E07000999", 1]])
    with pytest.raises(
        LayoutError,
        match=r"mystery.csv: not a reference file this pipeline "
        r"recognises \(its first columns: area, value\)",
    ):
        read_reference_dir(ref)
    (ref / "mystery.csv").unlink()
    for name in ("census2021-ts054-ltla.csv", "copy/census2021-ts054-ltla.csv"):
        census_csv(
            ref / name,
            TENURE_HEADER,
            [("E07000999", "Testshire", tenure_values(10, 6, 1, 1, 1, 1))],
        )
    with pytest.raises(
        LayoutError,
        match=r"come from more than one file: census2021-ts054-ltla"
        r".csv; copy/census2021-ts054-ltla.csv",
    ):
        read_reference_dir(ref)


def test_old_xls_workbook_is_refused(ref: Path) -> None:
    (ref / "File_10_IoD2019.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    with pytest.raises(LayoutError, match=r"an old .xls workbook — open it in Excel and save it"):
        read_reference_dir(ref)
