"""The monthly budget monitoring, one row per service and month, and the problems found in
the finance files (docs/contracts.md, "budget_monitoring")."""

from pm_pipeline.core.warehouse import Table
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES

BUDGET_MONITORING = Table(
    "budget_monitoring",
    {
        "period": "VARCHAR",  # the month's key, 2026-09-01
        "period_label": "VARCHAR",  # September 2026
        "service": "VARCHAR",  # as config/services.csv names it
        "directorate": "VARCHAR",
        "annual_budget": "DOUBLE",
        "actual_to_date": "DOUBLE",
        "forecast_outturn": "DOUBLE",
        "variance": "DOUBLE",  # forecast outturn - annual budget: above 0 an overspend
        "variance_pct": "DOUBLE",  # of the budget (empty for a budget of 0)
        "rag": "VARCHAR",  # GREEN, AMBER or RED by council.yaml's finance thresholds
        "commentary": "VARCHAR",
        "cost_centres": "VARCHAR[]",  # the rows given by cost centre, summed into the service
        "source_file": "VARCHAR",  # relative to finance/ (the first row's, if several)
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
    },
)

# The same columns as quality_issues, with the month's key as `period`: its own table because
# a month's key (2026-07-01) is also a quarter's, and the quarterly steps replace and read
# quality_issues by that key.
FINANCE_ISSUES = Table("finance_issues", QUALITY_ISSUES.columns)

TABLES = (BUDGET_MONITORING, FINANCE_ISSUES)
