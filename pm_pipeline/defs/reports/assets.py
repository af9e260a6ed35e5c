"""Report assets: the quarterly scorecard pack, the annual report and the reminder list.

Each declares every table and partition it reads, so a restated quarter shows the reports
that used it as changed upstream. They are never rebuilt by themselves: a published report of
a closed quarter is re-run on purpose ("only in exceptional circumstances").
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from pm_pipeline.core.files import CouncilFiles, write_atomic
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import (
    FINANCIAL_YEARLY,
    QUARTERLY,
    FinancialYear,
    Month,
    Quarter,
    ReturnPeriod,
    earlier_partitions,
)
from pm_pipeline.core.warehouse import OWNERS, Warehouse, read_table
from pm_pipeline.defs.intake.read import read_quarter
from pm_pipeline.defs.plan.evaluate import updates_outstanding
from pm_pipeline.defs.plan.tables import ACTION_REGISTER, ACTION_UPDATES, RISK_REGISTER
from pm_pipeline.defs.plan.updates import read_update_files
from pm_pipeline.defs.register.load import returns_owed
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.reports.annual_report import annual_view, summary_sentence, write_annual_files
from pm_pipeline.defs.reports.audience import Owed, owed_sentence, plan_owed
from pm_pipeline.defs.reports.scorecard_report import (
    CHART_HISTORY,
    scorecard_view,
    write_scorecard_files,
)
from pm_pipeline.defs.scorecard.spc_series import SPC_QUARTERS
from pm_pipeline.render.pages import is_sample, write_html
from pm_pipeline.render.pdf import PdfPrinter
from pm_pipeline.render.spreadsheet import write_csv


@dg.asset(
    partitions_def=QUARTERLY,
    deps=[
        "kpi_scorecard",
        "kpi_exceptions",
        "restatements",
        "quality_issues",
        "signoffs",
        "benchmarks",
        "action_register",
        "risk_register",
        earlier_partitions("action_updates", -(CHART_HISTORY - 1)),
        earlier_partitions("risk_updates", -1),
        earlier_partitions("pi_returns", -(max(CHART_HISTORY, SPC_QUARTERS) - 1)),
        *REGISTER,
    ],
    group_name="reports",
    kinds={"html", "xlsx"},
    backfill_policy=dg.BackfillPolicy.single_run(),
    owners=OWNERS,
    description=(
        "reports/<YYYY-YY-Qn>/kpi_scorecard.html and .xlsx: summary, exceptions first, "
        "the balanced scorecard by theme with each PI's story, trend and position, and a key."
    ),
)
def quarterly_performance_report(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> dg.MaterializeResult:
    written = []
    for key in context.partition_keys:
        quarter = Quarter.from_key(key)
        with warehouse.read() as conn:
            register = read_register(conn)
            view = scorecard_view(
                conn, quarter, register, council_files.commentary_dir, council_files.config_dir
            )
        paths = write_scorecard_files(council_files.reports_dir / quarter.folder, view)
        written.append((quarter, paths, view))
        context.log.info(f"{quarter.label}: wrote {', '.join(str(p) for p in paths.values())}")
    quarter, paths, view = written[-1]
    counts = dict(view["rag_rows"])
    return dg.MaterializeResult(
        metadata={
            "html": dg.MetadataValue.path(str(paths["html"])),
            "xlsx": dg.MetadataValue.path(str(paths["xlsx"])),
            "summary": dg.MetadataValue.md(
                f"**{quarter.label}** — {counts['GREEN']} green, {counts['AMBER']} amber, "
                f"{counts['RED']} red; {len(view['exception_entries'])} exceptions."
            ),
        }
    )


def pdf_asset(
    name: str,
    html_asset: str,
    stem: str,
    description: str,
    partitions_def: dg.TimeWindowPartitionsDefinition = QUARTERLY,
    period: Callable[[str], Quarter | Month] = Quarter.from_key,
    group_name: str = "reports",
) -> dg.AssetsDefinition:
    """A period's report as a PDF made from its HTML (tagged, real text): a quarter's, or a
    month's with `partitions_def=MONTHLY, period=Month.from_key`. Its own step: a long PDF
    takes a while, and the web and Excel reports should not wait for it."""

    @dg.asset(
        name=name,
        partitions_def=partitions_def,
        deps=[html_asset],
        group_name=group_name,
        kinds={"pdf"},
        backfill_policy=dg.BackfillPolicy.single_run(),
        owners=OWNERS,
        description=description,
    )
    def _pdf(
        context: dg.AssetExecutionContext, council_files: CouncilFiles, pdf_printer: PdfPrinter
    ) -> dg.MaterializeResult:
        written = []
        for key in context.partition_keys:
            folder = council_files.reports_dir / period(key).folder
            html = folder / f"{stem}.html"
            if not html.exists():
                raise dg.Failure(f"{html} does not exist: materialise {html_asset} first")
            written.append(
                write_atomic(folder / f"{stem}.pdf", pdf_printer.to_pdf(html.read_text(), folder))
            )
        return dg.MaterializeResult(
            metadata={
                "pdf": dg.MetadataValue.path(str(written[-1])),
                "size (kB)": round(written[-1].stat().st_size / 1024),
            }
        )

    return _pdf


quarterly_report_pdf = pdf_asset(
    "quarterly_report_pdf",
    "quarterly_performance_report",
    "kpi_scorecard",
    "reports/<YYYY-YY-Qn>/kpi_scorecard.pdf: the officers' full quarterly report as a PDF, made "
    "from the very same HTML (tagged, real text).",
)


def outstanding(
    files: CouncilFiles, quarter: ReturnPeriod, indicators: pd.DataFrame
) -> pd.DataFrame:
    """PIs owed a return (due, and not taken from an official statistic) with no row at all
    in the quarter's (or month's) folder yet, by owner and manager."""
    canonical = {pid.casefold(): pid for pid in indicators["pi_id"]}
    read, _ = read_quarter(files.returns_dir, quarter, canonical)
    present = set(read.candidates["pi_id"])
    due = returns_owed(indicators, quarter)
    missing = due[~due["pi_id"].isin(present)]
    return missing[["owner", "manager", "pi_id", "title", "service", "frequency"]].sort_values(
        ["owner", "pi_id"]
    )


@dg.asset(
    partitions_def=QUARTERLY,
    deps=[*REGISTER, ACTION_REGISTER.key, RISK_REGISTER.key],
    group_name="mail",
    kinds={"html", "csv"},
    owners=OWNERS,
    description=(
        "The reminder list: PIs with no return yet for the quarter, and plan actions and "
        "risks with no update yet, by owner and manager "
        "(reports/<YYYY-YY-Qn>/outstanding_returns.html and .csv). Reads the returns folder "
        "as it is now, so it is right even before the quarter's checks pass."
    ),
)
def outstanding_returns(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> dg.MaterializeResult:
    quarter = Quarter.from_key(context.partition_key)
    with warehouse.read() as conn:
        register = read_register(conn)
        actions = read_table(conn, ACTION_REGISTER)
        risks = read_table(conn, RISK_REGISTER)
        earlier = read_table(conn, ACTION_UPDATES, "period < ?", [quarter.key])
    pis = outstanding(council_files, quarter, register.indicators)
    given = read_update_files(
        council_files.returns_dir,
        None,
        quarter,
        {a.casefold(): a for a in actions["action_id"]},
        {r.casefold(): r for r in risks["risk_id"]},
    )
    plan = updates_outstanding(actions, risks, given, quarter, earlier)
    table = pd.concat([pis, plan], ignore_index=True) if len(plan) else pis
    pis_owed = len(returns_owed(register.indicators, quarter))
    owed = [
        Owed("PI return", pis_owed, pis_owed - len(pis)),
        *plan_owed(
            actions,
            risks,
            set(given.frame("action_id")["action_id"]),
            set(given.frame("risk_id")["risk_id"]),
            quarter,
            earlier,
        ),
    ]
    folder = council_files.reports_dir / quarter.folder
    deadline = quarter.entry_window[1]
    named = register.names.named  # people by name in the list and its CSV, not by address
    shown = table.assign(owner=table["owner"].map(named), manager=table["manager"].map(named))
    csv_path = write_csv(folder / "outstanding_returns.csv", shown)
    html_path = write_html(
        folder / "outstanding_returns.html",
        "outstanding_returns.html.j2",
        council_name=register.council.name,
        sample=is_sample(register.council.name),
        quarter=quarter,
        deadline=deadline,
        owners=[
            {"owner": named(owner), "rows": shown.loc[rows.index].to_dict("records")}
            for owner, rows in table.groupby("owner", sort=True)
        ],
        total=len(table),
        owed_text=owed_sentence(owed, None),
        outstanding_text=owed_sentence(owed, "outstanding"),
    )
    return dg.MaterializeResult(
        metadata={
            "outstanding": len(table),
            **{f"{o.what} outstanding": o.outstanding for o in owed},
            "owners to chase": table["owner"].nunique(),
            "html": dg.MetadataValue.path(str(html_path)),
            "csv": dg.MetadataValue.path(str(csv_path)),
            "by owner": metadata_table(table[["owner", "manager", "pi_id"]]),
        }
    )


@dg.asset(
    partitions_def=FINANCIAL_YEARLY,
    deps=[
        "kpi_scorecard",
        "kpi_exceptions",
        earlier_partitions("pi_returns", -1),
        "action_register",
        "action_updates",
        *REGISTER,
    ],
    group_name="annual_report",
    kinds={"html", "xlsx"},
    owners=OWNERS,
    description=(
        "reports/<YYYY-YY>/annual_performance_report.html and .xlsx: each PI's outturn for the "
        "financial year against its target, quarter by quarter, the annual-only PIs, "
        "year-on-year direction, benchmark position and the year's exceptions."
    ),
)
def annual_performance_report(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> dg.MaterializeResult:
    year = FinancialYear.from_key(context.partition_key)
    with warehouse.read() as conn:
        register = read_register(conn)
        view = annual_view(conn, year, register)
    paths = write_annual_files(council_files.reports_dir / year.folder, view)
    return dg.MaterializeResult(
        metadata={
            "html": dg.MetadataValue.path(str(paths["html"])),
            "xlsx": dg.MetadataValue.path(str(paths["xlsx"])),
            "summary": dg.MetadataValue.md(summary_sentence(view)),
        }
    )
