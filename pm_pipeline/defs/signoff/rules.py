"""The sign-off rules, pure: which figure a decision was made on, whose decision counts, and
what each figure's check says.

A decision (its pi_id, decision, checked_by and checked_at) is bound **once**, when first read,
to the figure that stood at its `checked_at`, by the figure's content (value, parts, status,
note): editing, renaming or adding to the sign-off file never moves it, and the binding is
kept in the `signoffs` table for as long as the quarter is. Which figure stood when comes from
`signoff_figures`, each PI's figure as the step saw it change. A decision counts when it is
still in a file and was made by the PI's manager or a delegate for them (people.csv).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from pm_pipeline.core.values import is_missing
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.signoff.tables import SIGNOFF_FIGURES, SIGNOFFS

# What a figure's check says, in the reports' words
APPROVED, LAPSED, QUERY_OPEN, RESUBMITTED, UNCHECKED, CONFLICT = (
    "approved",
    "changed since approved",
    "query open",
    "resubmitted after a query",
    "not checked",
    "decisions disagree",
)

# What a decision was bound to when first read (signoffs.binding)
ON_FIGURE = "figure"
EARLIER = "earlier figure"  # checked before the first figure the warehouse saw was submitted
NO_FIGURE = "no figure"  # the PI had no accepted figure when it was checked
TOO_LATE = "dated after it was read"  # checked_at later than the row was first read

# Why a decision does not count (signoffs.not_counted)
WITHDRAWN = "withdrawn: no longer in any sign-off file"
NOT_DECIDER = "not the PI's manager or a delegate for them"
RETURNS_UNREAD = "the quarter's returns have not been read yet"

KEY = ["pi_id", "decision", "checked_by", "checked_at"]  # a decision is its content
FIGURE_PARTS = ("value", "numerator", "denominator", "status", "note")
FIGURE = ["figure_file", "figure_row", "figure_sha256", "figure_version"]


def figure_hash(figure: Mapping[str, object]) -> str:
    """The figure's content hash: what a manager approves (value, parts, status, note), so a
    figure moved to another file or row is the same figure, and a changed one is not."""
    parts = [
        None if is_missing(figure.get(c)) else figure[c] for c in ("pi_id", "period", *FIGURE_PARTS)
    ]
    text = json.dumps([float(p) if isinstance(p, int | float) else p for p in parts])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stamp(value: object) -> pd.Timestamp | None:
    return None if is_missing(value) else pd.Timestamp(value)


def _sha(row: Mapping[str, object]) -> str | None:
    sha = row.get("figure_sha256")
    return None if is_missing(sha) else str(sha)


def figure_timeline(
    before: pd.DataFrame, returns: pd.DataFrame, period: str, now: datetime
) -> pd.DataFrame:
    """The quarter's `signoff_figures`: what it held, and a new row for each PI whose figure
    differs from its latest one (or has gone). A new figure stands from when it was first
    seen, or from its `submitted_at` when that falls after the old figure was last seen: an
    owner who changes a figure but keeps an old `submitted_at` does not date it back."""
    rows = before.to_dict("records")
    latest: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: pd.Timestamp(r["first_seen_at"])):
        latest[row["pi_id"]] = row
    current = {r["pi_id"]: r for r in returns.to_dict("records")}
    stamp = pd.Timestamp(now)
    for pid in sorted(set(current) | set(latest)):
        figure, last = current.get(pid), latest.get(pid)
        sha = figure_hash(figure) if figure else None
        if last is not None and _sha(last) == sha:
            last["last_seen_at"] = stamp
            continue
        submitted = _stamp(figure.get("submitted_at")) if figure else None
        if last is None:  # the first figure seen: it stood from its submission
            since = min(submitted, stamp) if submitted is not None else None
        elif submitted is not None and pd.Timestamp(last["last_seen_at"]) < submitted <= stamp:
            since = submitted
        else:
            since = stamp
        rows.append(
            {
                "period": period,
                "pi_id": pid,
                "figure_sha256": sha,
                "value": figure.get("value") if figure else None,
                "status": figure.get("status") if figure else None,
                "current_from": since,
                "first_seen_at": stamp,
                "last_seen_at": stamp,
                "source_file": figure.get("source_file") if figure else None,
                "source_row": figure.get("source_row") if figure else None,
                "version": figure.get("version") if figure else None,
            }
        )
    return SIGNOFF_FIGURES.conform(pd.DataFrame(rows, columns=SIGNOFF_FIGURES.column_names))


def _figure_at(timeline: list[dict], checked: pd.Timestamp) -> tuple[str, dict | None]:
    """The binding of a decision checked at `checked`: the figure that stood then."""
    if not timeline:
        return NO_FIGURE, None
    standing = [
        r
        for r in timeline
        if is_missing(r["current_from"]) or pd.Timestamp(r["current_from"]) <= checked
    ]
    if not standing:
        return EARLIER, None
    figure = standing[-1]
    if _sha(figure) is None:
        return NO_FIGURE, None  # the return had been withdrawn
    return ON_FIGURE, figure


def _key(row: Mapping[str, object]) -> tuple:
    """A decision's identity: its content, whatever file or row it is in."""
    return tuple(_stamp(row[c]) if c == "checked_at" else row[c] for c in KEY)


