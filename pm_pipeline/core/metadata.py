"""Asset metadata that renders in the Dagster UI: tables of what to look at, problem lists."""

from __future__ import annotations

import math
from datetime import date

import dagster as dg
import numpy as np
import pandas as pd

MAX_ROWS = 50


def _value(value: object) -> str | int | float | bool | None:
    """A cell as a table record holds it: numbers stay numbers, missing is None, else text."""
    if isinstance(value, bool | int | float | str):
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, date):  # datetime, pd.Timestamp
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        return _value(value.item())
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    return "string"


def metadata_table(frame: pd.DataFrame, max_rows: int = MAX_ROWS) -> dg.TableMetadataValue:
    """The first `max_rows` rows as a Dagster table (sortable, typed columns in the UI); a
    last row says how many were left out."""
    columns = [str(c) for c in frame.columns]
    records = [
        dg.TableRecord(dict(zip(columns, (_value(v) for v in row), strict=True)))
        for row in frame.head(max_rows).itertuples(index=False)
    ]
    if len(frame) > max_rows and columns:
        more = {c: "" for c in columns} | {columns[0]: f"…and {len(frame) - max_rows} more rows"}
        records.append(dg.TableRecord(more))  # Dagster wants every record to have every column
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, _kind(frame[col]))
            for name, col in zip(columns, frame.columns, strict=True)
        ]
    )
    return dg.MetadataValue.table(records, schema)


def bullets(lines: list[str], empty: str = "") -> str:
    """Lines as a markdown list (`empty` when there are none), for a problems metadata entry."""
    return "\n".join(f"- {line}" for line in lines) or empty
