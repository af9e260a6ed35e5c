"""Report assets by audience: the Cabinet, service, management and governance reports, and the
Cabinet and governance PDFs.

One multi-asset builds the quarter's scorecard view once and writes the three reports (any
of them can be selected alone); each PDF is its own step, made from its HTML, as the full
scorecard's PDF is. Both declare what they read, like the full scorecard.
"""

import dagster as dg

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import QUARTERLY, Quarter, earlier_partitions
from pm_pipeline.core.warehouse import OWNERS, Warehouse
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.reports.assets import pdf_asset
from pm_pipeline.defs.reports.audience import AUDIENCES, write_audience_reports
from pm_pipeline.defs.reports.scorecard_report import CHART_HISTORY, scorecard_view

DESCRIPTIONS = {
    "cabinet": "reports/<YYYY-YY-Qn>/cabinet_report.html: the Cabinet paper (the council's "
    "report frame, a one-page summary, exceptions with their actions and SPC charts, corporate "
    "plan deliverables, the strategic risk summary, the data assurance statement, "
    "implications, the balanced scorecard, each PI in an appendix) for Cabinet and Overview & "
    "Scrutiny.",
    "service": "reports/<YYYY-YY-Qn>/service_report.html and .xlsx: service PIs by service, "
    "for CMT, service managers and Overview & Scrutiny.",
    "governance": "reports/<YYYY-YY-Qn>/governance_report.html: for the Audit and Risk "
    "Committee: the strategic risks against the council's appetite (inherent, current and "
    "target scores, actions due, overdue reviews), the quarter's data assurance, restatements "
    "and the managers' sign-off by service.",
    "management": "reports/<YYYY-YY-Qn>/management_report.html: management metrics and the "
    "quarter's data quality (PI returns received and on time, plan updates received, figures "
    "restated, issues by service and rule), "
    "for the leadership team.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            AUDIENCES[key].stem,
            deps=[
                "kpi_scorecard",
                "kpi_exceptions",
                "restatements",
                "quality_issues",
                "signoffs",
                "benchmarks",
                earlier_partitions("pi_returns", -(CHART_HISTORY - 1)),
                "action_register",
                "risk_register",
                earlier_partitions("action_updates", -(CHART_HISTORY - 1)),
                earlier_partitions("risk_updates", -1),
                *REGISTER,
            ],
            group_name="reports",
            kinds={"html", "xlsx"} if key == "service" else {"html"},
            owners=OWNERS,
            description=DESCRIPTIONS[key],
            skippable=True,
        )
        for key in AUDIENCES
    ],
    partitions_def=QUARTERLY,
    can_subset=True,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def audience_reports(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
):
    """The reports by audience for each quarter of the run; each spec says where it wrote."""
    selected = {k.to_user_string() for k in context.selected_asset_keys}
    which = tuple(key for key, a in AUDIENCES.items() if a.stem in selected)
    written: dict = {}
    for key in context.partition_keys:
        quarter = Quarter.from_key(key)
        with warehouse.read() as conn:
            register = read_register(conn)
            view = scorecard_view(  # with the re-base points: the same SPC reading, in words
                conn, quarter, register, council_files.commentary_dir, council_files.config_dir
            )
            written = write_audience_reports(
                council_files.reports_dir / quarter.folder, view, conn, register, quarter, which
            )
        context.log.info(f"{quarter.label}: wrote {', '.join(AUDIENCES[k].stem for k in which)}")
    for key in which:
        yield dg.MaterializeResult(
            asset_key=AUDIENCES[key].stem,
            metadata={kind: dg.MetadataValue.path(str(p)) for kind, p in written[key].items()},
        )


cabinet_report_pdf = pdf_asset(
    "cabinet_report_pdf",
    "cabinet_report",
    "cabinet_report",
    "reports/<YYYY-YY-Qn>/cabinet_report.pdf: the Cabinet report for the Cabinet pack, made "
    "from the same HTML (tagged, real text), 12 A4 pages or fewer for a council of the "
    "sample's size.",
)


governance_report_pdf = pdf_asset(
    "governance_report_pdf",
    "governance_report",
    "governance_report",
    "reports/<YYYY-YY-Qn>/governance_report.pdf: the Audit and Risk Committee's governance "
    "and assurance report, made from the same HTML (tagged, real text).",
)
