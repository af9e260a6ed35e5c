"""The month's budget monitoring judged (docs/contracts.md, "Finance files" and
"budget_monitoring"): each service's rows summed, its forecast variance and RAG, and the rules
that need more than one row — every service reported, a large variance explained, the
budgets reconciled with the council's net budget. Pure functions over the rows read.
"""

from __future__ import annotations

import pandas as pd

from pm_pipeline.core.sheets import where
from pm_pipeline.core.values import round_at
from pm_pipeline.defs.finance.read import MonthRead
from pm_pipeline.defs.finance.tables import BUDGET_MONITORING
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.register.budget import BudgetSettings
from pm_pipeline.defs.scorecard.rules import AMBER, GREEN, RED
from pm_pipeline.render.wording import format_value


def forecast_rag(budget: float, forecast: float, settings: BudgetSettings) -> str:
    """Green on or under budget; Red at an overspend of the lower of council.yaml's `red_pct`
    of the budget and `red_gbp`; Amber between (compared in whole pounds)."""
    overspend = round_at(forecast - budget, 0)
    if overspend <= 0:
        return GREEN
    return RED if overspend >= round_at(settings.red_threshold(budget), 0) else AMBER


def money(value: float) -> str:
    return format_value(value, "gbp", 0)


def variance_words(variance: float, budget: float) -> str:
    """ "£140,000 (6.5%) over" / "£20,000 (1.2%) under" / "on" budget."""
    if round_at(variance, 0) == 0:
        return "on"
    share = f" ({abs(variance) / abs(budget):.1%})" if budget else ""
    return f"{money(abs(variance))}{share} {'over' if variance > 0 else 'under'}"


def by_service(
    read: MonthRead, directorates: dict[str, str], settings: BudgetSettings
) -> pd.DataFrame:
    """One row per service of `budget_monitoring`: its rows summed (cost centres listed), the
    variance, its share of the budget and its RAG."""
    out = []
    for service, rows in read.rows.groupby("service", sort=True):
        budget, forecast = float(rows["annual_budget"].sum()), float(rows["forecast_outturn"].sum())
        variance = forecast - budget
        notes = list(dict.fromkeys(c for c in rows["commentary"] if isinstance(c, str) and c))
        first = rows.iloc[0]
        out.append(
            {
                "period": read.month.key,
                "period_label": read.month.label,
                "service": service,
                "directorate": directorates.get(str(service)),
                "annual_budget": budget,
                "actual_to_date": float(rows["actual_to_date"].sum()),
                "forecast_outturn": forecast,
                "variance": variance,
                "variance_pct": variance / abs(budget) * 100 if budget else None,
                "rag": forecast_rag(budget, forecast, settings),
                "commentary": " / ".join(notes) or None,
                "cost_centres": [c for c in rows["cost_centre"] if isinstance(c, str)],
                "source_file": first["source_file"],
                "source_row": int(first["source_row"]),
                "file_sha256": first["file_sha256"],
            }
        )
    return pd.DataFrame(out, columns=BUDGET_MONITORING.column_names)


def _files(read: MonthRead) -> str:
    """The month's files as a message names them (the folder when there are none)."""
    if not read.files:
        return f"finance/{read.month.folder}/ (no budget-monitoring file)"
    return ", ".join(f"finance/{f}" for f in read.files)


def missing_services(
    read: MonthRead, services: dict[str, str], heads: dict[str, str], centres: dict[str, list]
) -> list[Issue]:
    """`budget_services_reported`: a service the register has with no row this month, named
    with the file(s) it is missing from. `services`: casefolded -> as written."""
    found = {s.casefold() for s in read.rows["service"]}
    issues = []
    for key, service in sorted(services.items()):
        if key in found:
            continue
        codes = list(centres.get(service, ()))
        by = f" or its cost centres ({', '.join(codes)})" if codes else ""
        issues.append(
            Issue(
                "budget_services_reported",
                None,
                ", ".join(read.files) or f"{read.month.folder}/",
                None,
                service,
                f"{_files(read)}: no row for the service {service} in {read.month.label}'s "
                f"budget monitoring — add its annual budget, actual to date and forecast "
                f"outturn{by}",
                owner=heads.get(service),
                period=read.month.key,
            )
        )
    return issues


def unexplained_variances(
    frame: pd.DataFrame, settings: BudgetSettings, heads: dict[str, str]
) -> list[Issue]:
    """`variance_has_commentary`: a forecast variance beyond the commentary threshold with no
    commentary, named by the service's first row."""
    issues = []
    for row in frame.itertuples():
        threshold = settings.commentary_threshold(row.annual_budget)
        if abs(row.variance) < threshold or isinstance(row.commentary, str):
            continue
        issues.append(
            Issue(
                "variance_has_commentary",
                None,
                row.source_file,
                row.source_row,
                money(row.variance),
                f"{where(row.source_file, row.source_row, 'commentary')}: {row.service}'s "
                f"forecast outturn of {money(row.forecast_outturn)} is "
                f"{variance_words(row.variance, row.annual_budget)} its budget of "
                f"{money(row.annual_budget)} (a variance of {money(threshold)} or more needs "
                "commentary), and the commentary is empty — say why the forecast differs from "
                "the budget and what is being done about it",
                owner=heads.get(row.service),
                period=row.period,
            )
        )
    return issues


def unreconciled(read: MonthRead, frame: pd.DataFrame, settings: BudgetSettings) -> list[Issue]:
    """`budget_reconciles`: the services' budgets against the council's net budget for the
    month's financial year (nothing to reconcile in a month with no rows)."""
    if frame.empty:
        return []
    year = read.month.quarter.financial_year
    total = float(frame["annual_budget"].sum())
    net = settings.net_budget_for(year)
    files = ", ".join(read.files)
    if net is None:
        message = (
            f"{_files(read)}: the services' budgets add up to {money(total)}, but council.yaml "
            f"gives no net budget for {year.label} to reconcile them with — add it under "
            f"finance: net_budget: ({year.label}: <the net revenue budget in pounds>)"
        )
    elif abs(total - net) > settings.reconcile_gbp:
        message = (
            f"{_files(read)}: the services' budgets add up to {money(total)}, "
            f"{variance_words(total - net, net)} the council's net budget for {year.label} of "
            f"{money(net)} (council.yaml finance net_budget) — check for a service left out "
            "or counted twice, or a budget not updated after a virement"
        )
    else:
        return []
    return [
        Issue(
            "budget_reconciles",
            None,
            files,
            None,
            money(total),
            message,
            period=read.month.key,
        )
    ]


def judge_month(
    read: MonthRead,
    month_services: dict[str, str],
    directorates: dict[str, str],
    heads: dict[str, str],
    centres: dict[str, list],
    settings: BudgetSettings,
) -> tuple[pd.DataFrame, list[Issue]]:
    """The month's `budget_monitoring` rows and every issue (the reading's and the rules')."""
    frame = by_service(read, directorates, settings)
    issues = [
        *read.issues,
        *missing_services(read, month_services, heads, centres),
        *unexplained_variances(frame, settings, heads),
        *unreconciled(read, frame, settings),
    ]
    return frame, issues
