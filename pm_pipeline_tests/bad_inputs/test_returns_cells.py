"""Cells that look like figures, ids, quarters or dates but are not, each named on its row."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pm_pipeline_tests.bad_inputs.support import (
    assert_rows_accounted,
    data_rows,
    read,
    row,
    says,
    write_rows,
)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("NaN", "'NaN' is not a number"),
        ("nan", "'nan' is not a number"),
        ("inf", "'inf' is not a number"),
        ("-Infinity", "'-Infinity' is not a number"),
        ("1e309", "'1e309' is not a finite number"),
        ("1" + "0" * 400, "is not a finite number"),
        ("#DIV/0!", "is the Excel error #DIV/0! — fix the formula or type the number"),
        ("#n/a", "is the Excel error #N/A"),
        ("TRUE", "'TRUE' is not a number"),
        ("85 percent", "'85 percent' is not a number"),
    ],
)
def test_values_that_are_not_finite_numbers(data_dir: Path, value: str, fragment: str):
    write_rows(data_dir, "values.csv", [row("HS-01", value), row("HS-02", "12")])
    result = read(data_dir)
    message = says(result, "values.csv", 2, "value")
    assert message.startswith("HS-01 in 2025-26-Q1/values.csv row 2, column value: ")
    assert fragment in message
    assert list(result.candidates["pi_id"]) == ["HS-02"]
    assert_rows_accounted(result, {"values.csv": data_rows(2, 2)})


@pytest.mark.parametrize("zero", ["-0", "-0.0", "(0)", "−0"])
def test_negative_zero_is_zero(data_dir: Path, zero: str):
    write_rows(data_dir, "zero.csv", [row("HS-01", zero)])
    result = read(data_dir)
    value = result.candidates.iloc[0]["value"]
    assert value == 0 and str(value) == "0.0"  # never "-0.0" in a report
    assert_rows_accounted(result, {"zero.csv": [2]})


@pytest.mark.parametrize(
    "pi_id", ["HS-01\u00a0", "\u00a0HS-01", "HS-01\u200b", "\u200bHS-\u200b01", "\ufeffhs-01 "]
)
def test_invisible_spaces_around_an_id_are_trimmed(data_dir: Path, pi_id: str):
    write_rows(data_dir, "spaces.csv", [row(pi_id)])
    result = read(data_dir)
    assert list(result.candidates["pi_id"]) == ["HS-01"] and result.issues == []
    assert_rows_accounted(result, {"spaces.csv": [2]})


@pytest.mark.parametrize(
    ("pi_id", "fragment"),
    [
        ("\u041dS-01", "'Н' (CYRILLIC CAPITAL LETTER EN, U+041D)"),
        ("H\u0405-01", "'Ѕ' (CYRILLIC CAPITAL LETTER DZE, U+0405)"),
        ("\u0397S-01", "'Η' (GREEK CAPITAL LETTER ETA, U+0397)"),
        ("HS\u201301", "'–' (EN DASH, U+2013)"),
        ("\uff28\uff33-01", "'Ｈ' (FULLWIDTH LATIN CAPITAL LETTER H, U+FF28)"),
    ],
    ids=["cyrillic-H", "cyrillic-S", "greek-H", "en-dash", "fullwidth"],
)
def test_look_alike_characters_in_an_id_are_named(data_dir: Path, pi_id: str, fragment: str):
    write_rows(data_dir, "lookalike.csv", [row(pi_id), row("HS-02")])
    result = read(data_dir)
    message = says(result, "lookalike.csv", 2, "pi_id")
    assert fragment in message and "which looks like an ordinary character but is not" in message
    assert message.startswith("HS-01 in 2025-26-Q1/lookalike.csv row 2")
    assert message.endswith("retype the id as HS-01")
    assert result.issues[0].pi_id == "HS-01"  # so the issue reaches the PI's owner
    assert_rows_accounted(result, {"lookalike.csv": data_rows(2, 2)})


def test_a_non_breaking_space_inside_an_id(data_dir: Path):
    write_rows(data_dir, "inner.csv", [row("HS\u00a001")])
    result = read(data_dir)
    message = says(result, "inner.csv", 2, "pi_id")
    assert "'HS 01' has a space in it, which no PI id has" in message
    assert_rows_accounted(result, {"inner.csv": [2]})


@pytest.mark.parametrize(
    ("period", "fragment"),
    [
        ("2025/26 Q5", "'2025/26 Q5' is not a quarter: there are four, Q1 (April-June)"),
        ("Q0 2025/26", "'Q0 2025/26' is not a quarter: there are four"),
        ("2025/27 Q1", "'2025/27' is not a financial year: the years must be consecutive"),
        ("Q1", "'Q1' is not a quarter; write it like 2025/26 Q1"),
        ("#N/A", "is the Excel error #N/A — fix the formula or type the period"),
        ("", "is empty — write the quarter"),
    ],
)
def test_periods_that_are_not_quarters(data_dir: Path, period: str, fragment: str):
    write_rows(data_dir, "periods.csv", [row(period=period)])
    result = read(data_dir)
    assert fragment in says(result, "periods.csv", 2, "period")
    assert_rows_accounted(result, {"periods.csv": [2]})


@pytest.mark.parametrize(
    ("cell", "when"),
    [
        ("45852", datetime(2025, 7, 14)),
        ("45852.4375", datetime(2025, 7, 14, 10, 30)),
        ("14/07/2025 10:30", datetime(2025, 7, 14, 10, 30)),
    ],
)
def test_excel_date_serials_in_submitted_at_are_dates(data_dir: Path, cell: str, when: datetime):
    write_rows(data_dir, "serial.csv", [row(submitted_at=cell)])
    result = read(data_dir)
    assert result.candidates.iloc[0]["submitted_at"] == when and result.issues == []
    assert_rows_accounted(result, {"serial.csv": [2]})


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("07/14/2025", "'07/14/2025' is not a real date (month must be in 1..12)"),
        ("31/02/2025", "'31/02/2025' is not a real date"),
        ("12", "'12' is not a date — write it as 14/07/2025"),
        ("99999", "'99999' is a number, not a date"),
        ("next Tuesday", "'next Tuesday' is not a date"),
    ],
)
def test_dates_that_cannot_be_read(data_dir: Path, cell: str, fragment: str):
    write_rows(data_dir, "dates.csv", [row(submitted_at=cell)])
    result = read(data_dir)
    assert fragment in says(result, "dates.csv", 2, "submitted_at")
    assert_rows_accounted(result, {"dates.csv": [2]})


def test_every_problem_on_a_row_is_listed_and_the_row_counted_once(data_dir: Path):
    write_rows(
        data_dir,
        "many.csv",
        [row("", "abc", period="summer", status="draft", submitted_at="soon"), row("HS-02")],
    )
    result = read(data_dir)
    on_row_2 = [i.message for i in result.issues if i.source_row == 2]
    for column in ("pi_id", "period", "value", "status", "submitted_at"):
        assert any(f"row 2, column {column}:" in m for m in on_row_2), (column, on_row_2)
    assert "The return in 2025-26-Q1/many.csv row 2, column pi_id: is empty" in on_row_2[0]
    assert_rows_accounted(result, {"many.csv": data_rows(2, 2)})


ESSAY = 1_000_000  # characters: a pasted document (a 15 MB cell behaves the same)


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("value", "x" * ESSAY),
        ("numerator", "9" * (ESSAY - 1) + "x"),
        ("period", "Q" * ESSAY),
        ("status", "s" * ESSAY),
        ("submitted_at", "d" * ESSAY),
        ("pi_id", "HS-0Ι" + "x" * (ESSAY - 5)),  # a Greek capital iota: a look-alike, named
    ],
    ids=lambda cell: cell if len(cell) < 20 else "essay",
)
def test_a_huge_cell_is_cut_short_where_its_message_quotes_it(
    data_dir: Path, column: str, cell: str
):
    """Each message that quotes a cell quotes its first 200 characters and says how long it
    is, as the `value` column does: an owner's list and e-mail stay readable (issue 26)."""
    cells = {"pi_id": cell} if column == "pi_id" else {column: cell}
    pi_id = cells.pop("pi_id", "HS-01")
    write_rows(data_dir, "essay.csv", [row(pi_id, **cells), row("HS-02", "12")])
    result = read(data_dir)
    message = says(result, "essay.csv", 2, column)
    assert len(message) < 1_000, f"the message is {len(message):,} characters long"
    assert f"… ({ESSAY:,} characters)" in message
    assert_rows_accounted(result, {"essay.csv": data_rows(2, 2)})
