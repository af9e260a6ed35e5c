"""The code location: every domain's definitions merged, with the resources they share.

`Definitions.merge` over an explicit list (rather than `load_from_defs_folder`): a domain is
added in one line here, the merge is typed and checked by mypy, and tests build the same
definitions over their own data directory with `build_defs(data_dir)`.
"""

from pathlib import Path

import dagster as dg

from pm_pipeline.core.mail import mailer_from_env
from pm_pipeline.core.warehouse import build_resources
from pm_pipeline.defs.benchmarks import definitions as benchmarks
from pm_pipeline.defs.benchmarks.lginform import lginform_resource_from_env
from pm_pipeline.defs.district import definitions as district
from pm_pipeline.defs.finance import definitions as finance
from pm_pipeline.defs.intake import definitions as intake
from pm_pipeline.defs.mail import definitions as mail
from pm_pipeline.defs.operations import definitions as operations
from pm_pipeline.defs.plan import definitions as plan
from pm_pipeline.defs.quality import definitions as quality
from pm_pipeline.defs.register import definitions as register
from pm_pipeline.defs.reports import definitions as reports
from pm_pipeline.defs.scorecard import definitions as scorecard
from pm_pipeline.defs.signoff import definitions as signoff
from pm_pipeline.render.pdf import PdfPrinter

# modules, not their `defs`: the dagster CLI (`-m pm_pipeline.definitions`) wants one
# Definitions object at module level
DOMAINS = (
    register.defs,
    intake.defs,
    quality.defs,
    signoff.defs,
    plan.defs,
    finance.defs,
    benchmarks.defs,
    scorecard.defs,
    reports.defs,
    mail.defs,
    district.defs,
    operations.defs,
)


def build_defs(
    data_dir: Path | None = None, pdf_printer: PdfPrinter | None = None
) -> dg.Definitions:
    """Definitions over one data directory ($PM_DATA_DIR unless given: tests pass their own),
    printing PDFs with headless Chromium unless given another printer (tests that do not look
    at the PDFs pass one without a browser)."""
    domains = dg.Definitions.merge(*DOMAINS)
    return dg.Definitions(
        # each asset links to its source in the UI (Definitions.merge keeps them as written)
        assets=dg.with_source_code_references(list(domains.assets or ())),
        asset_checks=domains.asset_checks,
        jobs=domains.jobs,
        schedules=domains.schedules,
        sensors=domains.sensors,
        resources={
            **build_resources(data_dir),
            "lginform": lginform_resource_from_env(),
            "mailer": mailer_from_env(),
            "pdf_printer": pdf_printer or PdfPrinter(),
        },
        executor=dg.in_process_executor,
    )


defs = build_defs()
