"""The UI's metadata tables: typed columns, missing cells empty, long tables cut with a note."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pm_pipeline.core.metadata import bullets, metadata_table


def test_a_frame_becomes_a_typed_table_with_missing_cells_empty():
    frame = pd.DataFrame(
        {
            "pi_id": ["HS-01", "HS-02"],
            "issues": np.array([3, 0], dtype="int64"),
            "value": [12.5, math.nan],
            "at": [pd.Timestamp("2025-07-14 09:30"), pd.NaT],
        }
    )
    table = metadata_table(frame)
    assert [(c.name, c.type) for c in table.schema.columns] == [
        ("pi_id", "string"),
        ("issues", "int"),
        ("value", "float"),
        ("at", "string"),
    ]
    assert [r.data for r in table.records] == [
        {"pi_id": "HS-01", "issues": 3, "value": 12.5, "at": "2025-07-14T09:30:00"},
        {"pi_id": "HS-02", "issues": 0, "value": None, "at": None},
    ]


def test_a_long_table_says_how_many_rows_were_left_out():
    table = metadata_table(pd.DataFrame({"n": range(7)}), max_rows=5)
    assert [r.data["n"] for r in table.records] == [0, 1, 2, 3, 4, "…and 2 more rows"]
    assert len(metadata_table(pd.DataFrame({"n": range(5)}), max_rows=5).records) == 5


def test_bullets_fall_back_to_the_empty_text():
    assert bullets(["a", "b"]) == "- a\n- b"
    assert bullets([], "Nothing to fix.") == "Nothing to fix."
