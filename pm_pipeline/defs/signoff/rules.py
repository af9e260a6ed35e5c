"""The sign-off rules, pure: which decision applies to which figure, and what is outstanding.

A decision approves (or queries) **the figure as it stood**: when first read it is bound to
the return then accepted (its file, row and content hash). A later figure, from a changed
file or a return submitted after the decision was dated, is a different figure: an approval
of the old one has lapsed, and a query on it has been answered by the resubmission.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pm_pipeline.core.checks import ERROR, WARN, Rule
from pm_pipeline.core.values import is_missing

SIGNOFF_RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule(
            "signoff_readable",
            ERROR,
            "signoffs",
            "Every sign-off file opens and every row has a pi_id, a decision (approved or "
            "query), checked_by and a readable checked_at.",
        ),
        Rule(
            "signoff_known",
            ERROR,
            "signoffs",
            "Every sign-off row names a PI in the register and (if it gives a period) the "
            "quarter of its folder.",
        ),
        Rule(
            "manager_query_open",
            ERROR,
            "signoffs",
            "No figure the manager queried stands unchanged and unapproved: the owner "
            "resubmits it or the manager approves it.",
        ),
        Rule(
            "manager_checked",
            WARN,
            "signoffs",
            "Every accepted figure is approved by a manager, as it now stands (listed by manager).",
        ),
        Rule(
            "checked_by_manager",
            WARN,
            "signoffs",
            "Each decision is made by the PI's manager in the register.",
        ),
    )
}

# What a figure's check says, in the reports' words
APPROVED, LAPSED, QUERY_OPEN, RESUBMITTED, UNCHECKED = (
    "approved",
    "changed since approved",
    "query open",
    "resubmitted after a query",
    "not checked",
)
FIGURE = ["figure_file", "figure_row", "figure_sha256", "figure_version"]
BINDING_KEY = ["source_file", "file_sha256", "source_row"]


@dataclass
class SignoffIssue:
    """A sign-off problem; `message` names file and row and says what to do."""

    rule: str
    pi_id: str | None
    source_file: str | None
    source_row: int | None
    message: str
    manager: str | None = None

    @property
    def severity(self) -> str:
        return SIGNOFF_RULES[self.rule].severity


def bind(decisions: pd.DataFrame, returns: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Each decision with the figure it was made on: as bound when first read (`before`, the
    table's earlier rows), else the return accepted now."""
    out = decisions.copy()
    for column in FIGURE:
        out[column] = None
    known = {
        tuple(row[k] for k in BINDING_KEY): row
        for row in before.to_dict("records")
        if not is_missing(row.get("figure_sha256"))
    }
    current = {row["pi_id"]: row for row in returns.to_dict("records")}
    for index, row in out.iterrows():
        old = known.get(tuple(row[k] for k in BINDING_KEY))
        if old is not None:
            figure = [old[c] for c in FIGURE]
        elif row["pi_id"] in current:
            ret = current[row["pi_id"]]
            figure = [ret["source_file"], ret["source_row"], ret["file_sha256"], ret["version"]]
        else:
            continue
        out.loc[index, FIGURE] = figure
    return out


def _about(decision: dict, figure: dict) -> bool:
    """Whether a decision was made on this figure (same file, row and content, not before it
    was submitted)."""
    same = (
        decision["figure_file"] == figure["source_file"]
        and decision["figure_sha256"] == figure["file_sha256"]
        and int(decision["figure_row"]) == int(figure["source_row"])
    )
    checked, submitted = decision.get("checked_at"), figure.get("submitted_at")
    if same and not is_missing(checked) and not is_missing(submitted):
        return pd.Timestamp(checked) >= pd.Timestamp(submitted)
    return same


def _order(decision: dict) -> tuple:
    checked = decision.get("checked_at")
    stamp = pd.Timestamp.min if is_missing(checked) else pd.Timestamp(checked)
    return (stamp, decision["source_file"], decision["source_row"])


