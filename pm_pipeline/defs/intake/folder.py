"""What is in a quarter's returns folder, seen the same way by the sensor and by the run.

Only regular files inside the data directory are read. A link (a Windows shortcut turned
symlink, a synced "placeholder"), a device or a pipe is listed with the reason it is not read,
so the owner is told instead of the pipeline following it out of the data folder or blocking
on it. A name that is not valid UTF-8 (old Windows tools write Latin-1 names) is shown with
its odd bytes escaped, `finance_\\xe9t\\xe9.csv`, so it can be logged, stored and reported.

The check holds when a file is read, not only when it is listed: each file is opened once,
without following a link at any step below the folder, checked through that descriptor to be
an ordinary file, and hashed and parsed from that one read. A file swapped for a link (or a
pipe) between the listing and the read is reported like any other link, never followed.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from pm_pipeline.core.periods import ReturnPeriod
from pm_pipeline.defs.intake.columns import NOT_READ

LINK_MESSAGE = (
    "{name} is a shortcut (a link to somewhere else), not a file, and was not read — copy the "
    "file itself into the folder and delete the shortcut"
)
SPECIAL_MESSAGE = (
    "{name} is not an ordinary file and was not read — save the return as .xlsx or .csv"
)
GONE_MESSAGE = (
    "{name} was moved or deleted while it was being read, so it was not read — put it back "
    "in the folder if it is still wanted (the folder is read again within a minute)"
)
UNOPENED_MESSAGE = (
    "{name} could not be opened ({reason}), so it was not read — save it again in the folder; "
    "if this message stays, ask the data team to check the folder's permissions"
)
# every step below the folder is opened without following a link; a pipe swapped in for a
# file does not block the open (O_NONBLOCK), and is then refused by its fstat
_STEP = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def shown_name(text: str) -> str:
    """A path as text that can always be printed: undecodable bytes as `\\xe9` escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")


def _ignored(name: str) -> bool:
    """Excel lock files (`~$...`), editors' temp files and hidden files are not returns."""
    return name.startswith(("~$", ".", "~"))


@dataclass(frozen=True)
class Entry:
    """One thing in a quarter's folder: its name relative to returns/, and why it is not read
    (None for an ordinary file that is)."""

    source_file: str
    path: Path
    problem: str | None = None
    data: bytes = b""  # the file's bytes, when `read_entries` listed it (scan_quarter reads none)


def scan_quarter(returns_dir: Path, quarter: ReturnPeriod) -> list[Entry]:
    """Every entry owners put in a quarter's or a month's folder (returns/, or finance/<YYYY-MM>/),
    in name order, without following links."""
    folder = returns_dir / quarter.folder
    if folder.is_symlink():
        name = f"{quarter.folder}/"
        return [Entry(name, folder, LINK_MESSAGE.format(name=f"{returns_dir.name}/{name}"))]
    if not folder.is_dir():
        return []
    found: list[Entry] = []
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(top)
        for name in sorted([*names, *(d for d in dirs if (base / d).is_symlink())]):
            if _ignored(name):
                continue
            path = base / name
            source_file = shown_name(path.relative_to(returns_dir).as_posix())
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                found.append(Entry(source_file, path, LINK_MESSAGE.format(name=source_file)))
            elif not stat.S_ISREG(mode):
                found.append(Entry(source_file, path, SPECIAL_MESSAGE.format(name=source_file)))
            else:
                found.append(Entry(source_file, path))
        dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
    return found


class NotRead(Exception):
    """An entry the scan listed as an ordinary file that is not one when opened; the message
    names it and says what to do."""


def _refused(name: str, part: str, where: int, exc: OSError) -> NotRead:
    """Why `part` (a step of the entry's path, looked at in the folder `where`) cannot be
    opened: a link, gone, not an ordinary file, or closed to this account."""
    try:
        mode: int | None = os.lstat(part, dir_fd=where).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):  # a link where the scan saw a folder or a file
        return NotRead(LINK_MESSAGE.format(name=name))
    if mode is None or exc.errno == errno.ENOTDIR:
        return NotRead(GONE_MESSAGE.format(name=name))
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a socket or a device
        return NotRead(SPECIAL_MESSAGE.format(name=name))
    return NotRead(UNOPENED_MESSAGE.format(name=name, reason=exc.strerror))


@contextmanager
def _opened(root: Path, entry: Entry) -> Iterator[io.BufferedReader]:
    """The entry's file, opened through `root` one step at a time without following a link,
    and checked through the descriptor to be an ordinary file (`NotRead` if not)."""
    *folders, name = entry.path.relative_to(root).parts
    where = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part, flags in [*((f, _STEP) for f in folders), (name, _FILE)]:
            try:
                fd = os.open(part, flags, dir_fd=where)
            except OSError as exc:
                raise _refused(entry.source_file, part, where, exc) from exc
            if flags == _STEP:
                os.close(where)
                where = fd
    finally:
        os.close(where)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRead(SPECIAL_MESSAGE.format(name=entry.source_file))
        yield handle


def read_entries(root: Path, quarter: ReturnPeriod) -> Iterator[Entry]:
    """`scan_quarter`'s entries, each ordinary file's bytes in `data` from one read of the file
    the scan checked; one that is no longer an ordinary file when opened (swapped for a link,
    a pipe or a folder since, or deleted) comes with its `problem` instead, unread."""
    for entry in scan_quarter(root, quarter):
        if entry.problem:
            yield entry
            continue
        try:
            with _opened(root, entry) as handle:
                data = handle.read()
        except NotRead as exc:
            yield replace(entry, problem=str(exc))
            continue
        yield replace(entry, data=data)


def sha256_of(root: Path, entry: Entry) -> str:
    """The content hash of an entry the scan found to be an ordinary file, read in blocks
    through one checked descriptor (as `read_entries` reads it); NOT_READ when it is no
    longer an ordinary file, so the sensors see the change and the run reports it."""
    try:
        with _opened(root, entry) as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except NotRead:
        return NOT_READ


def fingerprint(contents: Iterable[tuple[str, str]]) -> str:
    """One hash of a folder's (name, content hash) pairs: changes when a file is added,
    deleted, renamed or edited, whatever its modification time says."""
    digest = hashlib.sha256()
    for name, sha in sorted(contents):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()[:20]
