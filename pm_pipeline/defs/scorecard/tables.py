"""The quarter's scored PIs and the exceptions among them."""

from pm_pipeline.core.warehouse import Table

KPI_SCORECARD = Table(
    "kpi_scorecard",
    {
        "period": "VARCHAR",
        "period_label": "VARCHAR",
        "pi_id": "VARCHAR",
        "title": "VARCHAR",
        "type": "VARCHAR",
        "theme": "VARCHAR",
        "owner": "VARCHAR",
        "unit": "VARCHAR",
        "polarity": "VARCHAR",
        "value": "DOUBLE",
        "target": "DOUBLE",
        "rag": "VARCHAR",
        "previous_value": "DOUBLE",
        "direction_vs_previous": "VARCHAR",
        "last_year_value": "DOUBLE",
        "direction_vs_last_year": "VARCHAR",
        "benchmark_source": "VARCHAR",
        "benchmark_period": "VARCHAR",
        "comparator_median": "DOUBLE",
        "comparator_best": "DOUBLE",
        "rank": "INTEGER",
        "comparator_count": "INTEGER",
        "quartile": "INTEGER",
        "note": "VARCHAR",
        "status": "VARCHAR",
        "restated": "BOOLEAN",
        "variation": "VARCHAR",
        "assurance": "VARCHAR",
        "spc_rebase_proposal": "VARCHAR",  # a shift over the latest points: re-base? (or null)
        "measure": "VARCHAR",
        "year_to_date": "DOUBLE",
        "year_to_date_how": "VARCHAR",
        "year_to_date_target": "DOUBLE",
        "year_to_date_rag": "VARCHAR",
    },
)

KPI_EXCEPTIONS = Table(
    "kpi_exceptions",
    {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "exception": "VARCHAR",
        "reason": "VARCHAR",
    },
)

TABLES = (KPI_SCORECARD, KPI_EXCEPTIONS)
