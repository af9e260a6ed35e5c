"""The finance domain: the monthly budget monitoring read from finance/<YYYY-MM>/ and its
checks, and the job that reads a month (or a range of months in one run)."""

import dagster as dg

from pm_pipeline.defs.finance.assets import finance_intake

finance_job = dg.define_asset_job(
    "finance_job",
    selection=dg.AssetSelection.groups("finance"),
    description="Read a month's budget-monitoring files (finance/<YYYY-MM>/) and run the "
    "finance checks: every service reported, large variances explained, the budgets "
    "reconciled with the council's net budget.",
)

defs = dg.Definitions(assets=[finance_intake], jobs=[finance_job])
