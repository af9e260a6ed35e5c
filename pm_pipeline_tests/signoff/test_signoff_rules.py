"""The sign-off rules on hand-made files and figures (pure: no Dagster, no warehouse)."""

from datetime import datetime

import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.signoff.read import read_signoff_bytes
from pm_pipeline.defs.signoff.rules import (
    APPROVED,
    LAPSED,
    QUERY_OPEN,
    RESUBMITTED,
    UNCHECKED,
    bind,
    evaluate,
    figure_checks,
)

Q = Quarter(2025, 1)
IDS = {"kpi-1": "KPI-1", "svc-1": "SVC-1"}
INDICATORS = pd.DataFrame(
    {
        "pi_id": ["KPI-1", "SVC-1"],
        "manager": ["boss@test.example", "boss@test.example"],
    }
)


def returns(sha: str = "a" * 64, submitted: str = "2025-07-03 10:00") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "pi_id": pid,
                "source_file": "2025-26-Q1/r.csv",
                "source_row": row,
                "file_sha256": sha,
                "version": 1,
                "submitted_at": pd.Timestamp(submitted),
            }
            for pid, row in (("KPI-1", 2), ("SVC-1", 3))
        ]
    )


def decisions(text: str, figures: pd.DataFrame, before: pd.DataFrame | None = None):
    rows, issues, count = read_signoff_bytes(text.encode("utf-8-sig"), "2025-26-Q1/m.csv", Q, IDS)
    frame = pd.DataFrame(rows).assign(file_sha256="f" * 64)
    empty = pd.DataFrame(columns=["source_file", "file_sha256", "source_row", "figure_sha256"])
    return bind(frame, figures, empty if before is None else before), issues, count


def rules(bound: pd.DataFrame, figures: pd.DataFrame) -> dict[str, list]:
    checks = figure_checks(figures, bound, INDICATORS)
    found: dict[str, list] = {}
    for issue in evaluate(checks, bound, INDICATORS):
        found.setdefault(issue.rule, []).append(issue)
    return found


APPROVE_BOTH = (
    "PI ID,Decision,Checked By,Checked At,Comment\n"
    "kpi-1,Approved,Boss@test.example,21/07/2025 09:00,\n"
    "SVC-1,approved,boss@test.example,2025-07-21,Looks right\n"
)


def test_tolerant_header_and_dates_and_all_approved_keeps_every_rule():
    figures = returns()
    bound, issues, count = decisions(APPROVE_BOTH, figures)
    assert count == 2 and not issues
    assert bound["checked_at"].tolist()[0] == datetime(2025, 7, 21, 9, 0)
    assert rules(bound, figures) == {}
    checks = figure_checks(figures, bound, INDICATORS)
    assert set(checks["check_status"]) == {APPROVED}


def test_unchecked_figure_breaks_manager_checked_naming_manager_and_row():
    figures = returns()
    bound, _, _ = decisions(
        APPROVE_BOTH.splitlines()[0] + "\n" + APPROVE_BOTH.splitlines()[1], figures
    )
    found = rules(bound, figures)
    assert [i.pi_id for i in found["manager_checked"]] == ["SVC-1"]
    message = found["manager_checked"][0].message
    assert "2025-26-Q1/r.csv row 3" in message and "boss@test.example" in message
    assert UNCHECKED in set(figure_checks(figures, bound, INDICATORS)["check_status"])


def test_approval_lapses_when_the_figure_changes():
    figures = returns()
    bound, _, _ = decisions(APPROVE_BOTH, figures)  # bound to file sha aaaa…
    changed = returns(sha="b" * 64)  # the owner saved a new figure
    statuses = figure_checks(
        changed, bind(bound.drop(columns=["figure_sha256"]), changed, bound), INDICATORS
    )
    assert set(statuses["check_status"]) == {LAPSED}
    found = rules(bind(bound.drop(columns=["figure_sha256"]), changed, bound), changed)
    assert "changed since it was approved" in found["manager_checked"][0].message


def test_open_query_is_an_error_until_resubmitted_or_approved():
    figures = returns()
    text = "pi_id,decision,checked_by,checked_at,comment\nKPI-1,query,boss@test.example,21/07/2025,Too high?\nSVC-1,approved,boss@test.example,21/07/2025,\n"
    bound, _, _ = decisions(text, figures)
    found = rules(bound, figures)
    assert [i.pi_id for i in found["manager_query_open"]] == ["KPI-1"]
    assert "Too high?" in found["manager_query_open"][0].message
    # the owner resubmits after the query: the query is answered, the figure awaits a check
    later = returns(sha="c" * 64, submitted="2025-07-23 12:00")
    rebound = bind(bound.drop(columns=["figure_sha256"]), later, bound)
    assert "manager_query_open" not in rules(rebound, later)
    assert RESUBMITTED in set(figure_checks(later, rebound, INDICATORS)["check_status"])
    # ...and an approval after the query on the same figure closes it too
    text2 = text + "KPI-1,approved,boss@test.example,22/07/2025,Explained\n"
    bound2, _, _ = decisions(text2, figures)
    assert rules(bound2, figures) == {}
    assert QUERY_OPEN not in set(figure_checks(figures, bound2, INDICATORS)["check_status"])


def test_signed_by_someone_else_warns():
    figures = returns()
    bound, _, _ = decisions(
        APPROVE_BOTH.replace("Boss@test.example", "deputy@test.example"), figures
    )
    found = rules(bound, figures)
    assert [i.source_row for i in found["checked_by_manager"]] == [2]
    assert "deputy@test.example" in found["checked_by_manager"][0].message


def test_unknown_pi_or_quarter_and_bad_rows_are_errors_naming_file_and_row():
    text = (
        "pi_id,decision,checked_by,checked_at,comment,period\n"
        "XX-9,approved,boss@test.example,21/07/2025,,\n"
        "KPI-1,approved,boss@test.example,21/07/2025,,2024/25 Q4\n"
        "SVC-1,maybe,boss@test.example,21/07/2025,,\n"
        "KPI-1,approved,boss@test.example,21/07/2025,,2025/26 Q1\n"
    )
    rows, issues, count = read_signoff_bytes(text.encode(), "2025-26-Q1/m.csv", Q, IDS)
    assert count == 4 and len(rows) == 1  # nothing lost: 1 decision + 3 rows reported
    by_row = {(i.rule, i.source_row) for i in issues}
    assert by_row == {("signoff_known", 2), ("signoff_known", 3), ("signoff_readable", 4)}
    assert all("2025-26-Q1/m.csv row" in i.message for i in issues)


def test_report_partials_say_who_checked_and_escape_file_text():
    from pm_pipeline.defs.reports.signoff_view import check_sentence
    from pm_pipeline.render.pages import render_html

    row = {
        "check_status": APPROVED,
        "checked_by": "boss@test.example",
        "checked_at": datetime(2025, 7, 22, 9),
    }
    assert check_sentence(row) == "Checked by boss@test.example on 22 July 2025."
    assert check_sentence({**row, "check_status": UNCHECKED}) == "Not checked by the manager."
    assert "changed since it was approved" in check_sentence({**row, "check_status": LAPSED})
    html = render_html("_manager_check.html.j2", e={"check": {"text": "<b>Checked</b>"}})
    assert "&lt;b&gt;Checked&lt;/b&gt;" in html
    summary = render_html("_signoff_summary.html.j2", signoff={"sentence": "3 of 4 figures"})
    assert "Managers' check:</strong> 3 of 4 figures" in summary
