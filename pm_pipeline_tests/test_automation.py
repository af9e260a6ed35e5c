"""Schedules, the returns sensor, reminders and failure alerts against a real Dagster instance."""

import socket
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import Month, Quarter, month_due_on
from pm_pipeline.defs.district.definitions import state_of_the_district_schedule
from pm_pipeline.defs.intake import sensors as intake_sensors
from pm_pipeline.defs.intake.sensors import monthly_returns_sensor, returns_sensor
from pm_pipeline.defs.intake.watch import SETTLE_SECONDS
from pm_pipeline.defs.mail.schedules import monthly_reminder_schedule, reminder_schedule
from pm_pipeline.defs.operations import sensors as operations_sensors
from pm_pipeline.defs.operations.alert_mail import alert_mail_sensor
from pm_pipeline.defs.operations.sensors import failure_alert_sensor, queue_alert_sensor
from pm_pipeline.defs.reports.definitions import monthly_schedule, quarterly_schedule
from pm_pipeline_tests.council import RETURN_HEADER, Council, good_row, pi, run_job, write_csv

LONDON = ZoneInfo("Europe/London")


def ticks(schedule: dg.ScheduleDefinition, start: datetime, count: int) -> list[datetime]:
    from dagster._utils.schedules import cron_string_iterator

    iterator = cron_string_iterator(start.timestamp(), schedule.cron_schedule, "Europe/London")
    return [next(iterator) for _ in range(count)]


def evaluate(schedule: dg.ScheduleDefinition, when: datetime, instance: dg.DagsterInstance):
    from pm_pipeline.definitions import defs

    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    return list(schedule.evaluate_tick(context).run_requests or [])


def test_quarterly_schedule_fires_at_midnight_after_each_data_entry_month():
    instance = dg.DagsterInstance.get()
    found = ticks(quarterly_schedule, datetime(2025, 7, 15, tzinfo=LONDON), 4)
    assert [t.astimezone(LONDON).strftime("%Y-%m-%d %H:%M %Z") for t in found] == [
        "2025-08-01 00:00 BST",  # end of 31 July: 2025/26 Q1
        "2025-11-01 00:00 GMT",  # after the clocks go back
        "2026-02-01 00:00 GMT",
        "2026-05-01 00:00 BST",  # end of 30 April: Q4, crossing the financial year
    ]
    keys = [evaluate(quarterly_schedule, t, instance)[0].partition_key for t in found]
    assert keys == ["2025-04-01", "2025-07-01", "2025-10-01", "2026-01-01"]


def test_state_of_the_district_follows_the_q2_and_q4_runs():
    instance = dg.DagsterInstance.get()
    found = ticks(state_of_the_district_schedule, datetime(2025, 7, 1, tzinfo=LONDON), 3)
    assert [t.astimezone(LONDON).strftime("%Y-%m-%d %H:%M %Z") for t in found] == [
        "2025-11-01 02:00 GMT",  # after the Q2 run: H1 April-September 2025
        "2026-05-01 02:00 BST",  # after the Q4 run: H2 October 2025-March 2026
        "2026-11-01 02:00 GMT",
    ]
    keys = [evaluate(state_of_the_district_schedule, t, instance)[0].partition_key for t in found]
    assert keys == ["2025-04-01", "2025-10-01", "2026-04-01"]


def test_reminders_go_on_the_first_working_day_after_the_quarter_ends():
    instance = dg.DagsterInstance.get()
    # 1 April 2024 was Easter Monday: the Q4 2023/24 reminder goes on Tuesday 2 April
    april = ticks(reminder_schedule, datetime(2024, 3, 31, 12, tzinfo=LONDON), 7)
    fired = {t.date(): evaluate(reminder_schedule, t, instance) for t in april}
    assert [d for d, runs in fired.items() if runs] == [date(2024, 4, 2)]
    assert fired[date(2024, 4, 2)][0].partition_key == "2024-01-01"
    july = ticks(reminder_schedule, datetime(2025, 6, 30, 12, tzinfo=LONDON), 1)
    assert july[0].astimezone(LONDON).strftime("%Y-%m-%d %H:%M %Z") == "2025-07-01 08:00 BST"
    assert evaluate(reminder_schedule, july[0], instance)[0].partition_key == "2025-04-01"


