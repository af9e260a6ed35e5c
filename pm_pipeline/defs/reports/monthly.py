"""The month as the monthly reports see it: each service's budget monitoring, its PIs by
scorecard section, its exceptions and the improvement actions falling due, and the council's
risks and deliverables as they stood (docs/reports.md, "The monthly reports").

`month_picture` gathers it from the warehouse once; the service scorecards
(`directorate_views`) and the leader's update (`leader_view`, which compares the month with
the one before) only arrange it. A PI shows its latest month where `pi_monthly_returns` holds
it (monthly PIs), else its latest quarter's scorecard row: the latest quarter ended by the
month's end that has a scorecard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pm_pipeline.core.measures import Targets, is_rolling
from pm_pipeline.core.periods import Month, Quarter
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import read_table
from pm_pipeline.core.words import plural
from pm_pipeline.defs.finance.rules import money, variance_words
from pm_pipeline.defs.finance.tables import BUDGET_MONITORING, FINANCE_ISSUES
from pm_pipeline.defs.intake.tables import PI_MONTHLY_RETURNS
from pm_pipeline.defs.plan.linking import latest_updates, risk_scores
from pm_pipeline.defs.plan.tables import (
    ACTION_REGISTER,
    ACTION_UPDATES,
    RISK_REGISTER,
    RISK_UPDATES,
)
from pm_pipeline.defs.plan.updates import CLOSED
from pm_pipeline.defs.register.budget import BudgetSettings
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.register.services import directorates
from pm_pipeline.defs.reports.plan_sections import plan_status
from pm_pipeline.defs.reports.spc_view import reading_fields
from pm_pipeline.defs.scorecard import spc
from pm_pipeline.defs.scorecard.rules import (
    EXCEPTION_RED,
    EXCEPTION_TEXT,
    RED,
    band_of,
    direction,
    rag,
)
from pm_pipeline.defs.scorecard.spc_series import SPC_QUARTERS, limit_bounds, runs_off
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD
from pm_pipeline.render.wording import format_value

SPC_MONTHS = SPC_QUARTERS  # the SPC window, in months: 24 figures as for quarters
SECTIONS = {
    "finance": "Finance",
    "customers": "Customers",
    "people": "People",
    "performance": "Performance",
}
SLIPPING = ("at_risk", "off_track")


def quarter_as_at(month: Month) -> Quarter:
    """The latest quarter ended by the month's end (September: Q2; August: Q1)."""
    return month.quarter if month.end == month.quarter.end else month.quarter.previous


def slug(name: str) -> str:
    """A directorate's name as it appears in a file name: `Place and Environment` ->
    `place-and-environment`."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "directorate"


@dataclass
class MonthPicture:
    """Everything the month's reports show, as plain data."""

    month: Month
    quarter: Quarter | None  # the quarter whose scorecard the quarterly PIs come from
    council_name: str
    settings: BudgetSettings
    directorate_of: dict[str, str]  # service (as services.csv writes it) -> directorate
    heads: dict[str, str]  # service -> its head's name (or e-mail without people.csv)
    finance: dict[str, dict]  # service -> its budget-monitoring row, as shown
    finance_issues: pd.DataFrame
    entries: list[dict]  # one per PI: its latest figure as shown
    actions: list[dict]  # open improvement actions, soonest due first, with their service
    risks: pd.DataFrame  # risk_scores as at the quarter (empty without a risk register)
    slipped: dict[str, dict] = field(default_factory=dict)  # deliverable id -> what slipped

    def services(self) -> list[str]:
        """Every service the month reports on: those with a directorate, then any other that
        has PIs or budget monitoring."""
        seen = dict.fromkeys(self.directorate_of)
        for name in [*self.finance, *(e["service"] for e in self.entries)]:
            seen.setdefault(self.canonical(name))
        return list(seen)

    def canonical(self, service: str) -> str:
        """A service as services.csv writes it (indicators.csv may use another case)."""
        return {s.casefold(): s for s in self.directorate_of}.get(service.casefold(), service)


def first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(register: Register) -> dict[str, str]:
    return dict(zip(register.people["email"], register.people["name"], strict=True))


def _finance_rows(frame: pd.DataFrame) -> dict[str, dict]:
    out = {}
    for row in frame.to_dict("records"):
        out[row["service"]] = {
            **row,
            "name": row["service"],
            "budget_text": money(row["annual_budget"]),
            "actual_text": money(row["actual_to_date"]),
            "forecast_text": money(row["forecast_outturn"]),
            "variance_text": first_upper(variance_words(row["variance"], row["annual_budget"])),
            "commentary": row["commentary"] if isinstance(row["commentary"], str) else "",
        }
    return out


