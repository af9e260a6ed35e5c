"""The values every domain reads the same way: missing values (None, NaN, pd.NA, NaT), numbers
as people and publishers type them, GSS area codes, and rounding as people do it."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from pm_pipeline.core.sheets import EXCEL_ERRORS, clean_text, shown

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


# A GSS (ONS) area code: a letter for the nation (E, W, S, N; K for areas spanning nations,
# e.g. K02000001 United Kingdom) and eight digits.
ENGLAND = "E92000001"  # the GSS code of England, the national comparison
GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")


def is_gss_code(text: str) -> bool:
    """True for a GSS area code such as E07000171 or K02000001 (upper case, no spaces)."""
    return bool(GSS_CODE.match(text))


_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)(?P<currency>[£$€]?)(?P<sign2>[-+]?)"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?(?P<pct>%?)$"
)


def _finite(value: float, cell: object) -> float:
    if not math.isfinite(value):
        raise ValueError(f"'{shown(str(cell))}' is not a finite number — type the actual figure")
    return value + 0.0  # turns -0.0 into 0.0


def parse_number(cell: object, *, symbols: bool = True) -> float | None:
    """The one number parser: `1,234`, `-5`, `1e3`, Excel numbers; with `symbols` (owners'
    returns) also `85%`, `£1,234.50` and `(12.5)`. Blank is None; NaN, inf, TRUE/FALSE, dates
    and Excel errors raise ValueError whose text finishes "<column> ..." for the owner.

    `symbols=False` is for files where a unit sign would be ambiguous (a target of `85%`
    against a PI measured in per cent or in people): there it is refused, not guessed.
    """
    if cell is None:
        return None
    if isinstance(cell, str) and _PLAIN_NUMBER.fullmatch(cell):  # fast path: most cells
        return _finite(float(cell), cell)
    if isinstance(cell, bool):
        raise ValueError(f"'{cell}' is TRUE/FALSE, not a number — type the number")
    if isinstance(cell, int | float):
        return _finite(float(cell), cell)
    if isinstance(cell, datetime | date | time | timedelta):
        typed = f"{cell:%d/%m/%Y}" if isinstance(cell, date) else str(cell)
        raise ValueError(
            f"is a date or time ({typed}), not a number — Excel turned what was typed into a "
            "date; format the cell as Number and type the figure again"
        )
    text = clean_text(cell).replace("\u2212", "-")
    if not text:
        return None
    if text.upper() in EXCEL_ERRORS:
        raise ValueError(f"is the Excel error {text.upper()} — fix the formula or type the number")
    negative = text.startswith("(") and text.endswith(")")
    body = (text[1:-1] if negative else text).replace(" ", "")
    m = _NUMBER.match(body)
    if (
        not m
        or (m.group("sign") and m.group("sign2"))
        or (not symbols and (negative or m.group("currency") or m.group("pct")))
    ):
        hint = (
            " (use a point for decimals, not a comma)"
            if re.fullmatch(r"-?\d+,\d{1,2}", body)
            else ""
        )
        example = "85 or 1,234.5" if symbols else "85 or 12.5 (no %, £ or brackets)"
        raise ValueError(f"'{shown(text)}' is not a number{hint} — type a number such as {example}")
    value = float(m.group("num").replace(",", "") + (m.group("exp") or ""))
    if negative or "-" in m.group("sign") + m.group("sign2"):
        value = -value
    return _finite(value, cell)
