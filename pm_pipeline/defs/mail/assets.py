"""Mail in Dagster: the owners' lists after each read, and the two reminders.

Each is an asset, so every mailing shows in the UI with its metadata: who was written to and
whether by SMTP or into `reports/<quarter>/outbox/`. Mail is sent in a run's step, never in a
sensor's tick, so a slow server delays a run, not the sensor daemon. Owners' lists are not in
the intake's run (a blocking check failing there skips everything downstream, which is exactly
when an owner most needs their list): `owner_mail_sensor` requests a run of its own after each
read.

Every message goes to the register's owners and managers (or, for problems nobody in the register
owns, the performance team: PM_ALERT_TO), never to an address typed in a file. A message the
server will not take is an error in the run and, the first time, an alert to the data team.
"""

from typing import Any

import dagster as dg

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.mail import Delivery, Mailer
from pm_pipeline.core.metadata import metadata_table
from pm_pipeline.core.periods import MONTHLY, QUARTERLY, Month, Quarter
from pm_pipeline.core.warehouse import OWNERS, Warehouse, read_table
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.mail.managers import manager_figures, published
from pm_pipeline.defs.mail.messages import manager_reminder_letter, owner_reminder_letter
from pm_pipeline.defs.mail.owners import deliver, mail_owners, outbox
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.register.tables import REGISTER
from pm_pipeline.defs.reports.assets import outstanding
from pm_pipeline.defs.signoff.assets import local_now
from pm_pipeline.defs.signoff.rules import figure_checks
from pm_pipeline.defs.signoff.tables import SIGNOFF_FIGURES, SIGNOFFS


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


@dg.asset(
    partitions_def=QUARTERLY,
    deps=[QUALITY_ISSUES.key, *REGISTER],
    group_name="mail",
    kinds={"email"},
    owners=OWNERS,
    description="After each read of a quarter (requested by owner_mail_sensor, failing checks "
    "or not), each owner whose list of issues changed gets the new list or an all-clear. "
    "Nothing when a list is unchanged; nothing is sent twice. Without PM_SMTP_HOST the "
    "messages are written to reports/<quarter>/outbox/.",
)
def owner_issue_mail(
    context: dg.AssetExecutionContext,
    council_files: CouncilFiles,
    warehouse: Warehouse,
    mailer: Mailer,
) -> dg.MaterializeResult:
    quarter = Quarter.from_key(context.partition_key)
    with warehouse.read() as conn:
        issues = read_table(conn, QUALITY_ISSUES, "period = ?", [quarter.key])
        register = read_register(conn)
    delivery = mail_owners(context, council_files, mailer, quarter, issues, register)
    summary = f"{quarter.label}: {delivery.summary()}"
    context.log.info(summary)
    folder = outbox(council_files, quarter)
    return dg.MaterializeResult(
        metadata={"summary": summary, **delivery_metadata(delivery, mailer, str(folder))}
    )


@dg.asset(
    partitions_def=QUARTERLY,
    deps=REGISTER,
    group_name="mail",
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
        owner_reminder_letter(owner, register.names.name(owner), quarter, rows.to_dict("records"))
        for owner, rows in table.groupby("owner", sort=True)
    ]
    folder = outbox(council_files, quarter)
    delivery = deliver(context, council_files, mailer, quarter, letters, register.council.mail)
    context.log.info(f"{quarter.label} owner reminders: {delivery.summary()}")
    return dg.MaterializeResult(
        metadata={
            "owners reminded": len(letters),
            **delivery_metadata(delivery, mailer, str(folder)),
        }
    )


@dg.asset(
    partitions_def=MONTHLY,
    deps=REGISTER,
    group_name="mail",
    kinds={"email"},
    owners=OWNERS,
    description="The owners' reminder on the first working day after each month: each owner of "
    "monthly PIs with returns not yet in the month's folder (returns/<YYYY-MM>/) gets one "
    "e-mail listing them, due by council.yaml's monthly_due_working_day (or an .eml in "
    "reports/<YYYY-MM>/outbox/ without SMTP).",
)
def monthly_reminder_mail(
    context: dg.AssetExecutionContext,
    council_files: CouncilFiles,
    warehouse: Warehouse,
    mailer: Mailer,
) -> dg.MaterializeResult:
    with warehouse.read() as conn:
        register = read_register(conn)
    month = Month.from_key(context.partition_key).due_by(register.council.monthly_due_working_day)
    table = outstanding(council_files, month, register.indicators)
    letters = [
        owner_reminder_letter(owner, register.names.name(owner), month, rows.to_dict("records"))
        for owner, rows in table.groupby("owner", sort=True)
    ]
    folder = outbox(council_files, month)
    delivery = deliver(context, council_files, mailer, month, letters, register.council.mail)
    context.log.info(f"{month.label} owner reminders: {delivery.summary()}")
    return dg.MaterializeResult(
        metadata={
            "owners reminded": len(letters),
            "returns outstanding": len(table),
            "by owner": metadata_table(table[["owner", "manager", "pi_id"]]),
            **delivery_metadata(delivery, mailer, str(folder)),
        }
    )


@dg.asset(
    partitions_def=QUARTERLY,
    deps=[*REGISTER, PI_RETURNS.key, SIGNOFFS.key, SIGNOFF_FIGURES.key],
    group_name="mail",
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
        timeline = read_table(conn, SIGNOFF_FIGURES, "period = ?", [quarter.key])
    mail = register.council.mail
    scorecard = published(council_files.reports_dir, quarter, mail.reports_url)
    lists = manager_figures(
        figure_checks(returns, decisions, register.indicators),
        returns,
        timeline,
        register,
        quarter,
        scorecard,
        local_now(),
    )
    letters = [
        manager_reminder_letter(
            manager, register.names.name(manager), quarter, awaiting, queries, scorecard
        )
        for manager, (awaiting, queries) in sorted(lists.items())
    ]
    folder = outbox(council_files, quarter)
    delivery = deliver(context, council_files, mailer, quarter, letters, mail)
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
