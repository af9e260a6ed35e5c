"""The returns layout (docs/contracts.md, "Returns files"): its columns, which are required,
the candidate rows' columns, and what one file read yields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pm_pipeline.defs.quality.rules import Issue

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
# A quarterly update of a plan action or a risk
# (docs/contracts.md, "Plan files: deliverables, actions and risks") sits in the same folder,
# told apart by its header: the plan domain reads it, so the returns intake passes it by.
UPDATE_ID_COLUMNS = ("action_id", "risk_id")
HEADER_NAMES = {"pi_id", "pi id", "action_id", "action id", "risk_id", "risk id"}
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
    update_of: str | None = None  # "action_id" or "risk_id": a plan update, not a PI return
