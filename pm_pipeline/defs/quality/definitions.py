"""The quality domain: the job that re-reads a quarter and re-runs every data-quality rule.

The rules run as asset checks in the steps that read the rows (the intake's returns, the plan's
updates, the managers' sign-offs), so each file is read once; their assets sit in the `intake`
and `quality` groups, and this job selects both.
"""

import dagster as dg

returns_job = dg.define_asset_job(
    "returns_job",
    selection=dg.AssetSelection.groups("intake", "quality"),
    description="Re-read one quarter's returns and managers' sign-offs and re-run every "
    "data-quality check on them.",
)

defs = dg.Definitions(jobs=[returns_job])
