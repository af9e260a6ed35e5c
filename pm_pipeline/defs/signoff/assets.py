"""`signoffs` and `signoff_figures`: each quarter's managers' decisions, each bound once to the
figure it was made on, and each PI's figure as it changed; one asset check per sign-off rule.

One step writes both: it reads the quarter's `pi_returns` (what was decided is a figure) and
the register (who manages each PI, and their delegates in people.csv), so both are declared
upstream. It runs in every returns read (`returns_job`) and on every save in `signoff/`
(`signoff_job`), so a changed figure is on the timeline within a minute. The tables and the
sign-off rows' issues in `quality_issues` are written before the checks run, so a blocking
open query still leaves the record and the managers' lists.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from pm_pipeline.core.checks import check_severity
from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import QUARTERLY, TIMEZONE, Quarter
from pm_pipeline.core.warehouse import (
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
from pm_pipeline.defs.quality.owner_lists import write_owner_lists
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.quality.signoff_rules import (
    BLOCKING_SIGNOFF_RULES,
    SIGNOFF_ROW_RULES,
    SIGNOFF_RULES,
)
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES, step_issues
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.signoff.read import read_signoffs
from pm_pipeline.defs.signoff.rules import APPROVED, bind, evaluate, figure_checks, figure_timeline
from pm_pipeline.defs.signoff.tables import SIGNOFF_FIGURES, SIGNOFFS

SIGNOFF_DIR = "signoff"


@dataclass
class SignoffOutcome:
    decisions: pd.DataFrame  # the signoffs table's rows for the quarter
    figures: pd.DataFrame  # the signoff_figures table's rows for the quarter
    checks: pd.DataFrame  # one row per accepted figure: its check status
    issues: list[Issue]
    rows_in: int
    fingerprint: str  # the folder's files as read (names and content hashes)


def local_now() -> datetime:
    """Now on the council's clock, as the managers write checked_at (naive, Europe/London)."""
    return datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0)


def _owners(issues: list[Issue], register: Register) -> None:
    """Each issue on the list of the PI's manager; a row naming no PI on its writer's, when
    that is a manager or delegate; else the data team's (no owner)."""
    managers = {
        pid: m.casefold() if isinstance(m, str) and m else None
        for pid, m in zip(register.indicators["pi_id"], register.indicators["manager"], strict=True)
    }
    deciders = {email for people in register.deciders().values() for email in people}
    for issue in issues:
        if issue.pi_id in managers:
            issue.owner = managers[issue.pi_id]
        elif issue.owner not in deciders:
            issue.owner = None


def judge_quarter(
    files: CouncilFiles,
    quarter: Quarter,
    register: Register,
    returns: pd.DataFrame,
    before: pd.DataFrame,
    figures_before: pd.DataFrame,
    now: datetime,
    returns_read: bool = True,
) -> SignoffOutcome:
    """Read, archive and bind the quarter's sign-off files and run every sign-off rule (no
    warehouse writes), so tests and the asset judge a quarter the same way. `before` and
    `figures_before` are the quarter's rows of the two tables as the last run left them."""
    read = read_signoffs(files.root / SIGNOFF_DIR, quarter, register.canonical_ids())
    versions = {
        name: archive(files.root / "archive" / SIGNOFF_DIR, name, data, sha).version
        for name, (data, sha) in read.contents.items()
    }
    timeline = figure_timeline(figures_before, returns, quarter.key, now)
    now_read = read.decisions.assign(version=read.decisions["source_file"].map(versions))
    decisions = bind(
        now_read, before, timeline, returns, register.deciders(), now, returns_read
    ).assign(period=quarter.key)
    checks = figure_checks(returns, decisions, register.indicators)
    issues = read.issues + evaluate(checks, decisions, register.indicators, quarter.key)
    for issue in issues:
        issue.period = quarter.key
    _owners(issues, register)
    seen = fingerprint((name, sha) for name, (_, sha) in read.contents.items())
    return SignoffOutcome(decisions, timeline, checks, issues, read.rows_in, seen)


