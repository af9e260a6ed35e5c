"""`district_context` (the place statistics) and `state_of_the_district` (the six-monthly report)."""

from collections.abc import Iterator

import dagster as dg
import pandas as pd

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import HALF_YEARLY, Half, earlier_partitions
from pm_pipeline.core.warehouse import (
    OWNERS,
    Replacement,
    Warehouse,
    replace_all,
    row_count,
)
from pm_pipeline.defs.district.inputs import ANNUAL_POINTS, load_inputs
from pm_pipeline.defs.district.layout import LayoutError
from pm_pipeline.defs.district.reference import ReferenceRead, read_reference_dir
from pm_pipeline.defs.district.report import write_report
from pm_pipeline.defs.district.tables import DEPRIVATION_LSOA, DISTRICT_CONTEXT
from pm_pipeline.defs.district.view import build_view
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.render.pdf import PdfPrinter

COVERAGE_CHECK = "reference_data_covers_the_district"


def coverage(
    read: ReferenceRead, council: str, region: str, comparators: list[str]
) -> pd.DataFrame:
    """Per dataset: is the council there, how many comparators, the region, England."""
    context = read.context
    rows = []
    for dataset, group in context.groupby("dataset", sort=True):
        codes = set(group["area_code"])
        rows.append(
            {
                "dataset": dataset,
                "council": council in codes,
                "comparators": f"{len(codes & set(comparators))} of {len(comparators)}",
                "region": region in codes,
                "England": "E92000001" in codes,
                "missing comparators": ", ".join(sorted(set(comparators) - codes)),
            }
        )
    columns = ["dataset", "council", "comparators", "region", "England", "missing comparators"]
    return pd.DataFrame(rows, columns=columns)


@dg.multi_asset(
    name="district_reference",
    specs=[
        DISTRICT_CONTEXT.spec(
            deps=REGISTER,
            group_name="district",
            kinds={"csv", "xlsx"},
            description=(
                "Place statistics from the publishers' files under reference/ (Census 2021 "
                "topic summaries, English Indices of Deprivation, ONS mid-year estimates, Nomis "
                "APS employment rate and UK Business Counts), one row per figure. A file whose "
                "layout has changed stops the run, naming file, row and column."
            ),
        ),
        DEPRIVATION_LSOA.spec(
            group_name="district",
            kinds={"csv", "xlsx"},
            description=(
                "The Indices of Deprivation for every neighbourhood (LSOA) of the council, from "
                "which the district's deprivation measures are computed."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            COVERAGE_CHECK,
            asset="district_context",
            description="Every reference dataset covers the council; missing comparators are "
            "listed so positions among similar councils can be read with care.",
        )
    ],
    pool="warehouse",
    can_subset=True,
)
def district_context(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    try:
        read = read_reference_dir(council_files.reference_dir)
    except LayoutError as exc:
        raise dg.Failure(
            description=exc.message,
            metadata={"what to fix": dg.MetadataValue.md(exc.message)},
        ) from exc
    tables = {DISTRICT_CONTEXT: read.context, DEPRIVATION_LSOA: read.lsoas}
    with warehouse.write() as conn:
        register = read_register(conn)
        replace_all(conn, [Replacement(t, f) for t, f in tables.items() if t.key in selected])
    council = register.council
    comparators = list(register.comparators["area_code"])
    covered = coverage(read, council.area_code, council.region_code, comparators)
    context.log.info(f"Read {len(read.files)} reference files, {len(read.context)} figures")
    if "deprivation_lsoa" in selected:
        yield dg.MaterializeResult(
            asset_key="deprivation_lsoa", metadata=row_count(len(read.lsoas))
        )
    if "district_context" not in selected:
        return
    yield dg.MaterializeResult(
        asset_key="district_context",
        metadata={
            **row_count(len(read.context)),
            "files": len(read.files),
            "figures": len(read.context),
            "neighbourhoods (LSOA rows)": len(read.lsoas),
            "sample files": sum("sample" in f.path.casefold() for f in read.files),
            "files read": metadata_table(read.files_table()),
        },
    )
    lacking = covered[~covered["council"].astype(bool)]
    yield dg.AssetCheckResult(
        asset_key="district_context",
        check_name=COVERAGE_CHECK,
        passed=lacking.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "datasets without the council": len(lacking),
            "coverage": metadata_table(covered),
        },
    )


@dg.asset(
    partitions_def=HALF_YEARLY,
    deps=[
        "district_context",
        "benchmarks",
        earlier_partitions("pi_returns", -2 * ANNUAL_POINTS),
        *REGISTER,
    ],
    group_name="district",
    kinds={"html", "pdf"},
    owners=OWNERS,
    description=(
        "reports/<YYYY-YY-Hn>/state_of_the_district.html and .pdf: people, place and prosperity "
        "compared with similar councils, the region and England; the council's place-based and "
        "contextual indicators with their trends; LG Inform and Oflog benchmarks; and a summary "
        "of what has changed in six months."
    ),
)
def state_of_the_district(
    context: dg.AssetExecutionContext,
    council_files: CouncilFiles,
    warehouse: Warehouse,
    pdf_printer: PdfPrinter,
) -> dg.MaterializeResult:
    half = Half.from_key(context.partition_key)
    with warehouse.read() as conn:
        register = read_register(conn)
        inputs = load_inputs(conn, half)
    view = build_view(inputs, half, register)
    paths = write_report(council_files.reports_dir / half.folder, view, pdf_printer)
    context.log.info(f"{half.label}: wrote {paths['html']} and {paths['pdf']}")
    summary = "\n".join(f"- {line}" for line in view["summary"])
    return dg.MaterializeResult(
        metadata={
            "html": dg.MetadataValue.path(str(paths["html"])),
            "pdf": dg.MetadataValue.path(str(paths["pdf"])),
            "summary": dg.MetadataValue.md(f"**{half.label}** — what has changed:\n\n{summary}"),
            "figures as published by": view["as_of"].isoformat(),
        }
    )


asset_checks: list[dg.AssetChecksDefinition] = []
