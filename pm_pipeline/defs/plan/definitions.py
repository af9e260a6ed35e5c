"""The plan domain: the council plan's actions and risks, their quarterly updates, and the
check that every red KPI has an action."""

import dagster as dg

from pm_pipeline.defs.plan.assets import plan_register, plan_updates, red_kpi_has_action

defs = dg.Definitions(assets=[plan_register, plan_updates], asset_checks=[red_kpi_has_action])