def fired_days(
    schedule: dg.ScheduleDefinition, start: datetime, count: int, data_dir: Path
) -> dict[date, str]:
    """Each tick of `schedule` from `start` that requested a run: its day and partition, as
    evaluated over the test's own data directory (council.yaml) and a real instance."""
    from pm_pipeline.definitions import build_defs

    repository = build_defs(data_dir).get_repository_def()
    instance = dg.DagsterInstance.get()
    files = CouncilFiles(data_dir=str(data_dir))
    out = {}
    for tick in ticks(schedule, start, count):
        with dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            repository_def=repository,
            resources={"council_files": files},
        ) as context:
            for run in schedule.evaluate_tick(context).run_requests or []:
                out[tick.astimezone(LONDON).date()] = run.partition_key
    return out


def test_the_monthly_job_runs_on_the_councils_working_day_after_each_month(data_dir):
    """Default: the 12th working day, weekends and bank holidays skipped (the early May and
    spring holidays in May 2025, New Year's Day in January 2026); council.yaml may choose
    another. Each month of a year has one such day (the pure rule); the schedule's ticks on
    the days around it, under a real instance, fire on that day only."""
    days = [date(2025, 4, 1) + timedelta(days=n) for n in range(365)]
    due = {d: m.key for d in days if (m := month_due_on(d, 12)) is not None}
    assert sorted(due.values()) == [m.key for m in Month(2026, 2).history(12)]  # one a month
    assert due[date(2025, 8, 18)] == "2025-07-01" and due[date(2025, 5, 19)] == "2025-04-01"
    assert due[date(2026, 1, 19)] == "2025-12-01"
    council(data_dir)
    for day, key in ((date(2025, 8, 18), "2025-07-01"), (date(2026, 1, 19), "2025-12-01")):
        before = datetime.combine(day - timedelta(days=2), datetime.min.time(), LONDON)
        assert fired_days(monthly_schedule, before, 3, data_dir) == {day: key}
    config = data_dir / "config" / "council.yaml"
    config.write_text(config.read_text() + "monthly_run_working_day: 3\n")
    before = datetime(2025, 8, 3, 12, tzinfo=LONDON)
    assert fired_days(monthly_schedule, before, 3, data_dir) == {date(2025, 8, 5): "2025-07-01"}
    tick = ticks(monthly_schedule, datetime(2025, 8, 4, 12, tzinfo=LONDON), 1)[0]
    assert tick.astimezone(LONDON).strftime("%Y-%m-%d %H:%M %Z") == "2025-08-05 06:00 BST"


def test_owners_of_monthly_pis_are_reminded_on_the_first_working_day(data_dir):
    council(data_dir)
    january = fired_days(
        monthly_reminder_schedule, datetime(2025, 12, 31, 12, tzinfo=LONDON), 4, data_dir
    )
    assert january == {date(2026, 1, 2): "2025-12-01"}  # 1 January is a bank holiday
    september = fired_days(
        monthly_reminder_schedule, datetime(2025, 8, 31, 12, tzinfo=LONDON), 2, data_dir
    )
    assert september == {date(2025, 9, 1): "2025-08-01"}


def test_the_monthly_sensor_reads_a_month_that_has_ended_and_leaves_a_running_one(data_dir):
    council(data_dir)
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    today = datetime.now(LONDON).date()
    running = Month.containing(today)
    ended = running.previous
    for month in (ended, running):
        row = [["SVC-1", month.label, "3", "", "", "final", "A steady month.", "", ""]]
        write_csv(data_dir / "returns" / month.folder / "service.csv", RETURN_HEADER, row)
    files = CouncilFiles(data_dir=str(data_dir))
    cursor = None
    for _ in range(2):  # a first look, then once the files have settled
        time.sleep(SETTLE_SECONDS + 0.1)
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"council_files": files}
        )
        results = list(monthly_returns_sensor(context))
        cursor = context.cursor
    requests = [r for r in results if isinstance(r, dg.RunRequest)]
    assert [(r.partition_key, r.tags["month"]) for r in requests] == [(ended.key, ended.label)]
    # the running month's folder is left until the month has ended (as a quarter's is)


def test_schedules_and_sensors_start_running():
    from pm_pipeline.definitions import defs

    for item in [*defs.schedules, *defs.sensors]:
        assert item.default_status.value == "RUNNING", item.name


Q = Quarter(2025, 1)


def council(root: Path) -> Council:
    return Council(
        root,
        indicators=[
            pi("KPI-1", "Recycling rate"),
            pi(
                "SVC-1",
                "Days",
                type_="service",
                unit="days",
                polarity="lower_is_better",
                owner="days@test.example",
            ),
        ],
        targets=[("KPI-1", "2025/26", 50, "")],
    ).write()