def _legacy(row: dict, returns: dict[str, dict]) -> tuple[str, str | None]:
    """A decision bound before issue 26 (to a return's file, row and file hash), re-bound
    once: to the figure now standing if that is still the same return, else to an earlier
    one, so an approval that had lapsed stays lapsed."""
    figure = returns.get(row["pi_id"])
    if figure is None or _sha(row) is None:
        return (EARLIER, None) if figure is not None else (NO_FIGURE, None)
    same = (
        row["figure_file"] == figure["source_file"]
        and row["figure_sha256"] == figure["file_sha256"]
        and int(row["figure_row"]) == int(figure["source_row"])
    )
    return (ON_FIGURE, figure_hash(figure)) if same else (EARLIER, None)


def bind(
    decisions: pd.DataFrame,
    before: pd.DataFrame,
    timeline: pd.DataFrame,
    returns: pd.DataFrame,
    deciders: Mapping[str, Mapping[str, str]],
    now: datetime,
    returns_read: bool = True,
) -> pd.DataFrame:
    """The quarter's `signoffs`: every decision read now or before, each with the figure it
    was bound to when first read (a new one is bound now, to the figure of its checked_at),
    who it was decided as, and whether it counts. `decisions` are the rows in the files now."""
    stamp = pd.Timestamp(now)
    by_pi: dict[str, list[dict]] = {}
    for row in timeline.sort_values("first_seen_at").to_dict("records"):
        by_pi.setdefault(row["pi_id"], []).append(row)
    current = {r["pi_id"]: r for r in returns.to_dict("records")}
    known: dict[tuple, dict] = {}
    legacy: dict[tuple, dict] = {}
    for row in before.to_dict("records"):
        if not is_missing(row.get("binding")):
            known.setdefault(_key(row), row)
        elif is_missing(row.get("first_read_at")):  # bound before issue 26
            legacy.setdefault(_key(row), row)
    rows: dict[tuple, dict] = {}
    for row in decisions.sort_values(["source_file", "source_row"]).to_dict("records"):
        key = _key(row)
        if key in rows:
            continue  # the same decision copied into two places is one decision
        old = known.get(key)
        out = {**row, **{c: None for c in FIGURE}, "first_read_at": stamp, "binding": None}
        if old is not None:
            out.update({c: old[c] for c in (*FIGURE, "first_read_at", "binding")})
        elif (found := legacy.get(key)) is not None:
            out["binding"], out["figure_sha256"] = _legacy(found, current)
            if out["binding"] == ON_FIGURE:
                out.update({c: found[c] for c in ("figure_file", "figure_row", "figure_version")})
        elif not returns_read:
            pass  # bound once the quarter's returns have been read
        elif pd.Timestamp(row["checked_at"]) > stamp:
            out["binding"] = TOO_LATE
        else:
            out["binding"], figure = _figure_at(
                by_pi.get(row["pi_id"], []), pd.Timestamp(row["checked_at"])
            )
            if figure is not None:
                out.update(
                    {
                        "figure_file": figure["source_file"],
                        "figure_row": figure["source_row"],
                        "figure_sha256": figure["figure_sha256"],
                        "figure_version": figure["version"],
                    }
                )
        rows[key] = out
    for key, old in known.items():
        if key not in rows:  # withdrawn: kept, with its binding, in case it comes back
            rows[key] = {
                **old,
                "source_file": None,
                "source_row": None,
                "file_sha256": None,
                "version": None,
            }
    out_rows = []
    for row in rows.values():
        role = deciders.get(row["pi_id"], {}).get(row["checked_by"])
        if is_missing(row.get("source_file")):
            why = WITHDRAWN
        elif is_missing(row.get("binding")):
            why = RETURNS_UNREAD
        elif row["binding"] in (TOO_LATE, NO_FIGURE):
            why = row["binding"]
        elif role is None:
            why = NOT_DECIDER
        else:
            why = None
        out_rows.append({**row, "decided_as": role, "counted": why is None, "not_counted": why})
    frame = pd.DataFrame(out_rows, columns=SIGNOFFS.column_names)
    return frame.sort_values(["pi_id", "checked_at", "decision"], kind="stable", ignore_index=True)


