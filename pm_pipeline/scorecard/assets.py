"""The `kpi_scorecard` asset: RAG, direction of travel, benchmark position and exceptions."""

from collections import Counter
from datetime import timedelta

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from pm_pipeline.metadata import markdown_table
from pm_pipeline.periods import QUARTERLY, TIMEZONE, Quarter
from pm_pipeline.register.store import read_register
from pm_pipeline.scorecard.build import (
    HISTORY_QUARTERS,
    ScorecardInputs,
    benchmark_areas_sql,
    build_scorecard,
)
from pm_pipeline.warehouse import partition, read_table, replace_all

# The quarterly run lands at midnight at the end of the data-entry month (1 Feb, 1 May, 1 Aug,
# 1 Nov); a scorecard not refreshed by a day later is overdue.
SCORECARD_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 0 2 2,5,8,11 *", lower_bound_delta=timedelta(days=2), timezone=TIMEZONE
)


@dg.asset(
    partitions_def=QUARTERLY,
    deps=["pi_returns", "indicator_register", "benchmarks"],
    group_name="scorecards",
    kinds={"duckdb"},
    pool="warehouse",
    backfill_policy=dg.BackfillPolicy.single_run(),
    freshness_policy=SCORECARD_FRESHNESS,
    owners=["team:performance"],
    description=(
        "The quarter's KPI scorecard (DESIGN 4-5): every due PI with its RAG against target, "
        "direction of travel vs last quarter and last year, position among comparators, note "
        "and status; exceptions in kpi_exceptions."
    ),
    metadata={"table": "kpi_scorecard"},
)
def kpi_scorecard(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    quarters = [Quarter.from_key(k) for k in context.partition_keys]
    summary = []
    with warehouse.get_connection() as conn:
        register = read_register(conn)
        benchmarks = read_table(
            conn, "benchmarks", *benchmark_areas_sql(register.council, register.comparators)
        )
        for quarter in quarters:
            keys = [q.key for q in quarter.history(HISTORY_QUARTERS + 1)]
            marks = ", ".join("?" for _ in keys)
            inputs = ScorecardInputs(
                council=register.council,
                indicators=register.indicators,
                targets=register.targets,
                returns=read_table(conn, "pi_returns", f"period IN ({marks})", keys),
                benchmarks=benchmarks,
                comparators=register.comparators,
                restatements=read_table(conn, "restatements", "period = ?", [quarter.key]),
            )
            scorecard, exceptions = build_scorecard(inputs, quarter)
            replace_all(
                conn,
                [
                    partition("kpi_scorecard", scorecard, quarter.key),
                    partition("kpi_exceptions", exceptions, quarter.key),
                ],
            )
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
                }
            )
    latest = summary[-1]
    return dg.MaterializeResult(
        metadata={
            "PIs": latest["PIs"],
            "RED": latest["RED"],
            "AMBER": latest["AMBER"],
            "GREEN": latest["GREEN"],
            "exceptions": latest["exceptions"],
            "by quarter": dg.MetadataValue.md(markdown_table(pd.DataFrame(summary))),
            "exceptions list": dg.MetadataValue.md(markdown_table(exceptions[["pi_id", "reason"]])),
        }
    )