def test_outstanding_returns_list_owners_and_managers(data_dir):
    instance = dg.DagsterInstance.get()
    council(data_dir).returns(Q, "recycling.csv", [good_row("KPI-1", Q, "51")])
    assert run_job(data_dir, "register_job", instance=instance).success
    assert run_job(data_dir, "outstanding_returns_job", Q.key, instance=instance).success
    folder = data_dir / "reports" / Q.folder
    csv_text = (folder / "outstanding_returns.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines() == [
        "owner,manager,pi_id,title,service,frequency",
        "days@test.example,manager@test.example,SVC-1,Days,Test service,quarterly",
    ]
    html = (folder / "outstanding_returns.html").read_text()
    assert "Not yet received: 1 of 2 PI returns due for 2025/26 Q1." in html
    assert "by <strong>21 July 2025</strong>" in html


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


def test_a_failed_run_is_logged_and_emailed(data_dir, monkeypatch):
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("PM_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PM_SMTP_PORT", str(port))
        monkeypatch.setenv("PM_SMTP_STARTTLS", "false")
        monkeypatch.setenv("PM_ALERT_TO", "performance@test.example")
        instance = dg.DagsterInstance.get()
        council(data_dir).returns(Q, "service.csv", [good_row("KPI-1", Q, "104.2")])
        assert run_job(data_dir, "register_job", instance=instance).success
        failed = run_job(data_dir, "returns_job", Q.key, instance=instance)
        assert not failed.success
        run = instance.get_run_by_id(failed.run_id)
        (record,) = instance.all_logs(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        failure = record.dagster_event
        context = dg.build_run_status_sensor_context(
            sensor_name="failure_alert_sensor",
            dagster_instance=instance,
            dagster_run=run,
            dagster_event=failure,
            resources={"council_files": CouncilFiles(data_dir=str(data_dir))},
        ).for_run_failure()
        failure_alert_sensor(context)
        assert not inbox.messages  # the tick only writes: the mail goes in a run of its own
        files = CouncilFiles(data_dir=str(data_dir))
        tick = dg.build_sensor_context(instance=instance, resources={"council_files": files})
        (request,) = alert_mail_sensor.evaluate_tick(tick).run_requests
        sent = run_job(data_dir, "alert_mail_job", instance=instance, run_config=request.run_config)
        assert sent.success
        assert not alert_mail_sensor.evaluate_tick(tick).run_requests  # sent once
    finally:
        controller.stop()
    log = (data_dir / "reports" / "alerts.log").read_text()
    assert "returns_job failed for quarter 2025/26 Q1" in log
    assert f"/runs/{failed.run_id}" in log
    assert "returns_complete" in log and "value_in_range" in log and "returns_intake" in log
    assert len(inbox.messages) == 1
    assert "Subject: [pm_pipeline] returns_job failed for quarter 2025/26 Q1" in inbox.messages[0]
    assert "Blocking data-quality checks that failed:" in inbox.messages[0]


def test_the_scorecard_turns_overdue_after_the_quarterly_deadline():
    """Dagster's own freshness evaluation of kpi_scorecard's policy, at frozen times around the
    deadline (00:00 on 2 Nov, a day after the Q2 run): fresh before it with Q1's run, overdue
    after it until Q2's run lands."""
    import asyncio

    from dagster._core.definitions.freshness import FreshnessState
    from dagster._core.definitions.freshness_evaluator import CronFreshnessPolicyEvaluator
    from dagster._core.loader import LoadingContextForTest
    from dagster._core.test_utils import freeze_time

    from pm_pipeline.definitions import defs

    node = defs.resolve_asset_graph().get(dg.AssetKey("kpi_scorecard"))
    london = ZoneInfo("Europe/London")

    with dg.DagsterInstance.ephemeral() as instance:

        def state_at(*when: int) -> FreshnessState:
            with freeze_time(datetime(*when, tzinfo=london)):
                evaluation = CronFreshnessPolicyEvaluator().evaluate_freshness(
                    LoadingContextForTest(instance), node
                )
                return asyncio.run(evaluation)

        def materialise(partition: str, *when: int) -> None:
            with freeze_time(datetime(*when, tzinfo=london)):
                instance.report_runless_asset_event(
                    dg.AssetMaterialization("kpi_scorecard", partition=partition)
                )

        assert state_at(2025, 8, 2, 1) == FreshnessState.UNKNOWN  # never run
        materialise("2025-04-01", 2025, 8, 1, 0, 30)  # Q1's quarterly run, 31 July midnight
        assert state_at(2025, 11, 1, 23, 59) == FreshnessState.PASS
        assert state_at(2025, 11, 2, 0, 1) == FreshnessState.FAIL  # Q2's deadline passed
        materialise("2025-07-01", 2025, 11, 2, 9)  # Q2's run, late
        assert state_at(2025, 11, 2, 9, 1) == FreshnessState.PASS


def fail_and_alert(data_dir: Path, job: str, key: str, **kwargs: object) -> str | None:
    """Run `job` (expected to fail), put it through the failure sensor, return the alert log."""
    instance = dg.DagsterInstance.get()
    failed = run_job(data_dir, job, key, instance=instance, **kwargs)
    assert not failed.success
    (record,) = instance.all_logs(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="failure_alert_sensor",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(failed.run_id),
        dagster_event=record.dagster_event,
        resources={"council_files": CouncilFiles(data_dir=str(data_dir))},
    ).for_run_failure()
    failure_alert_sensor(context)
    log = data_dir / "reports" / "alerts.log"
    return log.read_text() if log.exists() else None


def test_alerts_name_the_period_by_its_kind(data_dir):
    council(data_dir)  # no register in the warehouse yet: both runs fail
    log = fail_and_alert(data_dir, "annual_report_job", "2025-04-01")
    assert "annual_report_job failed for financial year 2025/26" in log
    log = fail_and_alert(data_dir, "state_of_the_district_job", "2025-10-01")
    assert "state_of_the_district_job failed for half-year 2025/26 H2" in log
    log = fail_and_alert(data_dir, "monthly_job", "2025-07-01")
    assert "monthly_job failed for month July 2025" in log


def test_an_owners_save_failing_the_rules_goes_to_the_owner_not_the_team(data_dir):
    council(data_dir).returns(Q, "service.csv", [good_row("KPI-1", Q, "104.2")])
    assert run_job(data_dir, "register_job", instance=dg.DagsterInstance.get()).success
    from_sensor = {"dagster/sensor_name": "returns_sensor"}
    assert fail_and_alert(data_dir, "returns_job", Q.key, tags=from_sensor) is None
    assert (data_dir / "reports" / Q.folder / "quality" / "owner@test.example.html").exists()
    # the same failure from the quarterly schedule does alert the team
    scheduled = {"dagster/schedule_name": "quarterly_schedule"}
    assert "returns_job failed" in fail_and_alert(data_dir, "returns_job", Q.key, tags=scheduled)


def test_a_run_stuck_in_the_queue_is_reported_once(data_dir, monkeypatch):
    council(data_dir)
    instance = dg.DagsterInstance.get()
    from dagster._core.remote_origin import (
        InProcessCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    location = InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name="pm_pipeline"))
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), "returns_job")
    run = instance.run_storage.add_run(  # as the run coordinator leaves a run it cannot start
        dg.DagsterRun(
            job_name="returns_job",
            status=dg.DagsterRunStatus.QUEUED,
            tags={"dagster/partition": Q.key},
            remote_job_origin=origin,
        )
    )
    monkeypatch.setattr(operations_sensors, "QUEUE_ALERT_MINUTES", 0)
    files = CouncilFiles(data_dir=str(data_dir))
    context = dg.build_sensor_context(instance=instance, resources={"council_files": files})
    queue_alert_sensor(context)
    again = dg.build_sensor_context(
        instance=instance, cursor=context.cursor, resources={"council_files": files}
    )
    queue_alert_sensor(again)
    log = (data_dir / "reports" / "alerts.log").read_text()
    assert log.count(run.run_id) == 1
    assert "returns_job is stuck in the queue for quarter 2025/26 Q1" in log


def test_a_failing_sensor_tick_alerts_the_team(data_dir, monkeypatch):
    council(data_dir).returns(Q, "service.csv", [good_row("KPI-1", Q, "51")])
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success

    def broken(*args: object) -> None:
        raise OSError("the returns share is not mounted")

    monkeypatch.setattr(intake_sensors, "look", broken)
    files = CouncilFiles(data_dir=str(data_dir))
    context = dg.build_sensor_context(instance=instance, resources={"council_files": files})
    with pytest.raises(OSError):
        list(returns_sensor(context))
    log = (data_dir / "reports" / "alerts.log").read_text()
    assert "returns_sensor failed" in log and "the returns share is not mounted" in log
