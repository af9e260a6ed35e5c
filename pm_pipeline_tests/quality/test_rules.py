"""Each data-quality rule with a file that breaks it and one that keeps it, run through Dagster.

The check's outcome and the `quality_issues` row (rule, PI, file, row) are what the data team
and the owner see, so those are what the tests assert.
"""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pm_pipeline.core.periods import Quarter, range_tags
from pm_pipeline_tests.council import Council, check_results, good_row, pi, query, run_job

Q = Quarter(2025, 1)
WARN_RULES = {"submitted_on_time", "movement_usual", "final_figures", "ratio_parts_given"}


def small_council(root: Path) -> Council:
    return Council(
        root,
        indicators=[
            pi("KPI-1", "Recycling rate", valid_min="0", measure="ratio"),
            pi(
                "CNT-1",
                "Homes delivered",
                type_="service",
                unit="count",
                decimals=0,
                owner="counts@test.example",
            ),
            pi(
                "SVC-1",
                "Days to decide",
                type_="service",
                unit="days",
                polarity="lower_is_better",
                valid_max="100",
            ),
            pi("ANN-1", "Carbon", type_="management", unit="count", frequency="annual", decimals=0),
        ],
        targets=[("KPI-1", f"{y}/{(y + 1) % 100}", 50, "") for y in (2023, 2024, 2025)],
    ).write()


def good_rows(quarter: Quarter = Q, kpi: float = 51.5) -> list[list[object]]:
    """A clean quarter; KPI-1, a ratio, gives its numerator and denominator (per 1,000)."""
    rows = [
        good_row("KPI-1", quarter, f"{kpi}", numerator=f"{kpi * 10:.0f}", denominator="1000"),
        good_row("CNT-1", quarter, "120"),
        good_row("SVC-1", quarter, "18.5"),
    ]
    return rows + ([good_row("ANN-1", quarter, "3,900")] if quarter.q == 4 else [])


def run_quarter(
    data_dir: Path, as_of: str = "2025-08-15", key: str = Q.key
) -> dg.ExecuteInProcessResult:
    instance = dg.DagsterInstance.ephemeral()
    assert run_job(data_dir, "register_job", instance=instance).success
    return run_job(
        data_dir,
        "returns_job",
        key,
        instance=instance,
        run_config={"ops": {"returns_intake": {"config": {"as_of": as_of}}}},
    )


def issues(data_dir: Path, period: str = Q.key) -> list[tuple]:
    return query(
        data_dir,
        "SELECT rule, severity, pi_id, source_file, source_row, message FROM quality_issues "
        "WHERE period = ? ORDER BY rule, source_row",
        period,
    )


def replace(rows: list[list[object]], pi_id: str, column: int, value: object) -> list[list[object]]:
    return [[*r[:column], value, *r[column + 1 :]] if r[0] == pi_id else r for r in rows]


# column indexes in RETURN_HEADER
PERIOD, VALUE, NUM, DEN, STATUS, NOTE, AT = 1, 2, 3, 4, 5, 6, 8

