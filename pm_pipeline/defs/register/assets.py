"""The `indicator_register` asset and its blocking checks."""

from collections.abc import Iterator

import dagster as dg

from pm_pipeline.core.checks import ERROR, check_severity
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import bullets, metadata_table
from pm_pipeline.core.periods import FinancialYear, Quarter
from pm_pipeline.core.warehouse import Warehouse, row_count
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.model import RegisterError
from pm_pipeline.defs.register.rules import REGISTER_RULES
from pm_pipeline.defs.register.store import write_register
from pm_pipeline.defs.register.tables import (
    REGISTER_COMPARATORS,
    REGISTER_COUNCIL,
    REGISTER_INDICATORS,
    REGISTER_PEOPLE,
    REGISTER_SERVICES,
    REGISTER_TARGETS,
    TABLES,
)


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


@dg.multi_asset(
    name="register",
    specs=[
        REGISTER_INDICATORS.spec(
            group_name="register",
            description=(
                "The indicator register (config/indicators.csv with council.yaml, targets.csv "
                "and comparators.csv), validated, as the table register_indicators. A "
                "structural error stops the run naming file, row and column; target problems "
                "fail a blocking check."
            ),
        ),
        REGISTER_COUNCIL.spec(
            group_name="register",
            description="config/council.yaml: name, area code, themes, tolerances.",
        ),
        REGISTER_TARGETS.spec(
            group_name="register",
            description="config/targets.csv: one target (and amber threshold) per PI and year.",
        ),
        REGISTER_COMPARATORS.spec(
            group_name="register",
            description="config/comparators.csv: the comparator group (nearest neighbours).",
        ),
        REGISTER_PEOPLE.spec(
            group_name="register",
            description="config/people.csv (optional): each person's name, job title, service "
            "and role, and the delegates who may decide a figure for its manager.",
        ),
        REGISTER_SERVICES.spec(
            group_name="register",
            description="config/services.csv (optional): each service's directorate, head of "
            "service and cost centres, which the monthly reports roll up by.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            rule.name,
            asset="indicator_register",
            blocking=rule.severity == ERROR,
            description=rule.description,
        )
        for rule in REGISTER_RULES
    ],
    pool="warehouse",
    can_subset=True,
)
def indicator_register(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """The register is validated whole (targets against indicators), and the selected tables
    are written in one transaction."""
    try:
        register = load_register(council_files.config_dir, years_with_returns(council_files))
    except RegisterError as exc:
        raise dg.Failure(
            description=str(exc), metadata={"problems": dg.MetadataValue.md(bullets(exc.problems))}
        ) from exc
    keys = {key.to_user_string() for key in context.selected_asset_keys}
    tables = [t for t in TABLES if t.key in keys]
    with warehouse.write() as conn:
        write_register(conn, register, tables)
    indicators = register.indicators
    rows = {
        "register_council": 1,
        "register_targets": len(register.targets),
        "register_comparators": len(register.comparators),
        "register_people": len(register.people),
        "register_services": len(register.services),
    }
    for key in sorted(keys & rows.keys()):
        yield dg.MaterializeResult(asset_key=key, metadata=row_count(rows[key]))
    if "indicator_register" not in keys:
        return
    counts = indicators.groupby(["theme", "type"]).size().unstack(fill_value=0)
    yield dg.MaterializeResult(
        asset_key="indicator_register",
        metadata={
            **row_count(len(indicators)),
            "council": register.council.name,
            "indicators": len(indicators),
            "targets": len(register.targets),
            "comparators": len(register.comparators),
            "indicators by theme and type": metadata_table(counts.reset_index()),
        },
    )
    for rule in REGISTER_RULES:
        if dg.AssetCheckKey(dg.AssetKey("indicator_register"), rule.name) not in (
            context.selected_asset_check_keys
        ):
            continue
        problems = [p for p in register.problems if p.rule == rule.name]
        yield dg.AssetCheckResult(
            asset_key="indicator_register",
            check_name=rule.name,
            passed=not problems,
            severity=check_severity(rule.severity),
            metadata={
                "problems": len(problems),
                "to fix": dg.MetadataValue.md(
                    bullets([p.message for p in problems], "Nothing to fix.")
                ),
            },
        )
