"""The monthly reports' assets: `service_scorecard` (one HTML and XLSX per directorate) and
`leader_update` (HTML, and its PDF as its own step), under `reports/<YYYY-MM>/`.

Both read the month's budget monitoring, which their finance checks guard (an ERROR there,
a service missing from the export, holds them back), and the latest quarter's scorecard; the
leader's update also reads the month before, to say what changed.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from pm_pipeline.core.files import CouncilFiles, write_atomic
from pm_pipeline.core.periods import MONTHLY, Month, earlier_partitions
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.warehouse import OWNERS, Warehouse
from pm_pipeline.defs.finance.tables import BUDGET_MONITORING, FINANCE_ISSUES
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.reports.assets import pdf_asset
from pm_pipeline.defs.reports.monthly import MonthPicture, month_picture
from pm_pipeline.defs.reports.monthly_views import directorate_views, leader_view
from pm_pipeline.defs.scorecard import narrative
from pm_pipeline.render.pages import is_sample, render_html, sample_label
from pm_pipeline.render.spreadsheet import Sheet, write_xlsx
from pm_pipeline.render.wording import DIRECTION_MEANING, RAG_TEXT, direction_label, rag_label

GROUP = "monthly_reports"
# what the monthly reports read besides the month's budget monitoring: the quarter as at the
# month (the one it is in, or the one before) and the plan
QUARTERLY_READS = [
    earlier_partitions(key, -1)
    for key in ("kpi_scorecard", "kpi_exceptions", "action_updates", "risk_updates")
]
LEADER = "leader_update"


def _common(picture: MonthPicture, register_name: str, settings: object) -> dict:
    quarter = picture.quarter
    note = (
        f"Quarterly figures are {quarter.label}'s, the latest quarter with a scorecard; a PI "
        "returned monthly shows its latest month."
        if quarter
        else "No quarter has a scorecard yet, so only PIs returned monthly are shown."
    )
    return {
        "council_name": register_name,
        "sample": is_sample(register_name),
        "month": picture.month,
        "quarter": quarter,
        "settings": settings,
        "figures_note": note,
        "rag_text": RAG_TEXT,
        "direction_meaning": DIRECTION_MEANING,
        "variation_symbols": list(narrative.VARIATION_SYMBOLS.values()),
        "assurance_symbols": list(narrative.ASSURANCE_SYMBOLS.values()),
    }


def _links(views: list[dict], leave_out: str) -> list[dict]:
    links = [
        {
            "href": f"{v['stem']}.html",
            "title": f"Service scorecard: {v['directorate']}",
            "readers": f"the {v['directorate']} directorate's monthly meeting",
        }
        for v in views
        if v["stem"] != leave_out
    ]
    if leave_out != LEADER:
        links.append(
            {
                "href": f"{LEADER}.html",
                "title": "Leader's monthly update",
                "readers": "the Leader of the Council",
            }
        )
    return links


def _cell(value: object) -> object:
    return None if is_missing(value) else value


def scorecard_sheets(view: dict, title: str) -> list[Sheet]:
    """A directorate's scorecard for Excel: finance, every PI by section, actions due."""
    finance = pd.DataFrame(
        [
            {
                "Service": s["name"],
                "Head of service": s["head"],
                "Annual budget (£)": s["finance"]["annual_budget"],
                "Actual to date (£)": s["finance"]["actual_to_date"],
                "Forecast outturn (£)": s["finance"]["forecast_outturn"],
                "Forecast variance (£)": s["finance"]["variance"],
                "Variance (% of budget)": _cell(s["finance"]["variance_pct"]),
                "Against budget": rag_label(s["finance"]["rag"]),
                "Commentary": s["finance"]["commentary"],
            }
            for s in view["services"]
            if s["finance"]
        ]
    )
    indicators = pd.DataFrame(
        [
            {
                "Service": s["name"],
                "Section": section["title"],
                "PI": e["pi_id"],
                "Indicator": e["title"],
                "Period": e["period_label"],
                "Value": _cell(e["value"]),
                "Target": _cell(e["target"]),
                "RAG": rag_label(e["rag"]),
                "Since the period before": direction_label(e["direction"]),
                "Variation (SPC)": e["variation_text"],
                "Assurance (SPC)": e["assurance_text"],
                "Why no SPC reading": e["spc_reason"],
                "Exceptions": "; ".join(e["exceptions"]),
            }
            for s in view["services"]
            for section in s["sections"]
            for e in section["entries"]
        ]
    )
    actions = pd.DataFrame(
        [
            {
                "Service": s["name"],
                "Action": a["action_id"],
                "Title": a["title"],
                "Due": a["due_text"],
                "Overdue": "Overdue" if a["overdue"] else "",
                "Status": a["status_text"],
            }
            for s in view["services"]
            for a in s["actions"]
        ],
        columns=["Service", "Action", "Title", "Due", "Overdue", "Status"],
    )
    money = "#,##0"
    return [
        Sheet(
            "Finance",
            finance,
            formats={c: money for c in finance.columns if c.endswith("(£)")}
            | {"Variance (% of budget)": "0.0"},
            widths={"Commentary": 60, "Service": 28, "Head of service": 24},
            intro=[title],
        ),
        Sheet("Indicators", indicators, widths={"Indicator": 45, "Why no SPC reading": 40}),
        Sheet("Actions due", actions, widths={"Title": 60}),
    ]


