"""What the returns sensor sees: each quarter folder's fingerprint, once its files have settled;
and which quarter folders a folder sensor (returns or sign-offs) may read at all.

The fingerprint is of names and content hashes (never modification times), so a deleted,
renamed or restored file, or one copied in with an old date by Explorer, unzip or OneDrive,
counts as a change. A file is hashed once per change: its size and times are remembered
between looks, and a file whose size or times moved since the last look (still being saved,
or synced) is looked at again next time rather than read half-written. While Excel has a
workbook open (its `~$` lock file is in the folder) the quarter waits, for up to ten minutes
after the last change.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

import dagster as dg

from pm_pipeline.core.periods import MONTHLY, QUARTERLY, TIMEZONE, Month, Quarter, ReturnPeriod
from pm_pipeline.defs.intake.columns import NOT_READ
from pm_pipeline.defs.intake.folder import fingerprint, scan_quarter, sha256_of

# A file modified this recently may still be being written (2 s; raise PM_SETTLE_SECONDS for
# a slow file share that saves in pieces, docs/operations.md)
SETTLE_SECONDS = float(os.environ.get("PM_SETTLE_SECONDS", "2"))
LOCK_WAIT_SECONDS = 600.0  # how long an open workbook (its ~$ lock) holds a quarter back

Seen = list[
    int | str
]  # [size, mtime_ns, ctime_ns, sha256]: what a file looked like at the last look


@dataclass
class FolderLook:
    quarter: ReturnPeriod
    files: dict[str, Seen] = field(default_factory=dict)
    waiting_for: str | None = None  # why the folder is not ready to read yet

    @property
    def fingerprint(self) -> str:
        return fingerprint((name, str(seen[3])) for name, seen in self.files.items())


def _excel_open(folder: Path) -> bool:
    return folder.is_dir() and any(p.name.startswith("~$") for p in folder.iterdir())


def look(
    returns_dir: Path, quarter: ReturnPeriod, before: dict[str, Seen], now: float
) -> FolderLook:
    """The quarter's files as they are now, hashing only those that changed since `before`."""
    seen = FolderLook(quarter)
    newest = 0.0
    for entry in scan_quarter(returns_dir, quarter):
        if entry.problem:
            seen.files[entry.source_file] = [0, 0, 0, NOT_READ]
            continue
        stat = entry.path.lstat()
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
        newest = max(newest, stat.st_mtime, stat.st_ctime)
        previous = before.get(entry.source_file)
        if previous is not None and previous[:3] == signature:
            seen.files[entry.source_file] = previous
            continue
        seen.files[entry.source_file] = [*signature, sha256_of(returns_dir, entry)]
        seen.waiting_for = f"{entry.source_file} changed since the last look"
    if seen.waiting_for is None and now - newest < SETTLE_SECONDS:
        seen.waiting_for = "a file was saved moments ago"
    if (
        seen.waiting_for is None
        and now - newest < LOCK_WAIT_SECONDS
        and _excel_open(returns_dir / quarter.folder)
    ):
        seen.waiting_for = "a workbook in the folder is open in Excel (~$ lock file)"
    return seen


P = TypeVar("P", Quarter, Month)


@dataclass(frozen=True)
class QuarterFolders(Generic[P]):
    """The quarter (or month) folders a sensor looks at, and those it leaves until their
    period ends."""

    quarters: list[P]
    not_yet: list[str] = field(default_factory=list)  # folders of periods still running
    kind: str = "quarter"

    def note(self) -> str:
        """What a tick says of the folders it left (empty when none)."""
        if not self.not_yet:
            return ""
        names = ", ".join(f"{name}/" for name in self.not_yet)
        return (
            f"{names} left until the {self.kind} has ended (it is not a partition yet; it is "
            f"read from the first tick after the {self.kind}'s last day)"
        )


def _to_watch(
    folder_dir: Path,
    last: Sequence[str],
    now: datetime | None,
    from_folder: Callable[[str], P],
    partitions: dg.TimeWindowPartitionsDefinition,
    kind: str,
) -> QuarterFolders[P]:
    known = set(partitions.get_partition_keys(current_time=now or datetime.now(ZoneInfo(TIMEZONE))))
    folders = {p.name for p in folder_dir.iterdir()} if folder_dir.is_dir() else set()
    found: dict[str, P] = {}
    not_yet = set()
    for name in folders | set(last):
        try:
            period = from_folder(name)
        except ValueError:
            continue
        if period.key in known:
            found[name] = period
        elif name in folders:
            not_yet.add(name)
    return QuarterFolders([found[n] for n in sorted(found)], sorted(not_yet), kind)


def quarters_to_watch(
    folder_dir: Path, last: Sequence[str] = (), now: datetime | None = None
) -> QuarterFolders[Quarter]:
    """Quarter folders now present in `folder_dir` (returns/ or signoff/), plus those seen
    before (a deleted folder is a change), that have ended (their partitions exist); a
    folder made early for a quarter still running is named in `not_yet`, never requested."""
    return _to_watch(folder_dir, last, now, Quarter.from_folder, QUARTERLY, "quarter")


def months_to_watch(
    folder_dir: Path, last: Sequence[str] = (), now: datetime | None = None
) -> QuarterFolders[Month]:
    """The same for the month folders in returns/ (`2026-07`): a month still running is left
    until it has ended, as a quarter is."""
    return _to_watch(folder_dir, last, now, Month.from_folder, MONTHLY, "month")
