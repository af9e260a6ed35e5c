"""`budget_monitoring` and `finance_issues`: one step reads a month's finance folder and runs
every finance rule, as the returns intake does for a quarter.

They are one multi-asset for the same reason: the finance rules' ERROR checks block the
monthly reports, and the issues must be written on every run, above all the failing ones.
"""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd

from pm_pipeline.core.checks import ERROR, WARN, check_severity
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import MONTHLY, Month
from pm_pipeline.core.warehouse import Warehouse, partition, replace_all, row_count
from pm_pipeline.defs.finance.read import Services, read_month
from pm_pipeline.defs.finance.rules import judge_month
from pm_pipeline.defs.finance.tables import BUDGET_MONITORING, FINANCE_ISSUES
from pm_pipeline.defs.quality.finance_rules import FINANCE_RULES
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.quality.tables import issues_frame
from pm_pipeline.defs.register.services import directorates
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER

FIX_COLUMNS = ["owner", "source_file", "source_row", "value", "message"]


def _check_results(
    issues: list[Issue], selected: set[dg.AssetCheckKey]
) -> Iterator[dg.AssetCheckResult]:
    for rule in FINANCE_RULES:
        if dg.AssetCheckKey(dg.AssetKey(BUDGET_MONITORING.key), rule.name) not in selected:
            continue
        failing = [i for i in issues if i.rule == rule.name]
        table = pd.DataFrame([i.__dict__ for i in failing], columns=[*FIX_COLUMNS, "period"])
        table = table[["period", *FIX_COLUMNS]].rename(columns={"message": "what to fix"})
        yield dg.AssetCheckResult(
            asset_key=BUDGET_MONITORING.key,
            check_name=rule.name,
            passed=not failing,
            severity=check_severity(rule.severity),
            metadata={"problems": len(failing), "failures": metadata_table(table)},
        )


@dg.multi_asset(
    name="finance_intake",
    specs=[
        BUDGET_MONITORING.spec(
            deps=REGISTER,
            group_name="finance",
            kinds={"csv", "xlsx"},
            description=(
                "The month's budget monitoring, one row per service: annual budget, actual to "
                "date, forecast outturn, the variance and its RAG, and the commentary, read from "
                "every .csv and .xlsx in finance/<YYYY-MM>/ (cost centres summed into their "
                "service by config/services.csv)."
            ),
        ),
        FINANCE_ISSUES.spec(
            deps=REGISTER,
            group_name="finance",
            description=(
                "Every problem found in the month's finance files, one row per problem with "
                "what to do (the columns of quality_issues, keyed by the month). Written on "
                "every run, including runs whose checks fail."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            rule.name,
            asset=BUDGET_MONITORING.key,
            blocking=rule.severity == ERROR,
            description=f"[{rule.severity}] {rule.description}",
            partitions_def=MONTHLY,
        )
        for rule in FINANCE_RULES
    ],
    partitions_def=MONTHLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    can_subset=True,
)
def finance_intake(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Each month of the run read and judged; both tables written for every month in one
    transaction (each month's rows replaced whole)."""
    months = [Month.from_key(k) for k in context.partition_keys]
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    with warehouse.read() as conn:
        register = read_register(conn)
    services = Services.of(register.services, register.indicators)
    by_directorate = directorates(register.services, register.indicators)
    heads = dict(
        zip(register.services["service"], register.services["head_of_service"], strict=True)
    )
    centres = dict(
        zip(register.services["service"], register.services["cost_centres"], strict=True)
    )
    judged = []
    for month in months:
        read = read_month(council_files.finance_dir, month, services)
        frame, issues = judge_month(
            read, services.names, by_directorate, heads, centres, register.council.finance
        )
        judged.append((month, read, frame, issues))
    with warehouse.write() as conn:
        replace_all(
            conn,
            [
                partition(table, frame, month.key)
                for month, _, rows, issues in judged
                for table, frame in (
                    (BUDGET_MONITORING, rows),
                    (FINANCE_ISSUES, issues_frame(issues)),
                )
                if table.key in selected
            ],
        )
    summary: list[dict[str, Any]] = []
    all_issues: list[Issue] = []
    for month, read, rows, issues in judged:
        all_issues += issues
        summary.append(
            {
                "month": month.label,
                "files": len(read.files),
                "services": len(rows),
                "red": int((rows["rag"] == "RED").sum()),
                "errors": sum(i.severity == ERROR for i in issues),
                "warnings": sum(i.severity == WARN for i in issues),
            }
        )
        context.log.info(
            f"{month.label}: {len(read.files)} files, {len(rows)} services, {len(issues)} issues"
        )
    by_month = {"by month": metadata_table(pd.DataFrame(summary))}
    if BUDGET_MONITORING.key in selected:
        yield dg.MaterializeResult(
            asset_key=BUDGET_MONITORING.key,
            metadata={**row_count(sum(s["services"] for s in summary)), **by_month},
        )
    if FINANCE_ISSUES.key in selected:
        by_rule = Counter(i.rule for i in all_issues)
        yield dg.MaterializeResult(
            asset_key=FINANCE_ISSUES.key,
            metadata={
                **row_count(len(all_issues)),
                **by_month,
                "by rule": metadata_table(
                    pd.DataFrame([{"rule": r, "issues": n} for r, n in sorted(by_rule.items())])
                ),
            },
        )
    yield from _check_results(all_issues, set(context.selected_asset_check_keys))
