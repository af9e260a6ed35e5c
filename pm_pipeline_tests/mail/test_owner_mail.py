"""The owners' and managers' inbox end to end, against a real SMTP server on loopback: a bad
file, its fix, an unchanged save, and the two reminder schedules' ticks."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.definitions import build_defs
from pm_pipeline.defs.mail.schedules import manager_reminder_schedule, reminder_schedule
from pm_pipeline.sample.demo import owner_mail
from pm_pipeline_tests.council import Council, good_row, pi, query, run_job, write_csv
from pm_pipeline_tests.mail.smtp import body, smtp_server

LONDON = ZoneInfo("Europe/London")
Q = Quarter(2025, 1)
A, B, MANAGER = "a@test.example", "b@test.example", "manager@test.example"


def tick(data_dir: Path, instance: dg.DagsterInstance, cursor: str | None):
    """The owners' mail sensor's tick and the runs it requests (the mailer from PM_SMTP_*)."""
    return owner_mail(build_defs(data_dir), instance, cursor)


def schedule_run(schedule: dg.ScheduleDefinition, when: datetime, instance: dg.DagsterInstance):
    from pm_pipeline.definitions import defs

    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=when.replace(tzinfo=LONDON),
        repository_def=defs.get_repository_def(),
    )
    return list(schedule.evaluate_tick(context).run_requests or [])


@pytest.mark.slow  # a dozen real runs: lists, all-clear, both reminders, old quarters
def test_owners_get_one_list_one_all_clear_and_reminders_at_their_ticks(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    Council(
        data_dir,
        indicators=[
            pi("KPI-1", "Recycling", owner=A),
            pi("SVC-1", "Days", owner=B, type_="service", unit="days", polarity="lower_is_better"),
        ],
        targets=[("KPI-1", "2025/26", 50, "")],
    ).write()
    write_csv(  # the manager by name; the owners are not in people.csv: greeted by address
        data_dir / "config" / "people.csv",
        ["email", "name", "job_title", "service", "role", "delegate_for"],
        [[MANAGER, "Mona Marsh", "Head of service", "Test service", "manager", ""]],
    )
    council = Council(data_dir)
    instance = dg.DagsterInstance.get()
    assert run_job(data_dir, "register_job", instance=instance).success
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("PM_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PM_SMTP_PORT", str(port))
        monkeypatch.setenv("PM_SMTP_STARTTLS", "false")

        council.returns(Q, "r.csv", [good_row("KPI-1", Q, "104.2"), good_row("SVC-1", Q, 12)])
        assert not run_job(data_dir, "returns_job", Q.key, instance=instance).success
        cursor, said = tick(data_dir, instance, None)
        (listed,) = inbox.messages
        assert listed["To"] == A and "1 to fix" in listed["Subject"]
        text = body(listed)
        assert "2025-26-Q1/r.csv" in text and "Row: 2" in text and "correct the value" in text
        assert '<th scope="col"' in body(listed, "html")
        assert "1 sent" in said

        council.returns(Q, "r.csv", [good_row("KPI-1", Q, "54.2"), good_row("SVC-1", Q, 12)])
        run_job(data_dir, "returns_job", Q.key, instance=instance)
        cursor, _ = tick(data_dir, instance, cursor)
        assert [m["Subject"] for m in inbox.to(A)][1:] == ["Your 2025/26 Q1 returns: all clear"]
        assert len(inbox.messages) == 2 and not inbox.to(B)

        run_job(data_dir, "returns_job", Q.key, instance=instance)  # saved again, unchanged
        cursor, said = tick(data_dir, instance, cursor)
        assert len(inbox.messages) == 2 and "0 sent" in said

        # owners: the first working day after 2025/26 Q2 ended (Wednesday 1 October 2025)
        assert not schedule_run(reminder_schedule, datetime(2025, 10, 2, 8), instance)
        (request,) = schedule_run(reminder_schedule, datetime(2025, 10, 1, 8), instance)
        assert run_job(
            data_dir, "outstanding_returns_job", request.partition_key, instance=instance
        ).success
        reminders = inbox.messages[2:]
        assert sorted(m["To"] for m in reminders) == [A, B]
        assert all("due by 21 October 2025" in m["Subject"] for m in reminders)

        # managers: the start of the fourth week after Q1 (Tuesday 22 July 2025)
        assert not schedule_run(manager_reminder_schedule, datetime(2025, 7, 23, 8), instance)
        (request,) = schedule_run(manager_reminder_schedule, datetime(2025, 7, 22, 8), instance)
        assert request.partition_key == Q.key
        assert run_job(data_dir, "manager_reminder_job", Q.key, instance=instance).success
        (to_manager,) = inbox.messages[4:]
        assert to_manager["To"] == MANAGER
        assert to_manager["Subject"] == "2025/26 Q1: 2 figures to check, 0 open queries"
        said = body(to_manager).replace("\r\n", "\n")
        assert "Dear Mona Marsh," in said and "Dear a@test.example," in body(inbox.messages[0])
        assert "- KPI-1\n  Indicator: Recycling\n  Figure: 54.2%\n  Target: 50.0%\n" in said
        assert "RAG: Green\n  Owner: a@test.example\n" in said and "- SVC-1\n" in said
        # the ready lines, saved as they are, approve exactly the figures the e-mail showed
        lines = [line.strip() for line in said.splitlines() if line.startswith("    ")]
        assert lines[0] == "pi_id,decision,checked_by,checked_at,comment" and len(lines) == 3
        (data_dir / "signoff" / Q.folder).mkdir(parents=True)
        (data_dir / "signoff" / Q.folder / "decisions.csv").write_text("\n".join(lines) + "\n")
        assert run_job(data_dir, "signoff_job", Q.key, instance=instance).success
        counted = query(data_dir, "SELECT pi_id, binding, counted FROM signoffs ORDER BY pi_id")
        assert counted == [("KPI-1", "figure", True), ("SVC-1", "figure", True)]
        assert run_job(data_dir, "manager_reminder_job", Q.key, instance=instance).success
        assert len(inbox.messages) == 5  # nothing left to check: no reminder

        # once two later quarters are held, re-reading an old quarter mails nobody: loading
        # years of history never sends years of lists
        for later in (Q.next, Q.next.next):
            council.returns(
                later, "r.csv", [good_row("KPI-1", later, "55"), good_row("SVC-1", later, 11)]
            )
            run_job(data_dir, "returns_job", later.key, instance=instance)
        cursor, said = tick(data_dir, instance, cursor)
        council.returns(Q, "r.csv", [good_row("KPI-1", Q, "104.2"), good_row("SVC-1", Q, 12)])
        run_job(data_dir, "returns_job", Q.key, instance=instance)
        sent_before = len(inbox.messages)
        cursor, said = tick(data_dir, instance, cursor)
        assert len(inbox.messages) == sent_before
        assert "not mailed: 1 earlier quarter (2025/26 Q1 to 2025/26 Q1)" in said
