"""The rules on the monthly budget-monitoring files (docs/contracts.md, "Finance files").

They sit beside the returns rules so that every issue has one severity table (`Issue` finds
its severity there). Each is one Dagster asset check on `budget_monitoring`; the finance step
writes its issues into `finance_issues`, a table of `quality_issues`' columns, because a
month's key (`2026-07-01`) is also a quarter's and the quarterly steps replace and read
`quality_issues` by that key.
"""

from __future__ import annotations

from pm_pipeline.core.checks import ERROR, WARN, Rule

FINANCE_RULES = [
    Rule(
        "finance_file_readable",
        ERROR,
        "budget_monitoring",
        "Every file in the month's finance folder can be opened and has the columns service "
        "(or cost_centre), annual_budget, actual_to_date and forecast_outturn.",
    ),
    Rule(
        "finance_row_readable",
        ERROR,
        "budget_monitoring",
        "Every row names a service (or a cost centre) in config/services.csv, once, and its "
        "budget, actual to date and forecast outturn are amounts.",
    ),
    Rule(
        "budget_services_reported",
        ERROR,
        "budget_monitoring",
        "Every service in config/services.csv has a budget-monitoring row for the month.",
    ),
    Rule(
        "variance_has_commentary",
        WARN,
        "budget_monitoring",
        "A forecast variance either way of council.yaml's finance commentary_pct % of the "
        "budget or commentary_gbp, whichever is lower, is explained in the commentary column.",
    ),
    Rule(
        "budget_reconciles",
        WARN,
        "budget_monitoring",
        "The services' annual budgets add up to the council's net revenue budget for the year "
        "(council.yaml finance net_budget), within reconcile_gbp.",
    ),
]
