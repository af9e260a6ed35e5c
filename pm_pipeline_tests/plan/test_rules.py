"""The plan rules: each with an update that breaks it and one that keeps it (no Dagster)."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.plan.evaluate import evaluate_plan
from pm_pipeline.defs.plan.tables import ACTION_UPDATES
from pm_pipeline.defs.plan.updates import ACTION, RISK, read_update_files

Q = Quarter(2026, 2)  # 2026/27 Q2, ends 30/09/2026
ACTIONS = pd.DataFrame(
    [
        {
            "action_id": "IA-01",
            "title": "Recover void turnaround",
            "kind": "improvement",
            "theme": "Homes",
            "owner": "housing@council.example",
            "manager": "head.housing@council.example",
            "due_date": date(2026, 9, 30),
            "linked_pis": ["HS-02"],
            "linked_risks": ["CR-01"],
        },
        {
            "action_id": "CP-01",
            "title": "Open the new leisure centre",
            "kind": "deliverable",
            "theme": "Communities",
            "owner": "leisure@council.example",
            "manager": None,
            "due_date": date(2027, 3, 31),
            "linked_pis": [],
            "linked_risks": [],
        },
    ]
)
RISKS = pd.DataFrame(
    [
        {
            "risk_id": "CR-01",
            "title": "Housing demand",
            "theme": "Homes",
            "owner": "housing@council.example",
            "likelihood": 4,
            "impact": 4,
            "appetite": "low",
        }
    ]
)
GOOD_ACTION = {
    "action_id": "IA-01",
    "status": "on_track",
    "percent_complete": 60.0,
    "note": "Two new void officers started in August.",
    "revised_due_date": None,
    "submitted_by": "housing@council.example",
    "submitted_at": None,
    "source_file": "2026-27-Q2/actions.csv",
    "source_row": 2,
}
GOOD_RISK = {
    "risk_id": "CR-01",
    "likelihood": 4.0,
    "impact": 3.0,
    "note": "Temporary accommodation demand steady.",
    "submitted_by": None,
    "submitted_at": None,
    "source_file": "2026-27-Q2/risks.csv",
    "source_row": 2,
}
NO_EARLIER = pd.DataFrame(columns=["period", "action_id", "status"])


def judge(action: dict | None = None, risk: dict | None = None, earlier=NO_EARLIER):
    actions = pd.DataFrame(
        [action] if action else [], columns=[*ACTION.columns, "source_file", "source_row"]
    )
    risks = pd.DataFrame([risk or GOOD_RISK], columns=[*RISK.columns, "source_file", "source_row"])
    outcome = evaluate_plan(Q, ACTIONS, RISKS, actions, risks, earlier)
    return outcome, {i.rule for i in outcome.issues}


def test_a_good_quarter_passes_every_rule():
    outcome, rules = judge(GOOD_ACTION)
    assert rules == set()
    assert list(outcome.actions["action_id"]) == ["IA-01"]
    assert list(outcome.risks["score"]) == [12]


ACTION_BREAKS = [
    ({"action_id": "IA-99"}, "action_id_known"),
    ({"note": "n/a"}, "action_note_present"),
    ({"note": None}, "action_note_present"),
    ({"percent_complete": 140.0}, "action_percent_valid"),
    ({"percent_complete": 100.0}, "action_percent_valid"),  # 100 but on track
    ({"status": "complete", "percent_complete": 90.0}, "action_percent_valid"),
]


def test_each_error_rule_rejects_the_row_that_breaks_it():
    """One validation: row n + 3 breaks ACTION_BREAKS[n] (row 2 keeps every rule)."""
    rows = [GOOD_ACTION] + [
        {**GOOD_ACTION, **change, "action_id": change.get("action_id", "CP-01"), "source_row": n}
        for n, (change, _) in enumerate(ACTION_BREAKS, start=3)
    ]
    outcome = evaluate_plan(
        Q, ACTIONS, RISKS, pd.DataFrame(rows), pd.DataFrame([GOOD_RISK]), NO_EARLIER
    )
    found = {(i.source_row, i.rule) for i in outcome.issues if i.rule != "action_id_known"}
    found |= {(i.source_row, i.rule) for i in outcome.issues if i.pi_id == "IA-99"}
    expected = {(n, rule) for n, (_, rule) in enumerate(ACTION_BREAKS, start=3)}
    # CP-01 appears five times: each of those is also a duplicate (action_id_known, "once")
    assert found == expected
    assert list(outcome.actions["source_row"]) == [2]  # an ERROR keeps the row out
    messages = {i.source_row: i.message for i in outcome.issues if i.rule != "action_id_known"}
    assert "2026-27-Q2/actions.csv row 7" in messages[7] and "status is on track" in messages[7]


def test_an_open_action_due_in_the_quarter_without_an_update_is_reported_to_its_owner():
    outcome, rules = judge(None)
    assert rules == {"action_updates_complete"}
    (issue,) = outcome.issues
    assert issue.pi_id == "IA-01" and issue.owner == "housing@council.example"
    assert "returns/2026-27-Q2/" in issue.message and "head.housing" in issue.message
    # closed in an earlier quarter: nothing owed
    closed = pd.DataFrame([{"period": "2026-04-01", "action_id": "IA-01", "status": "complete"}])
    assert judge(None, earlier=closed)[1] == set()


def test_overdue_and_not_complete_is_a_warning_and_a_revised_date_clears_it():
    late = {**GOOD_ACTION, "action_id": "IA-01"}
    actions = ACTIONS.assign(due_date=[date(2026, 6, 30), date(2027, 3, 31)])
    frame = pd.DataFrame([late])
    outcome = evaluate_plan(Q, actions, RISKS, frame, pd.DataFrame([GOOD_RISK]), NO_EARLIER)
    assert {i.rule for i in outcome.issues} == {"action_not_overdue"}
    assert "30/06/2026" in outcome.issues[0].message
    assert len(outcome.actions) == 1  # a WARN keeps the row
    revised = pd.DataFrame([{**late, "revised_due_date": date(2026, 12, 31)}])
    outcome = evaluate_plan(Q, actions, RISKS, revised, pd.DataFrame([GOOD_RISK]), NO_EARLIER)
    assert outcome.issues == []


def test_a_completed_action_reopened_is_a_warning():
    before = pd.DataFrame([{"period": Q.previous.key, "action_id": "IA-01", "status": "complete"}])
    outcome, rules = judge(GOOD_ACTION, earlier=before)
    assert rules == {"action_not_reopened"}
    assert "was reported complete last quarter but is now on track" in outcome.issues[0].message
    assert len(outcome.actions) == 1  # a warning: the update is kept
    done = {**GOOD_ACTION, "status": "complete", "percent_complete": 100.0}
    assert judge(done, earlier=before)[1] == set()


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"likelihood": 6.0}, "risk_score_in_range"),
        ({"impact": 0.0}, "risk_score_in_range"),
        ({"impact": 2.5}, "risk_score_in_range"),
        ({"risk_id": "CR-77"}, "risk_id_known"),
        ({"note": "tbc"}, "risk_note_present"),
    ],
)
def test_each_risk_rule(change, rule):
    outcome, rules = judge(GOOD_ACTION, {**GOOD_RISK, **change})
    assert rules == {rule}
    assert outcome.risks.empty


def test_an_update_file_is_read_as_tolerantly_as_a_return(tmp_path: Path):
    folder = tmp_path / "returns" / Q.folder
    folder.mkdir(parents=True)
    (folder / "housing_actions.csv").write_text(
        "Action ID,Status,Percent Complete,Note,Revised Due Date,Submitted By,Submitted At\n"
        "ia-01,On Track,50%,Half the voids cleared,,housing@council.example,14/10/2026\n"
        "IA-01,on-track,50,Typo in the status,,,\n"
        "IA-99,on_track,50%,Not an action,,,2026-10-14\n"
    )
    (folder / "housing.csv").write_text("pi_id,period,value,note\nHS-02,2026/27 Q2,50,ok\n")
    read = read_update_files(
        tmp_path / "returns", tmp_path / "archive", Q, {"ia-01": "IA-01"}, {"cr-01": "CR-01"}
    )
    assert read.rows_in == 3  # the PI return is not an update
    rows = read.frame("action_id")
    assert list(rows["action_id"]) == ["IA-01", "IA-99"]  # the id is matched as returns' ids are
    assert list(rows["percent_complete"]) == [50.0, 50.0]  # "50%" is 50, as for returns
    assert list(rows["status"]) == ["on_track", "on_track"]
    assert rows["version"].tolist() == [1, 1] and rows["source_row"].tolist() == [2, 4]
    (typo,) = read.issues
    assert typo.rule == "action_update_readable" and typo.source_row == 3
    assert "'on-track' is not a status (did you mean on_track?)" in typo.message
    assert "housing_actions.csv row 3" in typo.message
    outcome = evaluate_plan(
        Q, ACTIONS, RISKS, rows, pd.DataFrame(columns=[*RISK.columns]), NO_EARLIER
    )
    unknown = [i for i in outcome.issues if i.rule == "action_id_known"]
    assert [i.source_row for i in unknown] == [4]
    assert set(ACTION_UPDATES.columns) <= {*outcome.actions.columns, "period"}


def test_red_kpi_has_action_counts_open_linked_improvement_actions_or_a_reason():
    from pm_pipeline.defs.plan.linking import kpis_without_action

    scorecard = pd.DataFrame(
        [
            {"pi_id": "HS-02", "type": "kpi", "note": "Demand rose."},
            {"pi_id": "PL-03", "type": "service", "note": "More appeals allowed."},
            {"pi_id": "HB-01", "type": "kpi", "note": "No improvement action: seasonal dip."},
            {"pi_id": "POP-1", "type": "place", "note": ""},
        ]
    )
    exceptions = pd.DataFrame(
        [
            {"pi_id": "HS-02", "exception": "RED"},
            {"pi_id": "PL-03", "exception": "WORSENING_TWO_QUARTERS"},
            {"pi_id": "HB-01", "exception": "RED"},
            {"pi_id": "POP-1", "exception": "RED"},
        ]
    )
    period = Q.key
    no_updates = pd.DataFrame(columns=["period", "action_id", "status"])
    missing = kpis_without_action(scorecard, exceptions, ACTIONS, no_updates, period)
    assert list(missing["pi_id"]) == ["PL-03"]  # HS-02 has IA-01; HB-01 says why; POP-1 no target
    closed = pd.DataFrame([{"period": period, "action_id": "IA-01", "status": "complete"}])
    missing = kpis_without_action(scorecard, exceptions, ACTIONS, closed, period)
    assert list(missing["pi_id"]) == ["HS-02", "PL-03"]  # a completed action answers nothing


def test_the_plan_files_are_validated_naming_file_row_and_column(tmp_path: Path):
    from pm_pipeline.defs.plan.config import dropped_links, load_plan
    from pm_pipeline.defs.register.model import Council, RegisterError

    council = Council("Test", "E07000999", "E12000004", ("People", "Place"))
    (tmp_path / "risks.csv").write_text(
        "risk_id,title,theme,owner,likelihood,impact,appetite\n"
        "CR-01,Demand,People,risk@council.example,4,4,low\n"
        "CR-02,Fire,Place,risk@council.example,6,2,low\n"
    )
    (tmp_path / "actions.csv").write_text(
        "action_id,title,kind,theme,service,owner,manager,start_date,due_date,linked_pis,"
        "linked_risks\n"
        "IA-01,Voids,Improvement,People,Housing,a@council.example,,01/07/2025,31/03/2026,"
        "hs-02,CR-01\n"
        "IA-02,Bins,project,Place,Waste,a@council.example,,,2026-03-31,XX-9,\n"
    )
    with pytest.raises(RegisterError) as caught:
        load_plan(tmp_path, council, {"HS-02"})
    assert caught.value.problems == [  # a link to an unknown PI is not one: it is dropped
        "risks.csv, row 3, column likelihood: '6' must be a whole number 1 to 5",
        "actions.csv, row 3, column kind: 'project' is not one of deliverable, improvement, "
        "service_plan",
    ]
    (tmp_path / "risks.csv").write_text(
        "risk_id,title,theme,owner,likelihood,impact,appetite\n"
        "CR-01,Demand,People,risk@council.example,4,4,low\n"
    )
    (tmp_path / "actions.csv").write_text(
        "action_id,title,kind,theme,service,owner,manager,start_date,due_date,linked_pis,"
        "linked_risks\n"
        "IA-01,Voids,Improvement,People,Housing,a@council.example,,01/07/2025,31/03/2026,"
        "hs-02;XX-9,CR-01;CR-9\n"
    )
    plan = load_plan(tmp_path, council, {"HS-02"})
    action = plan.actions.iloc[0]
    assert action["kind"] == "improvement" and action["linked_pis"] == ["HS-02"]
    assert action["due_date"] == date(2026, 3, 31) and plan.risks.iloc[0]["likelihood"] == 4
    assert [(d.row, d.column, d.linked_id) for d in dropped_links(plan.actions, plan.risks)] == [
        (2, "linked_pis", "XX-9"),
        (2, "linked_risks", "CR-9"),
    ]
