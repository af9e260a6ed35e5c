"""Reading one cell of a return: numbers as people type them, UK and ISO dates, statuses.

Each parser returns the value or raises `ValueError` whose text finishes the sentence
"<column> ..." for the data owner, e.g. "'12,3' is not a number ...".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pm_pipeline.core.sheets import clean_text, shown

STATUSES = ("final", "provisional", "unavailable")
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's (1900) date serials
SERIAL_RANGE = (36526, 73051)  # 1 January 2000 to 31 December 2099


def parse_status(cell: object) -> str:
    text = clean_text(cell).casefold()
    if not text:
        return "final"
    if text not in STATUSES:
        raise ValueError(
            f"'{shown(clean_text(cell))}' is not a status — use final, provisional or unavailable"
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
        raise ValueError(f"'{shown(text)}' is not a real date ({exc})") from exc
    raise ValueError(f"'{shown(text)}' is not a date — write it as 14/07/2025 or 2025-07-14")
