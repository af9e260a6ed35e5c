"""`pi_returns`, `quality_issues` and `restatements`: one step reads a quarter's files and runs
every rule.

They are one multi-asset on purpose: blocking checks stop everything downstream of the step
that fails them, and `quality_issues` (the owners' to-do list) must be written on every run,
above all on the runs whose checks fail. Any one of them can be selected alone: the files are
read and judged whole, and only the selected tables are written.

The movement rule compares a quarter with the twelve before it, so `pi_returns` depends on its
own earlier partitions: re-reading a closed quarter marks the later ones as changed upstream.
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from pm_pipeline.core.checks import ERROR, WARN, Rule, check_severity
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import QUARTERLY, Quarter, ReturnPeriod, earlier_partitions
from pm_pipeline.core.warehouse import (
    Replacement,
    Table,
    Warehouse,
    partition,
    read_table,
    replace_all,
    row_count,
    where_in,
)
from pm_pipeline.defs.intake.archive import archive
from pm_pipeline.defs.intake.read import QuarterRead, read_quarter
from pm_pipeline.defs.intake.restatements import first_accepted, record_first_accepted, restatements
from pm_pipeline.defs.intake.rollup import quarter_from_months
from pm_pipeline.defs.intake.statistics import apply_statistics, read_statistics
from pm_pipeline.defs.intake.tables import PI_MONTHLY_RETURNS, PI_RETURNS, RESTATEMENTS
from pm_pipeline.defs.quality.owner_lists import write_owner_lists
from pm_pipeline.defs.quality.plan_rules import PLAN_RULES
from pm_pipeline.defs.quality.rules import RETURN_RULES, RULES, Issue
from pm_pipeline.defs.quality.signoff_rules import SIGNOFF_ROW_RULES
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES, issues_frame
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER

HISTORY_FOR_RULES = 12  # quarters of accepted returns the movement rule learns from
FILES_READ = "files read"  # materialisation metadata: each quarter's folder fingerprint
FIX_COLUMNS = ["pi_id", "owner", "source_file", "source_row", "value", "message"]


class IntakeConfig(dg.Config):
    as_of: str = Field(
        default="",
        description="Judge timeliness and provisional figures as of this date (YYYY-MM-DD); "
        "blank means today.",
    )


def _assign_owners(issues: list[Issue], read: QuarterRead, register: Register) -> None:
    """Every issue goes to someone: the PI's owner, else whoever owns most of that file's PIs."""
    owners = dict(zip(register.indicators["pi_id"], register.indicators["owner"], strict=True))
    by_file: dict[str, Counter] = {}
    for row in read.candidates.itertuples():
        by_file.setdefault(row.source_file, Counter())[owners.get(row.pi_id)] += 1
    for issue in issues:
        if issue.owner:
            continue
        issue.owner = owners.get(issue.pi_id)
        if not issue.owner and issue.source_file in by_file:
            ranked = [o for o, _ in by_file[issue.source_file].most_common() if o]
            issue.owner = ranked[0] if ranked else None


def check_results(
    issues: list[Issue],
    notes: dict[str, str],
    selected: set[dg.AssetCheckKey],
    data_docs: str,
    asset: str = PI_RETURNS.key,
    rules: Sequence[Rule] = RETURN_RULES,
) -> Iterator[dg.AssetCheckResult]:
    """One result per rule the run selected on `asset`: the failing rows, what to fix."""
    for rule in rules:
        if dg.AssetCheckKey(dg.AssetKey(asset), rule.name) not in selected:
            continue
        failing = [i for i in issues if i.rule == rule.name]
        table = pd.DataFrame([i.__dict__ for i in failing], columns=[*FIX_COLUMNS, "rule"])
        table = table[FIX_COLUMNS].rename(columns={"message": "what to fix"})
        metadata: dict[str, Any] = {
            "failing rows": len(failing),
            "owners affected": len({i.owner for i in failing if i.owner}),
            "failures": metadata_table(table),
            "data docs": dg.MetadataValue.path(data_docs),
        }
        if rule.name in notes:
            metadata["note"] = notes[rule.name]
        yield dg.AssetCheckResult(
            asset_key=asset,
            check_name=rule.name,
            passed=not failing,
            severity=check_severity(rule.severity),
            metadata=metadata,
        )


@dataclass
class QuarterOutcome:
    """One quarter's (or month's) read, judged: what is accepted and what each owner must fix."""

    quarter: ReturnPeriod
    read: QuarterRead
    accepted: pd.DataFrame
    issues: list[Issue]
    first: pd.DataFrame  # each PI's first accepted figure before this run
    decimals: dict[str, int]

    @cached_property
    def restatements(self) -> pd.DataFrame:
        return restatements(self.accepted, self.first, self.decimals, self.quarter.key)


def process_quarters(
    quarters: Sequence[ReturnPeriod],
    register: Register,
    files: CouncilFiles,
    history: pd.DataFrame,
    as_of: date,
    statistics: pd.DataFrame | None = None,
    monthly: pd.DataFrame | None = None,
) -> tuple[list[QuarterOutcome], dict[str, str], Path]:
    """Read and archive each quarter's (or month's) files, run every rule once over all of
    them, and split the rows into accepted returns and issues per period (no warehouse
    writes); the notes on rules, and the run's Data Docs page. PIs taken from an official
    statistic get the published figure from `statistics` (district_context's rows for the
    council); monthly PIs get their quarter from their months in `monthly` (pi_monthly_returns
    rows)."""
    from pm_pipeline.defs.quality.data_docs import write_data_docs
    from pm_pipeline.defs.quality.evaluate import evaluate_returns

    ids = register.canonical_ids()
    reads: list[QuarterRead] = []
    for quarter in quarters:
        read, contents = read_quarter(files.returns_dir, quarter, ids)
        versions = {
            f.source_file: archive(
                files.archive_dir, f.source_file, contents[f.source_file], f.sha256
            )
            for f in read.files
            if f.source_file in contents  # a link or device is reported, never archived
        }
        read.candidates["version"] = read.candidates["source_file"].map(
            lambda s, v=versions: v[s].version
        )
        reads.append(read)
    candidates = pd.concat([r.candidates for r in reads], ignore_index=True)
    evaluation = evaluate_returns(candidates, register.indicators, quarters, history, as_of)
    accepted_all = candidates.drop(index=sorted(evaluation.rejected))
    found = evaluation.all_issues()
    decimals = dict(zip(register.indicators["pi_id"], register.indicators["decimals"], strict=True))
    outcomes = []
    for quarter, read in zip(quarters, reads, strict=True):
        issues = read.issues + [i for i in found if i.period == quarter.key]
        _assign_owners(issues, read, register)
        accepted = accepted_all[accepted_all["period"] == quarter.key]
        if monthly is not None and isinstance(quarter, Quarter):
            months = quarter_from_months(monthly, register.indicators, quarter)
            accepted = pd.concat([accepted, months], ignore_index=True) if len(months) else accepted
        if statistics is not None and isinstance(quarter, Quarter):
            accepted, found_here = apply_statistics(
                accepted, register.indicators, quarter, statistics
            )
            issues += found_here
        first = first_accepted(files.accepted_dir, quarter)
        outcomes.append(QuarterOutcome(quarter, read, accepted, issues, first, decimals))
    docs = write_data_docs(evaluation, quarters, files.root, files.reports_dir)
    return outcomes, evaluation.notes, docs


# Rules whose issues other steps write into quality_issues: the plan's updates step, the
# scorecard step's outturn_matches_lginform, and the sign-off step's rules on signoff/ rows.
OTHER_STEPS_RULES = (
    *(r.name for r in PLAN_RULES),
    RULES["outturn_matches_lginform"].name,
    *SIGNOFF_ROW_RULES,
)


def _own_rows(table: Table, frame: pd.DataFrame, period: str) -> Replacement:
    """The quarter's rows of a table; of `quality_issues` only the returns' rules' rows (the
    plan's updates step and the scorecard step write their own rules' issues beside them)."""
    if table is not QUALITY_ISSUES:
        return partition(table, frame, period)
    others, names = where_in("rule", OTHER_STEPS_RULES)
    return Replacement(  # the months' rows are the monthly intake's (monthly.py)
        table, frame, f"period = ? AND month IS NULL AND NOT {others}", (period, *names)
    )


RULE_HISTORY = earlier_partitions(PI_RETURNS.key, -HISTORY_FOR_RULES, end_offset=-1)


def returns_check_specs(
    asset: str, rules: Sequence[Rule], partitions: dg.PartitionsDefinition
) -> list[dg.AssetCheckSpec]:
    """One asset check per returns rule, per partition (a quarter's or a month's returns),
    blocking where the rule is an ERROR: what the quarterly and the monthly intake both declare."""
    return [
        dg.AssetCheckSpec(
            rule.name,
            asset=asset,
            blocking=rule.severity == ERROR,
            description=f"[{rule.severity}] {rule.description}",
            partitions_def=partitions,
        )
        for rule in rules
    ]


@dg.multi_asset(
    name="returns_intake",
    specs=[
        PI_RETURNS.spec(
            # a monthly PI's quarter is read from its three months (monthly partitions mapped
            # onto the quarter by their time windows)
            deps=[*REGISTER, RULE_HISTORY, "district_context", PI_MONTHLY_RETURNS.key],
            group_name="intake",
            kinds={"xlsx", "csv"},
            description=(
                "The quarter's accepted PI returns, read from every .csv and .xlsx in "
                "returns/<YYYY-YY-Qn>/ with their provenance (file, Excel row, sha256, version), "
                "and each monthly PI's quarter worked out from its months in pi_monthly_returns "
                "by its measure."
            ),
        ),
        QUALITY_ISSUES.spec(
            deps=REGISTER,
            group_name="quality",
            kinds={"html"},
            description=(
                "Every data-quality problem in the quarter's returns, one row per problem with "
                "a plain-English fix, plus each owner's list under reports/<quarter>/quality/. "
                "Written on every run, including runs whose checks fail."
            ),
        ),
        RESTATEMENTS.spec(
            deps=REGISTER,
            group_name="intake",
            description=(
                "Accepted figures that differ from the first figure accepted for that PI and "
                "quarter (first_reported_value), so the reports can say a figure was restated."
            ),
        ),
    ],
    check_specs=returns_check_specs(PI_RETURNS.key, RETURN_RULES, QUARTERLY),
    partitions_def=QUARTERLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    can_subset=True,
)
def returns_intake(
    context: dg.AssetExecutionContext,
    config: IntakeConfig,
    council_files: CouncilFiles,
    warehouse: Warehouse,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    as_of = date.fromisoformat(config.as_of) if config.as_of else date.today()
    quarters = [Quarter.from_key(k) for k in context.partition_keys]
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    with warehouse.read() as conn:
        register = read_register(conn)
        earliest = quarters[0].history(HISTORY_FOR_RULES + 1)[0]
        history = read_table(
            conn, PI_RETURNS, "period >= ? AND period < ?", [earliest.key, quarters[0].key]
        )[["pi_id", "period", "value"]]
        statistics = read_statistics(conn, register.council.area_code)
        monthly = read_table(
            conn,
            PI_MONTHLY_RETURNS,
            *where_in("period", [m.key for q in quarters for m in q.months]),
        )
    outcomes, notes, docs = process_quarters(
        quarters, register, council_files, history, as_of, statistics, monthly
    )
    issue_frames = [issues_frame(o.issues) for o in outcomes]
    with warehouse.write() as conn:  # one transaction (and one readers' copy) for the run
        replace_all(
            conn,
            [
                _own_rows(table, frame, o.quarter.key)
                for o, issue_frame in zip(outcomes, issue_frames, strict=True)
                for table, frame in (
                    (PI_RETURNS, o.accepted),
                    (QUALITY_ISSUES, issue_frame),
                    (RESTATEMENTS, o.restatements),
                )
                if table.key in selected
            ],
        )
        if "quality_issues" in selected:  # the owners' lists also show the plan's issues
            issue_frames = [
                read_table(conn, QUALITY_ISSUES, "period = ?", [o.quarter.key]) for o in outcomes
            ]
    all_issues: list[Issue] = []
    summary: list[dict[str, Any]] = []
    for outcome, issue_frame in zip(outcomes, issue_frames, strict=True):
        quarter, read, accepted, issues = (
            outcome.quarter,
            outcome.read,
            outcome.accepted,
            outcome.issues,
        )
        if "pi_returns" in selected:
            record_first_accepted(council_files.accepted_dir, quarter, accepted, outcome.first)
        if "quality_issues" in selected:
            write_owner_lists(
                council_files.reports_dir / quarter.folder / "quality",
                quarter,
                issue_frame,
                register,
            )
        if not read.files:
            context.log.warning(
                f"returns/{quarter.folder} has no files: {quarter.label}'s returns are cleared "
                "(every due PI is reported missing)"
            )
        all_issues += issues
        summary.append(
            {
                "quarter": quarter.label,
                "files": len(read.files),
                "rows read": read.rows_in,
                "accepted": len(accepted),
                "errors": sum(i.severity == ERROR for i in issues),
                "warnings": sum(i.severity == WARN for i in issues),
                "restated": len(outcome.restatements),
                "folder fingerprint": read.fingerprint,
            }
        )
        context.log.info(
            f"{quarter.label}: {read.rows_in} rows in {len(read.files)} files, "
            f"{len(accepted)} accepted, {len(issues)} issues"
        )
    read_now = {o.quarter.key: o.read.fingerprint for o in outcomes}
    common = {
        FILES_READ: dg.MetadataValue.json(read_now),
        "by quarter": metadata_table(pd.DataFrame(summary)),
    }
    if "pi_returns" in selected:
        accepted_rows = sum(s["accepted"] for s in summary)
        yield dg.MaterializeResult(
            asset_key="pi_returns",
            metadata={
                **row_count(accepted_rows),
                **common,
                "rows accepted": accepted_rows,
                "rows read": sum(s["rows read"] for s in summary),
            },
        )
    if "restatements" in selected:
        yield dg.MaterializeResult(
            asset_key="restatements",
            metadata=row_count(sum(s["restated"] for s in summary)),
        )
    if "quality_issues" in selected:
        by_rule = Counter(i.rule for i in all_issues)
        yield dg.MaterializeResult(
            asset_key="quality_issues",
            metadata={
                **row_count(len(all_issues)),
                **common,
                "errors": sum(i.severity == ERROR for i in all_issues),
                "warnings": sum(i.severity == WARN for i in all_issues),
                "by rule": metadata_table(
                    pd.DataFrame(
                        [
                            {"rule": r, "severity": RULES[r].severity, "issues": n}
                            for r, n in sorted(by_rule.items())
                        ]
                    )
                ),
                "owner lists": dg.MetadataValue.path(
                    str(council_files.reports_dir / quarters[-1].folder / "quality")
                ),
            },
        )
    yield from check_results(all_issues, notes, set(context.selected_asset_check_keys), str(docs))
