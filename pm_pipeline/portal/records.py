"""What the portal reads and writes: the register and the pipeline's results from the
warehouse's readers' copy, the returns and sign-off folders through the pipeline's own readers,
and the files it writes in their contracts (docs/contracts.md, "Returns files" and "Sign-off
files"), each save appended to the audit trail.

A save is judged by the pipeline's returns suite (`evaluate_returns`, as `process_quarters`
calls it) on the rows as the intake step will read them: they are written to CSV bytes and read
back with `read_return_bytes` first, so the portal never has rules of its own.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from pm_pipeline.core.checks import ERROR
from pm_pipeline.core.files import CouncilFiles, append_private, write_atomic
from pm_pipeline.core.periods import TIMEZONE, Quarter, local_date
from pm_pipeline.core.seal import seal
from pm_pipeline.core.sheets import clean_text
from pm_pipeline.core.warehouse import READER_COPY, read_table
from pm_pipeline.defs.intake.assets import HISTORY_FOR_RULES
from pm_pipeline.defs.intake.columns import CANDIDATE_COLUMNS, RETURN_COLUMNS
from pm_pipeline.defs.intake.read import read_quarter, read_return_bytes
from pm_pipeline.defs.intake.tables import PI_RETURNS
from pm_pipeline.defs.quality.rules import Issue
from pm_pipeline.defs.quality.tables import QUALITY_ISSUES
from pm_pipeline.defs.register.load import returns_owed
from pm_pipeline.defs.register.model import Register
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.signoff.assets import SIGNOFF_DIR
from pm_pipeline.defs.signoff.read import (
    PORTAL_PREFIX,
    SEAL_COLUMN,
    SIGNOFF_COLUMNS,
    read_signoffs,
    seal_fields,
)

ENTRY_FIELDS = ("value", "numerator", "denominator", "status", "note")
STATUSES = ("final", "provisional", "unavailable")
AUDIT_FILE = Path("portal") / "audit.jsonl"
# the field of the form a rule's problem is about (the rest are about the value)
RULE_FIELDS = {
    "note_present": "note",
    "numerator_denominator_agree": "numerator",
    "ratio_parts_given": "numerator",
    "final_figures": "status",
}


def now_local() -> datetime:
    """Now on the council's clock (naive, Europe/London), as owners and managers write times."""
    return datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0)


def latest_ended_quarter(today: Any = None) -> Quarter:
    """The quarter whose returns are being entered or checked: the last one that has ended."""
    return Quarter.containing(today or local_date()).previous


def file_slug(email: str) -> str:
    """An address as a file name's part (`amira.khan_at_council.gov.uk`)."""
    return re.sub(r"[^a-z0-9._-]+", "_", email.casefold().replace("@", "_at_"))


class NotReady(RuntimeError):
    """The warehouse has no register yet: the pipeline has not run."""


@dataclass
class Snapshot:
    """The register and the pipeline's results for a quarter, read once per request from the
    readers' copy (never the warehouse itself, which the pipeline locks while writing)."""

    register: Register
    returns: pd.DataFrame  # pi_returns: the quarter, the one before and a year before
    history: pd.DataFrame  # what the movement rule learns from
    issues: pd.DataFrame  # quality_issues of the quarter

    @classmethod
    def read(cls, files: CouncilFiles, quarter: Quarter) -> Snapshot:
        path = files.root / READER_COPY
        if not path.exists():
            raise NotReady(
                f"{READER_COPY} is not in the data directory yet: load the register "
                "(register_job) and the portal can open"
            )
        earliest = quarter.history(HISTORY_FOR_RULES + 1)[0]
        conn = duckdb.connect(str(path), read_only=True)
        try:
            register = read_register(conn)
            history = read_table(
                conn, PI_RETURNS, "period >= ? AND period <= ?", [earliest.key, quarter.key]
            )
            issues = read_table(conn, QUALITY_ISSUES, "period = ?", [quarter.key])
        except RuntimeError as exc:
            raise NotReady(str(exc)) from exc
        finally:
            conn.close()
        before = history.loc[history["period"] < quarter.key, ["pi_id", "period", "value"]]
        return cls(register, history, before, issues)

    def value(self, pi_id: str, quarter: Quarter) -> float | None:
        rows = self.returns.loc[
            (self.returns["pi_id"] == pi_id) & (self.returns["period"] == quarter.key), "value"
        ]
        return None if rows.empty or pd.isna(rows.iloc[0]) else float(rows.iloc[0])

    def target(self, pi_id: str, quarter: Quarter) -> float | None:
        targets = self.register.targets
        year = quarter.financial_year
        rows = targets.loc[
            (targets["pi_id"] == pi_id)
            & targets["financial_year"].isin([year.label, year.key])
            & (
                targets.get("period", pd.Series("quarter", index=targets.index))
                .fillna("quarter")
                .isin(["quarter", ""])
            )
        ]
        return None if rows.empty else float(rows["target"].iloc[0])

    def checks(self, pi_id: str) -> list[dict]:
        rows = self.issues.loc[self.issues["pi_id"] == pi_id]
        return rows[["rule", "severity", "message"]].to_dict("records")


