"""Jobs, schedules and sensors: the quarterly cycle runs itself, on the framework's calendar.

Times are Europe/London. The quarterly run fires at midnight at the end of the data-entry
month (00:00 on 1 August for Q1), reminders on the first working day after a quarter ends,
and the owners' fix loop re-runs a quarter's checks within a minute of a file changing.
"""

import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

import dagster as dg

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import (
    QUARTERLY,
    TIMEZONE,
    Quarter,
    first_working_day_after,
    local_date,
)
from pm_pipeline.defs.intake.assets import FILES_READ
from pm_pipeline.defs.intake.watch import look, quarters_to_watch
from pm_pipeline.defs.operations.alerts import Alert, SmtpSettings, append_log, send_email
from pm_pipeline.defs.register.tables import REGISTER

SENSOR_SECONDS = int(os.environ.get("PM_SENSOR_INTERVAL_SECONDS", "30"))
QUEUE_ALERT_MINUTES = float(os.environ.get("PM_QUEUE_ALERT_MINUTES", "15"))
# the returns and the plan's updates, both read from the returns folders
INTAKE = ["pi_returns", "quality_issues", "restatements", "action_updates", "risk_updates"]
PLAN_REGISTER = ["action_register", "risk_register"]

quarterly_performance_job = dg.define_asset_job(
    "quarterly_performance_job",
    selection=dg.AssetSelection.assets(
        *REGISTER,
        *PLAN_REGISTER,
        *INTAKE,
        "signoffs",
        "kpi_scorecard",
        "kpi_exceptions",
        "quarterly_performance_report",
        "quarterly_report_pdf",
        "cabinet_report",
        "cabinet_report_pdf",
        "service_report",
        "management_report",
        "warehouse_exports",
    )
    | dg.AssetSelection.groups("benchmarks"),
    description="The whole quarterly cycle for one quarter: register, returns and their checks, "
    "benchmarks, scorecard, the full report (HTML, Excel, PDF), the reports by audience "
    "(Cabinet HTML and PDF, services, management) and the BI exports.",
)
register_job = dg.define_asset_job(
    "register_job",
    selection=dg.AssetSelection.assets(*REGISTER, *PLAN_REGISTER),
    description="Validate the council and indicator register (and the plan's actions and "
    "risks) and load them into the warehouse.",
)
quarter_history_job = dg.define_asset_job(
    "quarter_history_job",
    selection=dg.AssetSelection.assets(*INTAKE, "kpi_scorecard", "kpi_exceptions"),
    description="Returns, checks and scorecards for a range of quarters in one run (the history "
    "a new install or a backfill builds; reports are published separately).",
)
returns_job = dg.define_asset_job(
    "returns_job",
    selection=dg.AssetSelection.assets(*INTAKE, "signoffs"),
    description="Re-read one quarter's returns and managers' sign-offs and re-run every "
    "data-quality check on them.",
)
outstanding_returns_job = dg.define_asset_job(
    "outstanding_returns_job",
    selection=dg.AssetSelection.assets("outstanding_returns", "owner_reminder_mail"),
    description="Write the reminder list of returns not yet received, by owner and manager, "
    "and e-mail each owner theirs.",
)

state_of_the_district_job = dg.define_asset_job(
    "state_of_the_district_job",
    selection=dg.AssetSelection.assets(
        "district_context", "deprivation_lsoa", "state_of_the_district"
    ),
    description="The six-monthly State of the District: reference files re-read, then the report.",
)

annual_report_job = dg.define_asset_job(
    "annual_report_job",
    selection=dg.AssetSelection.assets("annual_performance_report"),
    description="The annual performance report for one financial year.",
)

RUNNING = dg.DefaultScheduleStatus.RUNNING


def quarter_reported_on(tick: date) -> Quarter:
    """The quarter a run at the end of a data-entry month reports: the one before last month's."""
    return Quarter.containing(tick).previous


def _london_date(context: dg.ScheduleEvaluationContext) -> date:
    return local_date(context.scheduled_execution_time)


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(TIMEZONE)


@dg.schedule(
    cron_schedule="0 0 1 2,5,8,11 *",
    job=quarterly_performance_job,
    execution_timezone=TIMEZONE,
    default_status=RUNNING,
    description="Midnight at the end of 31 July, 31 October, 31 January and 30 April: the "
    "quarter just closed.",
)
def quarterly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    quarter = quarter_reported_on(_london_date(context))
    return dg.RunRequest(
        run_key=f"quarterly-{quarter.key}",
        partition_key=quarter.key,
        tags={"quarter": quarter.label},
    )


@dg.schedule(
    cron_schedule="0 2 1 5,11 *",
    job=state_of_the_district_job,
    execution_timezone=TIMEZONE,
    default_status=RUNNING,
    description="02:00 on 1 November and 1 May, two hours after the Q2 and Q4 runs: the "
    "State of the District for the half-year just closed.",
)
def state_of_the_district_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    half = quarter_reported_on(_london_date(context)).half
    return dg.RunRequest(
        run_key=f"state-of-the-district-{half.key}",
        partition_key=half.key,
        tags={"half": half.label},
    )


