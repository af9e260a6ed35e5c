"""Managers' decisions, each bound once to the figure it decided, and the figures' history."""

from pm_pipeline.core.warehouse import Table

# Every decision ever read for the quarter, one row per decision (its pi_id, decision,
# checked_by and checked_at), kept when its row leaves the files so its binding survives.
SIGNOFFS = Table(
    "signoffs",
    {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "decision": "VARCHAR",
        "checked_by": "VARCHAR",
        "checked_at": "TIMESTAMP",
        "comment": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
        "figure_file": "VARCHAR",
        "figure_row": "INTEGER",
        "figure_sha256": "VARCHAR",
        "figure_version": "INTEGER",
        "first_read_at": "TIMESTAMP",
        "binding": "VARCHAR",
        "decided_as": "VARCHAR",
        "counted": "BOOLEAN",
        "not_counted": "VARCHAR",
        # `portal`: made by the signed-in user in the returns portal (its seal verified);
        # `file`: as written in a sign-off file by whoever could write to the folder
        "recorded_by": "VARCHAR",
    },
)

# Each PI's figure over the quarter as the sign-off step saw it: a row each time it changed,
# with the moment from which it stood (so a decision binds to the figure of its checked_at).
SIGNOFF_FIGURES = Table(
    "signoff_figures",
    {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "figure_sha256": "VARCHAR",
        "value": "DOUBLE",
        "status": "VARCHAR",
        "current_from": "TIMESTAMP",
        "first_seen_at": "TIMESTAMP",
        "last_seen_at": "TIMESTAMP",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "version": "INTEGER",
    },
)

TABLES = (SIGNOFFS, SIGNOFF_FIGURES)
