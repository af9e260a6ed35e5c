"""The report sections on corporate plan deliverables, improvement actions and risks.

`plan_view` gathers from the warehouse what the quarterly report shows beside the PIs: each
theme's deliverables (status as text and shape, % complete, due date), each exception's linked
improvement actions and risks (score and direction since last quarter), the KPIs that need an
action but have none (the `red_kpi_has_action` rule, counted the same way), and the risk
summary (a 5x5 grid as a real table, and a list). `plan_sheets` gives the XLSX sheets and
`annual_plan_view` the annual report's count of deliverables completed, slipped and carried
over. Each names the links config/actions.csv makes to ids the register does not have
(`dropped`): the reports publish without them and say so. The templates are the `_plan_*.html.j2`
partials.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pm_pipeline.core.periods import FinancialYear, Quarter
from pm_pipeline.core.sheets import where
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table
from pm_pipeline.defs.plan.config import dropped_links
from pm_pipeline.defs.plan.linking import (
    kpis_without_action,
    latest_updates,
    linked_actions,
    risk_scores,
    risks_without_action,
)
from pm_pipeline.defs.plan.tables import (
    ACTION_REGISTER,
    ACTION_UPDATES,
    RISK_REGISTER,
    RISK_UPDATES,
)
from pm_pipeline.defs.register.model import Council, People
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD
from pm_pipeline.render.spreadsheet import Sheet

# status -> (words, shape, style): meaning never by colour alone; the style (CSS
# .status-<style>) gives each its own border as well as its colour. The shapes are their own:
# no RAG, direction or SPC symbol means a plan status too (pm_pipeline_tests/test_symbols.py);
# "No update" has words only.
STATUS_TEXT = {
    "complete": ("Complete", "☑", "done"),
    "on_track": ("On track", "◉", "on"),
    "at_risk": ("At risk", "⚠", "risk"),
    "off_track": ("Off track", "⊘", "off"),
    "not_started": ("Not started", "◌", "none"),
    "cancelled": ("Cancelled", "⊖", "none"),
    None: ("No update", "", "none"),
}
SCORES = range(1, 6)


def _day(value: object) -> str:
    if is_missing(value):
        return ""
    return f"{pd.Timestamp(value):%-d %b %Y}"


def plan_status(status: object) -> dict:
    """A plan status as the reports show it: words, shape and style (never colour alone)."""
    key = None if is_missing(status) else str(status)
    words, shape, style = STATUS_TEXT.get(key, STATUS_TEXT[None])
    return {"status": key, "status_text": words, "shape": shape, "style": style}


def _action_item(action: dict, latest: pd.DataFrame, names: People) -> dict:
    update = (
        latest.loc[action["action_id"]].to_dict() if action["action_id"] in latest.index else {}
    )
    percent = update.get("percent_complete")
    revised = update.get("revised_due_date")
    return {
        "action_id": action["action_id"],
        "title": action["title"],
        "kind": action["kind"],
        "owner": names.named(action["owner"]),
        **plan_status(update.get("status")),
        "percent": None if is_missing(percent) else round(float(percent)),
        "due_text": _day(action["due_date"]),
        "revised_text": _day(revised),
        "note": update.get("note") or "",
        "updated": update.get("period"),
    }


def _risk_items(
    risks: pd.DataFrame,
    updates: pd.DataFrame,
    quarter: Quarter,
    appetite: dict[str, int],
    actions: pd.DataFrame,
    action_updates: pd.DataFrame,
    names: People,
) -> list[dict]:
    """Each risk as the reports show it: inherent -> current -> target score, its direction
    since last quarter, its appetite and whether the current score is beyond it, its next
    review (overdue when before the quarter's end), controls and the action due on it.
    Scored by `linking.risk_scores`, as the `risk_over_appetite_has_action` check scores it."""
    if risks.empty:
        return []
    scores = risk_scores(risks, updates, quarter.key, appetite)
    before = latest_updates(updates, quarter.previous.key)
    now = latest_updates(updates, quarter.key)
    unanswered = set(risks_without_action(scores, actions, action_updates, quarter.key)["risk_id"])
    latest_actions = latest_updates(action_updates, quarter.key)
    titles = dict(zip(actions["action_id"], actions["title"], strict=True))
    items = []
    for risk in scores.to_dict("records"):
        rid = risk["risk_id"]
        score = int(risk["current"])
        previous = int(before.loc[rid, "score"]) if rid in before.index else None
        if previous is None:
            direction = "No earlier score"
        elif score > previous:
            direction = f"Up from {previous}"
        elif score < previous:
            direction = f"Down from {previous}"
        else:
            direction = "No change"
        review = risk.get("review_date")
        due = risk.get("due_action")
        due = due if isinstance(due, str) else None
        status = latest_actions.loc[due, "status"] if due in latest_actions.index else None
        items.append(
            {
                "risk_id": rid,
                "title": risk["title"],
                "theme": risk["theme"],
                "owner": names.named(risk["owner"]),
                "appetite": risk["appetite"] or "",
                "appetite_limit": _int(risk["appetite_limit"]),
                "over_appetite": bool(risk["over_appetite"]),
                "no_action": rid in unanswered,
                "likelihood": int(risk["current_likelihood"]),
                "impact": int(risk["current_impact"]),
                "score": score,
                "inherent": int(risk["inherent"]),
                "inherent_text": f"{risk['inherent']} ({risk['likelihood']} × {risk['impact']})",
                "target": _int(risk["target"]),
                "target_text": ""
                if is_missing(risk["target"])
                else f"{risk['target']} ({risk['target_likelihood']} × {risk['target_impact']})",
                "previous": previous,
                "direction": direction,
                "note": now.loc[rid, "note"] if rid in now.index else "",
                "from_register": not risk["updated"],
                "controls": risk.get("controls") or "",
                "review_text": _day(review),
                "review_overdue": not is_missing(review)
                and pd.Timestamp(review).date() < quarter.end,
                "due_action": due,
                "due_action_title": titles.get(due, "") if due else "",
                **({f"due_{k}": v for k, v in plan_status(status).items()} if due else {}),
            }
        )
    return sorted(items, key=lambda r: (-r["score"], r["risk_id"]))


def _int(value: object) -> int | None:
    return None if is_missing(value) else int(value)  # type: ignore[call-overload]


def _band(score: int) -> str:
    return "high" if score >= 15 else "medium" if score >= 8 else "low"


def _grid(risks: list[dict]) -> list[dict]:
    """Rows of the 5x5 grid, impact 5 (top) to 1; each cell lists the risks scored there."""
    placed: dict[tuple[int, int], list[str]] = {}
    for r in risks:
        placed.setdefault((r["likelihood"], r["impact"]), []).append(r["risk_id"])
    return [
        {
            "impact": impact,
            "cells": [
                {
                    "likelihood": likelihood,
                    "score": likelihood * impact,
                    "band": _band(likelihood * impact),
                    "risks": placed.get((likelihood, impact), []),
                }
                for likelihood in SCORES
            ],
        }
        for impact in reversed(SCORES)
    ]


def _dropped(actions: pd.DataFrame, risks: pd.DataFrame) -> list[dict]:
    """The links left out, as the `_plan_dropped` partial names them."""
    return [
        {
            "item_id": d.item_id,
            "title": d.title,
            "linked_id": d.linked_id,
            "what": d.what,
            "where": where(d.file, d.row, d.column),
        }
        for d in dropped_links(actions, risks)
    ]


def plan_view(
    conn: duckdb.DuckDBPyConnection, quarter: Quarter, council: Council, names: People
) -> dict:
    """The plan sections of the quarterly report, as plain data (empty for a council with no
    actions or risks); owners by name (`names`)."""
    themes = council.themes
    actions = read_table(conn, ACTION_REGISTER)
    risks = read_table(conn, RISK_REGISTER)
    updates = read_table(conn, ACTION_UPDATES, "period <= ?", [quarter.key])
    risk_updates = read_table(conn, RISK_UPDATES, "period <= ?", [quarter.previous.key])
    risk_now = read_table(conn, RISK_UPDATES, "period = ?", [quarter.key])
    scorecard = read_table(conn, KPI_SCORECARD, "period = ?", [quarter.key])
    exceptions = read_table(conn, KPI_EXCEPTIONS, "period = ?", [quarter.key])
    latest = latest_updates(updates, quarter.key)
    items = [_action_item(a, latest, names) for a in actions.to_dict("records")]
    by_id = {i["action_id"]: i for i in items}
    shown = [
        i
        for i in items
        if i["kind"] != "improvement"
        and not (i["status"] in ("complete", "cancelled") and i["updated"] != quarter.key)
        and (i["updated"] is not None or _started(actions, i["action_id"], quarter))
    ]
    appetite = dict(council.risk_appetite)
    risk_items = _risk_items(
        risks, pd.concat([risk_updates, risk_now]), quarter, appetite, actions, updates, names
    )
    risk_by_id = {r["risk_id"]: r for r in risk_items}
    links = {}
    for pid in scorecard["pi_id"]:
        linked = linked_actions(actions, pid)
        improving = [by_id[a] for a in linked["action_id"] if by_id[a]["kind"] == "improvement"]
        risk_ids = sorted({r for ids in linked["linked_risks"] for r in ids})
        links[pid] = {
            "actions": [a for a in improving if a["status"] not in ("complete", "cancelled")],
            "risks": [risk_by_id[r] for r in risk_ids if r in risk_by_id],
        }
    missing = kpis_without_action(scorecard, exceptions, actions, updates, quarter.key)
    return {
        "has_plan": not actions.empty or not risks.empty,
        "deliverables": {
            theme: [i for i in shown if _theme(actions, i["action_id"]) == theme]
            for theme in themes
        },
        "links": links,
        "no_action": set(missing["pi_id"]) if not actions.empty else set(),
        "risks": risk_items,
        "risk_grid": _grid(risk_items),
        "risks_over_appetite": [r for r in risk_items if r["over_appetite"]],
        "reviews_overdue": [r for r in risk_items if r["review_overdue"]],
        "appetite_levels": [{"level": k, "limit": v} for k, v in appetite.items()],
        "improvement_actions": [i for i in items if i["kind"] == "improvement"],
        "dropped": _dropped(actions, risks),
    }


def _theme(actions: pd.DataFrame, action_id: str) -> str:
    return actions.loc[actions["action_id"] == action_id, "theme"].iloc[0]


def _started(actions: pd.DataFrame, action_id: str, quarter: Quarter) -> bool:
    start = actions.loc[actions["action_id"] == action_id, "start_date"].iloc[0]
    return is_missing(start) or pd.Timestamp(start) <= pd.Timestamp(quarter.end)


def plan_sheets(plan: dict) -> list[Sheet]:
    """The Actions and Risks sheets of the quarterly workbook (text is neutralised there)."""
    rows = [
        {
            "Action": i["action_id"],
            "Title": i["title"],
            "Kind": i["kind"].replace("_", " "),
            "Theme": theme,
            "Owner": i["owner"],
            "Status": i["status_text"],
            "% complete": i["percent"],
            "Due": i["due_text"],
            "Revised due": i["revised_text"],
            "Note": i["note"],
        }
        for theme, items in plan["deliverables"].items()
        for i in items
    ]
    rows += [
        {
            "Action": i["action_id"],
            "Title": i["title"],
            "Kind": "improvement",
            "Theme": "",
            "Owner": i["owner"],
            "Status": i["status_text"],
            "% complete": i["percent"],
            "Due": i["due_text"],
            "Revised due": i["revised_text"],
            "Note": i["note"],
        }
        for i in plan["improvement_actions"]
    ]
    risks = [
        {
            "Risk": r["risk_id"],
            "Title": r["title"],
            "Theme": r["theme"],
            "Owner": r["owner"],
            "Likelihood": r["likelihood"],
            "Impact": r["impact"],
            "Score": r["score"],
            "Since last quarter": r["direction"],
            "Inherent score": r["inherent"],
            "Target score": r["target"],
            "Appetite": r["appetite"],
            "Appetite: highest score": r["appetite_limit"],
            "Beyond appetite": "Yes" if r["over_appetite"] else "",
            "Controls": r["controls"],
            "Due action": r["due_action"] or "",
            "Next review": r["review_text"],
            "Review overdue": "Yes" if r["review_overdue"] else "",
            "Note": r["note"],
        }
        for r in plan["risks"]
    ]
    return [
        Sheet("Actions", pd.DataFrame(rows), widths={"Title": 45, "Note": 60}),
        Sheet("Risks", pd.DataFrame(risks), widths={"Title": 45, "Controls": 50, "Note": 60}),
    ]


def annual_plan_view(conn: duckdb.DuckDBPyConnection, year: FinancialYear, names: People) -> dict:
    """Deliverables due in the year: completed (on time or late), slipped, carried over."""
    everything = read_table(conn, ACTION_REGISTER)
    actions = everything[everything["kind"] != "improvement"]
    last = year.quarters[-1]
    updates = read_table(conn, ACTION_UPDATES, "period <= ?", [last.key])
    latest = latest_updates(updates, last.key)
    completed: list[dict] = []
    slipped: list[dict] = []
    carried: list[dict] = []
    for action in actions.to_dict("records"):
        due = action["due_date"]
        if is_missing(due) or not year.quarters[0].start <= pd.Timestamp(due).date() <= last.end:
            continue
        item = _action_item(action, latest, names)
        history = updates[updates["action_id"] == action["action_id"]]
        done = history[history["status"] == "complete"]
        if not done.empty:
            when = Quarter.from_key(done["period"].min())
            late = when.start > _as_date(due)
            (slipped if late else completed).append({**item, "done_in": when.label})
        else:
            carried.append({**item, "done_in": None})
    return {
        "completed": completed,
        "slipped": slipped,
        "carried": carried,
        "dropped": _dropped(everything, read_table(conn, RISK_REGISTER)),
    }


def _as_date(value: object) -> date:
    return pd.Timestamp(value).date()
