"""The benchmarks domain: LG Inform and Oflog figures for the council and its comparators."""

import dagster as dg

from pm_pipeline.defs.benchmarks.assets import (
    area_codes_are_gss,
    benchmarks,
    council_and_comparators_present,
    lginform_benchmarks,
    oflog_benchmarks,
    one_row_per_source_metric_area_period,
)

defs = dg.Definitions(
    assets=[lginform_benchmarks, oflog_benchmarks, benchmarks],
    asset_checks=[
        area_codes_are_gss,
        one_row_per_source_metric_area_period,
        council_and_comparators_present,
    ],
)
