"""The `signoffs` asset: each quarter's managers' decisions, bound to the figures they were made
on, with one asset check per sign-off rule.

It reads the quarter's `pi_returns` (what was approved is a figure) and the register (who
manages each PI), so both are declared as its upstream: re-reading the returns marks it stale.
The table is written before the checks run, so a blocking open query still leaves the record.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd

from pm_pipeline.core.checks import ERROR, check_severity
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import QUARTERLY, Quarter
from pm_pipeline.core.warehouse import (
    OWNERS,
    Warehouse,
    partition,
    read_table,
    replace_all,
    row_count,
)
from pm_pipeline.defs.intake.archive import archive
from pm_pipeline.defs.intake.assets import FILES_READ
from pm_pipeline.defs.intake.folder import fingerprint
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.signoff.read import read_signoffs
from pm_pipeline.defs.signoff.rules import (
    APPROVED,
    SIGNOFF_RULES,
    SignoffIssue,
    bind,
    evaluate,
    figure_checks,
)
from pm_pipeline.defs.signoff.tables import SIGNOFFS

SIGNOFF_DIR = "signoff"


@dataclass
class SignoffOutcome:
    decisions: pd.DataFrame  # the signoffs table's rows for the quarter
    checks: pd.DataFrame  # one row per accepted figure: its check status
    issues: list[SignoffIssue]
    rows_in: int
    fingerprint: str  # the folder's files as read (names and content hashes)


def judge_quarter(
    files: CouncilFiles,
    quarter: Quarter,
    ids: dict[str, str],
    indicators: pd.DataFrame,
    returns: pd.DataFrame,
    before: pd.DataFrame,
) -> SignoffOutcome:
    """Read, archive and bind the quarter's sign-off files and run every sign-off rule (no
    warehouse writes), so tests and the asset judge a quarter the same way."""
    read = read_signoffs(files.root / SIGNOFF_DIR, quarter, ids)
    versions = {
        name: archive(files.root / "archive" / SIGNOFF_DIR, name, data, sha).version
        for name, (data, sha) in read.contents.items()
    }
    decisions = bind(read.decisions, returns, before)
    decisions["version"] = decisions["source_file"].map(versions)
    checks = figure_checks(returns, decisions, indicators)
    issues = read.issues + evaluate(checks, decisions, indicators)
    seen = fingerprint((name, sha) for name, (_, sha) in read.contents.items())
    return SignoffOutcome(decisions, checks, issues, read.rows_in, seen)


def _check_results(
    issues: list[SignoffIssue], selected: set[dg.AssetCheckKey]
) -> Iterator[dg.AssetCheckResult]:
    for rule in SIGNOFF_RULES.values():
        if dg.AssetCheckKey(dg.AssetKey("signoffs"), rule.name) not in selected:
            continue
        failing = sorted(
            (i for i in issues if i.rule == rule.name),
            key=lambda i: (i.manager or "", i.source_file or "", i.source_row or 0),
        )
        table = pd.DataFrame(
            [
                {
                    "manager": i.manager,
                    "pi_id": i.pi_id,
                    "source_file": i.source_file,
                    "source_row": i.source_row,
                    "what to do": i.message,
                }
                for i in failing
            ]
        )
        metadata: dict[str, Any] = {
            "failing rows": len(failing),
            "failures": metadata_table(table),
        }
        by_manager = Counter(i.manager for i in failing if i.manager)
        if by_manager:
            metadata["by manager"] = dg.MetadataValue.json(dict(sorted(by_manager.items())))
        yield dg.AssetCheckResult(
            asset_key="signoffs",
            check_name=rule.name,
            passed=not failing,
            severity=check_severity(rule.severity),
            metadata=metadata,
        )


@dg.asset(
    group_name="quality",
    owners=OWNERS,
    kinds={"duckdb", "csv", "xlsx"},
    deps=[*REGISTER, PI_RETURNS.key],
    metadata=SIGNOFFS.metadata(),
    partitions_def=QUARTERLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    check_specs=[
        dg.AssetCheckSpec(
            rule.name,
            asset="signoffs",
            blocking=rule.severity == ERROR,
            description=f"[{rule.severity}] {rule.description}",
            partitions_def=QUARTERLY,
        )
        for rule in SIGNOFF_RULES.values()
    ],
    description=(
        "Managers' decisions (approved or query) from signoff/<YYYY-YY-Qn>/, each bound to the "
        "figure it was made on (the return's file, row and sha256), so a changed figure needs "
        "approving again. Provenance as pi_returns: file, Excel row, sha256, archived version."
    ),
)
def signoffs(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    issues: list[SignoffIssue] = []
    read_now: dict[str, str] = {}
    rows = decisions = checked = figures = 0
    with warehouse.read() as conn:
        register = read_register(conn)
    for key in context.partition_keys:  # a backfill reads its quarters in one run
        quarter = Quarter.from_key(key)
        with warehouse.read() as conn:
            returns = read_table(conn, PI_RETURNS, "period = ?", [quarter.key])
            before = read_table(conn, SIGNOFFS, "period = ?", [quarter.key])
        outcome = judge_quarter(
            council_files, quarter, register.canonical_ids(), register.indicators, returns, before
        )
        with warehouse.write() as conn:
            replace_all(conn, [partition(SIGNOFFS, outcome.decisions, quarter.key)])
        approved = int((outcome.checks["check_status"] == APPROVED).sum())
        context.log.info(
            f"{quarter.label}: {outcome.rows_in} sign-off rows, {len(outcome.decisions)} "
            f"decisions, {approved} of {len(outcome.checks)} figures checked"
        )
        issues += outcome.issues
        rows += outcome.rows_in
        read_now[quarter.key] = outcome.fingerprint
        decisions += len(outcome.decisions)
        checked += approved
        figures += len(outcome.checks)
    yield dg.MaterializeResult(
        asset_key="signoffs",
        metadata={
            **row_count(decisions),
            "rows read": rows,
            "rows reported": sum(
                i.rule in ("signoff_readable", "signoff_known") and i.source_row is not None
                for i in issues
            ),
            "figures checked": f"{checked} of {figures}",
            FILES_READ: dg.MetadataValue.json(read_now),
        },
    )
    yield from _check_results(issues, set(context.selected_asset_check_keys))
