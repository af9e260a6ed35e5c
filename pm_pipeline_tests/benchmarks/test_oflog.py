"""Oflog metric files: both layouts, and a clear error (file, row, column) for each problem."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pm_pipeline.defs.benchmarks.oflog import (
    MetricInfo,
    OflogError,
    apply_register,
    parse_file,
    read_oflog_folder,
)

PROTOTYPE_HEADER = (
    "Financial year,Local authority code,Local authority name,Grouping,Entity_Name,Region,"
    "Measure,Code,Value,MEDIAN,MADs_from_median,rank_order"
)


def prototype(*rows: str, header: str = PROTOTYPE_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def proto_row(year="2016-17", code="E06000005", name="Darlington", value="7.6", metric="ASC1"):
    return (
        f'{year},{code},{name},LA_Raw,Unitary Authorities,North East,"Outcome, ASC Carer '
        f'Quality of Life",{metric},{value},7.5,0.2,40'
    )


LONG_HEADER = (
    "metric_id,metric_name,area_code,area_name,period_label,period_start,period_end,value,"
    "unit,polarity"
)


def long(*rows: str) -> bytes:
    return ("\n".join([LONG_HEADER, *rows]) + "\n").encode()


def test_prototype_layout_as_published():
    frame = parse_file(prototype(proto_row(), proto_row(code="E07000171", value="")), "a.csv")
    first = frame.iloc[0]
    assert first["source"] == "oflog" and first["metric_id"] == "ASC1"
    assert first["metric_name"] == "Outcome, ASC Carer Quality of Life"
    assert first["period_label"] == "2016/17"
    assert first["period_start"] == date(2016, 4, 1) and first["period_end"] == date(2017, 3, 31)
    assert first["value"] == 7.6
    assert pd.isna(frame.iloc[1]["value"])  # an empty Value is missing, never zero


def test_headers_with_trailing_spaces_newlines_and_odd_case():
    header = PROTOTYPE_HEADER.replace("Value", "Value ").replace(
        "Local authority code", '"Local authority\ncode"'
    )
    frame = parse_file(prototype(proto_row(), header=header.upper()), "a.csv")
    assert frame.iloc[0]["area_code"] == "E06000005" and frame.iloc[0]["value"] == 7.6


def test_long_layout_with_and_without_dates():
    frame = parse_file(
        long(
            "WM1,Recycling,E07000171,Bassetlaw,2023-24,,,41.2,percent,higher_is_better",
            "WM1,Recycling,E07000171,Bassetlaw,Q1 2024,2024-04-01,2024-06-30,40.1,,",
        ),
        "b.csv",
    )
    assert list(frame["period_label"]) == ["2023/24", "Q1 2024"]
    assert frame.iloc[1]["period_end"] == date(2024, 6, 30)
    assert frame.iloc[0]["unit"] == "percent" and pd.isna(frame.iloc[1]["unit"])


def test_thousands_separators_are_numbers():
    assert parse_file(prototype(proto_row(value='"1,234.5"')), "a.csv").iloc[0]["value"] == 1234.5


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            prototype(proto_row(), header=PROTOTYPE_HEADER.replace(",Value,", ",Amount,")),
            "oflog/x.csv, row 1: missing column(s) Value — the Oflog prototype layout needs",
        ),
        (
            long("WM1,Recycling,E07000171,Bassetlaw,2023-24,,,41.2,,").replace(b"area_name,", b""),
            "oflog/x.csv, row 1: missing column(s) area_name",
        ),
        (b"a,b\n1,2\n", "oflog/x.csv, row 1: not an Oflog metric file"),
        (
            prototype(proto_row(code="E6000005")),
            "oflog/x.csv, row 2, column Local authority code: 'E6000005' is not a GSS area code",
        ),
        (
            prototype(proto_row(code="E05000001")),
            "oflog/x.csv, row 2, column Local authority code: 'E05000001' is not a council, "
            "region or country code",
        ),
        (
            prototype(proto_row(value="n/a")),
            "oflog/x.csv, row 2, column Value: 'n/a' is not a number",
        ),
        (
            prototype(proto_row(year="2016-18")),
            "oflog/x.csv, row 2, column Financial year: '2016-18' is not a financial year",
        ),
        (
            prototype(proto_row(metric="")),
            "oflog/x.csv, row 2, column Code: empty",
        ),
        (
            long("WM1,Recycling,E07000171,Bassetlaw,Q1 2024,,,40.1,,"),
            "oflog/x.csv, row 2, column period_start: give period_start and period_end",
        ),
        (
            long("WM1,Recycling,E07000171,Bassetlaw,2023-24,,,4O.1,,"),
            "oflog/x.csv, row 2, column value: '4O.1' is not a number",
        ),
        (
            long("WM1,Recycling,E07000171,Bassetlaw,2023-24,,,40.1,pct,"),
            "oflog/x.csv, row 2, column unit: 'pct' is not one of",
        ),
        (b"", "oflog/x.csv is empty"),
    ],
)
def test_each_problem_names_file_row_and_column(data, says):
    with pytest.raises(OflogError) as caught:
        parse_file(data, "oflog/x.csv")
    assert any(p.startswith(says) for p in caught.value.problems), caught.value.problems


def test_every_bad_row_is_listed_not_just_the_first():
    with pytest.raises(OflogError) as caught:
        parse_file(prototype(proto_row(value="x"), proto_row(), proto_row(code="bad")), "x.csv")
    assert [p.split(",")[1].strip() for p in caught.value.problems] == ["row 2", "row 4"]


def test_unit_and_polarity_come_from_the_register_pi():
    frame = parse_file(prototype(proto_row()), "a.csv")
    filled = apply_register(frame, {"ASC1": MetricInfo("score", "higher_is_better")})
    assert filled.iloc[0]["unit"] == "score" and filled.iloc[0]["polarity"] == "higher_is_better"


def test_a_bad_file_is_refused_whole_and_the_others_are_read(tmp_path: Path):
    (tmp_path / "good.csv").write_bytes(prototype(proto_row()))
    (tmp_path / "bad.csv").write_bytes(prototype(proto_row(), proto_row(value="?")))
    (tmp_path / "notes.txt").write_text("read me")
    (tmp_path / ".good.csv.123.tmp").write_text("half written")
    read = read_oflog_folder(tmp_path, {})
    assert list(read.files["file"]) == ["good.csv"] and len(read.frame) == 1
    assert read.refused == ["bad.csv"] and read.ignored == ["notes.txt"]
    assert read.problems == [
        "oflog/bad.csv, row 3, column Value: '?' is not a number — give a number, or leave the "
        "cell empty when the value is missing"
    ]


def test_no_folder_is_no_rows(tmp_path: Path):
    read = read_oflog_folder(tmp_path / "absent", {})
    assert read.frame.empty and read.problems == []


def test_the_sample_files_read_cleanly(data_dir: Path, register):
    read = read_oflog_folder(data_dir / "benchmarks" / "oflog", {})
    assert read.problems == []
    assert sorted(read.frame["metric_id"].unique()) == ["FN1", "PL1", "PL2", "WM1", "WM2"]
    assert set(read.frame["period_label"]) == {
        f"{y}/{(y + 1) % 100:02d}" for y in range(2016, 2024)
    }
    assert read.frame["area_code"].nunique() == 18
    assert read.frame["value"].isna().sum() == 2


def test_an_excel_workbook_in_the_long_layout(tmp_path: Path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Oflog metrics (sample)"])
    sheet.append(LONG_HEADER.split(","))
    sheet.append(
        [
            "WM1",
            "Recycling",
            "E07000171",
            "Bassetlaw",
            "Q1 2024",
            datetime(2024, 4, 1),
            datetime(2024, 6, 30),
            40.1,
            "percent",
            "",
        ]
    )
    path = tmp_path / "metrics.xlsx"
    book.save(path)
    frame = parse_file(path.read_bytes(), "metrics.xlsx")
    assert frame.iloc[0]["period_start"] == date(2024, 4, 1) and frame.iloc[0]["value"] == 40.1
