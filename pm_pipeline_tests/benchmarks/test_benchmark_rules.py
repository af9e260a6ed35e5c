"""The long table's de-duplication and the rules its checks apply, on hand-made tables."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pm_pipeline.defs.benchmarks.areas import area_code_problem
from pm_pipeline.defs.benchmarks.combine import (
    bad_area_codes,
    combine,
    conflicting,
    coverage,
    duplicate_keys,
    source_summary,
)


def row(
    area: str,
    value: float | None,
    period: str = "2024/25",
    source: str = "lginform",
    metric: str = "900001",
) -> dict:
    year = int(period[:4])
    return {
        "source": source,
        "metric_id": metric,
        "metric_name": "Recycling",
        "area_code": area,
        "area_name": area,
        "period_label": period,
        "period_start": date(year, 4, 1),
        "period_end": date(year + 1, 3, 31),
        "value": value,
        "unit": "percent",
        "polarity": "higher_is_better",
    }


def test_area_codes():
    assert area_code_problem("E07000171") is None
    assert area_code_problem("E92000001") is None
    assert "not a GSS area code" in area_code_problem("E7000171")
    assert "not a GSS area code" in area_code_problem("e07000171x")
    assert "GSS entity E05" in area_code_problem("E05000001")  # a ward, not a council
    assert "empty" in area_code_problem(None)


def test_combine_keeps_the_later_row_and_reports_conflicts():
    first = pd.DataFrame([row("E07000171", 40.0), row("E07000170", 30.0)])
    later = pd.DataFrame([row("E07000171", 41.0), row("E07000170", 30.0)])
    other_source = pd.DataFrame([row("E07000171", 39.0, source="oflog")])
    table, dropped = combine([first, later, other_source])
    assert len(table) == 3 and len(dropped) == 2
    kept = table.set_index(["source", "area_code"])["value"]
    assert kept[("lginform", "E07000171")] == 41.0 and kept[("oflog", "E07000171")] == 39.0
    assert conflicting(table, dropped) == 1
    assert duplicate_keys(table).empty
    summary = source_summary(table).set_index("source")
    assert summary.loc["lginform", "rows"] == 2 and summary.loc["oflog", "periods"] == (
        "2024/25 to 2024/25"
    )


def test_combine_of_nothing_is_an_empty_table_with_the_contract_columns():
    table, dropped = combine([pd.DataFrame(), pd.DataFrame()])
    assert table.empty and dropped.empty and "polarity" in table.columns


def test_the_checks_find_bad_codes_and_duplicates():
    table = pd.DataFrame([row("E07000171", 1.0), row("E07000171", 2.0), row("X1", 3.0)])
    assert list(bad_area_codes(table)["area_code"]) == ["X1"]
    repeated = duplicate_keys(table)
    assert list(repeated["area_code"]) == ["E07000171"] and list(repeated["rows"]) == [2]


def test_coverage_is_judged_in_the_councils_latest_period(register):
    peers = list(register.comparators["area_code"])
    rows = [row("E07000999", 50.0, "2025/26"), row("E07000999", 49.0, "2024/25")]
    rows += [row(code, 40.0, "2024/25") for code in peers]  # everyone, but a year earlier
    rows += [row(code, 40.0, "2025/26") for code in peers[:8]]  # 8 of 15 in the latest year
    table = pd.DataFrame(rows)
    found = coverage(table, register).set_index(["source", "metric"])
    assert found.loc[("lginform", "900001"), "ok"]
    assert found.loc[("lginform", "900001"), "comparators"] == "8 of 15"
    assert found.loc[("lginform", "900001"), "period"] == "2025/26"
    assert not found.loc[("oflog", "WM1"), "ok"]
    assert found.loc[("oflog", "WM1"), "problem"] == "no figures at all for this metric"

    fewer = pd.DataFrame(
        [r for r in rows if not (r["period_label"] == "2025/26" and r["area_code"] == peers[0])]
    )
    short = coverage(fewer, register).set_index(["source", "metric"])
    assert short.loc[("lginform", "900001"), "problem"] == "only 7 of 15 comparators have a value"


def test_missing_values_do_not_count_as_present(register):
    peers = list(register.comparators["area_code"])
    rows = [row("E07000999", None, "2025/26"), row("E07000999", 48.0, "2024/25")]
    rows += [row(code, None if i < 8 else 40.0, "2024/25") for i, code in enumerate(peers)]
    found = coverage(pd.DataFrame(rows), register).set_index(["source", "metric"])
    entry = found.loc[("lginform", "900001")]
    assert entry["period"] == "2024/25" and entry["comparators"] == "7 of 15" and not entry["ok"]
