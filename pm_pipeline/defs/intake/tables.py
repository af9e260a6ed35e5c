"""The accepted PI returns with their provenance, and figures restated since first accepted."""

from pm_pipeline.core.warehouse import Table

PI_RETURNS = Table(
    "pi_returns",
    {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "value": "DOUBLE",
        "numerator": "DOUBLE",
        "denominator": "DOUBLE",
        "status": "VARCHAR",
        "note": "VARCHAR",
        "submitted_by": "VARCHAR",
        "submitted_at": "TIMESTAMP",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
        "file_sha256": "VARCHAR",
        "version": "INTEGER",
    },
)

RESTATEMENTS = Table(
    "restatements",
    {
        "period": "VARCHAR",
        "pi_id": "VARCHAR",
        "value": "DOUBLE",
        "first_reported_value": "DOUBLE",
        "first_version": "INTEGER",
        "version": "INTEGER",
        "source_file": "VARCHAR",
    },
)

# issue 28: each monthly PI's month, with the same columns as pi_returns; `period` is the
# month's key (YYYY-MM-01). Its quarter is a pi_returns row worked out from its months.
PI_MONTHLY_RETURNS = Table("pi_monthly_returns", PI_RETURNS.columns)

TABLES = (PI_RETURNS, RESTATEMENTS, PI_MONTHLY_RETURNS)
