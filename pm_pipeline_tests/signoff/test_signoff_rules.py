"""The sign-off rules on hand-made files and figures (pure: no Dagster, no warehouse).

`Reads` plays the sign-off step over time: each `read` is one run at a given moment, carrying
the two tables (`signoffs`, `signoff_figures`) from one run to the next as the warehouse does.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.register.model import PEOPLE_COLUMNS, People
from pm_pipeline.defs.signoff.read import read_signoff_bytes
from pm_pipeline.defs.signoff.rules import (
    APPROVED,
    CONFLICT,
    LAPSED,
    QUERY_OPEN,
    RESUBMITTED,
    UNCHECKED,
    bind,
    evaluate,
    figure_checks,
    figure_timeline,
)
from pm_pipeline.defs.signoff.tables import SIGNOFF_FIGURES, SIGNOFFS

Q = Quarter(2025, 1)
IDS = {"kpi-1": "KPI-1", "svc-1": "SVC-1"}
BOSS, DEPUTY = "boss@test.example", "deputy@test.example"
INDICATORS = pd.DataFrame({"pi_id": ["KPI-1", "SVC-1"], "manager": [BOSS, BOSS]})
DECIDERS = {"KPI-1": {BOSS: "manager"}, "SVC-1": {BOSS: "manager", DEPUTY: "delegate"}}
HEADER = "pi_id,decision,checked_by,checked_at,comment\n"


def returns(
    kpi: float = 55.0, submitted: str = "2025-07-03 10:00", svc: float | None = 12.0
) -> pd.DataFrame:
    figures = [("KPI-1", 2, kpi), ("SVC-1", 3, svc)]
    return pd.DataFrame(
        [
            {
                "period": Q.key,
                "pi_id": pid,
                "value": value,
                "numerator": None,
                "denominator": None,
                "status": "final",
                "note": "Steady.",
                "submitted_at": pd.Timestamp(submitted),
                "source_file": "2025-26-Q1/r.csv",
                "source_row": row,
                "file_sha256": "a" * 64,
                "version": 1,
            }
            for pid, row, value in figures
            if value is not None
        ]
    )


class Reads:
    def __init__(self) -> None:
        self.decisions = SIGNOFFS.empty()
        self.timeline = SIGNOFF_FIGURES.empty()

    def read(self, text: str, figures: pd.DataFrame, at: str = "2025-07-25 12:00") -> Reads:
        rows, self.reader_issues, self.count = read_signoff_bytes(
            text.encode("utf-8-sig"), "2025-26-Q1/m.csv", Q, IDS
        )
        now = datetime.fromisoformat(at)
        frame = pd.DataFrame(rows, columns=[*rows[0]] if rows else ["source_file"])
        frame = frame.assign(file_sha256="f" * 64, version=1)
        self.timeline = figure_timeline(self.timeline, figures, Q.key, now)
        self.decisions = bind(frame, self.decisions, self.timeline, figures, DECIDERS, now)
        self.checks = figure_checks(figures, self.decisions, INDICATORS)
        self.found: dict[str, list] = {}
        for issue in evaluate(self.checks, self.decisions, INDICATORS, Q.key):
            self.found.setdefault(issue.rule, []).append(issue)
        return self

    def status(self, pid: str) -> str:
        return self.checks.set_index("pi_id").at[pid, "check_status"]


APPROVE_BOTH = (
    "PI ID,Decision,Checked By,Checked At,Comment\n"
    "kpi-1,Approved,Boss@test.example,21/07/2025 09:00,\n"
    "SVC-1,approved,boss@test.example,2025-07-21,Looks right\n"
)


def test_tolerant_header_and_dates_and_all_approved_keeps_every_rule():
    reads = Reads().read(APPROVE_BOTH, returns())
    assert reads.count == 2 and not reads.reader_issues
    assert reads.decisions["checked_at"].tolist()[0] == datetime(2025, 7, 21, 9, 0)
    assert reads.found == {}
    assert set(reads.checks["check_status"]) == {APPROVED}


def test_unchecked_figure_breaks_manager_checked_naming_manager_and_row():
    reads = Reads().read("\n".join(APPROVE_BOTH.splitlines()[:2]), returns())
    assert [i.pi_id for i in reads.found["manager_checked"]] == ["SVC-1"]
    message = reads.found["manager_checked"][0].message
    assert "2025-26-Q1/r.csv row 3" in message and BOSS in message
    assert reads.status("SVC-1") == UNCHECKED


def test_approval_lapses_when_the_figure_changes_and_stays_lapsed_however_the_file_changes():
    reads = Reads().read(APPROVE_BOTH, returns())
    changed = returns(kpi=56.0)  # the owner saved a new figure, keeping submitted_at
    reads.read(APPROVE_BOTH, changed, at="2025-07-26 09:00")
    assert reads.status("KPI-1") == LAPSED
    assert "changed since it was approved" in reads.found["manager_checked"][0].message
    # the manager edits the file (a comment, another row): the approval stays on 55
    edited = (
        APPROVE_BOTH.replace("09:00,", "09:00,checked twice")
        + "SVC-1,approved,boss@test.example,24/07/2025,\n"
    )
    reads.read(edited, changed, at="2025-07-26 10:00")
    assert reads.status("KPI-1") == LAPSED
    # a row dated before 56 was first seen is about 55; one after it approves 56
    reads.read(
        edited + "KPI-1,approved,boss@test.example,25/07/2025 09:00,\n", changed, "2025-07-27"
    )
    assert reads.status("KPI-1") == LAPSED
    reads.read(
        edited + "KPI-1,approved,boss@test.example,26/07/2025 09:30,\n", changed, "2025-07-27"
    )
    assert reads.status("KPI-1") == APPROVED


def test_a_new_figure_stands_from_its_submission_only_if_that_is_after_the_old_was_last_seen():
    reads = Reads().read(APPROVE_BOTH, returns())
    resubmitted = returns(kpi=57.0, submitted="2025-07-26 08:00")
    reads.read(APPROVE_BOTH, resubmitted, at="2025-07-26 12:00")
    kpi = reads.timeline[reads.timeline["pi_id"] == "KPI-1"]
    assert list(kpi["current_from"]) == [
        pd.Timestamp("2025-07-03 10:00"),
        pd.Timestamp("2025-07-26 08:00"),
    ]
    stale = returns(kpi=58.0, submitted="2025-07-03 10:00")  # changed, submitted_at kept
    reads.read(APPROVE_BOTH, stale, at="2025-07-27 12:00")
    assert reads.timeline["current_from"].iloc[-1] == pd.Timestamp("2025-07-27 12:00")


def test_open_query_is_an_error_until_resubmitted_or_approved():
    text = HEADER + (
        "KPI-1,query,boss@test.example,21/07/2025,Too high?\n"
        "SVC-1,approved,boss@test.example,21/07/2025,\n"
    )
    reads = Reads().read(text, returns())
    assert [i.pi_id for i in reads.found["manager_query_open"]] == ["KPI-1"]
    assert "Too high?" in reads.found["manager_query_open"][0].message
    # the owner resubmits after the query: the query is answered, the figure awaits a check
    later = returns(kpi=50.0, submitted="2025-07-26 11:00")
    reads.read(text, later, at="2025-07-26 11:01")
    assert "manager_query_open" not in reads.found
    assert reads.status("KPI-1") == RESUBMITTED
    # ...and the manager's own later approval of the queried figure closes it too
    again = Reads().read(
        text + "KPI-1,approved,boss@test.example,22/07/2025,Explained\n", returns()
    )
    assert again.found == {} and again.status("KPI-1") == APPROVED


def test_a_decision_by_someone_else_is_not_counted_and_a_delegate_decides_only_for_their_manager():
    forged = APPROVE_BOTH.replace("Boss@test.example", "intern@test.example")
    reads = Reads().read(forged, returns())
    [issue] = reads.found["checked_by_manager"]
    assert issue.severity == "ERROR" and issue.source_row == 2 and issue.owner == BOSS
    assert "intern@test.example" in issue.message and BOSS in issue.message
    assert reads.status("KPI-1") == UNCHECKED
    by_deputy = APPROVE_BOTH.replace("Boss@", "deputy@").replace("boss@", "deputy@")
    reads = Reads().read(by_deputy, returns())
    assert reads.status("SVC-1") == APPROVED  # deputy is SVC-1's manager's delegate
    assert reads.checks.set_index("pi_id").at["SVC-1", "decided_as"] == "delegate"
    assert reads.status("KPI-1") == UNCHECKED  # ...but not KPI-1's
    assert [i.pi_id for i in reads.found["checked_by_manager"]] == ["KPI-1"]


def test_the_manager_and_their_delegate_disagreeing_is_a_conflict_until_one_is_withdrawn():
    approve = "SVC-1,approved,deputy@test.example,22/07/2025 09:00,\n"
    query = "SVC-1,query,boss@test.example,23/07/2025 09:00,Why?\n"
    reads = Reads().read(HEADER + approve + query, returns())
    assert reads.status("SVC-1") == CONFLICT
    [issue] = reads.found["decisions_agree"]
    assert (
        "deputy@test.example" in issue.message and "signoff/2025-26-Q1/m.csv row 3" in issue.message
    )
    reads.read(HEADER + query, returns(), at="2025-07-25 13:00")  # the approval withdrawn
    assert reads.status("SVC-1") == QUERY_OPEN
    assert reads.decisions.set_index("checked_by").at[DEPUTY, "not_counted"].startswith("withdrawn")
    reads.read(HEADER + approve + query, returns(), at="2025-07-25 14:00")  # put back: as bound
    assert reads.status("SVC-1") == CONFLICT


def test_unknown_pi_or_quarter_and_bad_rows_are_warnings_naming_file_and_row():
    text = (
        "pi_id,decision,checked_by,checked_at,comment,period\n"
        "XX-9,approved,boss@test.example,21/07/2025,,\n"
        "KPI-1,approved,boss@test.example,21/07/2025,,2024/25 Q4\n"
        "SVC-1,maybe,boss@test.example,21/07/2025,,\n"
        "KPI-1,approved,boss@test.example,21/07/2025,,2025/26 Q1\n"
        "SVC-1,approved,boss@test.example,,,\n"
    )
    rows, issues, count = read_signoff_bytes(text.encode(), "2025-26-Q1/m.csv", Q, IDS)
    assert count == 5 and len(rows) == 1  # nothing lost: 1 decision + 4 rows reported
    by_row = {(i.rule, i.source_row) for i in issues}
    assert by_row == {
        ("signoff_known", 2),
        ("signoff_known", 3),
        ("signoff_readable", 4),
        ("signoff_readable", 6),
    }
    assert all(i.severity == "WARN" and "signoff/2025-26-Q1/m.csv row" in i.message for i in issues)
    assert "checked_at is empty" in next(i for i in issues if i.source_row == 6).message
    _, [whole], _ = read_signoff_bytes(
        b"pi_id,decision,checked_by\nKPI-1,approved,b@x.org\n", "2025-26-Q1/n.csv", Q, IDS
    )
    assert "no checked_at column" in whole.message


def test_a_decision_bound_before_issue_26_keeps_its_lapse():
    """A warehouse from before: the decision was bound to the return's file, row and file
    hash. Still the same return: it binds to that figure; the return since changed: it
    stays lapsed."""
    figures = returns()
    rows, _, _ = read_signoff_bytes(APPROVE_BOTH.encode(), "2025-26-Q1/m.csv", Q, IDS)
    old = pd.DataFrame(rows).assign(
        file_sha256="f" * 64,
        figure_file="2025-26-Q1/r.csv",
        figure_row=[2, 3],
        figure_sha256=["b" * 64, "a" * 64],  # KPI-1 was approved on an earlier save of r.csv
        figure_version=1,
    )
    frame = pd.DataFrame(rows).assign(file_sha256="f" * 64, version=1)
    now = datetime(2025, 7, 30)
    timeline = figure_timeline(SIGNOFF_FIGURES.empty(), figures, Q.key, now)
    bound = bind(frame, SIGNOFFS.conform(old), timeline, figures, DECIDERS, now)
    checks = figure_checks(figures, bound, INDICATORS).set_index("pi_id")["check_status"]
    assert checks.to_dict() == {"KPI-1": LAPSED, "SVC-1": APPROVED}


def test_report_partials_say_who_checked_by_name_and_escape_file_text():
    from pm_pipeline.defs.reports.signoff_view import check_sentence
    from pm_pipeline.render.pages import render_html

    row = {
        "check_status": APPROVED,
        "checked_by": BOSS,
        "checked_at": datetime(2025, 7, 22, 9),
        "recorded_by": "portal",  # made by the signed-in manager in the returns portal
    }
    people = People(
        pd.DataFrame(
            [
                {"email": BOSS, "name": "Bea Oss", "job_title": "Head of Housing"},
                {"email": DEPUTY, "name": "Dee Puty", "job_title": None},
            ]
        )
    )
    assert check_sentence(row, people) == "Checked by Bea Oss, Head of Housing on 22 July 2025."
    # typed into a sign-off file: anyone who can write to the folder could have
    assert check_sentence({**row, "recorded_by": "file"}, people) == (
        "Checked by Bea Oss, Head of Housing on 22 July 2025 (recorded by file)."
    )
    delegate = {**row, "checked_by": DEPUTY, "decided_as": "delegate", "manager": BOSS}
    assert check_sentence(delegate, people) == (
        "Checked by Dee Puty (delegate for Bea Oss, Head of Housing) on 22 July 2025."
    )
    # people.csv is optional: someone it does not list is shown by their address
    nobody = People(pd.DataFrame(columns=PEOPLE_COLUMNS))
    assert check_sentence(delegate, nobody) == (
        "Checked by deputy@test.example (delegate for boss@test.example) on 22 July 2025."
    )
    assert check_sentence({**row, "check_status": UNCHECKED}, people) == (
        "Not checked by the manager."
    )
    lapsed = check_sentence({**row, "check_status": LAPSED}, people)
    assert "approved by Bea Oss, Head of Housing" in lapsed and "changed since" in lapsed
    assert "disagree" in check_sentence({**row, "check_status": CONFLICT}, people)
    html = render_html("_manager_check.html.j2", e={"check": {"text": "<b>Checked</b>"}})
    assert "&lt;b&gt;Checked&lt;/b&gt;" in html
    summary = render_html("_signoff_summary.html.j2", signoff={"sentence": "3 of 4 figures"})
    assert "Managers' check:</strong> 3 of 4 figures" in summary
