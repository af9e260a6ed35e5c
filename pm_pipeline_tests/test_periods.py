from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from pm_pipeline.core.periods import (
    HALF_YEARLY,
    MONTHLY,
    QUARTERLY,
    FinancialYear,
    Half,
    Month,
    Quarter,
    first_working_day_after,
    is_working_day,
    parse_period_label,
    working_day_of_month,
)

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("day", "label", "folder", "key"),
    [
        (date(2025, 4, 1), "2025/26 Q1", "2025-26-Q1", "2025-04-01"),
        (date(2025, 3, 31), "2024/25 Q4", "2024-25-Q4", "2025-01-01"),
        (date(2025, 9, 30), "2025/26 Q2", "2025-26-Q2", "2025-07-01"),
        (date(2025, 10, 1), "2025/26 Q3", "2025-26-Q3", "2025-10-01"),
        (date(2025, 12, 31), "2025/26 Q3", "2025-26-Q3", "2025-10-01"),
        (date(2026, 1, 1), "2025/26 Q4", "2025-26-Q4", "2026-01-01"),
        (date(1999, 6, 15), "1999/00 Q1", "1999-00-Q1", "1999-04-01"),
    ],
)
def test_quarter_containing_a_day_has_the_councils_labels(day, label, folder, key):
    quarter = Quarter.containing(day)
    assert (quarter.label, quarter.folder, quarter.key) == (label, folder, key)
    assert Quarter.from_key(key) == quarter == Quarter.from_folder(folder)


