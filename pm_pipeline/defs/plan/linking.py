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