def returns_read(instance: dg.DagsterInstance, quarter: Quarter) -> bool:
    """Whether the quarter's returns have been read: until then no decision is bound (a
    decision on a figure not yet read is not a decision on no figure)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(PI_RETURNS.key), asset_partitions=[quarter.key]
        ),
        limit=1,
    ).records
    return bool(records)


def _check_results(
    issues: list[Issue], selected: set[dg.AssetCheckKey]
) -> Iterator[dg.AssetCheckResult]:
    for rule in SIGNOFF_RULES:
        if dg.AssetCheckKey(dg.AssetKey(SIGNOFFS.key), rule.name) not in selected:
            continue
        failing = sorted(
            (i for i in issues if i.rule == rule.name),
            key=lambda i: (i.owner or "", i.source_file or "", i.source_row or 0),
        )
        table = pd.DataFrame(
            [
                {
                    "manager": i.owner,
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
        by_manager = Counter(i.owner for i in failing if i.owner)
        if by_manager:
            metadata["by manager"] = dg.MetadataValue.json(dict(sorted(by_manager.items())))
        yield dg.AssetCheckResult(
            asset_key=SIGNOFFS.key,
            check_name=rule.name,
            passed=not failing,
            severity=check_severity(rule.severity),
            metadata=metadata,
        )


@dg.multi_asset(
    name="signoff_step",
    specs=[
        SIGNOFF_FIGURES.spec(
            deps=[PI_RETURNS.key],
            group_name="quality",
            description=(
                "Each PI's accepted figure over the quarter as the sign-off step saw it: a row "
                "each time it changed (its content hash, value and where it was), with the "
                "moment from which it stood, so a decision binds to the figure of its "
                "checked_at."
            ),
        ),
        SIGNOFFS.spec(
            deps=[*REGISTER, PI_RETURNS.key, SIGNOFF_FIGURES.key],
            kinds={"csv", "xlsx"},
            group_name="quality",
            description=(
                "Managers' decisions (approved or query) from signoff/<YYYY-YY-Qn>/, each "
                "bound once, when first read, to the figure that stood at its checked_at (by "
                "the figure's content), so a changed figure needs deciding again and editing "
                "the file moves nothing; kept when withdrawn. Whether each counts: the PI's "
                "manager or their delegate (people.csv), still in a file. Provenance as "
                "pi_returns: file, Excel row, sha256, archived version."
            ),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            rule.name,
            asset=SIGNOFFS.key,
            blocking=rule.name in BLOCKING_SIGNOFF_RULES,
            description=f"[{rule.severity}] {rule.description}",
            partitions_def=QUARTERLY,
        )
        for rule in SIGNOFF_RULES
    ],
    partitions_def=QUARTERLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    can_subset=True,
)
def signoff_step(
    context: dg.AssetExecutionContext, council_files: CouncilFiles, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    issues: list[Issue] = []
    read_now: dict[str, str] = {}
    rows = decisions = checked = figures = changes = timeline = 0
    with warehouse.read() as conn:
        register = read_register(conn)
    for key in context.partition_keys:  # a backfill reads its quarters in one run
        quarter = Quarter.from_key(key)
        with warehouse.read() as conn:
            returns = read_table(conn, PI_RETURNS, "period = ?", [quarter.key])
            before = read_table(conn, SIGNOFFS, "period = ?", [quarter.key])
            figures_before = read_table(conn, SIGNOFF_FIGURES, "period = ?", [quarter.key])
        outcome = judge_quarter(
            council_files,
            quarter,
            register,
            returns,
            before,
            figures_before,
            local_now(),
            returns_read(context.instance, quarter),
        )
        tables = {SIGNOFFS: outcome.decisions, SIGNOFF_FIGURES: outcome.figures}
        row_issues = [i for i in outcome.issues if i.rule in SIGNOFF_ROW_RULES]
        with warehouse.write() as conn:
            replace_all(
                conn,
                [partition(t, f, quarter.key) for t, f in tables.items() if t.key in selected]
                + [step_issues(quarter.key, SIGNOFF_ROW_RULES, row_issues)],
            )
            quarter_issues = read_table(conn, QUALITY_ISSUES, "period = ?", [quarter.key])
        write_owner_lists(
            council_files.reports_dir / quarter.folder / "quality",
            quarter,
            quarter_issues,
            register,
        )
        approved = int((outcome.checks["check_status"] == APPROVED).sum())
        counted = int(outcome.decisions["counted"].fillna(False).astype(bool).sum())
        context.log.info(
            f"{quarter.label}: {outcome.rows_in} sign-off rows, {counted} decisions counted "
            f"of {len(outcome.decisions)} known, {approved} of {len(outcome.checks)} figures "
            "checked"
        )
        issues += outcome.issues
        rows += outcome.rows_in
        read_now[quarter.key] = outcome.fingerprint
        decisions += len(outcome.decisions)
        checked += approved
        figures += len(outcome.checks)
        changes += len(outcome.figures) - len(figures_before)
        timeline += len(outcome.figures)
    if SIGNOFF_FIGURES.key in selected:
        yield dg.MaterializeResult(
            asset_key=SIGNOFF_FIGURES.key,
            metadata={**row_count(timeline), "figures changed or new": changes},
        )
    if SIGNOFFS.key not in selected:
        return
    yield dg.MaterializeResult(
        asset_key=SIGNOFFS.key,
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
