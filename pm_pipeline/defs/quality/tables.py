"""Every data-quality problem found, with the fix its owner needs: read by the owners' lists and reports."""

from pm_pipeline.core.warehouse import Table

QUALITY_ISSUES = Table(
    "quality_issues",
    {
        "period": "VARCHAR",
        "rule": "VARCHAR",
        "severity": "VARCHAR",
        "pi_id": "VARCHAR",
        "owner": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "value": "VARCHAR",
        "message": "VARCHAR",
    },
)

TABLES = (QUALITY_ISSUES,)
