"""The council's register in the warehouse: council.yaml, indicators, targets, comparators,
people and services."""

from pm_pipeline.core.warehouse import Table

REGISTER_COUNCIL = Table(
    "register_council",
    {
        "name": "VARCHAR",
        "area_code": "VARCHAR",
        "region_code": "VARCHAR",
        "themes": "VARCHAR[]",
        "amber_tolerance_pct": "DOUBLE",
        "stable_band_pct": "DOUBLE",
        "comparator_group": "VARCHAR",
        "reconcile_points": "DOUBLE",
        "reconcile_pct": "DOUBLE",
        "stable_band_points": "DOUBLE",
        "report_frame": "VARCHAR",  # JSON: the committee paper's frame (issue 27)
        "risk_appetite": "VARCHAR",  # JSON: appetite level -> highest score accepted
        "mail_from": "VARCHAR",  # council.yaml's mail: the e-mails' From, Reply-To, links
        "mail_reply_to": "VARCHAR",
        "reports_url": "VARCHAR",
        "finance": "VARCHAR",  # JSON: the budget-monitoring settings (issue 28)
        "monthly_due_working_day": "INTEGER",  # issue 28: monthly returns due by
        "monthly_run_working_day": "INTEGER",  # issue 28: the monthly job's day
    },
)

REGISTER_INDICATORS = Table(
    "register_indicators",
    {
        "pi_id": "VARCHAR",
        "title": "VARCHAR",
        "description": "VARCHAR",
        "type": "VARCHAR",
        "theme": "VARCHAR",
        "service": "VARCHAR",
        "owner": "VARCHAR",
        "manager": "VARCHAR",
        "unit": "VARCHAR",
        "polarity": "VARCHAR",
        "frequency": "VARCHAR",
        "decimals": "INTEGER",
        "valid_min": "DOUBLE",
        "valid_max": "DOUBLE",
        "lginform_metric": "VARCHAR",
        "oflog_metric": "VARCHAR",
        "measure": "VARCHAR",
        "rolling": "BOOLEAN",
        "measure_declared": "BOOLEAN",  # in indicators.csv, not the unit's default
        "stable_band": "DOUBLE",
        "statistic": "VARCHAR",
        "statistic_use": "VARCHAR",
        "scorecard_section": "VARCHAR",  # performance, finance, customers or people
    },
    asset="indicator_register",
)

REGISTER_TARGETS = Table(
    "register_targets",
    {
        "pi_id": "VARCHAR",
        "financial_year": "VARCHAR",
        "target": "DOUBLE",
        "amber_threshold": "DOUBLE",
        "period": "VARCHAR",
    },
)

REGISTER_COMPARATORS = Table(
    "register_comparators",
    {
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
    },
)

REGISTER_PEOPLE = Table(
    "register_people",
    {
        "email": "VARCHAR",
        "name": "VARCHAR",
        "job_title": "VARCHAR",
        "service": "VARCHAR",
        "role": "VARCHAR",
        "delegate_for": "VARCHAR",
    },
)

REGISTER_SERVICES = Table(
    "register_services",
    {
        "service": "VARCHAR",
        "directorate": "VARCHAR",
        "head_of_service": "VARCHAR",  # an e-mail (lower case); the name is in people.csv
        "cost_centres": "VARCHAR[]",
    },
)

TABLES = (
    REGISTER_COUNCIL,
    REGISTER_INDICATORS,
    REGISTER_TARGETS,
    REGISTER_COMPARATORS,
    REGISTER_PEOPLE,
    REGISTER_SERVICES,
)

# Every step that reads the register reads all its tables: its dependencies.
REGISTER = [table.key for table in TABLES]
