"""The rules on corporate plan deliverables, improvement actions and risks
(docs/contracts.md, "Plan files: deliverables, actions and risks").

They sit beside the returns rules so that every issue, whatever it is about, has one severity
table and lands in the same owners' lists. Each is one Dagster asset check on the asset named.
"""

from __future__ import annotations

from pm_pipeline.core.checks import ERROR, WARN, Rule

PLAN_RULES = [
    Rule(
        "plan_links_known",
        ERROR,
        "action_register",
        "Every PI and risk an action in config/actions.csv links to is in the register; a link "
        "that is not is left out of the reports, which say so, and the KPI reports still "
        "publish.",
    ),
    Rule(
        "action_update_readable",
        ERROR,
        "action_updates",
        "Every action update row's id, status, percent and dates can be read.",
    ),
    Rule(
        "action_id_known",
        ERROR,
        "action_updates",
        "Every action update names an action in config/actions.csv, once per quarter.",
    ),
    Rule(
        "action_note_present",
        ERROR,
        "action_updates",
        "Every action update has a note saying what was done or why it slipped.",
    ),
    Rule(
        "action_percent_valid",
        ERROR,
        "action_updates",
        "Percent complete is 0-100, and 100 only when the status is complete (and complete "
        "only at 100).",
    ),
    Rule(
        "action_updates_complete",
        ERROR,
        "action_updates",
        "Every open action due in or before the quarter has an update.",
    ),
    Rule(
        "action_not_overdue",
        WARN,
        "action_updates",
        "No action is past its due date (or revised due date) and not complete.",
    ),
    Rule(
        "action_not_reopened",
        WARN,
        "action_updates",
        "An action reported complete last quarter is not reported open again.",
    ),
    Rule(
        "risk_update_readable",
        ERROR,
        "risk_updates",
        "Every risk update row's id, scores and dates can be read.",
    ),
    Rule(
        "risk_id_known",
        ERROR,
        "risk_updates",
        "Every risk update names a risk in config/risks.csv, once per quarter.",
    ),
    Rule(
        "risk_note_present",
        ERROR,
        "risk_updates",
        "Every risk update has a note explaining the scores.",
    ),
    Rule(
        "risk_score_in_range",
        ERROR,
        "risk_updates",
        "Likelihood and impact are whole numbers from 1 to 5.",
    ),
    Rule(
        "risk_over_appetite_has_action",
        WARN,
        "risk_updates",
        "Every risk scored beyond the council's appetite (council.yaml risk_appetite) has an "
        "open action: its due_action in risks.csv, or an action in actions.csv linked to it.",
    ),
    Rule(
        "risk_register_complete",
        WARN,
        "risk_register",
        "risks.csv gives each risk its controls, target likelihood and impact, review date and "
        "due action, and an appetite council.yaml knows.",
    ),
    Rule(
        "red_kpi_has_action",
        WARN,
        "kpi_scorecard",
        "Every RED KPI, or one worsening two quarters running, has an open improvement action "
        "linked, or its note says why not.",
    ),
]
