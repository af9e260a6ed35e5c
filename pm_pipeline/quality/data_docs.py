"""Great Expectations Data Docs for each quarter: the data team's view of the returns suite.

The checks validate every quarter of a run at once (fast, see `evaluate.py`); Data Docs need
one validation result per quarter, so each quarter's rows and returns owed are validated again
here with GX's SUMMARY results (counts and the commonest failing values; the owners' lists name
the rows). That costs about 1-3 s a quarter (GX's fixed cost per validation and per site build,
measured with `bench/quality_checks.py`), which a single-quarter run barely notices and a
forty-quarter backfill does (see the README's Performance section). The results are kept in a
file-backed GX context under `$PM_DATA_DIR/gx/` (its validations store is the history of every
run), and each quarter's latest result is rendered to
`reports/<YYYY-YY-Qn>/quality/data_docs/index.html`. Owners keep their plain-English lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pm_pipeline.periods import Quarter
from pm_pipeline.quality.evaluate import Evaluation, gx_context, gx_frame, split_suite
from pm_pipeline.quality.suite import RETURNS_SUITE


def _site(context, quarter: Quarter, reports_dir: Path) -> str:
    """A Data Docs site per quarter, so each quarter's index lists that quarter only."""
    name = f"quarter_{quarter.folder}"
    config = {
        "class_name": "SiteBuilder",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(reports_dir / quarter.folder / "quality" / "data_docs"),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    if name in context.get_site_names():
        context.update_data_docs_site(name, config)
    else:
        context.add_data_docs_site(name, config)
    return name


def write_data_docs(
    evaluation: Evaluation, quarters: Sequence[Quarter], data_dir: Path, reports_dir: Path
) -> dict[str, Path]:
    """Validate each quarter for the record, keep the results, render its Data Docs; the path
    of each quarter's index page, by partition key."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = gx_context("file", data_dir)  # GX keeps its project in data_dir / "gx"
    source = context.data_sources.add_or_update_pandas("pi_returns")
    rows, owing = split_suite()
    tables = []  # per table: its batch definition, suite and data
    for name, suite_name, expectations, data in (
        ("rows", RETURNS_SUITE, rows, gx_frame(evaluation.frame)),
        ("owed", f"{RETURNS_SUITE}_owed", owing, evaluation.owed),
    ):
        asset = next((a for a in source.assets if a.name == name), None)
        asset = asset or source.add_dataframe_asset(name)
        batch_def = next((b for b in asset.batch_definitions if b.name == "quarter"), None)
        batch_def = batch_def or asset.add_batch_definition_whole_dataframe("quarter")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=suite_name, expectations=expectations)
        )
        tables.append((batch_def, suite, data))
    run_time = datetime.now(UTC)
    pages: dict[str, Path] = {}
    for quarter in quarters:
        run_id = RunIdentifier(run_name=quarter.folder, run_time=run_time)
        keys = []
        for batch_def, suite, data in tables:
            batch = batch_def.get_batch(
                batch_parameters={"dataframe": data[data["period"] == quarter.key]}
            )
            result = batch.validate(
                suite,
                result_format={"result_format": "SUMMARY"},
            )
            result.meta["run_id"] = run_id
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
                run_id=run_id,
                batch_identifier=batch.id,
            )
            context.validation_results_store.set(key, result)
            keys.append(key)
        context.build_data_docs(
            site_names=[_site(context, quarter, reports_dir)], resource_identifiers=keys
        )
        pages[quarter.key] = reports_dir / quarter.folder / "quality" / "data_docs" / "index.html"
    return pages
