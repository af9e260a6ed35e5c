"""The intake domain: each quarter's (and month's) returns read, checked and kept, and the
sensors that re-read a quarter or a month when an owner saves a file."""

import dagster as dg

from pm_pipeline.defs.intake.assets import returns_intake
from pm_pipeline.defs.intake.monthly import monthly_returns_intake
from pm_pipeline.defs.intake.sensors import (
    monthly_returns_job,
    monthly_returns_sensor,
    returns_sensor,
)

defs = dg.Definitions(
    assets=[returns_intake, monthly_returns_intake],
    jobs=[monthly_returns_job],
    sensors=[returns_sensor, monthly_returns_sensor],
)