@dg.schedule(
    cron_schedule="0 4 1 5 *",
    job=annual_report_job,
    execution_timezone=TIMEZONE,
    default_status=RUNNING,
    description="04:00 on 1 May, after the Q4 run: the annual report for the year just ended.",
)
def annual_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    year = quarter_reported_on(_london_date(context)).financial_year
    return dg.RunRequest(
        run_key=f"annual-{year.key}", partition_key=year.key, tags={"year": year.label}
    )


def reminder_due(day: date) -> Quarter | None:
    """The quarter to chase on `day`, if `day` is the first working day after a quarter ended."""
    quarter = Quarter.containing(day).previous
    return quarter if first_working_day_after(quarter.end) == day else None


@dg.schedule(
    cron_schedule="0 8 1-7 1,4,7,10 *",
    job=outstanding_returns_job,
    execution_timezone=TIMEZONE,
    default_status=RUNNING,
    description="08:00 on the first working day after each quarter ends: the outstanding "
    "returns list by owner and manager.",
)
def reminder_schedule(
    context: dg.ScheduleEvaluationContext,
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    quarter = reminder_due(_london_date(context))
    if quarter is None:
        yield dg.SkipReason("Not the first working day after the quarter ended.")
        return
    yield dg.RunRequest(
        run_key=f"reminders-{quarter.key}",
        partition_key=quarter.key,
        tags={"quarter": quarter.label},
    )


def last_read(instance: dg.DagsterInstance, quarter: Quarter) -> tuple[int, str | None]:
    """The latest read of this quarter: its event's storage id (0 if never read) and the
    folder fingerprint that run recorded of the files it read."""
    latest = None
    for asset in ("quality_issues", "pi_returns"):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[quarter.key]),
            limit=1,
        ).records
        if records and (latest is None or records[0].storage_id > latest.storage_id):
            latest = records[0]
    if latest is None:
        return 0, None
    materialization = latest.asset_materialization
    read = materialization.metadata.get(FILES_READ) if materialization else None
    if read is None:
        return latest.storage_id, None
    files_read = cast(Mapping[str, str] | None, read.value)  # FILES_READ is {quarter: fingerprint}
    return latest.storage_id, (files_read or {}).get(quarter.key)


def alert_team(files: CouncilFiles, alert: Alert) -> None:
    """The data team's alert: a line in reports/alerts.log, and an e-mail when SMTP is set."""
    append_log(files.reports_dir / "alerts.log", alert)
    settings = SmtpSettings.from_env()
    if settings:
        send_email(settings, alert)


def _sensor_failed(files: CouncilFiles, name: str, exc: Exception) -> None:
    alert_team(files, Alert(name, "", None, (), (), f"{type(exc).__name__}: {exc}"))


@dg.sensor(
    job=returns_job,
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches returns/: when the names or contents of a quarter's files differ from "
    "what its last run read (a save, a deletion, a rename, a restored old file), re-reads that "
    "quarter once the files have settled, so an owner sees a fix within a minute.",
)
def returns_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    try:
        yield from _returns_requests(context, council_files)
    except Exception as exc:
        _sensor_failed(council_files, "returns_sensor", exc)
        raise


def _returns_requests(
    context: dg.SensorEvaluationContext, files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    if context.instance.get_latest_materialization_event(dg.AssetKey("indicator_register")) is None:
        yield dg.SkipReason("The register has not been loaded yet: run register_job first.")
        return
    cursor = json.loads(context.cursor) if context.cursor else {}
    seen_before: dict[str, dict] = cursor.get("files", {})
    known = QUARTERLY.get_partition_keys(current_time=datetime.now(_tz()))
    waiting, requested = [], 0
    files_now: dict[str, dict] = {}
    for quarter in quarters_to_watch(files.returns_dir, known, list(seen_before)):
        seen = look(files.returns_dir, quarter, seen_before.get(quarter.folder, {}), time.time())
        files_now[quarter.folder] = seen.files
        if seen.waiting_for:
            waiting.append(f"{quarter.folder}: {seen.waiting_for}")
            continue
        fingerprint = seen.fingerprint
        since, read = last_read(context.instance, quarter)  # two indexed look-ups a quarter
        if read == fingerprint or (read is None and not seen.files):
            continue
        requested += 1
        yield dg.RunRequest(  # one run per change since the last read, even back to old files
            run_key=f"returns-{quarter.folder}-{since}-{fingerprint}",
            partition_key=quarter.key,
            tags={"quarter": quarter.label, "trigger": "returns changed"},
        )
    context.update_cursor(json.dumps({"files": files_now}))
    if not requested:
        detail = "; ".join(waiting) if waiting else "every quarter matches what was last read"
        yield dg.SkipReason(f"Nothing to re-read: {detail}.")


@dataclass(frozen=True)
class Failure:
    """What went wrong in a run: failed steps, the blocking checks that failed, and whether
    anything failed other than those checks (an error or a crash)."""

    steps: tuple[str, ...]
    checks: tuple[str, ...]
    beyond_checks: bool


def failed_parts(instance: dg.DagsterInstance, run_id: str) -> Failure:
    steps, checks, beyond = [], [], False
    for record in instance.all_logs(
        run_id,
        of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION},
    ):
        event = record.dagster_event
        if event is None:  # of_type asks for Dagster events only
            continue
        data = event.event_specific_data
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            steps.append(cast(str, event.step_key))  # a step failure names its step
            error = getattr(data, "error", None)
            beyond |= error is None or error.cls_name != "DagsterAssetCheckFailedError"
        elif (
            isinstance(data, dg.AssetCheckEvaluation)
            and not data.passed
            and data.severity == dg.AssetCheckSeverity.ERROR
        ):
            checks.append(data.check_name)
    beyond |= not steps  # a run that failed with no failed step died around them (a crash)
    return Failure(tuple(dict.fromkeys(steps)), tuple(dict.fromkeys(checks)), beyond)


