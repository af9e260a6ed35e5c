"""`kpi_scorecard` and `kpi_exceptions`: RAG, direction of travel, position and exceptions.

A quarter's score reads the returns of the eight quarters before it (last quarter, the same
quarter last year, and two years back for annual PIs), and that read is declared, so a
restated closed quarter marks the later scorecards as changed upstream. Those that were
already built are then rebuilt by themselves (the automation condition below): the warehouse
never keeps a "previous quarter" that is no longer true. Published report files are not
rewritten; they show as out of date in the UI until someone re-publishes them on purpose.
"""

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import pandas as pd

from pm_pipeline.core.checks import check_severity
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import QUARTERLY, TIMEZONE, Quarter, earlier_partitions
from pm_pipeline.core.warehouse import (
    Warehouse,
    partition,
    read_table,
    replace_all,
    row_count,
    where_in,
)
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS
from pm_pipeline.defs.intake.tables import PI_RETURNS, RESTATEMENTS
from pm_pipeline.defs.quality.rules import RULES, Issue
from pm_pipeline.defs.quality.tables import step_issues
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.scorecard.build import (
    READ_QUARTERS,
    ScorecardInputs,
    benchmark_areas_sql,
    build_scorecard,
)
from pm_pipeline.defs.scorecard.reconcile import RULE as RECONCILE
from pm_pipeline.defs.scorecard.reconcile import reconcile
from pm_pipeline.defs.scorecard.spc_series import RebaseError, read_rebase
from pm_pipeline.defs.scorecard.tables import KPI_EXCEPTIONS, KPI_SCORECARD

# The quarterly run lands at midnight at the end of the data-entry month (1 Feb, 1 May, 1 Aug,
# 1 Nov); a scorecard not refreshed by a day later is overdue.
SCORECARD_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 0 2 2,5,8,11 *", lower_bound_delta=timedelta(days=2), timezone=TIMEZONE
)

# Direction of travel looks 8 quarters back; the SPC chart reads the 23 before this one.
RETURNS_HISTORY = earlier_partitions(PI_RETURNS.key, -(READ_QUARTERS - 1))

