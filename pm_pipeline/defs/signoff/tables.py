"""Managers' decisions on the figures, bound to the figure decided on."""

from pm_pipeline.core.warehouse import Table

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
    },
)

TABLES = (SIGNOFFS,)
