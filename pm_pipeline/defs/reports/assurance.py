"""How far a report's figures can be relied on: the data assurance statement and its list.

The Cabinet paper states it for its own figures and the Audit and Risk Committee's
governance report for every figure of the quarter, from the same tables the management
report counts: the managers' check (`signoff_view`, already on each entry), returns owed
and received (`returns_owed`), returns late (the `submitted_on_time` warnings), figures
restated since first published (the entries' `first_reported_text`, from `restatements`)
and the data-quality checks that failed on them (`quality_issues`).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import read_table
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.load import returns_owed
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.signoff.rules import APPROVED, QUERY_OPEN

LATE = "submitted_on_time"


def assurance_view(
    conn: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    register: Register,
    entries: list[dict],
    whole_quarter: bool = False,
) -> dict:
    """The statement's counts, its sentence, and the list behind it (one row per figure and
    reason) for the PIs in `entries`; `whole_quarter` adds the issues that name no PI (a whole
    file that could not be read)."""
    ids = {e["pi_id"] for e in entries}
    by_id = {e["pi_id"]: e for e in entries}
    returns = read_table(conn, PI_RETURNS, "period = ?", [quarter.key])
    issues = read_table(conn, QUALITY_ISSUES, "period = ?", [quarter.key])
    owed = returns_owed(register.indicators[register.indicators["pi_id"].isin(ids)], quarter)
    received = set(returns["pi_id"]) & ids
    missing = sorted(set(owed["pi_id"]) - received)
    late = sorted(set(issues.loc[issues["rule"] == LATE, "pi_id"].dropna()) & ids)
    restated = [e for e in entries if e.get("first_reported_text")]
    checks = [e["check"] for e in entries if e.get("check")]
    checked = sum(c["status"] == APPROVED for c in checks)
    queried = sum(c["status"] == QUERY_OPEN for c in checks)
    mine = issues["pi_id"].isin(ids) | (issues["pi_id"].isna() if whole_quarter else False)
    failed = issues[mine & (issues["rule"] != LATE)].sort_values(["severity", "pi_id", "rule"])
    errors = int((failed["severity"] == "ERROR").sum())
    warnings = len(failed) - errors
    share = f"{checked / len(checks):.0%}" if checks else "—"
    rows: list[dict] = []

    def add(pid: str | None, what: str, detail: str) -> None:
        title = by_id[pid]["title"] if pid in by_id else ""
        rows.append({"pi_id": pid or "—", "title": title, "what": what, "detail": detail})

    for pid in missing:
        add(pid, "Return missing", "No return was received by the time this report was made.")
    for pid in late:
        add(pid, "Return late", "Received after the close of data entry.")
    for e in restated:
        add(
            e["pi_id"],
            "Restated",
            f"First published as {e['first_reported_text']}; now {e['value_text']}.",
        )
    for e in entries:
        check = e.get("check")
        if check and check["status"] != APPROVED:
            reason = check["text"].removeprefix("Not checked by the manager").lstrip(".: ")
            add(e["pi_id"], "Not checked by the manager", reason[:1].upper() + reason[1:])
    for issue in failed.to_dict("records"):
        what = "Check failed (error)" if issue["severity"] == "ERROR" else "Check warning"
        rule = str(issue["rule"]).replace("_", " ")
        add(
            issue["pi_id"] if isinstance(issue["pi_id"], str) else None,
            what,
            f"{rule}: {issue['message']}",
        )
    counts = {
        "figures": len(checks),
        "checked": checked,
        "share": share,
        "queried": queried,
        "owed": len(owed),
        "missing": len(missing),
        "late": len(late),
        "restated": len(restated),
        "errors": errors,
        "warnings": warnings,
    }
    by_rule = failed.groupby(["rule", "severity"], sort=True).size().reset_index(name="count")
    return {
        **counts,
        "sentence": _sentence(counts),
        "rows": rows,
        "by_rule": [
            {**r, "rule": str(r["rule"]).replace("_", " ")} for r in by_rule.to_dict("records")
        ],
    }


def _sentence(c: dict) -> str:
    if not c["figures"]:
        return "No figures were returned this quarter, so none could be checked."
    parts = [
        f"Of the {plural(c['figures'], 'figure', 'figures')} returned, {c['checked']} "
        f"({c['share']}) {plural(c['checked'], 'was', 'were', False)} checked by their manager "
        "before publication"
        + (
            f" and {c['queried']} {plural(c['queried'], 'is', 'are', False)} under query"
            if c["queried"]
            else ""
        )
        + ".",
        f"Of {plural(c['owed'], 'return', 'returns')} due, "
        f"{'none was' if not c['late'] else plural(c['late'], 'was', 'were')} late and "
        f"{'none is' if not c['missing'] else plural(c['missing'], 'is', 'are')} missing.",
        f"{'No figure has' if not c['restated'] else plural(c['restated'], 'figure has', 'figures have')} "
        "been restated since it was first published.",
        f"The data-quality checks found {plural(c['errors'], 'error', 'errors')} (an error keeps "
        f"a figure out until it is put right) and {plural(c['warnings'], 'warning', 'warnings')}.",
    ]
    return " ".join(parts)


def signoff_by_service(entries: list[dict]) -> list[dict]:
    """The managers' check by service: figures returned, checked, under query, not checked."""
    frame = pd.DataFrame(
        [
            {"service": e["service"], "status": e["check"]["status"]}
            for e in entries
            if e.get("check")
        ],
        columns=["service", "status"],
    )
    rows = []
    for service, group in frame.groupby("service", sort=True):
        checked = int((group["status"] == APPROVED).sum())
        queried = int((group["status"] == QUERY_OPEN).sum())
        rows.append(
            {
                "service": service,
                "figures": len(group),
                "checked": checked,
                "queried": queried,
                "unchecked": len(group) - checked - queried,
                "share": f"{checked / len(group):.0%}",
            }
        )
    return rows
