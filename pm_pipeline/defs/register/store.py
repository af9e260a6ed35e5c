"""The validated register in the warehouse, so every later step reads the same register."""

from __future__ import annotations

import json
from collections.abc import Collection

import dagster as dg
import duckdb
import pandas as pd

from pm_pipeline.core.warehouse import Replacement, Table, read_table, replace_all
from pm_pipeline.defs.register.budget import BudgetSettings
from pm_pipeline.defs.register.frame import ReportFrame, appetite_from_json
from pm_pipeline.defs.register.model import Council, MailSettings, Register
from pm_pipeline.defs.register.tables import (
    REGISTER_COMPARATORS,
    REGISTER_COUNCIL,
    REGISTER_INDICATORS,
    REGISTER_PEOPLE,
    REGISTER_SERVICES,
    REGISTER_TARGETS,
    TABLES,
)


class RegisterNotBuilt(RuntimeError):
    pass


def write_register(
    conn: duckdb.DuckDBPyConnection, register: Register, tables: Collection[Table] = TABLES
) -> None:
    """Load the register's `tables` (all of them unless a step selected fewer)."""
    council = register.council
    replacements = [
        Replacement(
            REGISTER_COUNCIL,
            pd.DataFrame(
                [
                    {
                        "name": council.name,
                        "area_code": council.area_code,
                        "region_code": council.region_code,
                        "themes": list(council.themes),
                        "amber_tolerance_pct": council.amber_tolerance_pct,
                        "stable_band_pct": council.stable_band_pct,
                        "stable_band_points": council.stable_band_points,
                        "comparator_group": council.comparator_group,
                        "reconcile_points": council.reconcile_points,
                        "reconcile_pct": council.reconcile_pct,
                        "report_frame": council.report_frame.to_json(),
                        "risk_appetite": json.dumps(dict(council.risk_appetite)),
                        "mail_from": council.mail.sender,
                        "mail_reply_to": council.mail.reply_to,
                        "reports_url": council.mail.reports_url,
                        "finance": council.finance.to_json(),
                        "monthly_due_working_day": council.monthly_due_working_day,
                        "monthly_run_working_day": council.monthly_run_working_day,
                    }
                ]
            ),
        ),
        Replacement(REGISTER_INDICATORS, register.indicators),
        Replacement(REGISTER_TARGETS, register.targets),
        Replacement(REGISTER_COMPARATORS, register.comparators),
        Replacement(REGISTER_PEOPLE, register.people),
        Replacement(REGISTER_SERVICES, register.services),
    ]
    replace_all(conn, [r for r in replacements if r.table in tables])


def read_register(conn: duckdb.DuckDBPyConnection) -> Register:
    council = read_table(conn, REGISTER_COUNCIL)
    if council.empty:
        raise RegisterNotBuilt(
            "The council's register is not in the warehouse yet — materialise the register "
            "first (indicator_register, register_council, register_targets, "
            "register_comparators, register_people, register_services: the register_job)"
        )
    c = council.iloc[0]
    return Register(
        council=Council(
            name=c["name"],
            area_code=c["area_code"],
            region_code=c["region_code"],
            themes=tuple(c["themes"]),
            amber_tolerance_pct=float(c["amber_tolerance_pct"]),
            stable_band_pct=float(c["stable_band_pct"]),
            comparator_group=c["comparator_group"],
            **_added_settings(c),
            report_frame=ReportFrame.from_json(c.get("report_frame")),
            risk_appetite=tuple(appetite_from_json(c.get("risk_appetite")).items()),
            mail=MailSettings(
                *(_text(c.get(k)) for k in ("mail_from", "mail_reply_to", "reports_url"))
            ),
            finance=BudgetSettings.from_json(c.get("finance")),
            monthly_due_working_day=_monthly_day(c, "monthly_due_working_day"),
            monthly_run_working_day=_monthly_day(c, "monthly_run_working_day"),
        ),
        indicators=read_table(conn, REGISTER_INDICATORS),
        targets=read_table(conn, REGISTER_TARGETS),
        comparators=read_table(conn, REGISTER_COMPARATORS),
        people=read_table(conn, REGISTER_PEOPLE),
        services=read_table(conn, REGISTER_SERVICES),
    )


def _added_settings(row: pd.Series) -> dict[str, float]:
    """The settings council.yaml gained in issue 25 (the reconciliation tolerances and the
    points band); a warehouse written before them has the defaults."""
    defaults = Council("", "", "", ())
    return {
        key: float(getattr(defaults, key)) if pd.isna(row.get(key)) else float(row[key])
        for key in ("reconcile_points", "reconcile_pct", "stable_band_points")
    }


def _text(value: object) -> str:
    """A text setting added since the warehouse was written reads as not given."""
    return value if isinstance(value, str) else ""


def _monthly_day(row: pd.Series, key: str) -> int:
    """One of council.yaml's monthly working days (issue 28); a warehouse written before them
    has the default."""
    return int(getattr(Council("", "", "", ()), key)) if pd.isna(row.get(key)) else int(row[key])


def register_not_loaded(instance: dg.DagsterInstance) -> dg.SkipReason | None:
    """Why a folder sensor waits: returns and sign-offs are read against a loaded register."""
    if instance.get_latest_materialization_event(dg.AssetKey(REGISTER_INDICATORS.key)) is None:
        return dg.SkipReason("The register has not been loaded yet: run register_job first.")
    return None
