"""Financial-year periods: quarters, halves and years, their partitions, keys and labels.

A UK council's financial year runs 1 April to 31 March. Dagster partitions are keyed by the
period's start date in Europe/London (`2025-04-01` is 2025/26 Q1 and 2025/26 H1), so every
other label is derived here and nowhere else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import dagster as dg
from dateutil.easter import easter

from pm_pipeline.core.sheets import shown

TIMEZONE = "Europe/London"


def local_date(moment: datetime | None = None) -> date:
    """The date in England of `moment` (default: now): the council's calendar, whatever the
    server's clock is set to."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TIMEZONE)
    return (moment.astimezone(zone) if moment else datetime.now(zone)).date()


KEY_FORMAT = "%Y-%m-%d"
FIRST_PERIOD_ENV = "PM_FIRST_QUARTER"
DEFAULT_FIRST_PERIOD = "2021-04-01"
# council.yaml's defaults: monthly returns are due by the 10th working day after the month,
# and the monthly job runs on the 12th (docs/contracts.md, "Monthly returns")
DEFAULT_MONTHLY_DUE = 10
DEFAULT_MONTHLY_RUN = 12


def first_period_start() -> str:
    """Start of the earliest quarter the partitions offer (a 1 April of some year)."""
    start = os.environ.get(FIRST_PERIOD_ENV, DEFAULT_FIRST_PERIOD)
    if parse_quarter_key(start).q != 1:
        raise ValueError(f"{FIRST_PERIOD_ENV}={start} must be the 1 April of a financial year")
    return start


