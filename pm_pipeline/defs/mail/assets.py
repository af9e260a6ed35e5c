"""Mail in Dagster: the owners' mail sensor and the two reminder assets.

Owners' lists are sent by a **sensor** on `quality_issues` materialisations, not by an asset
downstream of the intake: a blocking check failing on `pi_returns` fails the intake step and
skips everything downstream of it, which is exactly when an owner most needs their list. The
intake writes `quality_issues` on every run, failing or not, and the sensor's tick (in the UI,
under Automation) says what it sent or wrote to the outbox for each quarter read.

Reminders are assets (`owner_reminder_mail`, `manager_reminder_mail`) on the reminder
schedules, so each quarter's reminder run shows in the UI with its metadata: who was written
to and whether by SMTP or into `reports/<quarter>/outbox/`.
"""

from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.mail import Delivery, Mailer
from pm_pipeline.core.periods import QUARTERLY, Quarter
from pm_pipeline.core.warehouse import OWNERS, Warehouse, read_table
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.mail.messages import manager_reminder_letter, owner_reminder_letter
from pm_pipeline.defs.mail.owners import deliver, mail_owners, outbox
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.reports.assets import outstanding
from pm_pipeline.defs.signoff.rules import APPROVED, QUERY_OPEN, figure_checks
from pm_pipeline.defs.signoff.tables import SIGNOFFS

# Owners are e-mailed about the quarters they are working on: the latest two the warehouse holds
# (the quarter being collected, and the one before while late returns and restatements come in),
# so loading years of history never sends years of lists.
CURRENT_QUARTERS = 2


