"""Managing a risk (issue 27): risks.csv's controls, target scores, review date and due action,
the council's appetite, and the rule that a risk beyond its appetite has an open action."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.plan.config import dropped_links, load_plan, risk_register_notices
from pm_pipeline.defs.plan.evaluate import unanswered_risks
from pm_pipeline.defs.register.frame import DEFAULT_APPETITE
from pm_pipeline.defs.register.model import Council, RegisterError

Q = Quarter(2026, 2)
COUNCIL = Council("Test", "E07000999", "E12000004", ("People", "Place"))
OLD_HEADER = "risk_id,title,theme,owner,likelihood,impact,appetite"
NEW_HEADER = f"{OLD_HEADER},controls,target_likelihood,target_impact,review_date,due_action"
ACTIONS = (
    "action_id,title,kind,theme,service,owner,manager,start_date,due_date,linked_pis,"
    "linked_risks\n"
    "IA-01,Voids,improvement,People,Housing,a@council.example,,01/07/2025,31/03/2027,,\n"
    "IA-02,Patching,improvement,Place,ICT,b@council.example,,01/07/2025,31/03/2027,,CR-05\n"
)


def risk(rid: str, likelihood: int, impact: int, appetite: str, due: str | None = None) -> dict:
    return {
        "risk_id": rid,
        "title": f"Risk {rid}",
        "theme": "People",
        "owner": f"{rid.lower()}@council.example",
        "likelihood": likelihood,
        "impact": impact,
        "appetite": appetite,
        "due_action": due,
        "linked": [],
    }


ACTION_FRAME = pd.DataFrame(
    [
        {"action_id": "IA-01", "kind": "improvement", "linked_risks": []},
        {"action_id": "IA-02", "kind": "improvement", "linked_risks": ["CR-05"]},
    ]
)


def unanswered(risks: list[dict], updates: list[dict] | None = None, statuses=()) -> dict:
    frame = pd.DataFrame(risks).drop(columns="linked")
    scores = pd.DataFrame(updates or [], columns=["period", "risk_id", "likelihood", "impact"])
    status = pd.DataFrame(list(statuses), columns=["period", "action_id", "status"])
    issues = unanswered_risks(Q, frame, scores, ACTION_FRAME, status, DEFAULT_APPETITE)
    return {i.pi_id: i for i in issues}


def test_a_risk_beyond_its_appetite_with_no_open_action_is_a_warning_for_its_owner():
    found = unanswered(
        [
            risk("CR-01", 4, 4, "low", due="IA-01"),  # 16 > 8, its due action is open
            risk("CR-02", 3, 5, "averse"),  # 15 > 4, no action at all: warned
            risk("CR-03", 2, 2, "moderate"),  # 4 <= 12: within appetite
            risk("CR-04", 5, 5, "tolerate"),  # a level council.yaml does not know: not judged
            risk("CR-05", 5, 4, "low"),  # 20 > 8, answered by IA-02 linking it in actions.csv
        ]
    )
    assert set(found) == {"CR-02"}
    issue = found["CR-02"]
    assert (issue.rule, issue.severity, issue.owner) == (
        "risk_over_appetite_has_action",
        "WARN",
        "cr-02@council.example",
    )
    assert issue.period == Q.key and issue.value == "15"
    assert (
        "scores 15 in 2026/27 Q2 (likelihood 3 x impact 5), beyond its averse appetite (at most 4)"
        in issue.message
    )
    assert "due_action column" in issue.message and "linked_risks" in issue.message


def test_the_quarters_score_is_judged_and_a_closed_action_answers_nothing():
    calm = risk("CR-01", 2, 4, "low", due="IA-01")  # 8: at the limit, within appetite
    assert unanswered([calm]) == {}
    rescored = [{"period": Q.key, "risk_id": "CR-01", "likelihood": 3, "impact": 4}]
    assert unanswered([calm], rescored) == {}  # 12 > 8, but IA-01 is open
    done = [(Q.previous.key, "IA-01", "complete")]
    assert set(unanswered([calm], rescored, done)) == {"CR-01"}
    earlier = [{"period": Q.previous.key, "risk_id": "CR-01", "likelihood": 1, "impact": 4}]
    assert unanswered([calm], earlier, done) == {}  # its latest score, 4, is within appetite


def test_a_risks_csv_without_the_new_columns_still_loads_and_the_warning_says_what_is_missing(
    tmp_path: Path,
):
    (tmp_path / "risks.csv").write_text(
        f"{OLD_HEADER}\nCR-01,Demand,People,risk@council.example,4,4,low\n"
    )
    (tmp_path / "actions.csv").write_text(ACTIONS.replace(",CR-05\n", ",\n"))
    plan = load_plan(tmp_path, COUNCIL, set())
    loaded = plan.risks.iloc[0]
    assert (loaded["risk_id"], loaded["likelihood"], loaded["impact"]) == ("CR-01", 4, 4)
    assert loaded["controls"] is None and loaded["review_date"] is None
    (notice,) = risk_register_notices(plan.risks, DEFAULT_APPETITE)
    assert notice.startswith(
        "risks.csv: no controls, target_likelihood, target_impact, review_date, due_action "
        "column — add them"
    )


def test_the_new_columns_are_read_checked_and_what_is_left_out_is_named(tmp_path: Path):
    (tmp_path / "actions.csv").write_text(ACTIONS)
    rows = [
        "CR-01,Demand,People,r@council.example,4,4,Low,Prevention team,2,4,31/12/2026,ia-01",
        "CR-05,Cyber,Place,r@council.example,3,5,tolerate,,,,,IA-99",
    ]
    (tmp_path / "risks.csv").write_text("\n".join([NEW_HEADER, *rows]) + "\n")
    plan = load_plan(tmp_path, COUNCIL, set())
    first = plan.risks.iloc[0]
    assert first["appetite"] == "low" and first["controls"] == "Prevention team"
    assert (first["target_likelihood"], first["target_impact"]) == (2, 4)
    assert first["review_date"] == date(2026, 12, 31) and first["due_action"] == "IA-01"
    assert risk_register_notices(plan.risks, DEFAULT_APPETITE) == [
        "risks.csv, CR-05: no controls, target_likelihood, target_impact, review_date — fill "
        "them in",
        "risks.csv, CR-05: appetite 'tolerate' is not a level in council.yaml's risk_appetite "
        f"({', '.join(DEFAULT_APPETITE)}) — use one of them, or add 'tolerate' there with the "
        "highest score it accepts; until then it is not judged",
    ]
    # a due action that is not in actions.csv is the plan's error (plan_links_known): dropped
    (second,) = plan.risks.iloc[1:].to_dict("records")
    assert pd.isna(second["due_action"]) and second["dropped_due_action"] == "IA-99"
    (link,) = dropped_links(plan.actions, plan.risks)
    assert link.message.startswith(
        "config/risks.csv, row 3, column due_action: CR-05 links to 'IA-99', which is not an "
        "action in config/actions.csv, so the reports leave that link out"
    )
    (tmp_path / "risks.csv").write_text(
        f"{NEW_HEADER}\nCR-01,Demand,People,r@council.example,4,4,low,,7,4,someday,\n"
    )
    with pytest.raises(RegisterError) as caught:
        load_plan(tmp_path, COUNCIL, set())
    assert caught.value.problems[0] == (
        "risks.csv, row 2, column target_likelihood: '7' must be a whole number 1 to 5, or blank"
    )
    assert caught.value.problems[1].startswith("risks.csv, row 2, column review_date: ")