CASES = {
    "pi_in_register": ([*good_rows(), good_row("XX-9", Q, "5")], ("XX-9", 5)),
    "one_return_per_pi": ([*good_rows(), good_row("KPI-1", Q, "52")], ("KPI-1", 2)),
    "period_matches_folder": (replace(good_rows(), "KPI-1", PERIOD, "2025/26 Q2"), ("KPI-1", 2)),
    "value_present": (replace(good_rows(), "CNT-1", VALUE, ""), ("CNT-1", 3)),
    "note_present": (replace(good_rows(), "SVC-1", NOTE, "n/a"), ("SVC-1", 4)),
    "value_in_range": (good_rows(kpi=104.2), ("KPI-1", 2)),
    "numerator_denominator_agree": (
        replace(replace(good_rows(), "KPI-1", NUM, "120"), "KPI-1", DEN, "150"),
        ("KPI-1", 2),
    ),
    "ratio_parts_given": (
        replace(replace(good_rows(), "KPI-1", NUM, ""), "KPI-1", DEN, ""),
        ("KPI-1", 2),
    ),
    "returns_complete": ([r for r in good_rows() if r[0] != "CNT-1"], ("CNT-1", None)),
    "submitted_on_time": (replace(good_rows(), "SVC-1", AT, "28/07/2025 09:00"), ("SVC-1", 4)),
    "final_figures": (replace(good_rows(), "CNT-1", STATUS, "provisional"), ("CNT-1", 3)),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fails_on_a_breaking_file_and_names_pi_file_and_row(data_dir, rule):
    rows, (pi_id, row) = CASES[rule]
    small_council(data_dir).returns(Q, "service.csv", rows)
    result = run_quarter(data_dir)
    checks = check_results(result)
    assert checks[rule] is False
    assert result.success is (rule in WARN_RULES)  # ERROR rules are blocking
    found = [i for i in issues(data_dir) if i[0] == rule]
    assert (pi_id, row) in {(i[2], i[4]) for i in found}
    assert all(i[1] == ("WARN" if rule in WARN_RULES else "ERROR") for i in found)
    if row is not None:
        assert all(i[3] == "2025-26-Q1/service.csv" for i in found)


def test_a_clean_quarter_passes_every_rule(data_dir):
    small_council(data_dir).returns(Q, "service.csv", good_rows())
    result = run_quarter(data_dir)
    assert result.success
    assert set(check_results(result, "pi_returns").values()) == {True}
    assert issues(data_dir) == []


def test_messages_say_what_to_change(data_dir):
    rows = good_rows(kpi=104.2)
    rows = replace(rows, "CNT-1", VALUE, "12.5")
    rows.append(good_row("SVC-1", Q, "", status="unavailable", note="Not known"))
    small_council(data_dir).returns(Q, "housing.csv", rows[:2] + rows[3:])
    run_quarter(data_dir)
    messages = {(i[0], i[2]): i[5] for i in issues(data_dir)}
    assert messages[("value_in_range", "KPI-1")] == (
        "KPI-1 in 2025-26-Q1/housing.csv row 2 is 104.2 but a percentage must be between 0 and "
        "100 — correct the value and save the file"
    )
    assert "is 12.5 but a count must be a whole number" in messages[("value_in_range", "CNT-1")]
    assert "is unavailable but the note does not say why" in messages[("note_present", "SVC-1")]


def test_unavailable_with_a_reason_keeps_the_value_and_note_rules(data_dir):
    rows = [r for r in good_rows() if r[0] != "SVC-1"]
    rows.append(
        good_row(
            "SVC-1",
            Q,
            "",
            status="unavailable",
            note="The case system was replaced; figures return next quarter.",
        )
    )
    small_council(data_dir).returns(Q, "service.csv", rows)
    result = run_quarter(data_dir)
    assert result.success
    checks = check_results(result)
    assert checks["value_present"] and checks["note_present"]


def test_provisional_figures_are_fine_while_the_entry_window_is_open(data_dir):
    small_council(data_dir).returns(Q, "service.csv", CASES["final_figures"][0])
    result = run_quarter(data_dir, as_of="2025-07-10")
    assert check_results(result)["final_figures"] is True


def test_annual_pis_are_due_only_at_q4(data_dir):
    q4 = Quarter(2025, 4)
    small_council(data_dir).returns(q4, "service.csv", good_rows(q4)[:-1])
    result = run_quarter(data_dir, as_of="2026-05-01", key=q4.key)
    assert check_results(result)["returns_complete"] is False
    assert [i[2] for i in issues(data_dir, q4.key) if i[0] == "returns_complete"] == ["ANN-1"]


def test_unusual_movement_is_judged_against_the_pis_own_history(data_dir):
    council = small_council(data_dir)
    quarters = Quarter(2023, 1).history(1)
    while len(quarters) < 9:
        quarters.append(quarters[-1].next)
    for n, quarter in enumerate(quarters):
        value = 50 + (n % 2) * 0.8  # KPI-1 wobbles by under a point a quarter...
        if quarter == quarters[-1]:
            value = 80.0  # ...then jumps by 30
        council.returns(quarter, "service.csv", good_rows(quarter, kpi=value))
    instance = dg.DagsterInstance.ephemeral()
    assert run_job(data_dir, "register_job", instance=instance).success
    result = run_job(
        data_dir,
        "returns_job",
        instance=instance,
        tags=range_tags(quarters[0].key, quarters[-1].key),
    )
    assert result.success  # a WARN never blocks
    assert check_results(result)["movement_usual"] is False
    flagged = [(i[0], i[2]) for i in issues(data_dir, quarters[-1].key)]
    assert flagged == [("movement_usual", "KPI-1")]
    assert issues(data_dir, quarters[-2].key) == []


def test_a_file_of_duplicates_costs_what_it_has_rows(data_dir):
    """Each duplicate's message names a few of the other rows and counts the rest, so 3,000
    copies of one return are 3,000 short messages, not 3,000 lists of 3,000 places."""
    council = small_council(data_dir)
    council.returns(Q, "service.csv", good_rows())
    council.returns(Q, "pasted.csv", [good_row("KPI-1", Q, "51")] * 3000)
    result = run_quarter(data_dir)
    assert check_results(result)["one_return_per_pi"] is False
    (message,) = query(
        data_dir,
        "SELECT message FROM quality_issues WHERE source_file = ? AND source_row = 2",
        f"{Q.folder}/pasted.csv",
    )[0:1]
    assert "KPI-1 has 3001 returns for 2025/26 Q1" in message[0]
    assert "and 2,996 more" in message[0] and len(message[0]) < 400


def test_only_a_ratio_pis_return_with_a_value_needs_its_parts():
    from pm_pipeline.defs.quality.evaluate import _ratio_parts_given

    register = pd.DataFrame(
        {
            "pi_id": ["R", "ROLL", "F", "D"],
            "measure": ["ratio", "ratio", "flow", "ratio"],
            "rolling": [False, True, False, False],
            "measure_declared": [True, True, True, False],  # D: a percent PI's default
        }
    )
    rows = pd.DataFrame(
        {
            "pi_id": ["R", "R", "R", "ROLL", "F", "D"],
            "value": ["52.0", "52.0", "", "96.4", "120", "48.0"],
            "numerator": ["520", "", "", "", "", ""],
            "denominator": ["1000", "1000", "", "", "", ""],
        }
    )
    # parts given; numerator missing (warned); unavailable (no value); rolling; a flow; a
    # ratio only by its unit's default, whose returns need not give parts
    assert list(_ratio_parts_given(rows, register)) == [True, False, True, True, True, True]
