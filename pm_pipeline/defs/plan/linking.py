"""Which improvement actions and risks answer a KPI exception, and the `red_kpi_has_action` rule.

Pure functions over warehouse frames, shared by the scorecard-side check and the reports so
that the report shows exactly the actions the check counted.
"""

from __future__ import annotations

import re

import pandas as pd

from pm_pipeline.defs.plan.updates import CLOSED
from pm_pipeline.defs.register.model import SCORED_TYPES
from pm_pipeline.defs.scorecard.rules import EXCEPTION_RED, EXCEPTION_WORSENING_RUN

# An owner's note that says why a RED KPI has no improvement action ("No improvement action:
# the fall is seasonal", "an action is not needed because ...").
NO_ACTION_REASON = re.compile(
    r"(?i)\bno\b[^.]{0,40}\baction\b|\baction\b[^.]{0,40}\bnot\s+(?:needed|required)\b"
)
NEEDS_ACTION = (EXCEPTION_RED, EXCEPTION_WORSENING_RUN)


def latest_updates(updates: pd.DataFrame, period: str) -> pd.DataFrame:
    """Each action's (or risk's) latest update in or before the quarter, by id."""
    id_column = "action_id" if "action_id" in updates.columns else "risk_id"
    upto = updates[updates["period"] <= period].sort_values("period")
    return upto.drop_duplicates(id_column, keep="last").set_index(id_column)


def open_actions(actions: pd.DataFrame, updates: pd.DataFrame, period: str) -> pd.DataFrame:
    """Actions not reported complete or cancelled by the quarter, with their latest status."""
    latest = latest_updates(updates, period)
    status = actions["action_id"].map(latest["status"]) if len(latest) else None
    out = actions.assign(status=status)
    return out[~out["status"].isin(CLOSED)]


def linked_actions(actions: pd.DataFrame, pi_id: str) -> pd.DataFrame:
    mask = actions["linked_pis"].map(lambda ids: pi_id in list(ids)).astype(bool)
    return actions.loc[mask]


def kpis_needing_action(exceptions: pd.DataFrame, scorecard: pd.DataFrame) -> pd.DataFrame:
    """Scored PIs (kpi, service, management) that are RED or worsening two quarters running:
    contextual and place-based PIs have no target, so no improvement action is owed."""
    ids = set(exceptions.loc[exceptions["exception"].isin(NEEDS_ACTION), "pi_id"])
    return scorecard[scorecard["type"].isin(SCORED_TYPES) & scorecard["pi_id"].isin(ids)]


def kpis_without_action(
    scorecard: pd.DataFrame,
    exceptions: pd.DataFrame,
    actions: pd.DataFrame,
    updates: pd.DataFrame,
    period: str,
) -> pd.DataFrame:
    """The `red_kpi_has_action` failures: KPIs needing action with no open improvement action
    linked and no note saying why not."""
    improving = open_actions(actions[actions["kind"] == "improvement"], updates, period)
    linked = {pid for ids in improving["linked_pis"] for pid in ids}
    needing = kpis_needing_action(exceptions, scorecard)
    explained = needing["note"].fillna("").str.contains(NO_ACTION_REASON)
    return needing[~needing["pi_id"].isin(linked) & ~explained]


def risk_scores(
    risks: pd.DataFrame, updates: pd.DataFrame, period: str, appetite: dict[str, int]
) -> pd.DataFrame:
    """Each risk's inherent score (risks.csv), current score (its latest update by the
    quarter, else the inherent one), target score (risks.csv's target, if given) and its
    appetite's highest acceptable score; `over_appetite` when the current score is beyond it
    (a level council.yaml does not know is not judged)."""
    latest = latest_updates(updates, period) if len(updates) else pd.DataFrame()
    frame = risks.copy()
    frame["inherent"] = frame["likelihood"].astype(int) * frame["impact"].astype(int)
    have = frame["risk_id"].isin(latest.index)
    now = {
        c: frame["risk_id"].map(latest[c]) if len(latest) else None
        for c in ("likelihood", "impact")
    }
    frame["current_likelihood"] = frame["likelihood"].where(~have, now["likelihood"]).astype(int)
    frame["current_impact"] = frame["impact"].where(~have, now["impact"]).astype(int)
    frame["current"] = frame["current_likelihood"] * frame["current_impact"]
    frame["updated"] = have
    for column in ("target_likelihood", "target_impact"):
        if column not in frame:  # a frame read before issue 27
            frame[column] = None
    target = pd.to_numeric(frame["target_likelihood"]) * pd.to_numeric(frame["target_impact"])
    frame["target"] = target.astype("Int64")
    levels = frame["appetite"].fillna("").str.casefold()
    frame["appetite_limit"] = levels.map(appetite).astype("Int64")
    frame["over_appetite"] = (frame["current"] > frame["appetite_limit"]).fillna(False).astype(bool)
    return frame


def risks_without_action(
    scores: pd.DataFrame, actions: pd.DataFrame, updates: pd.DataFrame, period: str
) -> pd.DataFrame:
    """The `risk_over_appetite_has_action` failures: risks beyond appetite with no open
    action — neither their due action nor any action in actions.csv linked to them."""
    live = open_actions(actions, updates, period)
    open_ids = {a.casefold() for a in live["action_id"]}
    linked = {rid for ids in live["linked_risks"] for rid in ids}
    due = scores.get("due_action", pd.Series(None, index=scores.index))
    answered = due.map(lambda a: isinstance(a, str) and a.casefold() in open_ids).astype(bool)
    answered |= scores["risk_id"].isin(linked)
    return scores[scores["over_appetite"] & ~answered]
