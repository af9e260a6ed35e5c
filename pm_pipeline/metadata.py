"""Asset metadata that renders in the Dagster UI: small markdown tables of what to look at."""

from __future__ import annotations

import math

import pandas as pd

MAX_ROWS = 50


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def bullets(lines: list[str], empty: str = "") -> str:
    """Lines as a markdown list (`empty` when there are none), for a problems metadata entry."""
    return "\n".join(f"- {line}" for line in lines) or empty


def markdown_table(frame: pd.DataFrame, max_rows: int = MAX_ROWS) -> str:
    """The first `max_rows` rows as a markdown table, saying how many were left out."""
    if frame.empty:
        return "_none_"
    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.head(max_rows).itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if len(frame) > max_rows:
        lines.append(f"\n_…and {len(frame) - max_rows} more rows_")
    return "\n".join(lines)
