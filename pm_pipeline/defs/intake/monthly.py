"""`pi_monthly_returns`: a month's returns of the monthly PIs, read from `returns/<YYYY-MM>/`
and checked by the same rules as a quarter's (docs/contracts.md, "Monthly returns").

Monthly partitions, one per calendar month, starting with the quarters. The same file
contract, reader and Great Expectations suite as the quarter's; a month's `period` is written
`July 2026` or `2026-07`, and its returns are on time by council.yaml's
`monthly_due_working_day` (the 10th working day after the month by default). Its problems go
into `quality_issues` with the month in `month` and its quarter in `period`, so the quarter's
owners' lists (rewritten after each monthly read) and reports show them. The quarter's own
read (`returns_intake`) rolls each monthly PI's three months up into its quarter.
"""

from collections import Counter
from collections.abc import Iterator
from datetime import date

import dagster as dg
import pandas as pd

from pm_pipeline.core.checks import ERROR, WARN
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import MONTHLY, Month, earlier_partitions
from pm_pipeline.core.warehouse import (
    Replacement,
    Warehouse,
    partition,
    read_table,
    replace_all,
    row_count,
)
from pm_pipeline.defs.intake.assets import (
    FILES_READ,
    HISTORY_FOR_RULES,
    IntakeConfig,
    check_results,
    process_quarters,
    returns_check_specs,
)
from pm_pipeline.defs.intake.tables import PI_MONTHLY_RETURNS
from pm_pipeline.defs.quality.owner_lists import write_owner_lists
from pm_pipeline.defs.quality.rules import RETURN_RULES, Issue
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES, issues_frame
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER

MONTHLY_GROUP = "monthly"  # the monthly PIs' returns and checks in the UI's asset graph

# every returns rule but the official statistics' (a PI taken from or checked against a
# statistic is returned by the quarter)
MONTHLY_RULES = [r for r in RETURN_RULES if r.name != "statistic_agrees"]
MONTH_HISTORY = earlier_partitions(PI_MONTHLY_RETURNS.key, -HISTORY_FOR_RULES, end_offset=-1)


@dg.multi_asset(
    name="monthly_returns_intake",
    specs=[
        PI_MONTHLY_RETURNS.spec(
            deps=[*REGISTER, MONTH_HISTORY],
            group_name=MONTHLY_GROUP,
            kinds={"xlsx", "csv"},
            description=(
                "The month's accepted returns of the monthly PIs, read from every .csv and "
                ".xlsx in returns/<YYYY-MM>/ with their provenance, checked by the same rules "
                "as a quarter's; their problems go into quality_issues (column month) and the "
                "quarter's owners' lists. Each quarter's pi_returns rolls its months up."
            ),
        ),
    ],
    check_specs=returns_check_specs(PI_MONTHLY_RETURNS.key, MONTHLY_RULES, MONTHLY),
    partitions_def=MONTHLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    can_subset=True,
)
def monthly_returns_intake(
    context: dg.AssetExecutionContext,
    config: IntakeConfig,
    council_files: CouncilFiles,
    warehouse: Warehouse,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    as_of = date.fromisoformat(config.as_of) if config.as_of else date.today()
    with warehouse.read() as conn:
        register = read_register(conn)
        due = register.council.monthly_due_working_day
        months = [Month.from_key(k).due_by(due) for k in context.partition_keys]
        earliest = months[0].history(HISTORY_FOR_RULES + 1)[0]
        history = read_table(
            conn, PI_MONTHLY_RETURNS, "period >= ? AND period < ?", [earliest.key, months[0].key]
        )[["pi_id", "period", "value"]]
    outcomes, notes, docs = process_quarters(months, register, council_files, history, as_of)
    issues: list[Issue] = []
    for month, outcome in zip(months, outcomes, strict=True):
        for issue in outcome.issues:  # the month's problems belong to its quarter's list
            issue.month, issue.period = month.key, month.quarter.key
        issues += outcome.issues
    with warehouse.write() as conn:
        replace_all(
            conn,
            [
                replacement
                for o in outcomes
                for replacement in (
                    partition(PI_MONTHLY_RETURNS, o.accepted, o.quarter.key),
                    Replacement(
                        QUALITY_ISSUES, issues_frame(o.issues), "month = ?", (o.quarter.key,)
                    ),
                )
            ],
        )
        quarters = sorted({m.quarter for m in months})
        lists = {q: read_table(conn, QUALITY_ISSUES, "period = ?", [q.key]) for q in quarters}
    for quarter, quarter_issues in lists.items():
        write_owner_lists(
            council_files.reports_dir / quarter.folder / "quality",
            quarter,
            quarter_issues,
            register,
        )
    summary = pd.DataFrame(
        [
            {
                "month": o.quarter.label,
                "files": len(o.read.files),
                "rows read": o.read.rows_in,
                "accepted": len(o.accepted),
                "errors": sum(i.severity == ERROR for i in o.issues),
                "warnings": sum(i.severity == WARN for i in o.issues),
                "folder fingerprint": o.read.fingerprint,
            }
            for o in outcomes
        ]
    )
    for o in outcomes:
        context.log.info(
            f"{o.quarter.label}: {o.read.rows_in} rows in {len(o.read.files)} files, "
            f"{len(o.accepted)} accepted, {len(o.issues)} issues"
        )
    by_rule = Counter(i.rule for i in issues)
    yield dg.MaterializeResult(
        asset_key=PI_MONTHLY_RETURNS.key,
        metadata={
            **row_count(int(summary["accepted"].sum())),
            FILES_READ: dg.MetadataValue.json(
                {o.quarter.key: o.read.fingerprint for o in outcomes}
            ),
            "by month": metadata_table(summary),
            "issues by rule": dg.MetadataValue.json(dict(sorted(by_rule.items()))),
            "owner lists": dg.MetadataValue.path(
                str(council_files.reports_dir / months[-1].quarter.folder / "quality")
            ),
        },
    )
    yield from check_results(
        issues,
        notes,
        set(context.selected_asset_check_keys),
        str(docs),
        PI_MONTHLY_RETURNS.key,
        MONTHLY_RULES,
    )
