"""A file swapped after the folder was listed is read as what the listing checked, or not at all.

The listing (`scan_quarter`) looks at each entry without following links; the read comes a
moment later. Each test swaps a listed file between the two, deterministically: the real scan
runs, then the swap, then the product's own read. What is read, hashed, archived and quoted
must never be what the link points at (issue 26, problem 6).
"""

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.intake import assets as intake_assets
from pm_pipeline.defs.intake import folder
from pm_pipeline.defs.intake.columns import NOT_READ
from pm_pipeline.defs.intake.read import read_quarter
from pm_pipeline.defs.plan.updates import read_update_files
from pm_pipeline.defs.signoff.read import read_signoffs
from pm_pipeline_tests.council import (
    RETURN_HEADER,
    good_row,
    kpi_and_service,
    query,
    run_job,
    write_csv,
)

Q = Quarter(2025, 1)
IDS = {"kpi-1": "KPI-1", "svc-1": "SVC-1"}
SECRET = "read from outside the data folder"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the data directory whose service.csv reads as a good return (its note
    is SECRET), and whose updates.csv and signoff.csv read as good plan and sign-off files."""
    root = tmp_path / "outside"
    write_csv(root / "service.csv", RETURN_HEADER, [good_row("KPI-1", Q, "51", note=SECRET)])
    (root / "updates.csv").write_text(
        f"action_id,status,percent_complete,note\nIA-01,on_track,50,{SECRET}\n"
    )
    (root / "signoff.csv").write_text(
        f"pi_id,decision,checked_by,comment\nKPI-1,approved,boss@test.example,{SECRET}\n"
    )
    return root


def swap_after_scan(
    monkeypatch: pytest.MonkeyPatch, swap: Callable[[], None], armed: list[bool] | None = None
) -> None:
    """The real scan of the folder, then `swap` (once, at the first scan while `armed` holds
    a value, if given), then whatever reads what was listed."""
    scan = folder.scan_quarter
    done: list[bool] = []

    def scan_then_swap(root: Path, quarter: Quarter) -> list[folder.Entry]:
        entries = scan(root, quarter)
        if not done and (armed is None or armed):
            done.append(True)
            swap()
        return entries

    monkeypatch.setattr(folder, "scan_quarter", scan_then_swap)


def link(path: Path, target: Path) -> Callable[[], None]:
    """A swap: `path` (a file or a folder) replaced by a link to `target`."""

    def swap() -> None:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        path.symlink_to(target)

    return swap


def files_under(root: Path) -> str:
    """Everything written under `root`, links not followed."""
    return "\n".join(
        p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and not any(q.is_symlink() for q in (p, *p.parents))
    )


def test_a_return_swapped_for_a_link_after_the_scan_is_reported_and_never_read(
    data_dir, outside, monkeypatch
):
    council = kpi_and_service(data_dir)
    swapped = council.returns(Q, "service.csv", [good_row("KPI-1", Q, "52")])
    council.returns(Q, "other.csv", [good_row("SVC-1", Q, "12")])
    assert run_job(data_dir, "register_job").success
    # the swap comes between the returns intake's own listing and its read (the plan updates
    # step lists the same folder in the same run)
    armed: list[bool] = []

    def intake_read(*args: object) -> object:
        armed.append(True)
        return read_quarter(*args)

    monkeypatch.setattr(intake_assets, "read_quarter", intake_read)
    swap_after_scan(monkeypatch, link(swapped, outside / "service.csv"), armed)

    run_job(data_dir, "returns_job", Q.key)

    issues = query(
        data_dir, "SELECT source_file, message FROM quality_issues WHERE rule = 'file_readable'"
    )
    ((source_file, message),) = issues
    assert source_file == f"{Q.folder}/service.csv"
    assert "is a shortcut" in message and "copy the file itself into the folder" in message
    # the file listed beside it is read as usual
    assert query(data_dir, "SELECT pi_id, source_file FROM pi_returns") == [
        ("SVC-1", f"{Q.folder}/other.csv")
    ]
    assert SECRET not in files_under(data_dir)  # not archived, not in any report or table
    assert not (data_dir / "archive" / "returns" / Q.folder / "service.csv").exists()


def test_a_folder_swapped_for_a_link_or_a_file_for_a_pipe_is_reported_and_never_read(
    data_dir, outside, monkeypatch
):
    team = data_dir / "returns" / Q.folder / "team"
    write_csv(team / "service.csv", RETURN_HEADER, [good_row("KPI-1", Q, "52")])
    piped = write_csv(team.parent / "piped.csv", RETURN_HEADER, [good_row("SVC-1", Q, "12")])

    def swap() -> None:
        link(team, outside)()
        piped.unlink()
        os.mkfifo(piped)  # reading a pipe nobody writes to would wait for ever

    swap_after_scan(monkeypatch, swap)
    read, contents = read_quarter(data_dir / "returns", Q, IDS)

    assert contents == {} and read.candidates.empty
    problems = {i.source_file: i.message for i in read.issues}
    assert "is a shortcut" in problems[f"{Q.folder}/team/service.csv"]
    assert "is not an ordinary file" in problems[f"{Q.folder}/piped.csv"]
    assert {f.sha256 for f in read.files} == {NOT_READ}


def test_a_plan_update_swapped_for_a_link_is_not_read_or_archived(data_dir, outside, monkeypatch):
    returns = data_dir / "returns"
    swapped = returns / Q.folder / "updates.csv"
    swapped.parent.mkdir(parents=True)
    swapped.write_text("action_id,status,percent_complete,note\nIA-01,on_track,40,Ours\n")
    swap_after_scan(monkeypatch, link(swapped, outside / "updates.csv"))

    read = read_update_files(returns, data_dir / "archive", Q, {"ia-01": "IA-01"}, {})

    assert read.rows_in == 0 and read.frame("action_id").empty
    assert SECRET not in files_under(data_dir)


def test_a_signoff_swapped_for_a_link_is_reported_and_never_read(data_dir, outside, monkeypatch):
    signoffs = data_dir / "signoff" / Q.folder
    signoffs.mkdir(parents=True)
    swapped = signoffs / "manager.csv"
    header = "pi_id,decision,checked_by,checked_at\n"
    swapped.write_text(f"{header}KPI-1,query,boss@test.example,22/07/2025\n")
    (signoffs / "other.csv").write_text(f"{header}SVC-1,approved,boss@x.example,22/07/2025\n")
    swap_after_scan(monkeypatch, link(swapped, outside / "signoff.csv"))

    read = read_signoffs(data_dir / "signoff", Q, IDS)

    assert list(read.contents) == [f"{Q.folder}/other.csv"]  # what would be archived
    assert read.decisions["pi_id"].tolist() == ["SVC-1"]
    (issue,) = read.issues
    assert issue.source_file == f"{Q.folder}/manager.csv" and "is a shortcut" in issue.message
    assert SECRET not in " ".join(str(v) for v in read.decisions.to_numpy().ravel())


def test_the_sensors_hash_what_was_listed_and_see_a_swap_as_a_change(data_dir, outside):
    returns = data_dir / "returns"
    kept = write_csv(returns / Q.folder / "kept.csv", RETURN_HEADER, [good_row("SVC-1", Q, "12")])
    swapped = write_csv(returns / Q.folder / "service.csv", RETURN_HEADER, [])
    entries = {e.source_file: e for e in folder.scan_quarter(returns, Q)}
    link(swapped, outside / "service.csv")()

    hashes = {name: folder.sha256_of(returns, entry) for name, entry in entries.items()}

    assert hashes[f"{Q.folder}/kept.csv"] == hashlib.sha256(kept.read_bytes()).hexdigest()
    assert hashes[f"{Q.folder}/service.csv"] == NOT_READ