# Rebuild a scorecard that exists when returns it read were re-read (a restatement), once
# nothing it needs is running and the re-read passed its blocking checks. New quarters are
# built by the quarterly schedule, not here.
REBUILD_WHEN_RETURNS_RESTATED = (
    dg.AutomationCondition.any_deps_updated().allow(dg.AssetSelection.assets(PI_RETURNS.key))
    & ~dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.newly_updated()  # built in the same run as the returns
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("rebuild when the returns it read are restated")


# beside the proposed re-bases in the UI: what a proposal means and how to confirm one
REBASE_HOW = (
    "A proposed re-base is a shift (7 or more points in a row on one side of the mean) running "
    "to the latest quarter: the PI's limits no longer describe its process, so its assurance is "
    "'not judged' in every report until you decide. To re-base, add a row to "
    "config/spc_rebase.csv (pi_id, from_quarter, reason) saying why the process changed; "
    "docs/spc.md, 'A proposed re-base'."
)


@dg.multi_asset(
    name="scorecard",
    specs=[
        KPI_SCORECARD.spec(
            deps=[RETURNS_HISTORY, RESTATEMENTS.key, BENCHMARKS.key, *REGISTER],
            group_name="scorecards",
            freshness_policy=SCORECARD_FRESHNESS,
            automation_condition=REBUILD_WHEN_RETURNS_RESTATED,
            description=(
                "The quarter's KPI scorecard (docs/contracts.md, 'kpi_scorecard'): every due PI "
                "with its RAG against target, direction of travel vs last quarter and last year, "
                "position among comparators, note and status, and its SPC variation and "
                "assurance over up to 24 quarters (re-based from config/spc_rebase.csv), and a "
                "proposed re-base where a shift runs to the latest quarter (the metadata lists "
                "them for the data team to confirm or not)."
            ),
        ),
        KPI_EXCEPTIONS.spec(
            deps=[RETURNS_HISTORY, *REGISTER],
            group_name="scorecards",
            automation_condition=REBUILD_WHEN_RETURNS_RESTATED,
            description=(
                "The quarter's exceptions (docs/contracts.md, 'Exceptions'), one row per PI and "
                "reason: RED, a fall of two RAG levels, two quarters worsening, GREEN but bottom "
                "quartile, a soft target."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            RECONCILE,
            asset=KPI_SCORECARD.key,
            additional_deps=[RETURNS_HISTORY, BENCHMARKS.key],
            description=f"[{RULES[RECONCILE].severity}] {RULES[RECONCILE].description}",
            partitions_def=QUARTERLY,
        )
    ],
    partitions_def=QUARTERLY,
    pool="warehouse",
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
)
def kpi_scorecard(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    quarters = [Quarter.from_key(k) for k in context.partition_keys]
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    summary = []
    written = Counter[str]()
    reconciled: list[Issue] = []
    with warehouse.write() as conn:
        register = read_register(conn)
        try:
            rebase = read_rebase(council_files.config_dir, set(register.indicators["pi_id"]))
        except RebaseError as exc:
            raise dg.Failure(description=f"{exc} — fix config/spc_rebase.csv") from exc
        benchmarks = read_table(
            conn, BENCHMARKS, *benchmark_areas_sql(register.council, register.comparators)
        )
        for quarter in quarters:
            keys = [q.key for q in quarter.history(READ_QUARTERS)]
            inputs = ScorecardInputs(
                council=register.council,
                indicators=register.indicators,
                targets=register.targets,
                returns=read_table(conn, PI_RETURNS, *where_in("period", keys)),
                benchmarks=benchmarks,
                comparators=register.comparators,
                restatements=read_table(conn, RESTATEMENTS, "period = ?", [quarter.key]),
                rebase=rebase,
            )
            scorecard, exceptions = build_scorecard(inputs, quarter)
            tables = {KPI_SCORECARD: scorecard, KPI_EXCEPTIONS: exceptions}
            issues = reconcile(
                register.indicators,
                {(r.period, r.pi_id): r for r in inputs.returns.itertuples(index=False)},
                benchmarks,
                register.council,
                quarter,
            )
            reconciled += issues
            replace_all(
                conn,
                [
                    partition(t, frame, quarter.key)
                    for t, frame in tables.items()
                    if t.key in selected
                ]
                + [step_issues(quarter.key, [RECONCILE], issues)],
            )
            written.update({t.key: len(frame) for t, frame in tables.items()})
            rag = Counter(scorecard["rag"])
            summary.append(
                {
                    "quarter": quarter.label,
                    "PIs": len(scorecard),
                    "RED": rag["RED"],
                    "AMBER": rag["AMBER"],
                    "GREEN": rag["GREEN"],
                    "NO_DATA": rag["NO_DATA"],
                    "NO_TARGET": rag["NO_TARGET"],
                    "exceptions": exceptions["pi_id"].nunique(),
                    "benchmarked": int(scorecard["rank"].notna().sum()),
                    "special causes (SPC)": sum(
                        "special cause" in str(v) for v in scorecard["variation"]
                    ),
                    "re-bases proposed (SPC)": int(scorecard["spc_rebase_proposal"].notna().sum()),
                }
            )
    latest = summary[-1]
    proposals = scorecard.loc[
        scorecard["spc_rebase_proposal"].notna(), ["pi_id", "title", "spc_rebase_proposal"]
    ].rename(columns={"spc_rebase_proposal": "proposed SPC re-base"})
    if "kpi_exceptions" in selected:
        yield dg.MaterializeResult(
            asset_key="kpi_exceptions",
            metadata={
                **row_count(written["kpi_exceptions"]),
                "exceptions list": metadata_table(exceptions[["pi_id", "reason"]]),
            },
        )
    if "kpi_scorecard" in selected:
        yield dg.MaterializeResult(
            asset_key="kpi_scorecard",
            metadata={
                **row_count(written["kpi_scorecard"]),
                "PIs": latest["PIs"],
                "RED": latest["RED"],
                "AMBER": latest["AMBER"],
                "GREEN": latest["GREEN"],
                "exceptions": latest["exceptions"],
                "SPC re-bases proposed": len(proposals),
                "proposed SPC re-bases": metadata_table(proposals),
                "proposed SPC re-bases: what to do": REBASE_HOW,
                "by quarter": metadata_table(pd.DataFrame(summary)),
            },
        )
    if dg.AssetCheckKey(dg.AssetKey(KPI_SCORECARD.key), RECONCILE) in (
        context.selected_asset_check_keys
    ):
        yield dg.AssetCheckResult(
            asset_key=KPI_SCORECARD.key,
            check_name=RECONCILE,
            passed=not reconciled,
            severity=check_severity(RULES[RECONCILE].severity),
            metadata={
                "differences": len(reconciled),
                "to check": metadata_table(
                    pd.DataFrame(
                        [
                            {"quarter": i.period, "PI": i.pi_id, "what to check": i.message}
                            for i in reconciled
                        ],
                        columns=["quarter", "PI", "what to check"],
                    )
                ),
            },
        )
