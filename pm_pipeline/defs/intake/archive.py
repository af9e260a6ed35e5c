"""Raw returns kept as submitted: each new content of a file is a new version, never an overwrite.

Layout: `archive/returns/<quarter>/<file name>/v<NNN>_<seen UTC>_<sha256><suffix>`. The file
names carry the version, the time it was first seen and the content hash, so the archive
describes itself (no database needed to know what was submitted when) and can be shipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pm_pipeline.core.files import private_folder, write_atomic

_VERSION = re.compile(r"^v(\d{3,})_(\d{8}T\d{6}Z)_([0-9a-f]{64})")


@dataclass(frozen=True)
class ArchivedVersion:
    source_file: str
    version: int
    seen_at: datetime
    sha256: str
    path: Path


def versions(archive_dir: Path, source_file: str) -> list[ArchivedVersion]:
    folder = archive_dir / source_file
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        m = _VERSION.match(path.name)
        if m:
            seen = datetime.strptime(m.group(2), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            found.append(ArchivedVersion(source_file, int(m.group(1)), seen, m.group(3), path))
    return sorted(found, key=lambda v: v.version)


def archive(
    archive_dir: Path, source_file: str, data: bytes, sha256: str, seen_at: datetime | None = None
) -> ArchivedVersion:
    """The archived version holding these bytes, adding it as the next version if new."""
    known = versions(archive_dir, source_file)
    for version in known:
        if version.sha256 == sha256:
            return version
    seen = (seen_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    number = (known[-1].version + 1) if known else 1
    folder = private_folder(archive_dir / source_file, archive_dir)  # owners' notes, comments
    target = folder / f"v{number:03d}_{seen:%Y%m%dT%H%M%SZ}_{sha256}{Path(source_file).suffix}"
    write_atomic(target, data, private=True)
    return ArchivedVersion(source_file, number, seen, sha256, target)
