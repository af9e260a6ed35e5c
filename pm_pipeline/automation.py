"""Jobs, schedules and sensors: the quarterly cycle runs itself, on the framework's calendar.

Times are Europe/London. The quarterly run fires at midnight at the end of the data-entry
month (00:00 on 1 August for Q1), reminders on the first working day after a quarter ends,
and the owners' fix loop re-runs a quarter's checks within a minute of a file changing.
"""

import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime

import dagster as dg

from pm_pipeline.alerts import Alert, SmtpSettings, append_log, send_email
from pm_pipeline.periods import QUARTERLY, TIMEZONE, Quarter, first_working_day_after
from pm_pipeline.resources import CouncilFiles

quarterly_performance_job = dg.define_asset_job(
    "quarterly_performance_job",
    selection=dg.AssetSelection.assets(
        "indicator_register",
        "pi_returns",
        "quality_issues",
        "kpi_scorecard",
        "quarterly_performance_report",
        "quarterly_report_pdf",
        "warehouse_exports",
    )
    | dg.AssetSelection.groups("benchmarks"),
    description="The whole quarterly cycle for one quarter: register, returns and their checks, "
    "benchmarks, scorecard, the report (HTML, Excel, PDF) and the BI exports.",
)
register_job = dg.define_asset_job(
    "register_job",
    selection=dg.AssetSelection.assets("indicator_register"),
    description="Validate the council and indicator register and load it into the warehouse.",
)
returns_job = dg.define_asset_job(
    "returns_job",
    selection=dg.AssetSelection.assets("pi_returns", "quality_issues"),
    description="Re-read one quarter's returns and re-run every data-quality check on them.",
)
outstanding_returns_job = dg.define_asset_job(
    "outstanding_returns_job",
    selection=dg.AssetSelection.assets("outstanding_returns"),
    description="Write the reminder list of returns not yet received, by owner and manager.",
)

state_of_the_district_job = dg.define_asset_job(
    "state_of_the_district_job",
    selection=dg.AssetSelection.assets("district_context", "state_of_the_district"),
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
    return context.scheduled_execution_time.astimezone(_tz()).date()


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


def folder_state(files: CouncilFiles) -> dict[str, tuple[str, float]]:
    """Per quarter folder: a hash of its files' names, sizes and times, and the newest time."""
    state = {}
    if not files.returns_dir.is_dir():
        return state
    for folder in sorted(files.returns_dir.iterdir()):
        if not folder.is_dir():
            continue
        digest, newest = hashlib.sha256(), 0.0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
            )
            newest = max(newest, stat.st_mtime)
        state[folder.name] = (digest.hexdigest()[:16], newest)
    return state


def read_since(instance: dg.DagsterInstance, quarter: Quarter) -> float | None:
    """When this quarter's returns were last read (its last pi_returns materialisation)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("pi_returns"), asset_partitions=[quarter.key]),
        limit=1,
    ).records
    return records[0].timestamp if records else None


@dg.sensor(
    job=returns_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches returns/: when a quarter's files change, re-runs that quarter's "
    "returns and checks so an owner sees a fix within a minute.",
)
def returns_sensor(
    context: dg.SensorEvaluationContext, council_files: CouncilFiles
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    before = json.loads(context.cursor) if context.cursor else {}
    now = folder_state(council_files)
    known = set(QUARTERLY.get_partition_keys(current_time=datetime.now(_tz())))
    changed = False
    for folder, (fingerprint, newest) in now.items():
        if before.get(folder) == fingerprint:
            continue
        try:
            quarter = Quarter.from_folder(folder)
        except ValueError:
            context.log.warning(f"returns/{folder} is not a quarter folder like 2025-26-Q1")
            continue
        if quarter.key not in known:
            context.log.info(f"returns/{folder}: {quarter.label} has not ended yet")
            continue
        last_read = read_since(context.instance, quarter)
        if last_read is not None and last_read >= newest:
            continue  # already read since its files last changed (e.g. when the sensor starts)
        changed = True
        yield dg.RunRequest(
            run_key=f"returns-{folder}-{fingerprint}",
            partition_key=quarter.key,
            tags={"quarter": quarter.label, "trigger": "returns changed"},
        )
    context.update_cursor(json.dumps({folder: print_ for folder, (print_, _) in now.items()}))
    if not changed:
        yield dg.SkipReason("No returns changed since they were last read.")


def _failed_parts(
    instance: dg.DagsterInstance, run_id: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The steps that failed and the blocking (ERROR) checks that did not pass, in a run."""
    steps, checks = [], []
    for record in instance.all_logs(
        run_id,
        of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION},
    ):
        event = record.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            steps.append(event.step_key)
        elif not event.event_specific_data.passed and (
            event.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
        ):
            checks.append(event.event_specific_data.check_name)
    return tuple(dict.fromkeys(steps)), tuple(dict.fromkeys(checks))


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes every failed run (job, quarter, failed step or check, link to the run) "
    "to reports/alerts.log, and e-mails it when PM_SMTP_HOST and PM_ALERT_TO are set.",
)
def failure_alert_sensor(context: dg.RunFailureSensorContext, council_files: CouncilFiles) -> None:
    run = context.dagster_run
    steps, checks = _failed_parts(context.instance, run.run_id)
    error = context.failure_event.message or "run failed"
    alert = Alert(run.job_name, run.run_id, run.tags.get("dagster/partition"), steps, checks, error)
    append_log(council_files.reports_dir / "alerts.log", alert)
    settings = SmtpSettings.from_env()
    if settings:
        send_email(settings, alert)
