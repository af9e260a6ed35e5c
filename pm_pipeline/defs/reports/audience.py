"""Reports by audience: Cabinet, services, management, the Audit and Risk Committee, each its
share of the scorecard.

Bassetlaw's framework sends each kind of indicator to its own readers: KPIs, contextual and
place-based indicators to Cabinet and Overview & Scrutiny; service PIs to CMT, service
managers and scrutiny; management metrics to managers and the leadership team. Each report
here is the quarter's scorecard view (`scorecard_report.scorecard_view`, built once) cut to
those PI types and summarised again, so every report agrees with the officers' full
`kpi_scorecard`. The management report adds the quarter's data-quality picture; the Cabinet
report is a committee paper (the council's frame, deliverables, risks, the data assurance
statement) and the governance report gives the Audit and Risk Committee the risks against
appetite, the quarter's assurance, restatements and sign-off coverage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.warehouse import read_table
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.tables import PI_RETURNS, RESTATEMENTS
from pm_pipeline.defs.plan.evaluate import actions_owed
from pm_pipeline.defs.plan.tables import (
    ACTION_REGISTER,
    ACTION_UPDATES,
    RISK_REGISTER,
    RISK_UPDATES,
)
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.load import returns_owed
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.reports.assurance import assurance_view, signoff_by_service
from pm_pipeline.defs.reports.plan_sections import STATUS_TEXT
from pm_pipeline.defs.reports.scorecard_report import (
    key_sheet,
    scorecard_sheet,
    summarise,
    summary_sentence,
    trend_chart,
)
from pm_pipeline.defs.scorecard.reconcile import RULE as RECONCILE
from pm_pipeline.defs.scorecard.reconcile import year_checked
from pm_pipeline.render.pages import publish, sample_label, write_html
from pm_pipeline.render.spreadsheet import Sheet


@dataclass(frozen=True)
class Audience:
    stem: str  # the file name, without extension
    title: str
    readers: str
    types: tuple[str, ...]
    covers: str
    trend_size: tuple[int, int] | None = None  # its own size for the trend charts (px)


AUDIENCES = {
    "cabinet": Audience(
        "cabinet_report",
        "Cabinet performance report",
        "Cabinet and Overview & Scrutiny",
        ("kpi", "contextual", "place"),
        "the council's key performance indicators (KPIs) with the contextual and place-based "
        "indicators that set them in context: a one-page summary, the exceptions with their "
        "stories, actions and SPC charts, the corporate plan deliverables, the strategic risks, "
        "the data assurance statement, the balanced scorecard by theme, and each indicator in "
        "detail as an appendix",
        # the appendix's: beside each PI's words in print, its labels still at their drawn size
        trend_size=(250, 120),
    ),
    "service": Audience(
        "service_report",
        "Service performance report",
        "the Corporate Management Team (CMT), service managers and Overview & Scrutiny",
        ("service",),
        "the service performance indicators, service by service, with their stories and trends",
    ),
    "management": Audience(
        "management_report",
        "Management report",
        "the leadership team, managers and their teams",
        ("management",),
        "the management metrics, and the quarter's data-quality picture: PI returns received "
        "and on time, plan updates received, figures restated, and data-quality issues by "
        "service and rule",
    ),
    "governance": Audience(
        "governance_report",
        "Governance and assurance report",
        "the Audit and Risk Committee",
        ("kpi", "service", "management", "contextual", "place"),
        "the strategic risks against the council's risk appetite (inherent, current and target "
        "scores, the actions due and overdue reviews), how far the quarter's figures can be "
        "relied on, the figures restated since first published, and the managers' sign-off "
        "by service",
    ),
}
FULL_SCORECARD = {
    "href": "kpi_scorecard.html",
    "title": "Full KPI scorecard",
    "readers": "officers and the performance team: every indicator of every type",
}


def links(current: str) -> list[dict]:
    """The other reports of the quarter, for the "where the others are" box (same folder)."""
    others = [
        {"href": f"{a.stem}.html", "title": a.title, "readers": a.readers}
        for key, a in AUDIENCES.items()
        if key != current
    ]
    return [*others, FULL_SCORECARD]


def audience_view(view: dict, key: str, theme_names: Sequence[str]) -> dict:
    """The scorecard view cut to one audience's PI types (their trend charts drawn at the
    audience's size), summarised again."""
    audience = AUDIENCES[key]
    entries = [e for e in view["entries"] if e["type"] in audience.types]
    if audience.trend_size:
        entries = [{**e, "trend": trend_chart(e, *audience.trend_size)} for e in entries]
    cut = {**view, **summarise(entries, theme_names)}
    cut["themes"] = [t for t in cut["themes"] if t["entries"]]
    services = sorted({e["service"] for e in entries})
    by_service = {"group_by": "service"} if key == "service" else {}  # exceptions name it
    return {
        **cut,
        "summary": summary_sentence(cut),
        "audience": audience,
        "other_reports": links(key),
        "services": [
            {"name": s, "entries": [e for e in cut["entries"] if e["service"] == s]}
            for s in services
        ],
        **by_service,
    }


