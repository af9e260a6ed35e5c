"""The plan assets: `action_register`, `risk_register` (the config files, unpartitioned, like
the indicator register), `action_updates`, `risk_updates` (quarterly) and the scorecard-side
check `red_kpi_has_action`.

The updates are a sibling of the returns intake rather than part of it: the intake is a layer
below the plan (PI returns never depend on the plan), so this step reads the same quarter
folder again, passing the PI returns by (reading a quarter's dozen files costs well under a
second against the several seconds of its checks). Its issues go into `quality_issues` beside
the returns' ones (each step replaces only its own rules' rows) and the owners' lists are
rewritten from the quarter's whole table, so an owner sees one list. The plan checks do not
block: a late deliverable update must not hold back the quarter's KPI report, and a row that
fails an ERROR rule is kept out of the update tables and listed for its owner.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd

from pm_pipeline.core.checks import check_severity
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import bullets, metadata_table
from pm_pipeline.core.periods import QUARTERLY, Quarter, earlier_partitions
from pm_pipeline.core.warehouse import (
    Replacement,
    Warehouse,
    partition,
    read_table,
    replace_all,
    row_count,
)
from pm_pipeline.defs.plan.config import dropped_links, load_plan, risk_register_notices
from pm_pipeline.defs.plan.evaluate import (
    LINK_RULE,
    evaluate_plan,
    fill_owners,
    link_issues,
    unanswered_risks,
)
from pm_pipeline.defs.plan.linking import kpis_without_action
from pm_pipeline.defs.plan.tables import (
    ACTION_REGISTER,
    ACTION_UPDATES,
    RISK_REGISTER,
    RISK_UPDATES,
)
from pm_pipeline.defs.plan.updates import read_update_files
from pm_pipeline.defs.quality.owner_lists import write_owner_lists
from pm_pipeline.defs.quality.plan_rules import PLAN_RULES
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES, step_issues
from pm_pipeline.defs.register.model import RegisterError
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD

PLAN_REGISTER = ["action_register", "risk_register"]
PLAN_UPDATES = ["action_updates", "risk_updates"]
UPDATE_RULES = [r for r in PLAN_RULES if r.asset in PLAN_UPDATES]
LINKS_RULE = next(r for r in PLAN_RULES if r.name == LINK_RULE)
RED_KPI_RULE = next(r for r in PLAN_RULES if r.name == "red_kpi_has_action")
RISK_REGISTER_RULE = next(r for r in PLAN_RULES if r.name == "risk_register_complete")
FIX_COLUMNS = ["pi_id", "owner", "source_file", "source_row", "message"]


@dg.multi_asset(
    name="plan_register",
    specs=[
        ACTION_REGISTER.spec(
            deps=REGISTER,
            group_name="register",
            description=(
                "config/actions.csv: corporate plan deliverables, improvement actions and "
                "service plan actions, each with its theme, owner, due date and linked PIs "
                "and risks. A structural error stops the run naming file, row and column."
            ),
        ),
        RISK_REGISTER.spec(
            deps=REGISTER,
            group_name="register",
            description="config/risks.csv: the risks, scored likelihood x impact (1-5 each).",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            RISK_REGISTER_RULE.name,
            asset=RISK_REGISTER.key,
            description=f"[{RISK_REGISTER_RULE.severity}] {RISK_REGISTER_RULE.description}",
        ),
        dg.AssetCheckSpec(
            LINKS_RULE.name,
            asset=LINKS_RULE.asset,
            description=f"[{LINKS_RULE.severity}] {LINKS_RULE.description}",
        ),
    ],
    pool="warehouse",
    can_subset=True,
)
def plan_register(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """A structural error in the plan files stops the step; a link to a PI or risk the
    register does not have is dropped, named by `plan_links_known` (which does not block)."""
    with warehouse.read() as conn:
        register = read_register(conn)
    try:
        plan = load_plan(
            council_files.config_dir, register.council, set(register.indicators["pi_id"])
        )
    except RegisterError as exc:
        raise dg.Failure(
            description=str(exc),
            metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in exc.problems))},
        ) from exc
    frames = {ACTION_REGISTER.key: plan.actions, RISK_REGISTER.key: plan.risks}
    tables = {ACTION_REGISTER.key: ACTION_REGISTER, RISK_REGISTER.key: RISK_REGISTER}
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    with warehouse.write() as conn:
        replace_all(conn, [Replacement(tables[k], f) for k, f in frames.items() if k in selected])
    for table in sorted(selected):
        by = "kind" if table == "action_register" else "theme"
        counts = frames[table].groupby(by).size().rename("count").reset_index()
        yield dg.MaterializeResult(
            asset_key=table,
            metadata={
                **row_count(len(frames[table])),
                f"by {by}": metadata_table(counts),
            },
        )
    check = dg.AssetCheckKey(dg.AssetKey(RISK_REGISTER.key), RISK_REGISTER_RULE.name)
    if check in context.selected_asset_check_keys:
        notices = risk_register_notices(plan.risks, dict(register.council.risk_appetite))
        yield dg.AssetCheckResult(
            asset_key=RISK_REGISTER.key,
            check_name=RISK_REGISTER_RULE.name,
            passed=not notices,
            severity=check_severity(RISK_REGISTER_RULE.severity),
            metadata={
                "problems": len(notices),
                "to fix": dg.MetadataValue.md(bullets(notices, "Nothing to fix.")),
            },
        )
    if dg.AssetCheckKey(dg.AssetKey(ACTION_REGISTER.key), LINKS_RULE.name) in (
        context.selected_asset_check_keys
    ):
        dropped = dropped_links(plan.actions, plan.risks)
        table = pd.DataFrame(
            [
                {
                    "id": d.item_id,
                    "file": d.file,
                    "row": d.row,
                    "column": d.column,
                    "value": d.linked_id,
                    "what to fix": d.message,
                }
                for d in dropped
            ],
            columns=["id", "file", "row", "column", "value", "what to fix"],
        )
        yield dg.AssetCheckResult(
            asset_key=ACTION_REGISTER.key,
            check_name=LINKS_RULE.name,
            passed=not dropped,
            severity=check_severity(LINKS_RULE.severity),
            metadata={"dropped links": len(dropped), "failures": metadata_table(table)},
        )


def _check(rule_name: str, asset: str, issues: list[Issue], severity: str) -> dg.AssetCheckResult:
    failing = [i for i in issues if i.rule == rule_name]
    table = pd.DataFrame([i.__dict__ for i in failing], columns=[*FIX_COLUMNS, "rule"])
    table = table[FIX_COLUMNS].rename(columns={"pi_id": "id", "message": "what to fix"})
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=rule_name,
        passed=not failing,
        severity=check_severity(severity),
        metadata={
            "failing rows": len(failing),
            "failures": metadata_table(table),
        },
    )


@dg.multi_asset(
    name="plan_updates",
    specs=[
        ACTION_UPDATES.spec(
            deps=[*PLAN_REGISTER, earlier_partitions(ACTION_UPDATES.key, -8, end_offset=-1)],
            group_name="intake",
            kinds={"csv", "xlsx"},
            description=(
                "The quarter's accepted action updates (status, % complete, note, revised due "
                "date) from the files in returns/<YYYY-YY-Qn>/ headed action_id, with their "
                "provenance (file, Excel row, sha256, version)."
            ),
        ),
        RISK_UPDATES.spec(
            deps=[*PLAN_REGISTER, earlier_partitions(RISK_UPDATES.key, -8, end_offset=-1)],
            group_name="intake",
            kinds={"csv", "xlsx"},
            description=(
                "The quarter's accepted risk scores (likelihood, impact, score) from the files "
                "in returns/<YYYY-YY-Qn>/ headed risk_id, with their provenance."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            rule.name,
            asset=rule.asset,
            description=f"[{rule.severity}] {rule.description}",
            partitions_def=QUARTERLY,
        )
        for rule in UPDATE_RULES
    ],
    partitions_def=QUARTERLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    can_subset=True,
)
def plan_updates(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    plan_rule_names = [r.name for r in UPDATE_RULES] + [LINK_RULE]  # this step's rows
    all_issues: list[Issue] = []
    counts = {"action_updates": 0, "risk_updates": 0}
    for key in context.partition_keys:
        quarter = Quarter.from_key(key)
        with warehouse.read() as conn:
            register = read_register(conn)
            actions = read_table(conn, ACTION_REGISTER)
            risks = read_table(conn, RISK_REGISTER)
            earlier = read_table(conn, ACTION_UPDATES, "period < ?", [quarter.key])
            earlier_risks = read_table(conn, RISK_UPDATES, "period < ?", [quarter.key])
        read = read_update_files(
            council_files.returns_dir,
            council_files.archive_dir,
            quarter,
            {a.casefold(): a for a in actions["action_id"]},
            {r.casefold(): r for r in risks["risk_id"]},
        )
        outcome = evaluate_plan(
            quarter,
            actions,
            risks,
            read.frame("action_id"),
            read.frame("risk_id"),
            earlier[["period", "action_id", "status"]],
        )
        issues = read.issues + outcome.issues
        issues += unanswered_risks(
            quarter,
            risks,
            pd.concat([earlier_risks, outcome.risks]),
            actions,
            pd.concat([earlier[["period", "action_id", "status"]], outcome.actions]),
            dict(register.council.risk_appetite),
        )
        issues += link_issues(actions, risks, quarter)
        fill_owners(issues, read, actions, risks)
        tables = {ACTION_UPDATES: outcome.actions, RISK_UPDATES: outcome.risks}
        with warehouse.write() as conn:
            replace_all(
                conn,
                [partition(t, f, quarter.key) for t, f in tables.items() if t.key in selected]
                + [step_issues(quarter.key, plan_rule_names, issues)],
            )
            quarter_issues = read_table(conn, QUALITY_ISSUES, "period = ?", [quarter.key])
        write_owner_lists(
            council_files.reports_dir / quarter.folder / "quality",
            quarter,
            quarter_issues,
            register,
        )
        all_issues += issues
        counts["action_updates"] += len(outcome.actions)
        counts["risk_updates"] += len(outcome.risks)
        context.log.info(
            f"{quarter.label}: {read.rows_in} update rows, {len(outcome.actions)} action and "
            f"{len(outcome.risks)} risk updates accepted, {len(issues)} issues"
        )
    for table in sorted(selected):
        yield dg.MaterializeResult(asset_key=table, metadata=row_count(counts[table]))
    for rule in UPDATE_RULES:
        check = dg.AssetCheckKey(dg.AssetKey(rule.asset), rule.name)
        if check in context.selected_asset_check_keys:
            yield _check(rule.name, rule.asset, all_issues, rule.severity)


@dg.asset_check(
    asset=KPI_SCORECARD.key,
    name=RED_KPI_RULE.name,
    description=f"[{RED_KPI_RULE.severity}] {RED_KPI_RULE.description}",
    additional_deps=[KPI_EXCEPTIONS.key, ACTION_REGISTER.key, ACTION_UPDATES.key],
    partitions_def=QUARTERLY,
)
def red_kpi_has_action(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> dg.AssetCheckResult:
    """Every RED KPI (or one worsening two quarters running) has an open improvement action
    linked in config/actions.csv, or its owner's note says why not. A run over several
    quarters (a backfill) reports every quarter's gaps in one result."""
    with warehouse.read() as conn:
        actions = read_table(conn, ACTION_REGISTER)
        if actions.empty:
            return dg.AssetCheckResult(
                passed=True,
                metadata={"note": "The council has no config/actions.csv: nothing to link."},
            )
        rows: list[dict[str, Any]] = []
        for period in context.partition_keys:
            scorecard = read_table(conn, KPI_SCORECARD, "period = ?", [period])
            exceptions = read_table(conn, KPI_EXCEPTIONS, "period = ?", [period])
            updates = read_table(conn, ACTION_UPDATES, "period <= ?", [period])
            missing = kpis_without_action(scorecard, exceptions, actions, updates, period)
            quarter = Quarter.from_key(period)
            rows += [
                {
                    "quarter": quarter.label,
                    "PI": r.pi_id,
                    "owner": r.owner,
                    "RAG": r.rag,
                    "what to do": f"{r.pi_id} ({r.title}) needs attention in {quarter.label} but "
                    "no open improvement action is linked to it — add one to config/actions.csv "
                    f"with linked_pis {r.pi_id}, or say in the return's note why no action is "
                    "needed",
                }
                for r in missing.itertuples()
            ]
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "failing KPIs": len(rows),
            "failures": metadata_table(pd.DataFrame(rows)),
        },
    )
