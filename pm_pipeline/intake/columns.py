"""The returns layout (DESIGN 3.2): its columns, which are required, the candidate rows' columns,
and what one file read yields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pm_pipeline.quality.rules import Issue

RETURN_COLUMNS = (
    "pi_id",
    "period",
    "value",
    "numerator",
    "denominator",
    "status",
    "note",
    "submitted_by",
    "submitted_at",
)
REQUIRED_COLUMNS = ("pi_id", "period", "value", "note")
SUPPORTED_SUFFIXES = (".csv", ".xlsx")
NOT_READ = "not read"  # the content hash recorded for a link or device that is never opened
CANDIDATE_COLUMNS = [
    "pi_id",
    "stated_period",
    "value",
    "numerator",
    "denominator",
    "status",
    "note",
    "submitted_by",
    "submitted_at",
    "source_file",
    "source_row",
    "file_sha256",
    "raw_value",
]
SHOWN_VALUE_LIMIT = 200
Parsed = tuple[object, str | None]
HEADER_GAP = re.compile(r"[\s_]+")
NO_SUCH_QUARTER = re.compile(r"(?i)\bQ\s*(?:0|[5-9]|\d{2,})\b")
TEXT_COLUMNS = ("pi_id", "period", "status", "note", "submitted_by")


@dataclass
class ReturnFile:
    """One file as seen: where it is, its content hash, and what was read from it."""

    source_file: str
    sha256: str
    data_rows: int = 0
    accepted_rows: int = 0
    readable: bool = True


@dataclass
class FileRead:
    rows: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    data_rows: int = 0