@dataclass(frozen=True)
class Owed:
    """Something owed for a quarter, named as every report names it, and how much came in.
    The management report and the outstanding-returns list count with the same `Owed`s, so
    they agree (docs/contracts.md, "What the reports count")."""

    noun: str  # one of them: "PI return", "action update", "risk update"
    due: int
    received: int

    @property
    def what(self) -> str:
        return f"{self.noun}s"

    @property
    def outstanding(self) -> int:
        return self.due - self.received


def plan_owed(
    actions: pd.DataFrame,
    risks: pd.DataFrame,
    action_ids: set[str],
    risk_ids: set[str],
    quarter: Quarter,
    earlier: pd.DataFrame,
) -> list[Owed]:
    """Action updates owed (open actions due by the quarter's end, as the plan's rule counts
    them) and risk updates owed (every risk re-scored each quarter), with those given."""
    given = pd.DataFrame({"action_id": sorted(action_ids)}, dtype=object)
    owed = actions_owed(actions, given, quarter, earlier)
    return [
        Owed("action update", len(owed), int(owed["returned"].sum())),
        Owed("risk update", len(risks), len(set(risks["risk_id"]) & risk_ids)),
    ]


def owed_sentence(owed: Sequence[Owed], counted: str | None = "received") -> str:
    """ "37 of 37 PI returns, 6 of 6 action updates and 5 of 5 risk updates" (`counted`:
    received or outstanding), or "37 PI returns, 6 action updates and 5 risk updates"."""
    shown = [o for o in owed if o.due] or list(owed[:1])  # a council without a plan owes none
    parts = [
        f"{getattr(o, counted)} of {plural(o.due, o.noun)}" if counted else plural(o.due, o.noun)
        for o in shown
    ]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def quality_picture(conn: duckdb.DuckDBPyConnection, quarter: Quarter, register: Register) -> dict:
    """The quarter's data quality by service: returns owed by owners for the PIs due this
    quarter (not those taken from an official statistic), received and on time; figures
    restated since first reported (as the scorecard marks them); plan updates owed and
    received; and every data-quality issue counted by service and rule."""
    returns = read_table(conn, PI_RETURNS, "period = ?", [quarter.key])
    restated = read_table(conn, RESTATEMENTS, "period = ?", [quarter.key])
    issues = read_table(conn, QUALITY_ISSUES, "period = ?", [quarter.key])
    services = register.indicators.set_index("pi_id")["service"]
    owed = returns_owed(register.indicators, quarter)
    late = set(issues.loc[issues["rule"] == "submitted_on_time", "pi_id"].dropna())
    rows = []
    for service, members in owed.groupby("service", sort=True):
        ids = set(members["pi_id"])
        received = set(returns.loc[returns["pi_id"].isin(ids), "pi_id"])
        rows.append(
            {
                "service": service,
                "due": len(ids),
                "received": len(received),
                "on_time": len(received - late),
            }
        )
    restated_by_service = restated["pi_id"].map(services).value_counts()
    for row in rows:
        row["restated"] = int(restated_by_service.get(row["service"], 0))
    issues = issues.assign(
        service=issues["pi_id"].map(services).fillna("No single service (a whole file)")
    )
    by_rule = (
        issues.groupby(["service", "rule", "severity"], sort=True).size().reset_index(name="count")
    )
    total = {k: sum(r[k] for r in rows) for k in ("due", "received", "on_time")}
    reconciled = issues[issues["rule"] == RECONCILE].sort_values("pi_id")
    plan = plan_owed(
        read_table(conn, ACTION_REGISTER),
        read_table(conn, RISK_REGISTER),
        set(read_table(conn, ACTION_UPDATES, "period = ?", [quarter.key])["action_id"]),
        set(read_table(conn, RISK_UPDATES, "period = ?", [quarter.key])["risk_id"]),
        quarter,
        read_table(conn, ACTION_UPDATES, "period < ?", [quarter.key]),
    )
    owed_all = [Owed("PI return", total["due"], total["received"]), *plan]
    return {
        "returns_by_service": rows,
        "returns_total": total,
        "returns_owed": owed_all,
        "returns_owed_text": owed_sentence(owed_all),
        "restated_count": len(restated),
        "restated_pis": sorted(restated["pi_id"]),
        "issues_by_service": [
            {**r, "rule": str(r["rule"]).replace("_", " ")} for r in by_rule.to_dict("records")
        ],
        "issue_count": len(issues),
        "reconciliation": reconciled[["pi_id", "message"]].to_dict("records"),
        "reconciled_year": year_checked(quarter).label,
    }


