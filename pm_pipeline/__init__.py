"""pm_pipeline: a council's quarterly performance cycle as Dagster assets."""

import warnings

from dagster import BetaWarning, PreviewWarning

# Features Dagster marks beta or preview that we opt in to knowingly (tested here on 1.13):
# single-run backfills (one process reads many quarters and imports Great Expectations once),
# history partition mappings that start before the first quarter, code references in the UI,
# and per-quarter asset checks (so Q3's failing checks show while Q2 is green).
for _message in (
    "Parameter `backfill_policy`",
    "Parameter `allow_nonexistent_upstream_partitions`",
    "Function `with_source_code_references`",
    "Class `CodeReferencesMetadataValue`",
    "Class `LocalFileCodeReference`",
):
    warnings.filterwarnings("ignore", message=_message, category=BetaWarning)
warnings.filterwarnings(
    "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=PreviewWarning
)
