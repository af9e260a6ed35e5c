"""A 200,000-row return file is read whole, with every row accounted for (its speed is
measured by bench/scale.py and bench/quality_checks.py, not asserted here)."""

from __future__ import annotations

from pathlib import Path

from pm_pipeline_tests.bad_inputs.support import (
    assert_rows_accounted,
    data_rows,
    read,
    row,
    says,
    write_rows,
)

ROWS = 200_000


def test_two_hundred_thousand_rows_with_a_few_bad_ones(data_dir: Path):
    ids, first = ("HS-01", "HS-02", "WR-01"), row()
    rows = [
        [ids[n % 3], first[1], f"{n % 97}.5", *first[3:6], f"Row {n} of a long file.", *first[7:]]
        for n in range(ROWS)
    ]
    bad = {1_000: "NaN", 150_000: "#DIV/0!", ROWS - 1: "1e309"}
    for n, value in bad.items():
        rows[n][2] = value
    write_rows(data_dir, "everything.csv", rows)
    result = read(data_dir)
    assert len(result.candidates) == ROWS - len(bad)
    assert "column value: 'NaN' is not a number" in says(result, "everything.csv", 1_002, "value")
    assert_rows_accounted(result, {"everything.csv": data_rows(2, ROWS)})
