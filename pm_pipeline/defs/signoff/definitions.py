"""The sign-off domain: managers' decisions, read within a minute of a saved file."""

import dagster as dg

from pm_pipeline.defs.signoff.assets import signoff_step
from pm_pipeline.defs.signoff.watch import signoff_job, signoff_sensor

defs = dg.Definitions(assets=[signoff_step], jobs=[signoff_job], sensors=[signoff_sensor])
