"""`make demo`: the whole quarterly cycle on the data directory, then where the reports are.

Runs through the real Dagster instance in $DAGSTER_HOME, so every run shows in `make ui`:
the register, every month's returns of the monthly PIs and their checks, every quarter's
returns and checks (history the scorecard compares with), the latest complete quarter's full
cycle, the half-year and annual reports where due, and the monthly budget monitoring with the
latest month's service scorecards and leader's update.
"""

import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, cast

import dagster as dg

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import Month, Quarter, range_tags


def returned_quarters(files: CouncilFiles, today: date) -> list[Quarter]:
    """Quarters with a returns folder that have ended by `today`, oldest first."""
    found = []
    for folder in files.returns_dir.iterdir() if files.returns_dir.is_dir() else []:
        try:
            quarter = Quarter.from_folder(folder.name)
        except ValueError:
            continue
        if quarter.end < today:
            found.append(quarter)
    return sorted(found)


def ended_months(root: Path, today: date) -> list[Month]:
    """Months with a folder under `root` (returns/: the monthly PIs'; finance/: the budget
    monitoring) that have ended by `today`, oldest first."""
    found = []
    for folder in root.iterdir() if root.is_dir() else []:
        try:
            month = Month.from_folder(folder.name)
        except ValueError:
            continue
        if month.end < today:
            found.append(month)
    return sorted(found)


def _report(job: str, result: dg.ExecuteInProcessResult) -> bool:
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        print(f"  {job} did not complete (failed: {', '.join(filter(None, failed))})")
    return result.success


def _run(defs: dg.Definitions, job: str, instance: dg.DagsterInstance, **kwargs: Any) -> bool:
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, raise_on_error=False, **kwargs
    )
    return _report(job, result)


def _materialize(
    defs: dg.Definitions, keys: list[str], instance: dg.DagsterInstance, **kwargs: Any
) -> bool:
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey(k) for k in keys],
        raise_on_error=False,
        **kwargs,
    )
    return _report(", ".join(keys), result)


def main(instance: dg.DagsterInstance | None = None) -> int:
    """The cycle, its runs recorded on `instance`: DAGSTER_HOME's, which `make ui` shows,
    unless one is given (the report tests' in-memory one)."""
    from pm_pipeline.definitions import defs

    files: CouncilFiles = cast(Mapping[str, Any], defs.resources)["council_files"]
    instance = instance or dg.DagsterInstance.get()
    quarters = returned_quarters(files, date.today())
    if not quarters:
        print(f"No returns folders under {files.returns_dir}")
        return 1
    latest = quarters[-1]
    print(f"Data directory: {files.root}\nDagster home: {instance.root_directory}")
    print("1/5 Register, benchmarks and reference statistics ...")
    ok = _run(defs, "register_job", instance)
    ok &= _materialize(defs, ["lginform_benchmarks", "oflog_benchmarks", "benchmarks"], instance)
    # Before the returns: PIs taken from an official statistic read it from district_context.
    ok &= _materialize(defs, ["district_context", "deprivation_lsoa"], instance)
    months = ended_months(files.returns_dir, date.today())
    if months:  # before the quarters: a monthly PI's quarter is rolled up from its months
        print(f"2/5 Monthly PIs' returns and checks for {months[0].label} to {months[-1].label}")
        ok &= _run(
            defs, "monthly_returns_job", instance, tags=range_tags(months[0].key, months[-1].key)
        )
    if len(quarters) > 1:
        print(
            f"{'   ' if months else '2/5'} Returns, checks and scorecards for {quarters[0].label} "
            f"to {quarters[-2].label} ..."
        )
        ok &= _run(
            defs,
            "quarter_history_job",
            instance,
            tags=range_tags(quarters[0].key, quarters[-2].key),
        )
    print(f"3/5 Quarterly cycle for {latest.label} ...")
    ok &= _run(defs, "quarterly_performance_job", instance, partition_key=latest.key)
    print("4/5 Reminders, and the reports due at this point of the year ...")
    ok &= _run(defs, "outstanding_returns_job", instance, partition_key=latest.key)
    ok &= _run(defs, "manager_reminder_job", instance, partition_key=latest.key)
    print(f"  owners' mail: {owner_mail(defs, instance)[1]}")
    for job, key in extra_runs(defs, latest):
        ok &= _run(defs, job, instance, partition_key=key)
    months = ended_months(files.finance_dir, date.today())
    if months:
        print(
            f"5/5 Budget monitoring for {months[0].label} to {months[-1].label}, and "
            f"{months[-1].label}'s service scorecards and leader's update ..."
        )
        if len(months) > 1:  # what the leader's update compares the month with
            tags = range_tags(months[0].key, months[-2].key)
            ok &= _run(defs, "finance_job", instance, tags=tags)
        ok &= _run(defs, "monthly_reports_job", instance, partition_key=months[-1].key)
    print("\nReports:")
    for path in sorted(report_paths(files, latest, months[-1] if months else None)):
        print(f"  {path}")
    print("\nSee every run and check in the Dagster UI: make ui")
    return 0 if ok else 1


def owner_mail(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None
) -> tuple[str | None, str]:
    """One tick of the owners' mail sensor and the runs it requests, as the daemon would make
    after these runs (without PM_SMTP_HOST the messages land in reports/<quarter>/outbox/):
    the sensor's new cursor, and what was sent."""
    from pm_pipeline.defs.mail.sensors import owner_mail_sensor

    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, repository_def=defs.get_repository_def()
    )
    result = owner_mail_sensor.evaluate_tick(context)
    said = [result.skip_message] if result.skip_message else []
    job = defs.resolve_job_def("owner_mail_job")
    for request in result.run_requests or []:
        run = job.execute_in_process(
            instance=instance, partition_key=request.partition_key, raise_on_error=False
        )
        for event in run.asset_materializations_for_node("owner_issue_mail"):
            said.append(str(event.metadata["summary"].value))
    return result.cursor, "; ".join(said) or "nothing to mail"


def extra_runs(defs: dg.Definitions, latest: Quarter) -> list[tuple[str, str]]:
    """The half-year and annual runs the calendar would have made by the latest quarter."""
    runs = []
    names = {job.name for job in defs.resolve_all_job_defs()}
    half = latest.half if latest.q in (2, 4) else latest.half.previous
    if "state_of_the_district_job" in names:
        runs.append(("state_of_the_district_job", half.key))
    if "annual_report_job" in names:
        year = latest.financial_year if latest.q == 4 else latest.financial_year.previous
        runs.append(("annual_report_job", year.key))
    return runs


def report_paths(files: CouncilFiles, latest: Quarter, month: Month | None = None) -> list[Path]:
    """The reports of the latest quarter, its half-years and years, and the latest month."""
    wanted = {
        latest.folder,
        latest.half.folder,
        latest.half.previous.folder,
        latest.financial_year.folder,
        latest.financial_year.previous.folder,
        *([month.folder] if month else []),
    }
    return [
        path
        for folder in wanted
        for path in (files.reports_dir / folder).rglob("*")
        if path.is_file()
    ] + [files.reports_dir / "data_docs" / "index.html"]


if __name__ == "__main__":
    sys.exit(main())