def _fy_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _fy_folder(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def _month_start(year: int, month: int) -> date:
    while month > 12:
        month -= 12
        year += 1
    return date(year, month, 1)


@dataclass(frozen=True, order=True)
class FinancialYear:
    start_year: int

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @property
    def key(self) -> str:
        return self.start.strftime(KEY_FORMAT)

    @property
    def label(self) -> str:
        return _fy_label(self.start_year)

    @property
    def folder(self) -> str:
        return _fy_folder(self.start_year)

    @property
    def quarters(self) -> list[Quarter]:
        return [Quarter(self.start_year, q) for q in (1, 2, 3, 4)]

    @property
    def previous(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)

    @classmethod
    def containing(cls, day: date) -> FinancialYear:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def from_label(cls, text: str) -> FinancialYear:
        """`2025/26` (also `2025-26`, `2025/2026`) -> FinancialYear(2025)."""
        m = re.fullmatch(r"\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*", text or "")
        if not m:
            raise ValueError(f"'{shown(str(text))}' is not a financial year like 2025/26")
        start, end = int(m.group(1)), int(m.group(2))
        if end != (start + 1) % 100 and end != start + 1:
            raise ValueError(f"'{text}' is not a financial year: the years must be consecutive")
        return cls(start)

    @classmethod
    def from_key(cls, key: str) -> FinancialYear:
        day = datetime.strptime(key, KEY_FORMAT).date()
        if (day.month, day.day) != (4, 1):
            raise ValueError(f"'{key}' is not the start of a financial year (1 April)")
        return cls(day.year)


@dataclass(frozen=True, order=True)
class Quarter:
    """Quarter `q` (1-4) of the financial year starting 1 April `fy_start_year`."""

    fy_start_year: int
    q: int

    def __post_init__(self) -> None:
        if self.q not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1-4, not {self.q}")

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear(self.fy_start_year)

    @property
    def start(self) -> date:
        return _month_start(self.fy_start_year, 4 + 3 * (self.q - 1))

    @property
    def end(self) -> date:
        """Last day of the quarter."""
        return _month_start(self.start.year, self.start.month + 3) - timedelta(days=1)

    @property
    def key(self) -> str:
        return self.start.strftime(KEY_FORMAT)

    @property
    def label(self) -> str:
        return f"{self.financial_year.label} Q{self.q}"

    @property
    def folder(self) -> str:
        return f"{self.financial_year.folder}-Q{self.q}"

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.fy_start_year, self.q - 1)
            if self.q > 1
            else Quarter(self.fy_start_year - 1, 4)
        )

    @property
    def next(self) -> Quarter:
        return (
            Quarter(self.fy_start_year, self.q + 1)
            if self.q < 4
            else Quarter(self.fy_start_year + 1, 1)
        )

    @property
    def same_quarter_last_year(self) -> Quarter:
        return Quarter(self.fy_start_year - 1, self.q)

    @property
    def half(self) -> Half:
        return Half(self.fy_start_year, 1 if self.q <= 2 else 2)

    @property
    def entry_window(self) -> tuple[date, date]:
        """Data-entry window: the first three weeks of the month after the quarter ends."""
        first = self.end + timedelta(days=1)
        return first, first + timedelta(days=20)

    @property
    def report_run_at(self) -> datetime:
        """Midnight at the end of the data-entry month (31 July for Q1), Europe/London."""
        following = self.end + timedelta(days=1)
        return datetime.combine(
            _month_start(following.year, following.month + 1), datetime.min.time()
        )

    @property
    def months(self) -> list[Month]:
        """The quarter's three months, oldest first."""
        return [Month(self.start.year, self.start.month + i) for i in range(3)]

    def history(self, n: int) -> list[Quarter]:
        """The `n` quarters ending with this one, oldest first."""
        out = [self]
        while len(out) < n:
            out.append(out[-1].previous)
        return out[::-1]

    @classmethod
    def from_key(cls, key: str) -> Quarter:
        return parse_quarter_key(key)

    @classmethod
    def from_folder(cls, folder: str) -> Quarter:
        m = re.fullmatch(r"(\d{4})-(\d{2})-Q([1-4])", folder)
        if not m or int(m.group(2)) != (int(m.group(1)) + 1) % 100:
            raise ValueError(f"'{folder}' is not a quarter folder like 2025-26-Q1")
        return cls(int(m.group(1)), int(m.group(3)))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        fy = FinancialYear.containing(day)
        return cls(fy.start_year, (day.month - 4) % 12 // 3 + 1)


_PERIOD_PATTERNS = (
    re.compile(r"(?P<y1>\d{4})\s*[/-]\s*(?P<y2>\d{2}|\d{4})\s*[-,]?\s*Q(?P<q>[1-4])"),
    re.compile(r"Q(?P<q>[1-4])\s*[-,]?\s*(?P<y1>\d{4})\s*[/-]\s*(?P<y2>\d{2}|\d{4})"),
)


def parse_period_label(text: str) -> Quarter:
    """Read a return's `period`: `2025/26 Q1`, `2025-26 Q1` or `Q1 2025/26` (any case)."""
    cleaned = re.sub(r"\s+", " ", str(text or "")).strip().upper()
    for pattern in _PERIOD_PATTERNS:
        m = pattern.fullmatch(cleaned)
        if m:
            fy = FinancialYear.from_label(f"{m.group('y1')}/{m.group('y2')}")
            return Quarter(fy.start_year, int(m.group("q")))
    raise ValueError(
        f"'{shown(str(text))}' is not a quarter; write it like 2025/26 Q1 (also 2025-26 Q1 or "
        "Q1 2025/26)"
    )


def parse_quarter_key(key: str) -> Quarter:
    try:
        day = datetime.strptime(str(key), KEY_FORMAT).date()
    except ValueError as exc:
        raise ValueError(f"'{key}' is not a quarter key like 2025-04-01") from exc
    if day.day != 1 or day.month not in (1, 4, 7, 10):
        raise ValueError(f"'{key}' is not the first day of a quarter")
    return Quarter.containing(day)


@dataclass(frozen=True, order=True)
class Half:
    """H1 = April-September, H2 = October-March of the financial year `fy_start_year`."""

    fy_start_year: int
    h: int

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear(self.fy_start_year)

    @property
    def quarters(self) -> list[Quarter]:
        return [Quarter(self.fy_start_year, q) for q in ((1, 2) if self.h == 1 else (3, 4))]

    @property
    def start(self) -> date:
        return self.quarters[0].start

    @property
    def end(self) -> date:
        return self.quarters[-1].end

    @property
    def key(self) -> str:
        return self.start.strftime(KEY_FORMAT)

    @property
    def label(self) -> str:
        return f"{self.financial_year.label} H{self.h}"

    @property
    def folder(self) -> str:
        return f"{self.financial_year.folder}-H{self.h}"

    @property
    def previous(self) -> Half:
        return Half(self.fy_start_year, 1) if self.h == 2 else Half(self.fy_start_year - 1, 2)

    @classmethod
    def from_key(cls, key: str) -> Half:
        quarter = parse_quarter_key(key)
        if quarter.q not in (1, 3):
            raise ValueError(f"'{key}' is not the start of a half-year (1 April or 1 October)")
        return quarter.half


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, keyed like the quarters by its first day (`2026-07-01`); a monthly
    PI's figures roll up to the quarter and financial year that contain it."""

    year: int
    month: int
    # the working day after the month by which its returns are due (council.yaml's
    # monthly_due_working_day); not part of which month it is
    due_day: int = field(default=DEFAULT_MONTHLY_DUE, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1-12, not {self.month}")

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return _month_start(self.year, self.month + 1) - timedelta(days=1)

    @property
    def key(self) -> str:
        return self.start.strftime(KEY_FORMAT)

    @property
    def label(self) -> str:
        """`July 2026`, as a return writes it."""
        return self.start.strftime("%B %Y")

    @property
    def folder(self) -> str:
        """`2026-07`: the month's returns/, finance/ and reports/ folder."""
        return self.start.strftime("%Y-%m")

    @property
    def quarter(self) -> Quarter:
        return Quarter.containing(self.start)

    @property
    def previous(self) -> Month:
        before = (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)
        return replace(self, year=before[0], month=before[1])

    @property
    def next(self) -> Month:
        after = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return replace(self, year=after[0], month=after[1])

    @property
    def entry_window(self) -> tuple[date, date]:
        """Data entry: from the day after the month ends to its `due_day`th working day after."""
        after = self.next
        return self.end + timedelta(days=1), working_day_of_month(
            after.year, after.month, self.due_day
        )

    def history(self, n: int) -> list[Month]:
        """The `n` months ending with this one, oldest first."""
        out = [self]
        while len(out) < n:
            out.append(out[-1].previous)
        return out[::-1]

    def due_by(self, working_day: int) -> Month:
        """The same month with its returns due by that working day after it."""
        return replace(self, due_day=working_day)

    @classmethod
    def containing(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def from_key(cls, key: str) -> Month:
        try:
            day = datetime.strptime(str(key), KEY_FORMAT).date()
        except ValueError as exc:
            raise ValueError(f"'{key}' is not a month key like 2026-07-01") from exc
        if day.day != 1:
            raise ValueError(f"'{key}' is not the first day of a month")
        return cls(day.year, day.month)

    @classmethod
    def from_folder(cls, folder: str) -> Month:
        m = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", folder)
        if not m:
            raise ValueError(f"'{folder}' is not a month folder like 2026-07")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def parse(cls, text: str) -> Month:
        """A monthly return's `period`: `July 2026`, `Jul 2026` or `2026-07` (any case)."""
        cleaned = re.sub(r"\s+", " ", str(text or "")).strip()
        for fmt in ("%B %Y", "%b %Y", "%Y-%m"):
            try:
                return cls.containing(datetime.strptime(cleaned, fmt).date())
            except ValueError:
                continue
        raise ValueError(f"'{shown(str(text))}' is not a month; write it like July 2026 or 2026-07")


# A period whose returns are read from a folder of its own: `returns/2026-27-Q2/` or
# `returns/2026-07/`. Both have key, label, folder, start, end, entry_window and history.
ReturnPeriod = Quarter | Month


def _time_windows(cron: str) -> dg.TimeWindowPartitionsDefinition:
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=cron, start=first_period_start(), fmt=KEY_FORMAT, timezone=TIMEZONE
    )


def earlier_partitions(asset: str, offset: int, end_offset: int = 0) -> dg.AssetDep:
    """A dependency on `asset` from `offset` of the reader's partitions back to `end_offset`,
    for a step that reads history (trends, last year): a restated quarter then marks it."""
    return dg.AssetDep(
        asset,
        partition_mapping=dg.TimeWindowPartitionMapping(
            start_offset=offset, end_offset=end_offset, allow_nonexistent_upstream_partitions=True
        ),
    )


QUARTERLY = _time_windows("0 0 1 1,4,7,10 *")
HALF_YEARLY = _time_windows("0 0 1 4,10 *")
MONTHLY = _time_windows("0 0 1 * *")  # starts with the quarters (PM_FIRST_QUARTER)
FINANCIAL_YEARLY = _time_windows("0 0 1 4 *")


def is_working_day(day: date) -> bool:
    """Monday-Friday and not an England and Wales bank holiday."""
    if day.weekday() >= 5:
        return False
    return day not in _bank_holidays(day.year)


def _substitute(day: date, taken: frozenset[date] = frozenset()) -> date:
    """A bank holiday on a weekend (or on another's substitute day) moves to the next weekday."""
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


def _last_monday(year: int, month: int) -> date:
    day = _month_start(year, month + 1) - timedelta(days=1)
    return day - timedelta(days=day.weekday())


def _bank_holidays(year: int) -> set[date]:
    """England and Wales's regular bank holidays (gov.uk/bank-holidays): New Year's Day, Good
    Friday, Easter Monday, the early May (first Monday), spring (last Monday of May) and summer
    (last Monday of August) holidays, Christmas and Boxing Day, weekend ones on the next
    weekday. One-off holidays a proclamation adds (a coronation, a state funeral) are not
    known in advance: a council sets its schedules' day for those months by hand."""
    easter_sunday = easter(year)
    may = date(year, 5, 1)
    christmas = _substitute(date(year, 12, 25))
    return {
        _substitute(date(year, 1, 1)),
        easter_sunday - timedelta(days=2),
        easter_sunday + timedelta(days=1),
        may + timedelta(days=(7 - may.weekday()) % 7),
        _last_monday(year, 5),
        _last_monday(year, 8),
        christmas,
        _substitute(date(year, 12, 26), frozenset({christmas})),
    }


def working_day_of_month(year: int, month: int, n: int) -> date:
    """The `n`th working day of a month (1 = the first)."""
    day = _month_start(year, month) - timedelta(days=1)
    for _ in range(n):
        day = first_working_day_after(day)
    return day


def first_working_day_after(day: date) -> date:
    candidate = day + timedelta(days=1)
    while not is_working_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Run tags that make one run cover a range of partitions (a single-run backfill)."""
    return {
        "dagster/asset_partition_range_start": first_key,
        "dagster/asset_partition_range_end": last_key,
    }


def quarter_reported_on(tick: date) -> Quarter:
    """The quarter a run at the end of a data-entry month reports: the one before last month's."""
    return Quarter.containing(tick).previous


def month_due_on(day: date, working_day: int) -> Month | None:
    """The month whose step falls on `day` when it runs on the `working_day`th working day after
    the month ends (1: the owners' reminder; council.yaml's monthly_run_working_day: the
    monthly job), or None on any other day."""
    if day != working_day_of_month(day.year, day.month, working_day):
        return None
    return Month.containing(day).previous