@dataclass(frozen=True)
class Roles:
    """What a signed-in person may do, from the register and people.csv."""

    email: str
    owns: tuple[str, ...]  # PI ids whose returns they enter
    decides: tuple[str, ...]  # PI ids whose figures they approve or query (manager, delegate)
    data_team: bool  # people.csv role performance_team: sees everything

    @classmethod
    def of(cls, register: Register, email: str) -> Roles:
        email = email.casefold()
        indicators = register.indicators
        owns = tuple(
            pid
            for pid, owner in zip(indicators["pi_id"], indicators["owner"], strict=True)
            if isinstance(owner, str) and owner.casefold() == email
        )
        decides = tuple(pid for pid, who in register.deciders().items() if email in who)
        people = register.people
        team = bool(((people["email"] == email) & (people["role"] == "performance_team")).any())
        return cls(email, owns, decides, team)

    @property
    def known(self) -> bool:
        return bool(self.owns or self.decides or self.data_team)


@dataclass
class Entry:
    """One PI's fields as the owner typed them (strings, as the form sends them)."""

    value: str = ""
    numerator: str = ""
    denominator: str = ""
    status: str = "final"
    note: str = ""

    @property
    def given(self) -> bool:
        return any(getattr(self, f).strip() for f in ("value", "numerator", "denominator", "note"))

    def as_dict(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in ENTRY_FIELDS}


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


@dataclass
class Folder:
    """The quarter's returns as the intake step reads them: the portal file's entries, and
    every figure given in any other file (which the portal shows but does not edit)."""

    mine: dict[str, Entry]
    submitted: dict[str, str]  # pi_id -> submitted_at of the portal file's row
    elsewhere: dict[str, dict]  # pi_id -> the first row another file gives for it
    candidates: pd.DataFrame


def portal_return(quarter: Quarter, owner: str) -> str:
    """The portal file of an owner, relative to returns/."""
    return f"{quarter.folder}/{PORTAL_PREFIX}{file_slug(owner)}.csv"


def read_folder(files: CouncilFiles, register: Register, quarter: Quarter, owner: str) -> Folder:
    read, _ = read_quarter(files.returns_dir, quarter, register.canonical_ids())
    source = portal_return(quarter, owner) if owner else ""
    candidates = read.candidates
    mine: dict[str, Entry] = {}
    submitted: dict[str, str] = {}
    elsewhere: dict[str, dict] = {}
    for row in candidates.to_dict("records"):
        if row["source_file"] == source:
            mine[row["pi_id"]] = Entry(
                value=_text(row["value"]),
                numerator=_text(row["numerator"]),
                denominator=_text(row["denominator"]),
                status=_text(row["status"]) or "final",
                note=_text(row["note"]),
            )
            submitted[row["pi_id"]] = _text(row["submitted_at"])
        else:
            elsewhere.setdefault(row["pi_id"], row)
    return Folder(mine, submitted, elsewhere, candidates)


@dataclass
class Problem:
    """A rule's finding on one field of one PI, for the error summary and the field."""

    pi_id: str
    field: str
    severity: str
    message: str


@dataclass
class SaveOutcome:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    saved: bool = False
    path: Path | None = None


def _field_of(issue: Issue) -> str:
    if issue.rule == "row_readable":
        for name in ("numerator", "denominator", "status", "note"):
            if name in issue.message:
                return name
    return RULE_FIELDS.get(issue.rule, "value")