def test_q4_crosses_the_calendar_year_and_steps_back_and_forward():
    q4 = Quarter(2025, 4)
    assert (q4.start, q4.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert q4.previous == Quarter(2025, 3)
    assert q4.next == Quarter(2026, 1)
    assert Quarter(2026, 1).previous == q4
    assert q4.same_quarter_last_year == Quarter(2024, 4)
    assert q4.financial_year.label == "2025/26"
    assert [q.label for q in Quarter(2026, 1).history(3)] == [
        "2025/26 Q3",
        "2025/26 Q4",
        "2026/27 Q1",
    ]


def test_entry_window_and_report_run_follow_the_framework_calendar():
    q1 = Quarter(2025, 1)
    assert q1.entry_window == (date(2025, 7, 1), date(2025, 7, 21))
    assert q1.report_run_at == datetime(2025, 8, 1)
    assert Quarter(2025, 4).entry_window == (date(2026, 4, 1), date(2026, 4, 21))
    assert Quarter(2025, 4).report_run_at == datetime(2026, 5, 1)


@pytest.mark.parametrize(
    "text", ["2025/26 Q1", "2025-26 Q1", "Q1 2025/26", " q1  2025-26 ", "2025/2026 Q1"]
)
def test_period_labels_in_every_accepted_spelling(text):
    assert parse_period_label(text) == Quarter(2025, 1)


@pytest.mark.parametrize("text", ["2025/27 Q1", "Q5 2025/26", "2025 Q1", "", "July 2025"])
def test_period_labels_that_are_not_quarters_say_how_to_write_one(text):
    with pytest.raises(ValueError, match=r"2025/26 Q1|consecutive"):
        parse_period_label(text)


def test_quarterly_partitions_start_at_london_midnight_across_bst():
    # 1 April and 1 July are in BST (UTC+1); 1 October is BST, 1 January is GMT.
    for key, utc_hour in (
        ("2025-04-01", 23),
        ("2025-07-01", 23),
        ("2025-10-01", 23),
        ("2026-01-01", 0),
    ):
        window = QUARTERLY.time_window_for_partition_key(key)
        assert window.start.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == f"{key} 00:00"
        assert window.start.astimezone(ZoneInfo("UTC")).hour == utc_hour
    # Q4 2024/25 is complete (a partition) half an hour after London midnight on 1 April,
    # and not half an hour before it.
    after = datetime(2025, 4, 1, 0, 30, tzinfo=LONDON)
    before = datetime(2025, 3, 31, 23, 30, tzinfo=LONDON)
    assert QUARTERLY.get_partition_keys(current_time=after)[-1] == "2025-01-01"
    assert QUARTERLY.get_partition_keys(current_time=before)[-1] == "2024-10-01"


def test_half_year_partitions_are_h1_april_and_h2_october():
    assert HALF_YEARLY.get_partition_keys(current_time=datetime(2026, 11, 23, tzinfo=LONDON))[
        -2:
    ] == ["2025-10-01", "2026-04-01"]
    h2 = Half.from_key("2025-10-01")
    assert (h2.label, h2.folder, h2.end) == ("2025/26 H2", "2025-26-H2", date(2026, 3, 31))
    assert [q.label for q in h2.quarters] == ["2025/26 Q3", "2025/26 Q4"]
    assert Quarter(2026, 2).half.label == "2026/27 H1"
    with pytest.raises(ValueError):
        Half.from_key("2025-07-01")


def test_financial_year_labels():
    assert FinancialYear.from_label("2016-17") == FinancialYear(2016)
    assert FinancialYear(2099).label == "2099/00"
    with pytest.raises(ValueError):
        FinancialYear.from_label("2016/18")


@pytest.mark.parametrize(
    ("quarter_end", "first_working"),
    [
        (date(2025, 6, 30), date(2025, 7, 1)),  # Tuesday
        (date(2025, 9, 30), date(2025, 10, 1)),
        (date(2021, 12, 31), date(2022, 1, 4)),  # 1 Jan Saturday, bank holiday Monday 3rd
        (date(2024, 3, 31), date(2024, 4, 2)),  # Easter Monday 1 April 2024
        (date(2029, 3, 31), date(2029, 4, 3)),  # Easter Sunday 1 April 2029
        (date(2026, 3, 31), date(2026, 4, 1)),
    ],
)
def test_first_working_day_after_a_quarter_skips_weekends_and_bank_holidays(
    quarter_end, first_working
):
    assert first_working_day_after(quarter_end) == first_working


# gov.uk/bank-holidays, England and Wales
BANK_HOLIDAYS = {
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: ["01-03", "04-15", "04-18", "05-02", "05-30", "08-29", "12-26", "12-27"],
}


@pytest.mark.parametrize("year", BANK_HOLIDAYS)
def test_every_regular_bank_holiday_is_not_a_working_day(year):
    holidays = {date.fromisoformat(f"{year}-{d}") for d in BANK_HOLIDAYS[year]}
    weekdays = [
        date.fromordinal(n)
        for n in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
    ]
    off = {d for d in weekdays if d.weekday() < 5 and not is_working_day(d)}
    assert off == holidays


def test_the_twelfth_working_day_skips_weekends_and_bank_holidays():
    assert working_day_of_month(2026, 6, 12) == date(2026, 6, 16)
    assert working_day_of_month(2026, 5, 12) == date(2026, 5, 19)  # 4 and 25 May off
    assert working_day_of_month(2026, 9, 1) == date(2026, 9, 1)  # after the 31 August holiday
    assert working_day_of_month(2027, 1, 1) == date(2027, 1, 4)


def test_months_key_label_folder_quarter_and_period_text():
    july = Month.parse("July 2026")
    assert (
        july == Month.parse("2026-07") == Month.parse(" jul  2026 ") == Month.from_key("2026-07-01")
    )
    assert (july.key, july.label, july.folder) == ("2026-07-01", "July 2026", "2026-07")
    assert july.quarter == Quarter(2026, 2) and Month(2027, 3).quarter == Quarter(2026, 4)
    assert (Month(2026, 1).previous, Month(2026, 12).next) == (Month(2025, 12), Month(2027, 1))
    assert Month.from_folder("2026-07") == july
    assert MONTHLY.get_partition_keys()[:2] == ["2021-04-01", "2021-05-01"]
    for bad in ("2026/27 Q2", "Julember 2026", "2026-13"):
        with pytest.raises(ValueError, match="write it like July 2026"):
            Month.parse(bad)
    with pytest.raises(ValueError):
        Month.from_folder("2026-7")
