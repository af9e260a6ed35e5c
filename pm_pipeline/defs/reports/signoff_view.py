"""What the reports say of the managers' check: per figure, and the share checked.

Kept apart from `scorecard_report` so the report only gains a few keys: each entry's `check`
(the sentence and status) and the summary's `signoff` (how many figures were checked).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.model import People, Register
from pm_pipeline.defs.signoff.read import BY_PORTAL
from pm_pipeline.defs.signoff.rules import (
    APPROVED,
    CONFLICT,
    LAPSED,
    QUERY_OPEN,
    RESUBMITTED,
    figure_checks,
)
from pm_pipeline.defs.signoff.tables import SIGNOFFS


def _when(value: object) -> str:
    return "" if is_missing(value) else f"{pd.Timestamp(value):%-d %B %Y}"


def check_sentence(row: dict, names: People) -> str:
    """'Checked by <manager> on <date>', 'Not checked by the manager', or why not; each
    person by name and job title."""
    who, when = names.named(row["checked_by"]), _when(row["checked_at"])
    if row.get("decided_as") == "delegate" and row.get("manager"):
        who = f"{who} (delegate for {names.named(row['manager'])})"
    on = f" on {when}" if when else ""
    if row.get("checked_by") and row.get("recorded_by") != BY_PORTAL:
        # typed into a sign-off file: anyone who can write to the folder could have
        on += " (recorded by file)"
    status = row["check_status"]
    if status == APPROVED:
        return f"Checked by {who}{on}."
    if status == CONFLICT:
        return (
            "Not checked by the manager: the decisions on this figure disagree (it was both "
            "approved and queried)."
        )
    if status == LAPSED:
        return (
            f"Not checked by the manager: approved by {who}{on}, but the figure has changed "
            "since it was approved."
        )
    if status == QUERY_OPEN:
        return f"Not checked by the manager: queried by {who}{on}, not yet resolved."
    if status == RESUBMITTED:
        return f"Not checked by the manager: resubmitted after {who}'s query{on}."
    return "Not checked by the manager."


def signoff_view(conn: duckdb.DuckDBPyConnection, quarter: Quarter, register: Register) -> dict:
    """{'checks': {pi_id: {'status', 'text', 'checked_by', 'checked_on'}}, 'signoff': summary}."""
    returns = read_table(conn, PI_RETURNS, "period = ?", [quarter.key])
    decisions = read_table(conn, SIGNOFFS, "period = ?", [quarter.key])
    checks = figure_checks(returns, decisions, register.indicators)
    by_pi = {
        row["pi_id"]: {
            "status": row["check_status"],
            "text": check_sentence(row, register.names),
            "checked_by": (
                register.names.named(row["checked_by"]) if row["check_status"] == APPROVED else ""
            ),
            "checked_on": _when(row["checked_at"]) if row["check_status"] == APPROVED else "",
        }
        for row in checks.to_dict("records")
    }
    checked = sum(c["status"] == APPROVED for c in by_pi.values())
    total = len(by_pi)
    share = f"{checked / total:.0%}" if total else "—"
    return {
        "checks": by_pi,
        "signoff": {
            "checked": checked,
            "total": total,
            "share": share,
            "sentence": f"{checked} of {total} figures ({share}) were checked by their manager."
            if total
            else "No figures were returned, so none were checked.",
        },
    }