def _shown_quarter(conn: duckdb.DuckDBPyConnection, month: Month) -> Quarter | None:
    """The latest quarter ended by the month's end with a scorecard in the warehouse."""
    found = read_table(
        conn,
        KPI_SCORECARD,
        "period = (SELECT max(period) FROM kpi_scorecard WHERE period <= ?)",
        [quarter_as_at(month).key],
    )
    return Quarter.from_key(found["period"].iloc[0]) if len(found) else None


def _monthly_returns(conn: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """The monthly PIs' figures over the SPC window up to the month (none without the table)."""
    first = month
    for _ in range(SPC_MONTHS - 1):
        first = first.previous
    return read_table(
        conn, PI_MONTHLY_RETURNS, "period >= ? AND period <= ?", [first.key, month.key]
    )


def _month_target(pi: dict, targets: Targets, month: Month) -> tuple[float | None, float | None]:
    """The target a month's figure is judged against: the quarter's, a third of it for a
    total over the period (a flow that is not rolling)."""
    goal = targets.quarter(pi, month.quarter.financial_year.label)
    if goal.value is None or pi.get("measure") != "flow" or is_rolling(pi):
        return goal.value, goal.amber
    return goal.value / 3, None if goal.amber is None else goal.amber / 3


def _monthly_entry(
    pi: dict, rows: pd.DataFrame, month: Month, register: Register, targets: Targets
) -> dict | None:
    """A monthly PI's latest month up to `month`: figure, RAG, direction on last month and
    its SPC reading over up to 24 months (15 figures needed)."""
    mine = rows[(rows["pi_id"] == pi["pi_id"]) & rows["value"].notna()]
    if mine.empty:
        return None
    values = {r.period: float(r.value) for r in mine.itertuples()}
    latest = Month.from_key(max(values))
    before = values.get(latest.previous.key)
    target, amber = _month_target(pi, targets, latest)
    decimals = int(pi["decimals"])
    months = [latest]
    while len(months) < SPC_MONTHS:
        months.append(months[-1].previous)
    history = [(m.label, values.get(m.key)) for m in reversed(months)]
    count = sum(v is not None for _, v in history)
    if count < spc.MIN_POINTS:
        variation = assurance = (
            f"{spc.NONE}: only {plural(count, 'month')} of history; SPC needs {spc.MIN_POINTS}"
        )
    else:
        reading = spc.read(
            history,
            str(pi["polarity"]),
            target,
            no_runs=runs_off(pi),
            bounds=limit_bounds(pi),
        )
        variation, assurance = reading.variation, reading.assurance
    rating = rag(
        values[latest.key],
        target,
        pi["polarity"],
        pi["type"],
        decimals,
        register.council.amber_tolerance_pct,
        amber,
    )
    return {
        "value": values[latest.key],
        "target": target,
        "rag": rating,
        "direction": direction(
            values[latest.key], before, pi["polarity"], decimals, band_of(pi, register.council)
        ),
        "compared": "on last month",
        "period_label": latest.label,
        "variation": variation,
        "assurance": assurance,
        "exceptions": [EXCEPTION_TEXT[EXCEPTION_RED]] if rating == RED else [],
    }


def _quarterly_entry(row: dict, quarter: Quarter, reasons: list[str]) -> dict:
    return {
        "value": row["value"],
        "target": row["target"],
        "rag": row["rag"],
        "direction": row["direction_vs_previous"],
        "compared": "on last year" if row.get("frequency") == "annual" else "on last quarter",
        "period_label": quarter.label,
        "variation": row.get("variation"),
        "assurance": row.get("assurance"),
        "exceptions": reasons,
    }


def _entries(
    conn: duckdb.DuckDBPyConnection, month: Month, quarter: Quarter | None, register: Register
) -> list[dict]:
    """Each PI's latest figure as the month's reports show it."""
    monthly = _monthly_returns(conn, month)
    scorecard = read_table(conn, KPI_SCORECARD, "period = ?", [quarter.key]) if quarter else None
    exceptions = read_table(conn, KPI_EXCEPTIONS, "period = ?", [quarter.key]) if quarter else None
    rows = {} if scorecard is None else {r["pi_id"]: r for r in scorecard.to_dict("records")}
    reasons: dict[str, list[str]] = {}
    for r in [] if exceptions is None else exceptions.itertuples():
        reasons.setdefault(r.pi_id, []).append(EXCEPTION_TEXT.get(r.exception, r.reason))
    targets = Targets(register.targets)
    out = []
    for pi in register.indicators.to_dict("records"):
        shown = _monthly_entry(pi, monthly, month, register, targets)
        if shown is None and pi["pi_id"] in rows and quarter is not None:
            shown = _quarterly_entry(
                {**rows[pi["pi_id"]], "frequency": pi["frequency"]},
                quarter,
                reasons.get(pi["pi_id"], []),
            )
        if shown is None:
            continue
        decimals = int(pi["decimals"])
        section = pi.get("scorecard_section")
        out.append(
            {
                "pi_id": pi["pi_id"],
                "title": pi["title"],
                "type": pi["type"],
                "service": pi["service"],
                "section": section if isinstance(section, str) and section else "performance",
                **shown,
                "value_text": format_value(shown["value"], pi["unit"], decimals),
                "target_text": ""
                if is_missing(shown["target"])
                else format_value(shown["target"], pi["unit"], decimals),
                **reading_fields(shown["variation"], shown["assurance"], str(pi["polarity"])),
            }
        )
    return out


def _due_actions(
    conn: duckdb.DuckDBPyConnection, month: Month, quarter: Quarter | None, register: Register
) -> tuple[list[dict], dict[str, dict]]:
    """Open improvement actions, soonest due first (overdue ones flagged), with the service
    they belong to; and the deliverables slipped by the month's end (overdue and not complete,
    or reported at risk or off track), by id."""
    actions = read_table(conn, ACTION_REGISTER)
    updates = read_table(conn, ACTION_UPDATES)
    latest = latest_updates(updates, quarter.key) if quarter and len(updates) else pd.DataFrame()
    services = {
        pid: s
        for pid, s in zip(register.indicators["pi_id"], register.indicators["service"], strict=True)
    }
    due_list, slipped = [], {}
    for action in actions.to_dict("records"):
        update = (
            latest.loc[action["action_id"]].to_dict() if action["action_id"] in latest.index else {}
        )
        status = update.get("status")
        status = status if isinstance(status, str) else None
        revised = update.get("revised_due_date")
        due = pd.Timestamp(action["due_date"] if is_missing(revised) else revised).date()
        service = action.get("service")
        if not isinstance(service, str) or not service:
            linked = [services[p] for p in list(action["linked_pis"]) if p in services]
            service = linked[0] if linked else ""
        item = {
            "action_id": action["action_id"],
            "title": action["title"],
            "kind": action["kind"],
            "service": service,
            "due": due,
            "due_text": f"{due:%-d %b %Y}",
            "overdue": due <= month.end,
            **plan_status(status),
        }
        if status in CLOSED:
            continue
        if action["kind"] == "improvement":
            due_list.append(item)
        if action["kind"] == "deliverable" and (due <= month.end or status in SLIPPING):
            item["why"] = (
                f"due {item['due_text']}, not complete"
                if due <= month.end
                else f"reported {item['status_text'].lower()}"
            )
            slipped[action["action_id"]] = item
    return sorted(due_list, key=lambda a: (a["due"], a["action_id"])), slipped


def month_picture(
    conn: duckdb.DuckDBPyConnection, month: Month, register: Register
) -> MonthPicture:
    """The month's reports' data, read once from the warehouse."""
    quarter = _shown_quarter(conn, month)
    names = _names(register)
    heads = {
        s: names.get(h, h)
        for s, h in zip(
            register.services["service"], register.services["head_of_service"], strict=True
        )
    }
    budgets = read_table(conn, BUDGET_MONITORING, "period = ?", [month.key])
    issues = read_table(conn, FINANCE_ISSUES, "period = ?", [month.key])
    actions, slipped = _due_actions(conn, month, quarter, register)
    risks = read_table(conn, RISK_REGISTER)
    risk_updates = read_table(conn, RISK_UPDATES)
    scores = (
        risk_scores(
            risks,
            risk_updates,
            quarter.key if quarter else "",
            dict(register.council.risk_appetite),
        )
        if len(risks)
        else pd.DataFrame()
    )
    return MonthPicture(
        month=month,
        quarter=quarter,
        council_name=register.council.name,
        settings=register.council.finance,
        directorate_of=directorates(register.services, register.indicators),
        heads=heads,
        finance=_finance_rows(budgets),
        finance_issues=issues,
        entries=_entries(conn, month, quarter, register),
        actions=actions,
        risks=scores,
        slipped=slipped,
    )
