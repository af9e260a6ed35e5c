"""The `indicator_register` asset and its blocking checks."""

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from pm_pipeline.metadata import markdown_table
from pm_pipeline.periods import FinancialYear, Quarter
from pm_pipeline.quality.rules import REGISTER_RULES
from pm_pipeline.register.load import RegisterError, load_register
from pm_pipeline.register.store import write_register
from pm_pipeline.resources import CouncilFiles


def years_with_returns(files: CouncilFiles) -> list[FinancialYear]:
    """Financial years that have a returns folder: the years whose targets are in use."""
    years = set()
    if files.returns_dir.is_dir():
        for folder in files.returns_dir.iterdir():
            try:
                years.add(Quarter.from_folder(folder.name).financial_year)
            except ValueError:
                continue
    return sorted(years)


@dg.asset(
    group_name="intake",
    kinds={"duckdb", "csv"},
    pool="warehouse",
    check_specs=[
        dg.AssetCheckSpec(
            rule.name, asset="indicator_register", blocking=True, description=rule.description
        )
        for rule in REGISTER_RULES
    ],
    description=(
        "The council and indicator register (config/council.yaml, indicators.csv, targets.csv, "
        "comparators.csv), validated. A structural error stops the run naming file, row and "
        "column; target problems fail a blocking check."
    ),
)
def indicator_register(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: DuckDBResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    try:
        register = load_register(council_files.config_dir, years_with_returns(council_files))
    except RegisterError as exc:
        raise dg.Failure(
            description=str(exc), metadata={"problems": dg.MetadataValue.md(_bullets(exc.problems))}
        ) from exc
    with warehouse.get_connection() as conn:
        write_register(conn, register)
    indicators = register.indicators
    counts = indicators.groupby(["theme", "type"]).size().unstack(fill_value=0)
    yield dg.MaterializeResult(
        metadata={
            "council": register.council.name,
            "indicators": len(indicators),
            "targets": len(register.targets),
            "comparators": len(register.comparators),
            "indicators by theme and type": dg.MetadataValue.md(
                markdown_table(counts.reset_index())
            ),
        }
    )
    for rule in REGISTER_RULES:
        problems = [p for p in register.problems if p.rule == rule.name]
        yield dg.AssetCheckResult(
            check_name=rule.name,
            passed=not problems,
            metadata={
                "problems": len(problems),
                "to fix": dg.MetadataValue.md(
                    _bullets([p.message for p in problems]) or "Nothing to fix."
                ),
            },
        )


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