def committee_view(
    conn: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    register: Register,
    cut: dict,
    whole_quarter: bool,
) -> dict:
    """What a committee paper adds to its share of the scorecard: the council's report frame
    for the quarter, the data cut-off, the deliverables in a sentence and the data assurance
    statement for its figures (`whole_quarter`: every figure, and issues naming no PI)."""
    shown = [d for items in cut["plan"]["deliverables"].values() for d in items]
    counts = Counter(d["status"] for d in shown)
    said = [
        f"{counts[status]} {STATUS_TEXT[status][0].lower()}"
        for status in STATUS_TEXT
        if counts.get(status)
    ]
    if shown:
        listed = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
        sentence = (
            f"{plural(len(shown), 'corporate plan deliverable')} reported this quarter: {listed}."
        )
    else:
        sentence = "No corporate plan deliverables to report this quarter."
    return {
        "frame": register.council.report_frame.for_quarter(quarter),
        "cut_off": quarter.entry_window[1],
        "deliverable_count": len(shown),
        "deliverable_sentence": sentence,
        "assurance": assurance_view(conn, quarter, register, cut["entries"], whole_quarter),
    }


def governance_view(cut: dict) -> dict:
    """The Audit and Risk Committee's report: risks grouped by appetite breach, the failed
    checks by rule, and the managers' sign-off by service."""
    risks = cut["plan"]["risks"]
    return {
        "risk_groups": [
            {
                "id": "beyond",
                "title": "Risks beyond appetite",
                "risks": [r for r in risks if r["over_appetite"]],
            },
            {
                "id": "within",
                "title": "Risks within appetite",
                "risks": [r for r in risks if not r["over_appetite"]],
            },
        ],
        "unanswered": [r for r in risks if r["no_action"]],
        "issues_by_rule": cut["assurance"]["by_rule"],
        "signoff_services": signoff_by_service(cut["entries"]),
    }


def write_audience_reports(
    folder: Path,
    view: dict,
    conn: duckdb.DuckDBPyConnection,
    register: Register,
    quarter: Quarter,
    which: tuple[str, ...] = tuple(AUDIENCES),
) -> dict[str, dict[str, Path]]:
    """`cabinet_report.html`, `service_report.html` + `.xlsx` and `management_report.html`
    for one quarter (the Cabinet PDF is made from its HTML by its own asset)."""
    themes = register.council.themes
    written: dict[str, dict[str, Path]] = {}
    for key in which:
        cut = audience_view(view, key, themes)
        stem = AUDIENCES[key].stem
        if key == "service":
            title = f"{view['council_name']} service performance report {quarter.label}"
            table = scorecard_sheet(cut)
            if len(table):
                table.insert(0, "Service", [e["service"] for e in cut["entries"]])
                table = table.sort_values(["Service", "PI"], kind="stable")
            sheets = [
                Sheet(
                    "Service PIs",
                    table,
                    widths={"Title": 40, "Story": 60, "Owner's note": 60},
                    intro=[sample_label(title, view["sample"])],
                ),
                Sheet("Key", key_sheet(view)),
            ]
            written[key] = publish(folder, stem, f"{stem}.html.j2", cut, title, sheets)
            continue
        if key in ("cabinet", "governance"):
            cut = {**cut, **committee_view(conn, quarter, register, cut, key == "governance")}
        if key == "governance":
            cut = {**cut, **governance_view(cut)}
        if key == "management":
            cut = {
                **cut,
                **quality_picture(conn, quarter, register),
                # every PI's, not only the management metrics': the data team decides them all
                "rebase_proposals": [e for e in view["entries"] if e.get("spc_rebase_proposal")],
            }
        written[key] = {"html": write_html(folder / f"{stem}.html", f"{stem}.html.j2", **cut)}
    return written
