"""What each monthly report shows, arranged from the month's picture (reports/monthly.py):
the exceptions, a directorate's service scorecard, and the leader's update, which compares the
month with the one before (new exceptions, risks whose score moved, deliverables slipped)."""

from __future__ import annotations

from collections import Counter

from pm_pipeline.core.words import plural
from pm_pipeline.defs.finance.rules import forecast_rag, money, variance_words
from pm_pipeline.defs.register.budget import BudgetSettings
from pm_pipeline.defs.reports.monthly import (
    SECTIONS,
    MonthPicture,
    first_upper,
    slug,
)
from pm_pipeline.defs.scorecard.rules import AMBER, GREEN, NO_DATA, RED


def exceptions_of(picture: MonthPicture, services: list[str]) -> list[dict[str, object]]:
    """The exceptions of these services, finance first: a forecast Red against budget, a
    variance with no commentary, a PI that is an exception (its latest figure Red, or its
    quarter's exceptions)."""
    wanted = {s.casefold() for s in services}
    out: list[dict[str, object]] = []
    for service in services:
        row = picture.finance.get(service)
        if row and row["rag"] == RED:
            out.append(
                {
                    "key": f"finance:{service}",
                    "service": service,
                    "service_id": slug(service),
                    "what": "Forecast over budget",
                    "rag": RED,
                    "detail": f"{row['variance_text']} a budget of {row['budget_text']} "
                    f"(forecast {row['forecast_text']})",
                }
            )
    issues = picture.finance_issues
    unexplained = {
        (i.source_file, i.source_row)
        for i in issues[issues["rule"] == "variance_has_commentary"].itertuples()
    }
    for service in services:
        row = picture.finance.get(service)
        if row and (row["source_file"], row["source_row"]) in unexplained:
            out.append(
                {
                    "key": f"commentary:{service}",
                    "service": service,
                    "service_id": slug(service),
                    "what": "Variance not explained",
                    "rag": None,
                    "detail": f"{row['variance_text']} budget, and the budget-monitoring file "
                    "gives no commentary on it",
                }
            )
    for e in picture.entries:
        if e["exceptions"] and e["service"].casefold() in wanted:
            out.append(
                {
                    "key": f"pi:{e['pi_id']}",
                    "service": picture.canonical(e["service"]),
                    "service_id": slug(picture.canonical(e["service"])),
                    "what": f"{e['pi_id']} {e['title']}",
                    "rag": e["rag"],
                    "detail": f"{'; '.join(e['exceptions'])}: {e['value_text']} in "
                    f"{e['period_label']}"
                    + (f" against a target of {e['target_text']}" if e["target_text"] else ""),
                }
            )
    return out


def _service_view(picture: MonthPicture, service: str) -> dict:
    mine = [e for e in picture.entries if picture.canonical(e["service"]) == service]
    mine.sort(key=lambda e: (not e["exceptions"], e["pi_id"]))
    sections = [
        {"key": key, "title": title, "entries": [e for e in mine if e["section"] == key]}
        for key, title in SECTIONS.items()
    ]
    finance = picture.finance.get(service)
    return {
        "name": service,
        "id": slug(service),
        "head": picture.heads.get(service, ""),
        "finance": finance,
        "sections": sections,
        "actions": [a for a in picture.actions if a["service"].casefold() == service.casefold()],
        "exceptions": exceptions_of(picture, [service]),
    }


def directorate_views(picture: MonthPicture) -> list[dict]:
    """One view per directorate: its services with their finance, customers, people and
    performance, exceptions first."""
    by_directorate: dict[str, list[str]] = {}
    for service in picture.services():
        directorate = picture.directorate_of.get(service, "Other services")
        by_directorate.setdefault(directorate, []).append(service)
    views = []
    for directorate, services in sorted(by_directorate.items()):
        shown = [_service_view(picture, s) for s in services]
        shown.sort(key=lambda s: (not s["exceptions"], s["name"]))
        views.append(
            {
                "directorate": directorate,
                "stem": f"service_scorecard_{slug(directorate)}",
                "services": shown,
                "exceptions": [x for s in shown for x in s["exceptions"]],
                "finance_rows": [picture.finance[s] for s in services if s in picture.finance],
                "finance_total": _total(
                    directorate,
                    [picture.finance[s] for s in services if s in picture.finance],
                    picture.settings,
                ),
            }
        )
    return views


def _total(name: str, rows: list[dict], settings: BudgetSettings) -> dict | None:
    """Rows summed (a directorate's, or the council's), rated by the same thresholds."""
    if not rows:
        return None
    budget = sum(r["annual_budget"] for r in rows)
    forecast = sum(r["forecast_outturn"] for r in rows)
    return {
        "name": name,
        "budget_text": money(budget),
        "forecast_text": money(forecast),
        "actual_text": money(sum(r["actual_to_date"] for r in rows)),
        "variance": forecast - budget,
        "variance_text": first_upper(variance_words(forecast - budget, budget)),
        "rag": forecast_rag(budget, forecast, settings),
    }


