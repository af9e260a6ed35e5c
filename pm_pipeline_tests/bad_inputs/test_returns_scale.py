"""Big files: a 200,000-row return read whole when the limit allows it, every row accounted
for; a file over the size or row limit refused before it is parsed, with a message saying
which limit and what to do; workbooks whose merges or widened rows declare far more cells
than they hold read in time proportional to the cells they hold. (Speed is measured by
bench/hostile_files.py and bench/scale.py, not asserted here: the hostile inputs are sized
so that the old quadratic code would take minutes.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from pm_pipeline.core.sheets import FileLimits
from pm_pipeline_tests.bad_inputs.support import (
    assert_rows_accounted,
    data_rows,
    read,
    row,
    says,
    with_cell_in_column,
    with_merges,
    workbook,
    write_bytes,
    write_rows,
)
from pm_pipeline_tests.council import RETURN_HEADER

ROWS = 200_000


def many_rows(count: int) -> list[list[object]]:
    ids, first = ("HS-01", "HS-02", "WR-01"), row()
    return [
        [ids[n % 3], first[1], f"{n % 97}.5", *first[3:6], f"Row {n} of a long file.", *first[7:]]
        for n in range(count)
    ]


def test_two_hundred_thousand_rows_with_a_few_bad_ones(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PM_MAX_FILE_ROWS", str(ROWS))
    monkeypatch.setenv("PM_MAX_FILE_MB", "50")
    rows = many_rows(ROWS)
    bad = {1_000: "NaN", 150_000: "#DIV/0!", ROWS - 1: "1e309"}
    for n, value in bad.items():
        rows[n][2] = value
    write_rows(data_dir, "everything.csv", rows)
    result = read(data_dir)
    assert len(result.candidates) == ROWS - len(bad)
    assert "column value: 'NaN' is not a number" in says(result, "everything.csv", 1_002, "value")
    assert_rows_accounted(result, {"everything.csv": data_rows(2, ROWS)})


def test_the_default_limits_refuse_that_file(data_dir: Path):
    assert FileLimits.from_env() == FileLimits(20 * 1024 * 1024, 100_000)
    write_rows(data_dir, "everything.csv", many_rows(ROWS))
    result = read(data_dir)
    message = says(result, "everything.csv")
    assert "has more than 100,000 data rows, the most a file may hold (PM_MAX_FILE_ROWS)" in (
        message
    )
    assert "none of its rows were taken" in message and result.candidates.empty
    assert_rows_accounted(result, {"everything.csv": data_rows(2, ROWS)})


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_over_the_row_limit_is_refused_and_one_at_it_read(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, kind: str
):
    monkeypatch.setenv("PM_MAX_FILE_ROWS", "3")
    rows = [row("HS-01"), row("HS-02"), row("WR-01")]
    for name, content in {"at.": rows, "over.": [*rows, row("HS-01")]}.items():
        if kind == "csv":
            write_rows(data_dir, name + kind, content)
        else:
            write_bytes(data_dir, name + kind, workbook({"Returns": [RETURN_HEADER, *content]}))
    result = read(data_dir)
    assert list(result.candidates["source_file"].unique()) == [f"2025-26-Q1/at.{kind}"]
    message = says(result, f"over.{kind}")
    assert "has more than 3 data rows, the most a file may hold (PM_MAX_FILE_ROWS)" in message
    assert "delete copied-down or pasted rows, or split the file" in message
    assert_rows_accounted(result, {f"at.{kind}": data_rows(2, 3), f"over.{kind}": [2, 3, 4, 5]})


def test_a_file_over_the_size_limit_is_refused_unread(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PM_MAX_FILE_MB", "0.01")  # 10,486 bytes
    write_rows(data_dir, "small.csv", [row("HS-01")])
    big = write_bytes(data_dir, "big.csv", b"\xff" * 20_000)  # never decoded, so never an error
    result = read(data_dir)
    assert list(result.candidates["source_file"]) == ["2025-26-Q1/small.csv"]
    message = says(result, "big.csv")
    assert message.startswith(
        f"{big.relative_to(data_dir / 'returns').as_posix()} is 0.02 MB, more than the 0.01 MB a "
        "file may be (PM_MAX_FILE_MB), so it was not read and none of its rows were taken"
    )
    assert_rows_accounted(result, {"small.csv": [2], "big.csv": [2]})


@pytest.mark.parametrize("value", ["0", "-1", "lots", "inf"])
def test_a_limit_that_is_not_a_positive_number_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str
):
    monkeypatch.setenv("PM_MAX_FILE_ROWS", value)
    with pytest.raises(ValueError, match=f"PM_MAX_FILE_ROWS='{value}' is not a positive number"):
        FileLimits.from_env()


def tall_merges(count: int, rows: int) -> bytes:
    """A sheet of three returns whose period column is in `count` overlapping merges, each
    declared down `rows` rows or more (the old code walked every declared row of each, and
    named each cell once per merge: 5,000 x 100,000 took 32 s and gave 10,001 messages)."""
    three = workbook({"Returns": [RETURN_HEADER, row("HS-01"), row("HS-02"), row("WR-01")]})
    return with_merges(three, [f"B{2 + n % 3}:B{rows + n}" for n in range(count)])


def test_thousands_of_tall_merges_name_each_merged_cell_once(data_dir: Path):
    write_bytes(data_dir, "merged.xlsx", tall_merges(20_000, 100_000))
    write_bytes(data_dir, "clean.xlsx", tall_merges(0, 0))
    result = read(data_dir)
    merged = [i for i in result.issues if i.source_file.endswith("merged.xlsx")]
    assert [i.source_row for i in merged] == [2, 3, 4]  # one message a cell, not one a merge
    assert "is in the merged cells B2:B100000, which Excel shows as one value" in says(
        result, "merged.xlsx", 3, "period"
    )
    assert list(result.candidates["source_file"]) == ["2025-26-Q1/clean.xlsx"] * 3
    assert_rows_accounted(result, {"merged.xlsx": [2, 3, 4], "clean.xlsx": [2, 3, 4]})


def widened(rows: int, column: str) -> bytes:
    """Returns whose every row ends in an empty formatted cell in `column` (at XFD the old
    reader made each row 16,384 cells: 19 s and 509 MiB for 2,000 rows), one row hidden and the
    status column merged down the rest."""
    content = [row(("HS-01", "HS-02", "WR-01")[n % 3]) for n in range(rows)]

    def shape(book: Workbook) -> None:
        book.active.row_dimensions[3].hidden = True
        book.active.merge_cells(f"F4:F{rows + 1}")

    data = workbook({"Returns": [RETURN_HEADER, *content]}, shape)
    return with_cell_in_column(data, column)


@pytest.mark.parametrize("column", ["K", "XFD"])
def test_rows_widened_to_the_last_column_read_as_the_cells_they_hold(data_dir: Path, column: str):
    write_bytes(data_dir, "wide.xlsx", widened(5_000, column))
    result = read(data_dir)
    assert list(result.candidates["source_row"]) == [2]  # 3 hidden, 4 to 5,001 merged
    assert "is hidden in Excel" in says(result, "wide.xlsx", 3)
    assert "is in the merged cells F4:F5001" in says(result, "wide.xlsx", 5_001, "status")
    assert_rows_accounted(result, {"wide.xlsx": data_rows(2, 5_000)})