def _when(value: object) -> str:
    return "" if is_missing(value) else f"{pd.Timestamp(value):%d/%m/%Y %H:%M}"


def _where(file: object, row: object) -> str:
    return f"signoff/{file} row {row}"


def _order(decision: dict) -> tuple:
    return (pd.Timestamp(decision["checked_at"]), decision["source_file"], decision["source_row"])


def _standing(on_figure: list[dict]) -> tuple[dict, list[dict]]:
    """The decision that stands on one figure (the latest), and, when they disagree, every
    decider's latest decisions: one person's later decision replaces their own earlier one,
    but not someone else's, and two at the same moment are both standing."""
    latest: dict[str, list[dict]] = {}
    for decision in sorted(on_figure, key=_order):
        mine = latest.get(decision["checked_by"])
        if mine and pd.Timestamp(mine[0]["checked_at"]) == pd.Timestamp(decision["checked_at"]):
            mine.append(decision)
        else:
            latest[decision["checked_by"]] = [decision]
    standing = sorted((d for ds in latest.values() for d in ds), key=_order)
    disagree = len({d["decision"] for d in standing}) > 1
    return standing[-1], standing if disagree else []


def figure_checks(
    returns: pd.DataFrame, decisions: pd.DataFrame, indicators: pd.DataFrame
) -> pd.DataFrame:
    """One row per accepted figure: its manager, check status and the decision behind it,
    from the decisions that count. A figure taken from an official statistic is the
    publisher's, not a manager's to check."""
    managers = dict(zip(indicators["pi_id"], indicators["manager"], strict=True))
    if "statistic_use" in indicators:
        taken = set(indicators.loc[indicators["statistic_use"] == "taken", "pi_id"])
        returns = returns[~returns["pi_id"].isin(taken)]
    by_pi: dict[str, list[dict]] = {}
    for decision in decisions.to_dict("records"):
        counted = decision.get("counted")
        if not is_missing(counted) and bool(counted):
            by_pi.setdefault(decision["pi_id"], []).append(decision)
    rows = []
    for figure in returns.to_dict("records"):
        mine = sorted(by_pi.get(figure["pi_id"], []), key=_order)
        sha = figure_hash(figure)
        on_this = [d for d in mine if d["binding"] == ON_FIGURE and d["figure_sha256"] == sha]
        conflict: list[dict] = []
        if on_this:
            latest, conflict = _standing(on_this)
            status = (
                CONFLICT
                if conflict
                else APPROVED
                if latest["decision"] == "approved"
                else QUERY_OPEN
            )
        elif mine:
            latest = mine[-1]
            status = LAPSED if latest["decision"] == "approved" else RESUBMITTED
        else:
            latest, status = {}, UNCHECKED
        rows.append(
            {
                "pi_id": figure["pi_id"],
                "manager": managers.get(figure["pi_id"]) or None,
                "check_status": status,
                "checked_by": latest.get("checked_by"),
                "checked_at": latest.get("checked_at"),
                "comment": latest.get("comment"),
                "decided_as": latest.get("decided_as"),
                "recorded_by": latest.get("recorded_by"),
                "conflict": "; ".join(
                    f"{d['decision']} by {d['checked_by']} at {_when(d['checked_at'])} "
                    f"({_where(d['source_file'], d['source_row'])})"
                    for d in conflict
                )
                or None,
                "decision_file": latest.get("source_file"),
                "decision_row": latest.get("source_row"),
                "source_file": figure["source_file"],
                "source_row": figure["source_row"],
            }
        )
    columns = ["pi_id", "manager", "check_status", "checked_by", "checked_at", "comment"]
    extra = [
        "decided_as",
        "recorded_by",
        "conflict",
        "decision_file",
        "decision_row",
        "source_file",
        "source_row",
    ]
    return pd.DataFrame(rows, columns=[*columns, *extra])


