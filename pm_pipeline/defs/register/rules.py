"""The register's own rules, checked when it is loaded (`register.load` names them in its
problems); `quality.rules` lists them with the returns' rules."""

from __future__ import annotations

from pm_pipeline.core.checks import ERROR, WARN, Rule

REGISTER_RULES = [
    Rule(
        "targets_on_scored_pis",
        ERROR,
        "indicator_register",
        "Targets are set only for kpi, service and management PIs.",
    ),
    Rule(
        "targets_fixed_for_year",
        ERROR,
        "indicator_register",
        "Each PI has at most one target per financial year.",
    ),
    Rule(
        "kpi_targets_set",
        ERROR,
        "indicator_register",
        "Every KPI has a target for each financial year with returns.",
    ),
    Rule(
        "register_columns_current",
        WARN,
        "indicator_register",
        "indicators.csv uses no retired column (annual_outturn: write measure instead).",
    ),
]