def partition_kind(run: dg.DagsterRun) -> str:
    """Whether a run's partition key names a quarter, a half-year or a financial year."""
    assets = {key.to_user_string() for key in run.asset_selection or ()}
    if run.job_name == annual_report_job.name or "annual_performance_report" in assets:
        return "financial year"
    if run.job_name == state_of_the_district_job.name or "state_of_the_district" in assets:
        return "half-year"
    return "quarter"


def owners_business(run: dg.DagsterRun, failure: Failure) -> bool:
    """An owner's save that failed only on ERROR rules: the owner's list says what to fix, and
    the data team is not woken for it."""
    from_sensor = run.tags.get("dagster/sensor_name") == returns_sensor.name
    return from_sensor and bool(failure.checks) and not failure.beyond_checks


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Tells the data team of a failed or crashed run (job, period, failed step or "
    "check, link) in reports/alerts.log, by e-mail when PM_SMTP_HOST and PM_ALERT_TO are set. "
    "An owner's save that only fails the data-quality rules is the owner's to fix, not an alert.",
)
def failure_alert_sensor(context: dg.RunFailureSensorContext, council_files: CouncilFiles) -> None:
    run = context.dagster_run
    failure = failed_parts(context.instance, run.run_id)
    if owners_business(run, failure):
        context.log.info(f"Run {run.run_id}: failed on owners' data-quality rules only")
        return
    partition = run.tags.get("dagster/partition") or (
        f"{run.tags['dagster/asset_partition_range_start']}..."
        f"{run.tags['dagster/asset_partition_range_end']}"
        if "dagster/asset_partition_range_start" in run.tags
        else None
    )
    error = context.failure_event.message or "run failed"
    alert_team(
        council_files,
        Alert(
            run.job_name,
            run.run_id,
            partition,
            failure.steps,
            failure.checks,
            error,
            partition_kind(run),
        ),
    )


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Alerts the data team once about any run queued for more than "
    f"{QUEUE_ALERT_MINUTES:g} minutes (PM_QUEUE_ALERT_MINUTES), naming the run holding the "
    "warehouse pool, so a stuck queue is never found by accident.",
)
def queue_alert_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> dg.SkipReason:
    alerted = set(json.loads(context.cursor)) if context.cursor else set()
    cutoff = datetime.now() - timedelta(minutes=QUEUE_ALERT_MINUTES)
    stuck = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED], created_before=cutoff)
    )
    holders = pool_holders(context.instance)
    for record in stuck:
        run = record.dagster_run
        if run.run_id in alerted:
            continue
        alerted.add(run.run_id)
        alert_team(
            council_files,
            Alert(
                run.job_name,
                run.run_id,
                run.tags.get("dagster/partition"),
                (),
                (),
                f"queued for more than {QUEUE_ALERT_MINUTES:g} minutes; the warehouse pool "
                f"is held by {holders or 'no run'}",
                partition_kind(run),
                kind="is stuck in the queue",
            ),
        )
    queued = {r.dagster_run.run_id for r in stuck}
    context.update_cursor(json.dumps(sorted(alerted & queued)))
    return dg.SkipReason(f"{len(stuck)} run(s) queued too long; holders: {holders or 'none'}")


def pool_holders(instance: dg.DagsterInstance) -> str:
    """The runs holding the warehouse pool's slots, for the alert to name."""
    info = instance.event_log_storage.get_concurrency_info("warehouse")
    return ", ".join(sorted({slot.run_id for slot in info.claimed_slots}))


restatement_rebuild_sensor = dg.AutomationConditionSensorDefinition(
    "restatement_rebuild_sensor",
    target=dg.AssetSelection.assets("kpi_scorecard", "kpi_exceptions"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=SENSOR_SECONDS,
    description="Rebuilds the scorecards (and their exceptions) that read a quarter whose "
    "returns were re-read, so no later quarter keeps a 'previous quarter' that has changed.",
)
