"""Owners' e-mail after a quarter is read: one message to each owner whose list changed.

`owner_changes` is pure: given what each owner was last told about a quarter and the issues
now, it says who gets a new list, who gets an all-clear, and who gets nothing (unchanged). The
state (`mail/owner_lists.json`: per quarter and owner, the list's hash and an update number) is
saved only after delivery, and the sent log stops a repeat, so a retried tick sends nothing new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pm_pipeline.core.files import CouncilFiles, write_atomic
from pm_pipeline.core.mail import Delivery, Mailer, SentLog
from pm_pipeline.core.periods import Quarter
from pm_pipeline.defs.mail.messages import Letter, all_clear_letter, issue_letter

FIELDS = ["rule", "severity", "pi_id", "source_file", "source_row", "value", "message"]


def mail_dir(files: CouncilFiles) -> Path:
    return files.root / "mail"


def outbox(files: CouncilFiles, quarter: Quarter) -> Path:
    return files.reports_dir / quarter.folder / "outbox"


def deliver(
    files: CouncilFiles, mailer: Mailer, quarter: Quarter, letters: list[Letter]
) -> Delivery:
    """The quarter's letters sent (or written to its outbox), each once: the one sent log."""
    return mailer.deliver(
        [letter.message() for letter in letters],
        outbox(files, quarter),
        SentLog(mail_dir(files) / "sent.json"),
    )


@dataclass(frozen=True)
class Told:
    """What an owner was last told about a quarter: the list's hash ('' = all clear)."""

    digest: str
    update: int


def _digest(rows: list[dict]) -> str:
    text = json.dumps([[str(r.get(f)) for f in FIELDS] for r in rows], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def owner_changes(
    quarter: Quarter, told: dict[str, Told], issues: pd.DataFrame
) -> tuple[list[Letter], dict[str, Told]]:
    """Letters for owners whose list changed since they were last told, and the new state."""
    now: dict[str, list[dict]] = {}
    ordered = issues.sort_values(
        ["source_file", "source_row", "pi_id", "rule"], na_position="first"
    )
    for row in ordered.to_dict("records"):
        if isinstance(row.get("owner"), str) and row["owner"]:
            now.setdefault(row["owner"], []).append(row)
    letters: list[Letter] = []
    state = dict(told)
    for owner in sorted(set(now) | set(told)):
        rows = now.get(owner, [])
        digest = _digest(rows) if rows else ""
        before = told.get(owner, Told("", 0))
        if digest == before.digest:
            continue  # unchanged: nothing to say
        update = before.update + 1
        letters.append(
            issue_letter(owner, quarter, rows, update)
            if rows
            else all_clear_letter(owner, quarter, update)
        )
        state[owner] = Told(digest, update)
    return letters, state


def _load(path: Path) -> dict[str, dict[str, Told]]:
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {q: {o: Told(**t) for o, t in owners.items()} for q, owners in raw.items()}


def mail_owners(
    files: CouncilFiles, mailer: Mailer, quarter: Quarter, issues: pd.DataFrame
) -> Delivery:
    """Send (or write to the outbox) each changed owner's list for one quarter."""
    state_path = mail_dir(files) / "owner_lists.json"
    state = _load(state_path)
    letters, told = owner_changes(quarter, state.get(quarter.key, {}), issues)
    delivery = deliver(files, mailer, quarter, letters)
    undelivered = {f.split(":")[0] for f in delivery.failed}
    for owner in undelivered:  # told nothing: try again next time
        if owner in state.get(quarter.key, {}):
            told[owner] = state[quarter.key][owner]
        else:
            told.pop(owner, None)
    state[quarter.key] = told
    write_atomic(
        state_path,
        json.dumps(
            {q: {o: t.__dict__ for o, t in owners.items()} for q, owners in state.items()},
            indent=1,
            sort_keys=True,
        ),
        private=True,
    )
    return delivery