def _risk_moves(now: MonthPicture, before: MonthPicture) -> list[dict]:
    if now.risks.empty or before.risks.empty or now.quarter == before.quarter:
        return []
    earlier = dict(zip(before.risks["risk_id"], before.risks["current"], strict=True))
    moved = []
    for risk in now.risks.to_dict("records"):
        was = earlier.get(risk["risk_id"])
        if was is not None and int(was) != int(risk["current"]):
            moved.append(
                {
                    "risk_id": risk["risk_id"],
                    "title": risk["title"],
                    "was": int(was),
                    "now": int(risk["current"]),
                    "over_appetite": bool(risk["over_appetite"]),
                }
            )
    return moved


SLIP_RANK = {"at_risk": 1, "off_track": 2}  # how far a deliverable is reported off course


def _slips(now: MonthPicture, before: MonthPicture) -> list[dict]:
    """Deliverables that slipped since last month: newly overdue or off course, reported
    further off course, or given a later due date."""
    out = []
    for key, item in sorted(now.slipped.items()):
        was = before.slipped.get(key)
        if was is None:
            out.append(item)
            continue
        moved = item["due"] > was["due"]
        worse = SLIP_RANK.get(item["status"] or "", 0) > SLIP_RANK.get(was["status"] or "", 0)
        if moved or worse:
            why = item["why"] + (f" (was {was['status_text'].lower()})" if worse else "")
            if moved:
                why += f"; its due date moved from {was['due_text']} to {item['due_text']}"
            out.append({**item, "why": why})
    return out


def leader_view(now: MonthPicture, before: MonthPicture) -> dict:
    """The leader's update: the month in numbers, what changed since last month and what
    needs attention."""
    rows = list(now.finance.values())
    council = _total("All services", rows, now.settings)
    by_directorate = [v["finance_total"] for v in directorate_views(now) if v["finance_total"]]
    if council and len(by_directorate) > 1:
        by_directorate.append(council)
    kpis = [e for e in now.entries if e["type"] == "kpi"]
    kpi_counts = Counter(e["rag"] for e in kpis)
    monthly_kpis = [e for e in kpis if e["compared"] == "on last month"]
    customers = [e for e in now.entries if e["section"] == "customers"]
    services = now.services()
    exceptions = exceptions_of(now, services)
    earlier = {x["key"] for x in exceptions_of(before, before.services())}
    new = [x for x in exceptions if x["key"] not in earlier]
    slipped = _slips(now, before)
    moves = _risk_moves(now, before)
    beyond = [] if now.risks.empty else now.risks[now.risks["over_appetite"]].to_dict("records")
    red_finance = [r for r in rows if r["rag"] == RED]
    attention = []
    if council and council["variance"] > 0:
        over = ", ".join(
            f"{r['service']} {money(r['variance'])}"
            for r in sorted(red_finance, key=lambda r: -r["variance"])
        )
        attention.append(
            f"The council is forecast to spend {council['variance_text'].lower()} its services' "
            f"budgets of {council['budget_text']}"
            + (f"; over by more than the Red threshold: {over}." if over else ".")
        )
    if new:
        pis = sum(str(x["key"]).startswith("pi:") for x in new)
        attention.append(
            f"{plural(len(new), 'new exception')} since {before.month.label} (listed above): "
            f"{plural(pis, 'indicator')} and {plural(len(new) - pis, 'budget line')}."
        )
    for a in slipped:
        attention.append(f"Deliverable {a['action_id']} {a['title']} has slipped: {a['why']}.")
    if beyond:
        named = ", ".join(
            f"{r['risk_id']} (score {int(r['current'])}, appetite {int(r['appetite_limit'])})"
            for r in beyond
        )
        attention.append(
            f"{plural(len(beyond), 'strategic risk')} {plural(len(beyond), 'is', 'are', False)} "
            f"beyond the council's appetite: {named}."
        )
    return {
        "finance": council,
        "finance_by_directorate": by_directorate,
        "kpi_rows": [(r, kpi_counts.get(r, 0)) for r in (GREEN, AMBER, RED, NO_DATA)],
        "kpi_count": len(kpis),
        "monthly_kpis": monthly_kpis,
        "customers": customers,
        "new_exceptions": new,
        "risk_moves": moves,
        "slipped": slipped,
        "attention": attention,
        "before": before.month,
        "same_quarter": now.quarter == before.quarter,
    }
