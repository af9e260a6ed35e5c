"""Monthly PIs (issue 28): a month's returns in returns/<YYYY-MM>/, checked by the quarter's
rules, and each monthly PI's quarter in the quarterly scorecard worked out from its months by
its measure (hand-worked figures below)."""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.periods import MONTHLY, Month, Quarter, range_tags
from pm_pipeline.defs.intake.rollup import quarter_from_months
from pm_pipeline.defs.intake.tables import PI_MONTHLY_RETURNS, PI_RETURNS
from pm_pipeline.defs.quality.rules import RETURN_RULES
from pm_pipeline_tests.council import (
    RETURN_HEADER,
    Council,
    RunInstance,
    check_results,
    good_row,
    pi,
    query,
    run_job,
    write_csv,
)

Q = Quarter(2025, 1)
APRIL, MAY, JUNE = Q.months
STAFF = "owner@test.example"


def month_row(pi_id: str, month: Month, value: object, **overrides: object) -> list[object]:
    """A monthly return row that passes every rule (submitted on the month's first working
    day after it ends)."""
    start, _ = month.entry_window
    row = {
        "pi_id": pi_id,
        "period": month.label,
        "value": value,
        "numerator": "",
        "denominator": "",
        "status": "final",
        "note": "Steady performance this month.",
        "submitted_by": STAFF,
        "submitted_at": f"{start:%d/%m/%Y} 10:00",
    }
    row.update(overrides)
    return [row[c] for c in RETURN_HEADER]


def month_file(root: Path, month: Month, rows: list[list[object]], name: str = "monthly.csv"):
    return write_csv(root / "returns" / month.folder / name, RETURN_HEADER, rows)


MONTHLY_SERVICE = {"type_": "service", "frequency": "monthly"}
COUNT = {"unit": "count", "decimals": 0}


def council(root: Path) -> Council:
    return Council(
        root,
        indicators=[
            pi("KPI-1", "Recycling rate"),
            pi("CX-1", "Complaints received", **COUNT, **MONTHLY_SERVICE),
            pi("CX-2", "Member enquiries", **COUNT, **MONTHLY_SERVICE),
            pi("CA-1", "Calls answered", measure="ratio", **MONTHLY_SERVICE),
            pi("RC-1", "Rent collected, year to date", measure="cumulative", **MONTHLY_SERVICE),
        ],
        targets=[("KPI-1", "2025/26", 50, "")],
    ).write()


def test_a_monthly_pis_quarter_in_the_scorecard_is_what_its_measure_says(data_dir):
    c = council(data_dir)
    c.returns(Q, "quarterly.csv", [good_row("KPI-1", Q, "51")])
    calls = {APRIL: (900, 1000), MAY: (1600, 2000), JUNE: (500, 1000)}  # 90%, 80%, 50%
    for month, complaints, rent, enquiries in (
        (APRIL, 40, 8.1, 10),
        (MAY, 35, 16.5, None),  # May's member enquiries never came
        (JUNE, 52, 24.9, 12),
    ):
        answered, offered = calls[month]
        rows = [
            month_row("CX-1", month, complaints),
            month_row(
                "CA-1",
                month,
                f"{100 * answered / offered:.1f}",
                numerator=answered,
                denominator=offered,
            ),
            month_row("RC-1", month, rent),
        ]
        if enquiries is not None:
            rows.append(month_row("CX-2", month, enquiries))
        month_file(data_dir, month, rows)
    instance = RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    months = run_job(
        data_dir, "monthly_returns_job", instance=instance, tags=range_tags(APRIL.key, JUNE.key)
    )
    assert check_results(months, "pi_monthly_returns")["returns_complete"] is False  # May's
    quarter = run_job(
        data_dir, "quarter_history_job", instance=instance, tags=range_tags(Q.key, Q.key)
    )
    assert quarter.success
    scored = {
        r[0]: r[1:]
        for r in query(
            data_dir,
            "SELECT pi_id, value, status, note FROM kpi_scorecard WHERE period = ?",
            Q.key,
        )
    }
    assert scored["CX-1"][0] == 127  # flow: 40 + 35 + 52
    assert scored["CA-1"][0] == 75.0  # ratio: 3,000 / 4,000 answered, not the mean 73.3
    assert scored["RC-1"][0] == 24.9  # cumulative: June's year to date
    assert scored["KPI-1"][0] == 51  # a quarterly PI beside them, as before
    value, status, note = scored["CX-2"]
    assert value is None and status == "unavailable"  # a total of two months is not a quarter's
    assert note.startswith("2 of 3 months returned: no quarterly figure (no figure for May 2025)")
    assert scored["CX-1"][2].startswith(
        "3 of 3 months returned; the quarter's figure: sum of the 3"
    )
    (provenance,) = query(
        data_dir,
        "SELECT source_file, numerator, denominator FROM pi_returns WHERE pi_id = 'CA-1'",
    )
    assert provenance == (
        "2025-04/monthly.csv; 2025-05/monthly.csv; 2025-06/monthly.csv",
        3000,
        4000,
    )
    # each month is kept as returned, keyed by its month
    assert query(
        data_dir, "SELECT period, value FROM pi_monthly_returns WHERE pi_id = 'CX-1' ORDER BY 1"
    ) == [("2025-04-01", 40), ("2025-05-01", 35), ("2025-06-01", 52)]


