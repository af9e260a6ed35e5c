"""The sign-off domain: managers' decisions, read within a minute of a saved file."""

import dagster as dg

from pm_pipeline.defs.signoff.assets import signoffs
from pm_pipeline.defs.signoff.watch import signoff_job, signoff_sensor

defs = dg.Definitions(assets=[signoffs], jobs=[signoff_job], sensors=[signoff_sensor])
