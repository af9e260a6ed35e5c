"""Corporate plan deliverables, improvement actions and risks, and their quarterly updates."""

from pm_pipeline.core.warehouse import Table

ACTION_REGISTER = Table(
    "action_register",
    {
        "action_id": "VARCHAR",
        "title": "VARCHAR",
        "kind": "VARCHAR",
        "theme": "VARCHAR",
        "service": "VARCHAR",
        "owner": "VARCHAR",
        "manager": "VARCHAR",
        "start_date": "DATE",
        "due_date": "DATE",
        "linked_pis": "VARCHAR[]",
        "linked_risks": "VARCHAR[]",
        # the row in actions.csv, and the ids it links to that the register does not have
        # (left out of linked_pis / linked_risks: the plan_links_known check names them)
        "source_row": "INTEGER",
        "dropped_pis": "VARCHAR[]",
        "dropped_risks": "VARCHAR[]",
    },
)

RISK_REGISTER = Table(
    "risk_register",
    {
        "risk_id": "VARCHAR",
        "title": "VARCHAR",
        "theme": "VARCHAR",
        "owner": "VARCHAR",
        "likelihood": "INTEGER",
        "impact": "INTEGER",
        "appetite": "VARCHAR",
        # issue 27 (optional in risks.csv): how the risk is managed and where it should end
        "controls": "VARCHAR",
        "target_likelihood": "INTEGER",
        "target_impact": "INTEGER",
        "review_date": "DATE",
        "due_action": "VARCHAR",  # the action (actions.csv) due to bring it to its target
        # the row in risks.csv, and a due_action the register does not have (left out of
        # due_action: the plan_links_known check names it)
        "source_row": "INTEGER",
        "dropped_due_action": "VARCHAR",
    },
)

ACTION_UPDATES = Table(
    "action_updates",
    {
        "period": "VARCHAR",
        "action_id": "VARCHAR",
        "status": "VARCHAR",
        "percent_complete": "DOUBLE",
        "note": "VARCHAR",
        "revised_due_date": "DATE",
        "submitted_by": "VARCHAR",
        "submitted_at": "TIMESTAMP",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
    },
)

RISK_UPDATES = Table(
    "risk_updates",
    {
        "period": "VARCHAR",
        "risk_id": "VARCHAR",
        "likelihood": "INTEGER",
        "impact": "INTEGER",
        "score": "INTEGER",
        "note": "VARCHAR",
        "submitted_by": "VARCHAR",
        "submitted_at": "TIMESTAMP",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
    },
)

TABLES = (ACTION_REGISTER, RISK_REGISTER, ACTION_UPDATES, RISK_UPDATES)