def test_a_monthly_return_gets_the_quarters_messages_naming_file_row_and_column(data_dir):
    c = council(data_dir)
    month_file(
        data_dir,
        MAY,
        [
            month_row("CX-1", MAY, 30),
            month_row("CX-2", MAY, 4, period="2025/26 Q1"),  # a quarter, in a month's folder
            month_row("CA-1", MAY, "104.2"),  # out of range
            month_row("RC-1", MAY, 16.5, submitted_at="20/06/2025 09:00"),  # late
            month_row("KPI-1", MAY, 50),  # a quarterly PI, in a month's folder
        ],
    )
    c.returns(Q, "quarterly.csv", [good_row("KPI-1", Q, "51"), good_row("CX-1", Q, "120")])
    instance = RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    run = run_job(data_dir, "monthly_returns_job", MAY.key, instance=instance)
    checks = check_results(run, "pi_monthly_returns")
    assert not checks["row_readable"] and not checks["value_in_range"]
    assert checks["submitted_on_time"] is False  # a warning: it does not block
    messages = {
        (r[0], r[1]): r[2:]
        for r in query(
            data_dir,
            "SELECT rule, pi_id, message, source_file, source_row, period, month "
            "FROM quality_issues",
        )
    }
    file = "2025-05/monthly.csv"
    assert messages[("row_readable", "CX-2")] == (
        f"CX-2 in {file} row 3, column period: '2025/26 Q1' is not a month; write it like "
        "July 2026 or 2026-07",
        file,
        3,
        Q.key,  # a month's problems are its quarter's, and say which month
        MAY.key,
    )
    assert messages[("value_in_range", "CA-1")][0] == (
        f"CA-1 in {file} row 4 is 104.2 but a percentage must be between 0 and 100 — correct "
        "the value and save the file"
    )
    assert messages[("submitted_on_time", "RC-1")][0] == (
        f"RC-1 in {file} row 5 was submitted on 20/06/2025, after the data-entry window closed "
        "on 13/06/2025 — please submit by the 10th working day next month"
    )
    assert messages[("period_matches_folder", "KPI-1")][0].startswith(
        f"KPI-1 in {file} row 6 is a quarterly PI but the file is in the May 2025 folder — "
        "return it for the whole quarter in returns/2025-26-Q1/"
    )
    # the quarter's own read keeps the month's problems and reports its own beside them
    run_job(data_dir, "returns_job", Q.key, instance=instance)
    rules = {
        (r[0], r[1], r[2])
        for r in query(
            data_dir, "SELECT rule, pi_id, month FROM quality_issues WHERE period = ?", Q.key
        )
    }
    assert ("value_in_range", "CA-1", MAY.key) in rules
    assert ("period_matches_folder", "CX-1", None) in rules  # a monthly PI's quarterly row
    assert ("returns_complete", "CX-1", None) not in rules  # monthly PIs are owed by month
    owner_list = (data_dir / "reports" / Q.folder / "quality" / f"{STAFF}.html").read_text()
    assert "CA-1 in 2025-05/monthly.csv row 4 is 104.2" in owner_list


@pytest.mark.parametrize(("due_day", "on_time"), [(None, False), (13, True)])
def test_a_month_is_on_time_by_the_councils_working_day(data_dir, due_day, on_time):
    """Due by the 10th working day by default (15 May 2025 for April, after the early May bank
    holiday), so a return on 19 May is late; on time where council.yaml says the 13th (20 May)."""
    council(data_dir)
    if due_day is not None:
        yaml_path = data_dir / "config" / "council.yaml"
        yaml_path.write_text(yaml_path.read_text() + f"monthly_due_working_day: {due_day}\n")
    rows = [
        month_row(p, APRIL, 1, submitted_at="19/05/2025 09:00")
        for p in ("CX-1", "CX-2", "CA-1", "RC-1")
    ]
    month_file(data_dir, APRIL, rows)
    instance = RunInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    run = run_job(data_dir, "monthly_returns_job", APRIL.key, instance=instance)
    assert check_results(run, "pi_monthly_returns")["submitted_on_time"] is on_time