def _figure_where(row: dict) -> str:
    return f"{row['source_file']} row {row['source_row']}"


def evaluate(
    checks: pd.DataFrame, decisions: pd.DataFrame, indicators: pd.DataFrame, period: str
) -> list[Issue]:
    """Every sign-off rule but the reader's over a quarter's figure checks and decisions, as
    issues naming file, row and what to do, each on the list of the PI's manager. The
    figure and decider rules are a Great Expectations validation (`signoff/suite.py`)."""
    from pm_pipeline.defs.signoff.suite import failing_rows

    managers = {
        pid: str(m).casefold() if isinstance(m, str) and m else None
        for pid, m in zip(indicators["pi_id"], indicators["manager"], strict=True)
    }
    issues: list[Issue] = []

    def issue(rule: str, row: dict, file: str | None, line: int | None, value: str, text: str):
        owner = managers.get(row["pi_id"])
        issues.append(Issue(rule, row["pi_id"], file, line, value, text, owner, period))

    gone = decisions["not_counted"].isin([WITHDRAWN, RETURNS_UNREAD])
    present = decisions[~gone].reset_index(drop=True)
    failing = failing_rows(checks, present)
    figures = checks.to_dict("records")
    for index in failing["manager_query_open"]:
        row = figures[index]
        issue(
            "manager_query_open",
            row,
            row["source_file"],
            row["source_row"],
            QUERY_OPEN,
            f"{row['pi_id']} ({_figure_where(row)}) was queried by {row['checked_by']}"
            f"{': ' + row['comment'] if row['comment'] else ''} — the owner corrects and "
            "resubmits the figure, or the manager approves it in signoff/",
        )
    for index in failing["decisions_agree"]:
        row = figures[index]
        issue(
            "decisions_agree",
            row,
            row["decision_file"],
            row["decision_row"],
            CONFLICT,
            f"{row['pi_id']} ({_figure_where(row)}) has decisions on the same figure that "
            f"disagree: {row['conflict']} — it stays queried until one of them is withdrawn "
            "(delete its row), or the one who queried it approves it with a later row",
        )
    why = {
        UNCHECKED: "has not been checked",
        LAPSED: "changed since it was approved",
        RESUBMITTED: "was resubmitted after a query and needs checking again",
    }
    for index in failing["manager_checked"]:
        row = figures[index]
        manager = row["manager"] or "no manager in the register"
        issue(
            "manager_checked",
            row,
            row["source_file"],
            row["source_row"],
            row["check_status"],
            f"{row['pi_id']} ({_figure_where(row)}) {why[row['check_status']]} — {manager} "
            "approves it (or queries it) in the quarter's signoff/ folder",
        )
    rows = present.to_dict("records")
    for index in failing["checked_by_manager"]:
        row = rows[index]
        manager = managers.get(row["pi_id"])
        fix = (
            f"its manager in the register is {manager}: {manager} records the decision, or "
            "indicators.csv (manager) or people.csv (a delegate for them) is corrected"
            if manager
            else "it has no manager in indicators.csv, so no decision on it counts: add its "
            "manager there"
        )
        issue(
            "checked_by_manager",
            row,
            row["source_file"],
            row["source_row"],
            f"{row['decision']} by {row['checked_by']}",
            f"{_where(row['source_file'], row['source_row'])}: {row['pi_id']} was "
            f"{row['decision']} by {row['checked_by']}, who is not its manager or a delegate "
            f"for them, so it is not counted — {fix}",
        )
    for row in rows:
        when = _when(row["checked_at"])
        value = f"{row['decision']} by {row['checked_by']} at {when}"
        where = _where(row["source_file"], row["source_row"])
        if row["binding"] == NO_FIGURE:
            issue(
                "signoff_known",
                row,
                row["source_file"],
                row["source_row"],
                value,
                f"{where}: {row['pi_id']} had no figure in the quarter's returns when it was "
                f"{row['decision']} ({when}), so the decision is not counted and will not "
                "attach to a figure that arrives later — check the figure once it is in and "
                "add a new row",
            )
        elif row["binding"] == TOO_LATE:
            issue(
                "signoff_readable",
                row,
                row["source_file"],
                row["source_row"],
                value,
                f"{where}: checked_at {when} is later than when this row was first read "
                f"({_when(row['first_read_at'])}), so it is not counted — write the date and "
                "time you checked the figure",
            )
    return issues
