"""The returns sensor and what a run reads: every change to a quarter's files is noticed (saves,
deletions, renames, files copied in with old dates), half-saved files are waited for, and what
is not an ordinary file in the data folder is reported, never read."""

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.intake.sensors import returns_sensor
from pm_pipeline.defs.intake.watch import SETTLE_SECONDS
from pm_pipeline_tests.council import check_results, good_row, kpi_and_service, query, run_job

# each test is several real returns_job runs with the settling waits between (10-20 s)
pytestmark = pytest.mark.slow

Q = Quarter(2025, 1)
OLD = time.mktime((2020, 1, 1, 0, 0, 0, 0, 0, -1))  # an old modification time (unzip, copy)


council = kpi_and_service


class Watch:
    """The real sensor against a real instance, looked at twice so files have settled."""

    def __init__(self, data_dir: Path):
        self.instance = dg.DagsterInstance.get()
        self.files = CouncilFiles(data_dir=str(data_dir))
        self.data_dir = data_dir
        self.cursor: str | None = None
        self.skip = ""

    def tick(self) -> list[dg.RunRequest]:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"council_files": self.files}
        )
        results = list(returns_sensor(context))
        self.cursor = context.cursor
        self.skip = " ".join(r.skip_message for r in results if isinstance(r, dg.SkipReason))
        return [r for r in results if isinstance(r, dg.RunRequest)]

    def settled(self) -> list[dg.RunRequest]:
        self.tick()
        time.sleep(SETTLE_SECONDS + 0.1)
        return self.tick()

    def run(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        return run_job(self.data_dir, "returns_job", request.partition_key, instance=self.instance)


def read_once(data_dir: Path) -> Watch:
    watch = Watch(data_dir)
    assert run_job(data_dir, "register_job", instance=watch.instance).success
    (request,) = watch.settled()
    watch.run(request)
    assert watch.settled() == []
    return watch


def issues(data_dir: Path) -> list[tuple]:
    return query(data_dir, "SELECT rule, source_file FROM quality_issues ORDER BY ALL")


def test_a_fixed_file_turns_the_failing_check_green(data_dir):
    c = council(data_dir)
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "104.2"), good_row("SVC-1", Q, "12")])
    watch = Watch(data_dir)
    assert run_job(data_dir, "register_job", instance=watch.instance).success
    assert watch.tick() == [] and "changed since the last look" in watch.skip  # settling
    time.sleep(SETTLE_SECONDS + 0.1)
    requests = watch.tick()
    assert len(requests) == 1, watch.skip
    (request,) = requests
    assert request.partition_key == Q.key
    assert check_results(watch.run(request))["value_in_range"] is False
    assert watch.settled() == []  # nothing changed, nothing to run
    assert Watch(data_dir).settled() == []  # a restarted sensor: already read
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "54.2"), good_row("SVC-1", Q, "12")])
    (request,) = watch.settled()
    assert check_results(watch.run(request))["value_in_range"] is True
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "104.2"), good_row("SVC-1", Q, "12")])
    (request,) = watch.settled()  # the very first content again: still a change to read
    assert check_results(watch.run(request))["value_in_range"] is False


def test_deleting_a_duplicate_file_is_noticed_and_clears_its_rows(data_dir):
    c = council(data_dir)
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "51"), good_row("SVC-1", Q, "12")])
    copy = c.returns(Q, "service (copy).csv", [good_row("SVC-1", Q, "12")])
    watch = read_once(data_dir)
    assert ("one_return_per_pi", f"{Q.folder}/service (copy).csv") in issues(data_dir)
    copy.unlink()  # "keep one and delete the others"
    (request,) = watch.settled()
    assert watch.run(request).success
    assert issues(data_dir) == []
    assert query(data_dir, "SELECT count(*) FROM pi_returns")[0][0] == 2


def test_a_rename_and_a_file_copied_in_with_an_old_date_are_noticed(data_dir):
    c = council(data_dir)
    path = c.returns(Q, "service.csv", [good_row("KPI-1", Q, "51"), good_row("SVC-1", Q, "12")])
    watch = read_once(data_dir)
    path.rename(path.with_name("renamed.csv"))
    (request,) = watch.settled()
    watch.run(request)
    assert query(data_dir, "SELECT DISTINCT source_file FROM pi_returns") == [
        (f"{Q.folder}/renamed.csv",)
    ]
    restored = c.returns(Q, "renamed.csv", [good_row("KPI-1", Q, "47"), good_row("SVC-1", Q, "12")])
    os.utime(restored, (OLD, OLD))  # older than the last read: a times-based sensor misses it
    (request,) = watch.settled()
    watch.run(request)
    assert query(data_dir, "SELECT value FROM pi_returns WHERE pi_id = 'KPI-1'") == [(47.0,)]