def test_the_ui_shows_monthly_runs_and_their_checks_per_month():
    """The data team's view: pi_monthly_returns is partitioned by month (from the first quarter)
    with one check per returns rule, and the quarter's pi_returns reads its months."""
    from pm_pipeline.definitions import build_defs

    graph = build_defs().resolve_asset_graph()
    monthly = graph.get(dg.AssetKey(PI_MONTHLY_RETURNS.key))
    assert monthly.partitions_def == MONTHLY
    assert monthly.partitions_def.get_first_partition_key() == "2021-04-01"
    assert monthly.group_name == "monthly"
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == monthly.key}
    assert checks == {r.name for r in RETURN_RULES} - {"statistic_agrees"}
    quarterly = graph.get(dg.AssetKey(PI_RETURNS.key))
    assert monthly.key in quarterly.parent_keys
    mapping = graph.get_partition_mapping(quarterly.key, monthly.key)
    assert mapping.get_upstream_mapped_partitions_result_for_partitions(
        quarterly.partitions_def.subset_with_partition_keys([Q.key]),
        quarterly.partitions_def,
        MONTHLY,
    ).partitions_subset.get_partition_keys() == [m.key for m in Q.months]


@pytest.mark.parametrize(
    ("measure", "unit", "months", "value", "parts"),
    [
        ("flow", "count", [(3, None, None), (4, None, None), (5, None, None)], 12, (None, None)),
        (
            "stock",
            "count",
            [(30, None, None), (40, None, None), (35, None, None)],
            35,
            (None, None),
        ),
        (
            "average",
            "days",
            [(10, None, 100), (20, None, 300), (30, None, 100)],
            20.0,
            (None, 500),
        ),  # weighted: (1,000 + 6,000 + 3,000) / 500
        ("ratio", "percent", [(50, 1, 2), (25, 1, 4), (50, 2, 4)], 40.0, (4, 10)),
    ],
)
def test_a_quarter_from_hand_worked_months(measure, unit, months, value, parts):
    import pandas as pd

    indicators = pd.DataFrame(
        [
            {
                **pi("M-1", "Monthly", unit=unit, frequency="monthly", measure=measure),
                "decimals": 1,
                "rolling": False,
            }
        ]
    )
    rows = pd.DataFrame(
        [
            {
                "period": m.key,
                "pi_id": "M-1",
                "value": v,
                "numerator": n,
                "denominator": d,
                "status": "final",
                "note": "",
                "submitted_by": STAFF,
                "submitted_at": None,
                "source_file": f"{m.folder}/m.csv",
                "source_row": 2,
                "file_sha256": "x",
                "version": 1,
            }
            for m, (v, n, d) in zip(Q.months, months, strict=True)
        ]
    )
    (row,) = quarter_from_months(rows, indicators, Q).to_dict("records")
    assert row["value"] == value
    assert (row["numerator"], row["denominator"]) == parts
    assert row["note"].startswith("3 of 3 months returned")


def test_a_cumulative_pi_starting_its_year_again_is_not_an_unusual_movement():
    """Rent collected year to date climbs all year and starts again in April: the April fall
    is not flagged (a March figure that fell that far would be)."""
    import pandas as pd

    from pm_pipeline.defs.quality.evaluate import validation_frame

    indicators = pd.DataFrame([pi("RC-1", "Rent", measure="cumulative", frequency="monthly")])

    def movement(month: Month) -> float:
        """The movement of a return of 8% for `month`, after a year climbing 8 points a month
        from May 2025 (with a little wobble)."""
        history = pd.DataFrame(
            [
                {"pi_id": "RC-1", "period": m.key, "value": 8.0 * ((m.month - 4) % 12 + 1) + n % 2}
                for n, m in enumerate(month.previous.history(month.previous.month + 8))
            ]
        )
        row = {c: None for c in ("numerator", "denominator", "submitted_by", "submitted_at")}
        row.update(
            pi_id="RC-1",
            period=month.key,
            stated_period=month.key,
            value=8.0,
            status="final",
            note="n",
            source_file="f",
            source_row=2,
            file_sha256="x",
            raw_value="8",
            raw_id_hint="",
        )
        frame = validation_frame(
            pd.DataFrame([row]), indicators, history, date(2026, 6, 1), [month]
        )
        return frame["movement_z"].iloc[0]

    assert abs(movement(Month(2026, 3))) > 3.5  # from 88 to 8 in March: far outside
    assert pd.isna(movement(Month(2026, 4)))  # from 96 to 8 in April: the year starts again
