"""The intake domain: each quarter's returns read, checked and kept, and the sensor that
re-reads a quarter when an owner saves a file."""

import dagster as dg

from pm_pipeline.defs.intake.assets import returns_intake
from pm_pipeline.defs.intake.sensors import returns_sensor

defs = dg.Definitions(assets=[returns_intake], sensors=[returns_sensor])
