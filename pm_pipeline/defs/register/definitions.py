"""The register domain: the council, its indicators, targets and comparators, and the job that
loads them (the plan's actions and risks are in the same `register` group and load with them)."""

import dagster as dg

from pm_pipeline.defs.register.assets import indicator_register

register_job = dg.define_asset_job(
    "register_job",
    selection=dg.AssetSelection.groups("register"),
    description="Validate the council and indicator register (and the plan's actions and "
    "risks) and load them into the warehouse.",
)

defs = dg.Definitions(assets=[indicator_register], jobs=[register_job])
