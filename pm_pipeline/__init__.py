"""pm_pipeline: a council's quarterly performance cycle as Dagster assets."""

import warnings

from dagster import BetaWarning

# Quarterly assets take single-run backfills (one process reads many quarters and imports Great
# Expectations once); Dagster marks that parameter beta. We opt in knowingly.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)