def figure_checks(
    returns: pd.DataFrame, decisions: pd.DataFrame, indicators: pd.DataFrame
) -> pd.DataFrame:
    """One row per accepted figure: its manager, check status and the decision behind it.
    A figure taken from an official statistic is the publisher's, not a manager's to check."""
    managers = dict(zip(indicators["pi_id"], indicators["manager"], strict=True))
    if "statistic_use" in indicators:
        taken = set(indicators.loc[indicators["statistic_use"] == "taken", "pi_id"])
        returns = returns[~returns["pi_id"].isin(taken)]
    by_pi: dict[str, list[dict]] = {}
    for decision in decisions.to_dict("records"):
        if not is_missing(decision.get("figure_sha256")):
            by_pi.setdefault(decision["pi_id"], []).append(decision)
    rows = []
    for figure in returns.to_dict("records"):
        mine = sorted(by_pi.get(figure["pi_id"], []), key=_order)
        on_this = [d for d in mine if _about(d, figure)]
        relevant = on_this or mine
        latest: dict | None = relevant[-1] if relevant else None
        if latest is None:
            status = UNCHECKED
        elif on_this:
            status = APPROVED if latest["decision"] == "approved" else QUERY_OPEN
        else:
            status = LAPSED if latest["decision"] == "approved" else RESUBMITTED
        rows.append(
            {
                "pi_id": figure["pi_id"],
                "manager": managers.get(figure["pi_id"]) or None,
                "check_status": status,
                "checked_by": latest["checked_by"] if latest else None,
                "checked_at": latest["checked_at"] if latest else None,
                "comment": latest["comment"] if latest else None,
                "source_file": figure["source_file"],
                "source_row": figure["source_row"],
            }
        )
    columns = ["pi_id", "manager", "check_status", "checked_by", "checked_at", "comment"]
    return pd.DataFrame(rows, columns=[*columns, "source_file", "source_row"])


def _where(row: dict) -> str:
    return f"{row['source_file']} row {row['source_row']}"


def evaluate(
    checks: pd.DataFrame, decisions: pd.DataFrame, indicators: pd.DataFrame
) -> list[SignoffIssue]:
    """The manager_* rules (a Great Expectations validation, `signoff/suite.py`) over a
    quarter's figure checks and decisions, as issues naming file, row and what to do."""
    from pm_pipeline.defs.signoff.suite import failing_rows

    managers = {
        pid: str(m).casefold() if isinstance(m, str) and m else None
        for pid, m in zip(indicators["pi_id"], indicators["manager"], strict=True)
    }
    signed = decisions.assign(
        checked_by=decisions["checked_by"].astype(str).str.casefold(),
        manager=decisions["pi_id"].map(managers),
    )
    failing = failing_rows(checks, signed)
    figures = checks.to_dict("records")
    issues: list[SignoffIssue] = []
    for index in failing["manager_query_open"]:
        row = figures[index]
        issues.append(
            SignoffIssue(
                "manager_query_open",
                row["pi_id"],
                row["source_file"],
                row["source_row"],
                f"{row['pi_id']} ({_where(row)}) was queried by {row['checked_by']}"
                f"{': ' + row['comment'] if row['comment'] else ''} — the owner corrects "
                "and resubmits the figure, or the manager approves it in signoff/",
                row["manager"] or "no manager in the register",
            )
        )
    why = {
        UNCHECKED: "has not been checked",
        LAPSED: "changed since it was approved",
        RESUBMITTED: "was resubmitted after a query and needs checking again",
    }
    for index in failing["manager_checked"]:
        row = figures[index]
        manager = row["manager"] or "no manager in the register"
        issues.append(
            SignoffIssue(
                "manager_checked",
                row["pi_id"],
                row["source_file"],
                row["source_row"],
                f"{row['pi_id']} ({_where(row)}) {why[row['check_status']]} — {manager} "
                "approves it (or queries it) in the quarter's signoff/ folder",
                manager,
            )
        )
    rows = signed.to_dict("records")
    for index in failing["checked_by_manager"]:
        row = rows[index]
        issues.append(
            SignoffIssue(
                "checked_by_manager",
                row["pi_id"],
                row["source_file"],
                row["source_row"],
                f"{_where(row)}: {row['pi_id']} was {row['decision']} by {row['checked_by']}, "
                f"but its manager in the register is {row['manager']} — the manager signs it "
                "off, or the register is corrected",
                row["manager"],
            )
        )
    return issues