def write_service_scorecards(folder: Path, picture: MonthPicture, common: dict) -> list[Path]:
    """`service_scorecard_<directorate>.html` and `.xlsx` for each directorate."""
    views = directorate_views(picture)
    written = []
    for view in views:
        title = sample_label(
            f"{common['council_name']} service scorecard: {view['directorate']}, "
            f"{picture.month.label}",
            common["sample"],
        )
        html = render_html(
            "service_scorecard.html.j2", view=view, others=_links(views, view["stem"]), **common
        )
        written.append(write_atomic(folder / f"{view['stem']}.html", html))
        written.append(
            write_xlsx(folder / f"{view['stem']}.xlsx", scorecard_sheets(view, title), title)
        )
    return written


@dg.asset(
    partitions_def=MONTHLY,
    deps=[
        BUDGET_MONITORING.key,
        FINANCE_ISSUES.key,
        *QUARTERLY_READS,
        "action_register",
        "risk_register",
        *REGISTER,
    ],
    group_name=GROUP,
    kinds={"html", "xlsx"},
    owners=OWNERS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "reports/<YYYY-MM>/service_scorecard_<directorate>.html and .xlsx: the service balanced "
        "scorecard for each directorate's monthly meeting — per service, finance (budget, "
        "forecast, variance and its RAG), customers, people and performance, exceptions "
        "first, and the improvement actions due."
    ),
)
def service_scorecard(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> dg.MaterializeResult:
    written: list[Path] = []
    for key in context.partition_keys:
        month = Month.from_key(key)
        with warehouse.read() as conn:
            register = read_register(conn)
            picture = month_picture(conn, month, register)
        common = _common(picture, register.council.name, register.council.finance)
        written = write_service_scorecards(
            council_files.reports_dir / month.folder, picture, common
        )
        context.log.info(f"{month.label}: wrote {', '.join(p.name for p in written)}")
    return dg.MaterializeResult(metadata={p.name: dg.MetadataValue.path(str(p)) for p in written})


@dg.asset(
    partitions_def=MONTHLY,
    deps=[
        earlier_partitions(BUDGET_MONITORING.key, -1),
        FINANCE_ISSUES.key,
        *QUARTERLY_READS,
        "action_register",
        "risk_register",
        *REGISTER,
    ],
    group_name=GROUP,
    kinds={"html"},
    owners=OWNERS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "reports/<YYYY-MM>/leader_update.html: the Leader's monthly update on one or two pages "
        "— the month in numbers (KPIs, the forecast outturn against budget, complaints), what "
        "changed since last month (new exceptions, risks whose score moved, deliverables "
        "slipped) and what needs the Leader's attention."
    ),
)
def leader_update(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> dg.MaterializeResult:
    path = None
    for key in context.partition_keys:
        month = Month.from_key(key)
        with warehouse.read() as conn:
            register = read_register(conn)
            now = month_picture(conn, month, register)
            before = month_picture(conn, month.previous, register)
        common = _common(now, register.council.name, register.council.finance)
        views = directorate_views(now)
        html = render_html(
            "leader_update.html.j2",
            leader=leader_view(now, before),
            others=_links(views, LEADER),
            **common,
        )
        path = write_atomic(council_files.reports_dir / month.folder / f"{LEADER}.html", html)
        context.log.info(f"{month.label}: wrote {path}")
    return dg.MaterializeResult(metadata={"html": dg.MetadataValue.path(str(path))})


leader_update_pdf = pdf_asset(
    "leader_update_pdf",
    LEADER,
    LEADER,
    "reports/<YYYY-MM>/leader_update.pdf: the Leader's monthly update as a PDF (one or two A4 "
    "pages), made from the same HTML (tagged, real text).",
    partitions_def=MONTHLY,
    period=Month.from_key,
    group_name=GROUP,
)
