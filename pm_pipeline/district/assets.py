"""`district_context` (the place statistics) and `state_of_the_district` (the six-monthly report)."""

from collections.abc import Iterator

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from pm_pipeline.district.layout import LayoutError
from pm_pipeline.district.reference import ReferenceRead, read_reference_dir
from pm_pipeline.district.report import write_report
from pm_pipeline.district.view import build_view, load_inputs
from pm_pipeline.metadata import markdown_table
from pm_pipeline.periods import HALF_YEARLY, Half
from pm_pipeline.register.store import read_register
from pm_pipeline.resources import CouncilFiles
from pm_pipeline.warehouse import Replacement, replace_all

COVERAGE_CHECK = "reference_data_covers_the_district"


def coverage(
    read: ReferenceRead, council: str, region: str, comparators: list[str]
) -> pd.DataFrame:
    """Per dataset: is the council there, how many comparators, the region, England."""
    context = read.context
    rows = []
    for dataset, group in context.groupby("dataset", sort=True):
        codes = set(group["area_code"])
        rows.append({
            "dataset": dataset,
            "council": council in codes,
            "comparators": f"{len(codes & set(comparators))} of {len(comparators)}",
            "region": region in codes,
            "England": "E92000001" in codes,
            "missing comparators": ", ".join(sorted(set(comparators) - codes)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["dataset", "council", "comparators", "region", "England",
                                       "missing comparators"])  # fmt: skip


@dg.asset(
    group_name="district",
    kinds={"duckdb", "csv", "xlsx"},
    pool="warehouse",
    deps=["indicator_register"],
    owners=["team:performance"],
    check_specs=[
        dg.AssetCheckSpec(
            COVERAGE_CHECK,
            asset="district_context",
            description="Every reference dataset covers the council; missing comparators are "
            "listed so positions among similar councils can be read with care.",
        )
    ],
    description=(
        "Place statistics from the publishers' files under reference/ (Census 2021 topic "
        "summaries, English Indices of Deprivation, ONS mid-year estimates, Nomis APS employment "
        "rate and UK Business Counts) as the tidy tables district_context and deprivation_lsoa. "
        "A file whose layout has changed stops the run, naming file, row and column."
    ),
    metadata={"tables": "district_context, deprivation_lsoa"},
)
def district_context(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: DuckDBResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    try:
        read = read_reference_dir(council_files.reference_dir)
    except LayoutError as exc:
        raise dg.Failure(
            description=exc.message,
            metadata={"what to fix": dg.MetadataValue.md(exc.message)},
        ) from exc
    with warehouse.get_connection() as conn:
        register = read_register(conn)
        replace_all(
            conn,
            [
                Replacement("district_context", read.context),
                Replacement("deprivation_lsoa", read.lsoas),
            ],
        )
    council = register.council
    covered = coverage(read, council.area_code, council.region_code,
                       list(register.comparators["area_code"]))  # fmt: skip
    context.log.info(f"Read {len(read.files)} reference files, {len(read.context)} figures")
    yield dg.MaterializeResult(
        metadata={
            "files": len(read.files),
            "figures": len(read.context),
            "neighbourhoods (LSOA rows)": len(read.lsoas),
            "sample files": sum("sample" in f.path.casefold() for f in read.files),
            "files read": dg.MetadataValue.md(markdown_table(read.files_table())),
        }
    )
    lacking = covered[~covered["council"].astype(bool)]
    yield dg.AssetCheckResult(
        check_name=COVERAGE_CHECK,
        passed=lacking.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "datasets without the council": len(lacking),
            "coverage": dg.MetadataValue.md(markdown_table(covered)),
        },
    )


@dg.asset(
    partitions_def=HALF_YEARLY,
    deps=["district_context", "indicator_register", "pi_returns", "benchmarks"],
    group_name="reports",
    kinds={"html", "pdf"},
    owners=["team:performance"],
    description=(
        "reports/<YYYY-YY-Hn>/state_of_the_district.html and .pdf: people, place and prosperity "
        "compared with similar councils, the region and England; the council's place-based and "
        "contextual indicators with their trends; LG Inform and Oflog benchmarks; and a summary "
        "of what has changed in six months."
    ),
)
def state_of_the_district(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    half = Half.from_key(context.partition_key)
    with warehouse.get_connection() as conn:
        register = read_register(conn)
        inputs = load_inputs(conn, half)
    view = build_view(inputs, half, register)
    paths = write_report(council_files.reports_dir / half.folder, view)
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


assets = [district_context, state_of_the_district]
asset_checks: list[dg.AssetChecksDefinition] = []