def test_an_emptied_folder_clears_the_quarter(data_dir):
    c = council(data_dir)
    path = c.returns(Q, "service.csv", [good_row("KPI-1", Q, "51"), good_row("SVC-1", Q, "12")])
    watch = read_once(data_dir)
    path.unlink()
    (request,) = watch.settled()
    result = watch.run(request)
    assert query(data_dir, "SELECT count(*) FROM pi_returns")[0][0] == 0
    assert ("returns_complete", None) in issues(data_dir)
    logs = [e.message for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert logs  # the clearing is a materialisation the UI shows, not a silent delete


def test_a_file_still_being_written_or_open_in_excel_is_waited_for(data_dir):
    c = council(data_dir)
    path = c.returns(Q, "service.csv", [good_row("KPI-1", Q, "51"), good_row("SVC-1", Q, "12")])
    watch = read_once(data_dir)
    lock = path.with_name("~$rvice.csv")
    lock.write_text("owner")
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "52"), good_row("SVC-1", Q, "12")])
    assert watch.settled() == []
    assert "open in Excel" in watch.skip
    lock.unlink()
    (request,) = watch.tick()
    assert request.partition_key == Q.key
    with path.open("a") as handle:  # a save in progress: the size is still moving
        handle.write("KPI-1,2025/26 Q1,5")
    assert watch.tick() == [] and "changed since the last look" in watch.skip


def test_a_file_name_that_is_not_utf8_is_read_and_named_by_its_bytes(data_dir):
    c = council(data_dir)
    good = c.returns(Q, "x.csv", [good_row("KPI-1", Q, "51"), good_row("SVC-1", Q, "12")])
    odd = os.fsencode(good.parent) + b"/finance_\xe9t\xe9.csv"
    os.rename(os.fsencode(good), odd)
    watch = Watch(data_dir)
    assert run_job(data_dir, "register_job", instance=watch.instance).success
    (request,) = watch.settled()
    assert watch.run(request).success
    assert query(data_dir, "SELECT DISTINCT source_file FROM pi_returns") == [
        (f"{Q.folder}/finance_\\xe9t\\xe9.csv",)
    ]


def test_a_link_is_reported_and_never_read_or_archived(data_dir, tmp_path):
    c = council(data_dir)
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "51"), good_row("SVC-1", Q, "12")])
    outside = tmp_path / "outside.csv"
    outside.write_text("secret line that must not be read\n")
    (data_dir / "returns" / Q.folder / "passwd.csv").symlink_to(outside)
    (data_dir / "returns" / Q.folder / "linked_dir").symlink_to(tmp_path)
    watch = Watch(data_dir)
    assert run_job(data_dir, "register_job", instance=watch.instance).success
    (request,) = watch.settled()
    result = watch.run(request)
    assert check_results(result)["file_readable"] is False
    messages = query(data_dir, "SELECT source_file, message FROM quality_issues")
    assert {m[0] for m in messages} == {f"{Q.folder}/passwd.csv", f"{Q.folder}/linked_dir"}
    assert all("shortcut" in m[1] and "copy the file itself" in m[1] for m in messages)
    everything = "\n".join(
        p.read_text(errors="replace") for p in (data_dir / "reports").rglob("*") if p.is_file()
    )
    assert "secret line" not in everything
    assert not (data_dir / "archive" / "returns" / Q.folder / "passwd.csv").exists()


def test_a_rejected_draft_that_was_deleted_is_never_first_reported(data_dir):
    c = council(data_dir)
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "98"), good_row("SVC-1", Q, "12")])
    draft = c.returns(Q, "draft.csv", [good_row("KPI-1", Q, "50")])
    watch = read_once(data_dir)  # both KPI-1 rows rejected as duplicates
    draft.unlink()
    (request,) = watch.settled()
    watch.run(request)
    assert query(data_dir, "SELECT count(*) FROM restatements")[0][0] == 0
    c.returns(Q, "service.csv", [good_row("KPI-1", Q, "97"), good_row("SVC-1", Q, "12")])
    (request,) = watch.settled()
    watch.run(request)
    assert query(data_dir, "SELECT value, first_reported_value FROM restatements") == [(97.0, 98.0)]


def test_quarters_not_yet_ended_odd_folders_and_an_unloaded_register_wait(data_dir):
    council(data_dir).returns(Q, "service.csv", [good_row("KPI-1", Q, "51")])
    watch = Watch(data_dir)
    assert watch.settled() == [] and "run register_job first" in watch.skip
    assert run_job(data_dir, "register_job", instance=watch.instance).success
    (data_dir / "returns" / "2099-00-Q1").mkdir(parents=True)
    (data_dir / "returns" / "2099-00-Q1" / "x.csv").write_text("pi_id\n")
    (data_dir / "returns" / "misc").mkdir()
    assert [r.partition_key for r in watch.settled()] == [Q.key]