def returns_csv(quarter: Quarter, rows: Sequence[Mapping[str, str]]) -> bytes:
    """The portal's rows in the returns file contract's columns."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RETURN_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in RETURN_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def save_returns(
    files: CouncilFiles,
    snapshot: Snapshot,
    quarter: Quarter,
    owner: str,
    entries: Mapping[str, Entry],
    now: datetime,
    address: str,
) -> SaveOutcome:
    """Judge the owner's entries with the pipeline's returns rules and, without errors, write
    them as `returns/<quarter>/portal_<owner>.csv` (warnings are shown, not blocking) and
    append what changed to the audit trail. A PI left blank is not returned yet."""
    register = snapshot.register
    folder = read_folder(files, register, quarter, owner)
    rows = []
    for pid, entry in entries.items():
        if not entry.given:
            continue
        unchanged = folder.mine.get(pid) == entry and folder.submitted.get(pid)
        rows.append(
            {
                "pi_id": pid,
                "period": quarter.label,
                **{f: clean_text(v) for f, v in entry.as_dict().items()},
                "submitted_by": owner,
                # a figure saved again unchanged keeps when it was first submitted
                "submitted_at": folder.submitted[pid] if unchanged else now.isoformat(),
            }
        )
    data = returns_csv(quarter, rows)
    source = portal_return(quarter, owner)
    outcome = SaveOutcome()
    if rows:
        found = _judge(data, source, snapshot, quarter, folder.candidates, now)
        for issue in found:
            problem = Problem(issue.pi_id or "", _field_of(issue), issue.severity, issue.message)
            (outcome.errors if issue.severity == ERROR else outcome.warnings).append(problem)
    if outcome.errors:
        return outcome
    path = files.returns_dir / source
    if rows:
        outcome.path = write_atomic(path, data, private=True)
    elif path.exists():
        path.unlink()  # every figure cleared: the owner has returned nothing here
    outcome.saved = True
    changes = []
    for pid in sorted(set(entries) | set(folder.mine)):
        before = folder.mine.get(pid)
        after = entries.get(pid) if entries.get(pid, Entry()).given else None
        if before != after:
            changes.append(
                {
                    "action": "return saved",
                    "quarter": quarter.label,
                    "pi_id": pid,
                    "before": before.as_dict() if before else None,
                    "after": after.as_dict() if after else None,
                    "file": f"returns/{source}",
                }
            )
    audit(files, owner, address, now, changes)
    return outcome


def _judge(
    data: bytes,
    source: str,
    snapshot: Snapshot,
    quarter: Quarter,
    folder: pd.DataFrame,
    now: datetime,
) -> list[Issue]:
    """The problems the intake step would find with the portal file's rows, among the rest
    of the quarter's files (a PI returned twice is an error there too)."""
    from pm_pipeline.defs.quality.evaluate import evaluate_returns

    register = snapshot.register
    read = read_return_bytes(data, source, register.canonical_ids())
    mine = pd.DataFrame(read.rows, columns=[*CANDIDATE_COLUMNS, "raw_id_hint"])
    mine = mine.assign(period=quarter.key, version=1)
    others = folder.loc[folder["source_file"] != source]
    candidates = pd.concat([mine, others], ignore_index=True)
    evaluation = evaluate_returns(
        candidates, register.indicators, [quarter], snapshot.history, now.date()
    )
    found = read.issues + [i for i in evaluation.all_issues() if i.source_file == source]
    return found


def audit(
    files: CouncilFiles, who: str, address: str, when: datetime, changes: Sequence[dict]
) -> None:
    """Append each change to `portal/audit.jsonl` (never rewritten; 0640, like the sent log)."""
    if not changes:
        return
    with append_private(files.root / AUDIT_FILE) as handle:
        for change in changes:
            record = {"at": when.isoformat(), "who": who, "from": address, **change}
            handle.write(json.dumps(record) + "\n")


def audit_trail(files: CouncilFiles, pi_id: str) -> list[dict]:
    """Every audit record about one PI, newest first."""
    path = files.root / AUDIT_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash
        if record.get("pi_id") == pi_id:
            out.append(record)
    return out[::-1]


def portal_signoff(quarter: Quarter, manager: str) -> str:
    return f"{quarter.folder}/{PORTAL_PREFIX}{file_slug(manager)}.csv"


def record_decision(
    files: CouncilFiles,
    secret: bytes,
    quarter: Quarter,
    manager: str,
    pi_id: str,
    decision: str,
    comment: str,
    now: datetime,
    address: str,
) -> Path:
    """Append a sealed decision to `signoff/<quarter>/portal_<manager>.csv` (its earlier rows
    kept: the pipeline takes a person's latest decision) and to the audit trail."""
    path = files.root / SIGNOFF_DIR / portal_signoff(quarter, manager)
    columns = [*SIGNOFF_COLUMNS, SEAL_COLUMN]
    rows: list[dict[str, str]] = []
    if path.exists():
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    row = {
        "pi_id": pi_id,
        "decision": decision,
        "checked_by": manager.casefold(),
        "checked_at": now.isoformat(),
        "comment": clean_text(comment),
        "period": quarter.label,
    }
    row[SEAL_COLUMN] = seal(secret, seal_fields({**row, "period": quarter.key}))
    rows.append(row)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue(), private=True)
    audit(
        files,
        manager,
        address,
        now,
        [
            {
                "action": decision,
                "quarter": quarter.label,
                "pi_id": pi_id,
                "comment": row["comment"],
                "file": f"{SIGNOFF_DIR}/{portal_signoff(quarter, manager)}",
            }
        ],
    )
    return path


def latest_decisions(files: CouncilFiles, register: Register, quarter: Quarter) -> dict[str, dict]:
    """Each PI's latest decision in `signoff/<quarter>/` by someone who may decide it (the
    pipeline's reader, so a hand-written file shows too, as recorded by file)."""
    read = read_signoffs(files.root / SIGNOFF_DIR, quarter, register.canonical_ids())
    deciders = register.deciders()
    out: dict[str, dict] = {}
    decisions = read.decisions.sort_values("checked_at", kind="stable")
    for row in decisions.to_dict("records"):
        if row["checked_by"] in deciders.get(row["pi_id"], {}):
            out[row["pi_id"]] = row
    return out


def due_pis(register: Register, quarter: Quarter, among: Sequence[str]) -> pd.DataFrame:
    """The PIs of `among` whose owners owe a return for the quarter, in the register's order
    (a PI of another frequency would be listed by the same rule once the register has it)."""
    owed = returns_owed(register.indicators, quarter)
    return owed.loc[owed["pi_id"].isin(list(among))]
