"""Missing values, whichever way the warehouse and pandas spell them: None, NaN, pd.NA, NaT."""

from __future__ import annotations

import pandas as pd


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # containers are never "missing" as a whole
        return False
