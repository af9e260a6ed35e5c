"""Reading one cell of a return: numbers as people type them, UK and ISO dates, statuses.

Each parser returns the value or raises `ValueError` whose text finishes the sentence
"<column> ..." for the data owner, e.g. "'12,3' is not a number ...".
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta

from pm_pipeline.tabular import EXCEL_ERRORS, clean_text

STATUSES = ("final", "provisional", "unavailable")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)[£$€]?(?P<sign2>[-+]?)"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?%?$"
)
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's (1900) date serials
SERIAL_RANGE = (36526, 73051)  # 1 January 2000 to 31 December 2099


def _finite(value: float, cell: object) -> float:
    if not math.isfinite(value):
        raise ValueError(f"'{cell}' is not a finite number — type the actual figure")
    return value + 0.0  # turns -0.0 into 0.0


def parse_number(cell: object) -> float | None:
    """`85%`, `1,234`, `£1,234.50`, `(12.5)`, Excel numbers. Blank is None; NaN/inf are refused."""
    if cell is None:
        return None
    if isinstance(cell, str) and _PLAIN_NUMBER.fullmatch(cell):  # fast path: most cells
        return _finite(float(cell), cell)
    if isinstance(cell, bool):
        raise ValueError(f"'{cell}' is TRUE/FALSE, not a number — type the number")
    if isinstance(cell, int | float):
        return _finite(float(cell), cell)
    if isinstance(cell, datetime | date | time | timedelta):
        shown = f"{cell:%d/%m/%Y}" if isinstance(cell, date) else str(cell)
        raise ValueError(
            f"is a date or time ({shown}), not a number — Excel turned what was typed into a "
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
    if not m or (m.group("sign") and m.group("sign2")):
        hint = (
            " (use a point for decimals, not a comma)"
            if re.fullmatch(r"-?\d+,\d{1,2}", body)
            else ""
        )
        raise ValueError(f"'{text}' is not a number{hint} — type a number such as 85 or 1,234.5")
    value = float(m.group("num").replace(",", "") + (m.group("exp") or ""))
    if negative or "-" in m.group("sign") + m.group("sign2"):
        value = -value
    return _finite(value, cell)


def parse_status(cell: object) -> str:
    text = clean_text(cell).casefold()
    if not text:
        return "final"
    if text not in STATUSES:
        raise ValueError(
            f"'{clean_text(cell)}' is not a status — use final, provisional or unavailable"
        )
    return text


def _from_serial(serial: float, shown: object) -> datetime:
    """An Excel date serial (a date cell formatted as a number, or exported as one)."""
    if not SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
        raise ValueError(
            f"'{shown}' is a number, not a date — write the date as 14/07/2025 or 2025-07-14"
        )
    return EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def parse_timestamp(cell: object) -> datetime | None:
    """ISO 8601 (`2025-07-14`, `2025-07-14T09:30`) or UK `14/07/2025 [09:30]`; Excel dates as is,
    and Excel date serials (`45852`) when the cell lost its date format."""
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None)
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _from_serial(float(cell), cell)
    text = clean_text(cell)
    if not text:
        return None
    if _SERIAL.match(text):
        return _from_serial(float(text), text)
    try:
        m = _ISO.match(text)
        if m:
            y, mo, d, hh, mm, ss, tz = m.groups()
            parsed = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
            if tz:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
            return parsed
        m = _UK.match(text)
        if m:
            d, mo, y, hh, mm, ss = m.groups()
            return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from exc
    raise ValueError(f"'{text}' is not a date — write it as 14/07/2025 or 2025-07-14")
