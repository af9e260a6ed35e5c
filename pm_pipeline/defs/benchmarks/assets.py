"""The benchmarks assets: LG Inform and Oflog metrics, one long `benchmarks` table, its checks.

Each source lands in its own warehouse table (`lginform_benchmarks`, `oflog_benchmarks`, the
same columns as `benchmarks`), so `benchmarks` can be rebuilt alone from what the sources last
brought, and a BI tool can see where a figure came from. The source steps spend their time on
the network or in files, so they are not in the warehouse pool; their one short write waits
for the file's lock like any writer (`Warehouse.write`).
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import bullets, metadata_table
from pm_pipeline.core.warehouse import OWNERS, Warehouse, read_table, replace_rows
from pm_pipeline.defs.benchmarks.combine import (
    bad_area_codes,
    combine,
    conflicting,
    coverage,
    duplicate_keys,
    source_summary,
)
from pm_pipeline.defs.benchmarks.lginform import LGInformSource
from pm_pipeline.defs.benchmarks.oflog import MetricInfo, read_oflog_folder
from pm_pipeline.defs.benchmarks.refresh import (
    CACHED,
    FETCHED,
    MISSING,
    benchmark_areas,
    metrics_wanted,
    outcome_rows,
    outcome_table,
    plan_from_register,
    refresh_lginform,
    summary,
)
from pm_pipeline.defs.benchmarks.tables import BENCHMARKS, LGINFORM_BENCHMARKS, OFLOG_BENCHMARKS
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER

GROUP = "benchmarks"
LGINFORM_REFRESHED = "lginform_refreshed"
OFLOG_FILES_READABLE = "oflog_files_readable"


def _periods(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "none"
    return f"{frame['period_label'].min()} to {frame['period_label'].max()}"


def _shape(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "dagster/row_count": len(frame),
        "metrics": int(frame["metric_id"].nunique()),
        "areas": int(frame["area_code"].nunique()),
        "periods": _periods(frame),
        "missing values": int(frame["value"].isna().sum()),
    }


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"duckdb", "json"},
    deps=REGISTER,
    metadata=LGINFORM_BENCHMARKS.metadata(),
    check_specs=[
        dg.AssetCheckSpec(
            LGINFORM_REFRESHED,
            asset="lginform_benchmarks",
            description="[WARN] Every LG Inform metric in the register was fetched this run, or "
            "(without credentials) read from the cache; fails when a request failed and an older "
            "copy was used, or a metric has no figures at all.",
        )
    ],
    description=(
        "LG Inform metric values (lginform_metric in the register) for this council, its "
        "comparators, its region and England, fetched through the signed web API and cached "
        "under benchmarks/lginform/. Without credentials, or when the service fails, the last "
        "good cached copy is used and the metadata says how old it is and why."
    ),
)
def lginform_benchmarks(
    context: dg.AssetExecutionContext,
    council_files: CouncilFiles,
    warehouse: Warehouse,
    lginform: LGInformSource,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with warehouse.read() as conn:
        register = read_register(conn)
    plan = plan_from_register(register)
    now = datetime.now(UTC)
    outcomes = refresh_lginform(plan, lginform, council_files.benchmarks_dir / "lginform", now)
    offline = lginform.offline_reason()
    for o in outcomes:
        expected = o.status == FETCHED or (o.status == CACHED and offline)
        log = context.log.info if expected else context.log.warning
        log(f"metric {o.wanted.metric_id}: {o.status}" + (f" — {o.reason}" if o.reason else ""))
    host = urlsplit(lginform.endpoint()).netloc
    text = summary(outcomes, now, host)
    table = outcome_table(outcomes, now)
    if outcomes and all(o.status == MISSING for o in outcomes):
        raise dg.Failure(
            description=f"No LG Inform benchmarks are available. {text}",
            metadata={"by metric": metadata_table(table)},
        )
    rows, _ = combine([outcome_rows(outcomes)])  # the plan's areas only
    cached = [o.cached for o in outcomes if o.status == CACHED and o.cached is not None]
    with warehouse.write() as conn:
        replace_rows(conn, LGINFORM_BENCHMARKS, rows)
    yield dg.MaterializeResult(
        metadata={
            **_shape(rows),
            "mode": "live" if not offline else f"cache only: {offline}",
            "service": host,
            "summary": dg.MetadataValue.md(text),
            "by metric": metadata_table(table),
            "oldest cached copy (days)": round(max(c.age_days(now) for c in cached), 1)
            if cached
            else 0.0,
        },
    )
    failed = [o for o in outcomes if o.status == MISSING or (o.status == CACHED and not offline)]
    yield dg.AssetCheckResult(
        check_name=LGINFORM_REFRESHED,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "metrics not refreshed": len(failed),
            "why": dg.MetadataValue.md(
                bullets(
                    [f"{o.wanted.metric_id} ({o.status}): {o.reason}" for o in failed],
                    "Nothing to fix.",
                )
            ),
        },
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"duckdb", "csv"},
    deps=REGISTER,
    metadata=OFLOG_BENCHMARKS.metadata(),
    check_specs=[
        dg.AssetCheckSpec(
            OFLOG_FILES_READABLE,
            asset="oflog_benchmarks",
            description="[WARN] Every file under benchmarks/oflog/ is in the Oflog or the long "
            "layout, with GSS area codes, financial years and numeric values; a file with a "
            "problem is left out whole and each problem is listed with its file, row and column.",
        )
    ],
    description=(
        "Oflog metric values (oflog_metric in the register) from the CSV/XLSX files under "
        "benchmarks/oflog/, in the Oflog prototype layout or the long layout (docs/contracts.md, "
        "'Benchmarks'). Unit and polarity come from the register PI that maps to each metric."
    ),
)
def oflog_benchmarks(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with warehouse.read() as conn:
        register = read_register(conn)
    wanted = metrics_wanted(register.indicators, "oflog_metric")
    metrics = {m.metric_id: MetricInfo(m.unit, m.polarity) for m in wanted}
    areas = frozenset(benchmark_areas(register))
    read = read_oflog_folder(council_files.benchmarks_dir / "oflog", metrics, areas)
    for problem in read.problems:
        context.log.error(problem)
    found = set(read.frame["metric_id"])
    rows, dropped = combine([read.frame])  # a corrected file named after the original wins
    with warehouse.write() as conn:
        replace_rows(conn, OFLOG_BENCHMARKS, rows)
    yield dg.MaterializeResult(
        metadata={
            **_shape(rows),
            "duplicates dropped": len(dropped),
            "duplicates with a different value": conflicting(rows, dropped),
            "areas kept": "this council, its comparators, its region and England",
            "files": metadata_table(read.files),
            "register metrics without a file": ", ".join(sorted(set(metrics) - found)) or "none",
            "metrics not in the register": ", ".join(sorted(found - set(metrics))) or "none",
            "files refused": ", ".join(read.refused) or "none",
            "other files (not read)": ", ".join(read.ignored) or "none",
        },
    )
    yield dg.AssetCheckResult(
        check_name=OFLOG_FILES_READABLE,
        passed=not read.problems,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "files refused": len(read.refused),
            "problems": len(read.problems),
            "to fix": dg.MetadataValue.md(bullets(read.problems[:50], "Nothing to fix.")),
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"duckdb"},
    deps=[LGINFORM_BENCHMARKS.key, OFLOG_BENCHMARKS.key],
    pool="warehouse",
    description=(
        "Benchmarks from LG Inform and Oflog in one long table (docs/contracts.md, "
        "'Benchmarks'): source, metric, area, period (label and dates), value, unit, polarity. "
        "One row per (source, metric, area, period); a missing value stays missing, never zero."
    ),
    metadata=BENCHMARKS.metadata(),
    owners=OWNERS,
)
def benchmarks(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.write() as conn:
        sources = [read_table(conn, t) for t in (LGINFORM_BENCHMARKS, OFLOG_BENCHMARKS)]
        table, _ = combine(sources)
        replace_rows(conn, BENCHMARKS, table)
    return dg.MaterializeResult(
        metadata={
            **_shape(table),
            "by source": metadata_table(source_summary(table)),
        }
    )


def _read(warehouse: Warehouse) -> pd.DataFrame:
    with warehouse.read() as conn:
        return read_table(conn, BENCHMARKS)


@dg.asset_check(
    asset="benchmarks",
    name="area_codes_are_gss",
    blocking=True,
    description="[ERROR] Every area code is the GSS code of a council, region or country "
    "(e.g. E07000171), so benchmarks join to the register's council and comparators.",
)
def area_codes_are_gss(warehouse: Warehouse) -> dg.AssetCheckResult:
    bad = bad_area_codes(_read(warehouse))
    return dg.AssetCheckResult(
        passed=bad.empty,
        metadata={
            "bad codes": len(bad),
            "to fix": metadata_table(bad),
        },
    )


@dg.asset_check(
    asset="benchmarks",
    name="one_row_per_source_metric_area_period",
    blocking=True,
    description="[ERROR] No duplicate (source, metric, area, period): a repeated row would "
    "count a council twice when ranking.",
)
def one_row_per_source_metric_area_period(warehouse: Warehouse) -> dg.AssetCheckResult:
    repeated = duplicate_keys(_read(warehouse))
    return dg.AssetCheckResult(
        passed=repeated.empty,
        metadata={
            "repeated keys": len(repeated),
            "to fix": metadata_table(repeated),
        },
    )


@dg.asset_check(
    asset="benchmarks",
    name="council_and_comparators_present",
    additional_deps=REGISTER,
    description="[WARN] For every benchmarked metric in the register, this council and at least "
    "half its comparators have a value in the latest period the council has one.",
)
def council_and_comparators_present(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.read() as conn:
        register = read_register(conn)
        table = read_table(conn, BENCHMARKS)
    found = coverage(table, register)
    gaps = found[~found["ok"]]
    return dg.AssetCheckResult(
        passed=gaps.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "metrics checked": len(found),
            "metrics short": len(gaps),
            "coverage": metadata_table(found.drop(columns=["ok"])),
        },
    )
