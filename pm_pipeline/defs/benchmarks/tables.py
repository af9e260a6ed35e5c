"""Benchmarks as one long table (docs/contracts.md, 'Benchmarks'), and each source's rows before they are combined."""

from pm_pipeline.core.warehouse import Table

BENCHMARK_COLUMNS = {
    "source": "VARCHAR",
    "metric_id": "VARCHAR",
    "metric_name": "VARCHAR",
    "area_code": "VARCHAR",
    "area_name": "VARCHAR",
    "period_label": "VARCHAR",
    "period_start": "DATE",
    "period_end": "DATE",
    "value": "DOUBLE",
    "unit": "VARCHAR",
    "polarity": "VARCHAR",
}

BENCHMARKS = Table(
    "benchmarks",
    BENCHMARK_COLUMNS,
)

LGINFORM_BENCHMARKS = Table(
    "lginform_benchmarks",
    BENCHMARK_COLUMNS,
)

OFLOG_BENCHMARKS = Table(
    "oflog_benchmarks",
    BENCHMARK_COLUMNS,
)

TABLES = (BENCHMARKS, LGINFORM_BENCHMARKS, OFLOG_BENCHMARKS)