def delivery_metadata(delivery: Delivery, mailer: Mailer, folder: str) -> dict[str, Any]:
    """What the run says about its mail (never a setting beyond the host's name)."""
    how = (
        f"sent through {mailer.host}"
        if mailer.configured
        else f"no SMTP server set (PM_SMTP_HOST): messages written to {folder}"
    )
    return {
        "delivery": how,
        "sent": len(delivery.sent),
        "written to outbox": len(delivery.outbox),
        "already delivered": delivery.skipped,
        "failed": dg.MetadataValue.md("\n".join(f"- {f}" for f in delivery.failed) or "none"),
    }


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each run that reads a quarter (every quality_issues materialisation, "
    "failing checks or not), e-mails each owner whose list of issues changed: the new list, "
    "or an all-clear. Nothing when a list is unchanged; nothing is sent twice. Without "
    "PM_SMTP_HOST the messages are written to reports/<quarter>/outbox/.",
)
def owner_mail_sensor(
    context: dg.SensorEvaluationContext,
    council_files: CouncilFiles,
    warehouse: Warehouse,
    mailer: Mailer,
) -> dg.SkipReason:
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("quality_issues"), after_storage_id=after),
        limit=200,
        ascending=True,
    ).records
    if not records:
        return dg.SkipReason("No quarter read since the last look.")
    keys = sorted({r.partition_key for r in records if r.partition_key})
    said = []
    path = warehouse.reader_copy if warehouse.reader_copy.exists() else warehouse.path
    with duckdb.connect(str(path), read_only=True) as conn:
        tables = {t for (t,) in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        held = sorted(
            {
                p
                for table in ("pi_returns", "quality_issues")
                if table in tables
                for (p,) in conn.execute(f'SELECT DISTINCT period FROM "{table}"').fetchall()
            }
        )
        current = min(held[-CURRENT_QUARTERS:], default="")
        old = [k for k in keys if k < current]  # history loaded or re-read: nobody's to-do
        keys = [k for k in keys if k >= current]
        issues = {k: read_table(conn, QUALITY_ISSUES, "period = ?", [k]) for k in keys}
    if old:
        said.append(
            f"not mailed: {len(old)} earlier quarter(s) ({Quarter.from_key(old[0]).label} to "
            f"{Quarter.from_key(old[-1]).label}); owners are mailed about the latest "
            f"{CURRENT_QUARTERS} quarters the warehouse holds"
        )
    for key in keys:
        quarter = Quarter.from_key(key)
        delivery = mail_owners(council_files, mailer, quarter, issues[key])
        how = (
            "" if mailer.configured else f" (no SMTP server: see reports/{quarter.folder}/outbox/)"
        )
        said.append(f"{quarter.label}: {delivery.summary()}{how}")
        context.log.info(said[-1])
    context.update_cursor(str(records[-1].storage_id))
    return dg.SkipReason("Owners' mail — " + "; ".join(said))


@dg.asset(
    partitions_def=QUARTERLY,
    deps=REGISTER,
    group_name="reminders",
    kinds={"email"},
    owners=OWNERS,
    description="The owners' reminder on the first working day after the quarter: each owner "
    "with returns not yet in the quarter's folder gets one e-mail listing them (or an .eml in "
    "reports/<quarter>/outbox/ without SMTP).",
)
def owner_reminder_mail(
    context: dg.AssetExecutionContext,
    council_files: CouncilFiles,
    warehouse: Warehouse,
    mailer: Mailer,
) -> dg.MaterializeResult:
    quarter = Quarter.from_key(context.partition_key)
    with warehouse.read() as conn:
        register = read_register(conn)
    table = outstanding(council_files, quarter, register.indicators)
    letters = [
        owner_reminder_letter(owner, quarter, rows.to_dict("records"))
        for owner, rows in table.groupby("owner", sort=True)
    ]
    folder = outbox(council_files, quarter)
    delivery = deliver(council_files, mailer, quarter, letters)
    context.log.info(f"{quarter.label} owner reminders: {delivery.summary()}")
    return dg.MaterializeResult(
        metadata={
            "owners reminded": len(letters),
            **delivery_metadata(delivery, mailer, str(folder)),
        }
    )


def manager_lists(checks: pd.DataFrame) -> dict[str, tuple[list[dict], list[dict]]]:
    """Per manager: figures awaiting their check, and their queries still open."""
    out: dict[str, tuple[list[dict], list[dict]]] = {}
    for row in checks.to_dict("records"):
        if not row["manager"] or row["check_status"] == APPROVED:
            continue
        awaiting, queries = out.setdefault(row["manager"], ([], []))
        entry = {**row, "why": row["check_status"]}
        if row["check_status"] == QUERY_OPEN:
            entry["why"] = f"queried by {row['checked_by']}" + (
                f": {row['comment']}" if row["comment"] else ""
            )
            queries.append(entry)
        else:
            awaiting.append(entry)
    return out


@dg.asset(
    partitions_def=QUARTERLY,
    deps=[*REGISTER, "pi_returns", "signoffs"],
    group_name="reminders",
    kinds={"email"},
    owners=OWNERS,
    description="The managers' reminder at the start of the fourth week after the quarter: "
    "each manager gets the figures awaiting their check and their queries still open.",
)
def manager_reminder_mail(
    context: dg.AssetExecutionContext,
    council_files: CouncilFiles,
    warehouse: Warehouse,
    mailer: Mailer,
) -> dg.MaterializeResult:
    quarter = Quarter.from_key(context.partition_key)
    with warehouse.read() as conn:
        register = read_register(conn)
        returns = read_table(conn, PI_RETURNS, "period = ?", [quarter.key])
        decisions = read_table(conn, SIGNOFFS, "period = ?", [quarter.key])
    lists = manager_lists(figure_checks(returns, decisions, register.indicators))
    letters = [
        manager_reminder_letter(manager, quarter, awaiting, queries)
        for manager, (awaiting, queries) in sorted(lists.items())
    ]
    folder = outbox(council_files, quarter)
    delivery = deliver(council_files, mailer, quarter, letters)
    context.log.info(f"{quarter.label} manager reminders: {delivery.summary()}")
    return dg.MaterializeResult(
        metadata={
            "managers reminded": len(letters),
            "by manager": dg.MetadataValue.json(
                {m: {"to check": len(a), "open queries": len(q)} for m, (a, q) in lists.items()}
            ),
            **delivery_metadata(delivery, mailer, str(folder)),
        }
    )
