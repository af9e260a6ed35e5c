"""What is in a quarter's returns folder, seen the same way by the sensor and by the run.

Only regular files inside the data directory are read. A link (a Windows shortcut turned
symlink, a synced "placeholder"), a device or a pipe is listed with the reason it is not read,
so the owner is told instead of the pipeline following it out of the data folder or blocking
on it. A name that is not valid UTF-8 (old Windows tools write Latin-1 names) is shown with
its odd bytes escaped, `finance_\\xe9t\\xe9.csv`, so it can be logged, stored and reported.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pm_pipeline.core.periods import Quarter

LINK_MESSAGE = (
    "{name} is a shortcut (a link to somewhere else), not a file, and was not read — copy the "
    "file itself into the folder and delete the shortcut"
)
SPECIAL_MESSAGE = (
    "{name} is not an ordinary file and was not read — save the return as .xlsx or .csv"
)


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


def scan_quarter(returns_dir: Path, quarter: Quarter) -> list[Entry]:
    """Every entry owners put in the quarter's folder, in name order, without following links."""
    folder = returns_dir / quarter.folder
    if folder.is_symlink():
        name = f"{quarter.folder}/"
        return [Entry(name, folder, LINK_MESSAGE.format(name=f"returns/{name}"))]
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


def sha256_of(path: Path) -> str:
    """The content hash of an ordinary file, read in blocks (a big file is not held twice)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(contents: Iterable[tuple[str, str]]) -> str:
    """One hash of a folder's (name, content hash) pairs: changes when a file is added,
    deleted, renamed or edited, whatever its modification time says."""
    digest = hashlib.sha256()
    for name, sha in sorted(contents):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()[:20]
