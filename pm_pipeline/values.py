"""Missing values, whichever way the warehouse and pandas spell them: None, NaN, pd.NA, NaT."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from typing_extensions import TypeIs


def is_missing(value: object) -> TypeIs[None]:
    """None, NaN, NaT or pd.NA. For the type checker a value that is not missing is not None
    (a NaN float counts as missing too, which the type cannot say)."""
    if value is None:
        return True
    if isinstance(value, str):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # containers are never "missing" as a whole
        return False


def round_at(value: float, decimals: int) -> float:
    """Round half away from zero, as people (and Excel) do: 2.25 -> 2.3 at one decimal."""
    scale = 10 ** int(decimals)
    scaled = abs(value) * scale
    rounded = math.floor(scaled + 0.5 + 1e-9) / scale
    return math.copysign(rounded, value) + 0.0
