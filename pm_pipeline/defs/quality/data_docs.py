"""Great Expectations Data Docs: the data team's record of every validation of the returns.

Each intake run validates its quarters once (`evaluate.py`); that same result is kept here in a
file-backed GX context under `$PM_DATA_DIR/gx/` (its validations store is the history of every
run) and rendered into one Data Docs site, `reports/data_docs/index.html`, which lists every
run newest first, named after the quarter (or range of quarters) it read. Nothing is validated a
second time for the record: re-validating each quarter for a page of its own cost 1-3 s a
quarter (two GX validations and a site build each), which every sensor run paid and a
forty-quarter backfill paid forty times. Owners keep their plain-English lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.quality.evaluate import Evaluation, gx_context

SITE = "returns"
# GX's COMPLETE results name every failing row; the record keeps GX's summary of them (the
# counts and the first 20 values), as SUMMARY results would: the owners' lists name the rows.
FULL_LISTS = ("unexpected_index_list", "unexpected_list", "unexpected_index_query")


def run_name(quarters: Sequence[Quarter]) -> str:
    """The run as the Data Docs index lists it: its quarter, or its first and last quarters."""
    first, last = quarters[0].folder, quarters[-1].folder
    return first if first == last else f"{first}_to_{last}"


def _site(context, reports_dir: Path) -> str:
    config = {
        "class_name": "SiteBuilder",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(reports_dir / "data_docs"),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    if SITE in context.get_site_names():
        context.update_data_docs_site(SITE, config)
    else:
        context.add_data_docs_site(SITE, config)
    return SITE


def write_data_docs(
    evaluation: Evaluation, quarters: Sequence[Quarter], data_dir: Path, reports_dir: Path
) -> Path:
    """Keep the run's validation results and render their pages and the site's index; the
    page of the run's validation of the returns' rows (the checks link to it).

    Called after `evaluate_returns` has turned the results into issues: the full lists of
    failing rows are dropped from the kept copy here.
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = gx_context("file", data_dir)  # GX keeps its project in data_dir / "gx"
    run_id = RunIdentifier(run_name=run_name(quarters), run_time=datetime.now(UTC))
    keys = []
    for table, result in zip(("rows", "owed"), evaluation.validations, strict=True):
        for expectation in result.results:
            for name in FULL_LISTS:
                expectation.result.pop(name, None)
        result.meta["run_id"] = run_id
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=run_id,
            batch_identifier=f"pi_returns-{table}",
        )
        context.validation_results_store.set(key, result)
        keys.append(key)
    site = _site(context, reports_dir)
    context.build_data_docs(site_names=[site], resource_identifiers=keys)
    url = context.get_docs_sites_urls(resource_identifier=keys[0], site_name=site)[0]["site_url"]
    return Path(unquote(urlparse(url).path))
