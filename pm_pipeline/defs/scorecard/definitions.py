"""The scorecard domain: KPI scorecards and exceptions, the history job that builds many
quarters in one run, and the sensor that rebuilds a scorecard whose inputs were re-read."""

import dagster as dg

from pm_pipeline.core.files import SENSOR_SECONDS
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.scorecard.assets import kpi_scorecard

quarter_history_job = dg.define_asset_job(
    "quarter_history_job",
    selection=dg.AssetSelection.groups("intake", "scorecards")
    | dg.AssetSelection.assets(QUALITY_ISSUES.key),
    description="Returns, checks and scorecards for a range of quarters in one run (the history "
    "a new install or a backfill builds; reports are published separately).",
)

restatement_rebuild_sensor = dg.AutomationConditionSensorDefinition(
    "restatement_rebuild_sensor",
    target=dg.AssetSelection.groups("scorecards"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=SENSOR_SECONDS,
    description="Rebuilds the scorecards (and their exceptions) that read a quarter whose "
    "returns were re-read, so no later quarter keeps a 'previous quarter' that has changed.",
)

defs = dg.Definitions(
    assets=[kpi_scorecard], jobs=[quarter_history_job], sensors=[restatement_rebuild_sensor]
)
