"""Owners' e-mail after a quarter is read: one message to each owner whose list changed.

`owner_changes` is pure: given what each owner was last told about a quarter and the issues
now, it says who gets a new list, who gets an all-clear, and who gets nothing (unchanged), and
words what changed since their last message ("This is your 3rd message about 2026/27 Q2.
Since the last one: 1 problem fixed, 2 new"). An issue's owner is the register's
(quality_issues' `owner`); problems nobody in the register owns go to the performance team
(PM_ALERT_TO) as one list. The state (`mail/owner_lists.json`: per quarter and owner, the
list's hash, how many messages they have had and each issue's hash) is saved only after
delivery, and the sent log stops a repeat, so a retried tick sends nothing new and a list that
could not be delivered is sent by the next run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import dagster as dg
import pandas as pd

from pm_pipeline.core.alerts import Alert, alert_team, data_team
from pm_pipeline.core.files import CouncilFiles, write_atomic
from pm_pipeline.core.mail import Delivery, Failure, Mailer, SentLog, mail_address
from pm_pipeline.core.periods import Quarter, ReturnPeriod
from pm_pipeline.core.sheets import shown
from pm_pipeline.core.words import plural
from pm_pipeline.defs.mail.messages import Letter, all_clear_letter, issue_letter
from pm_pipeline.defs.quality.owner_lists import UNASSIGNED
from pm_pipeline.defs.register.model import MailSettings, People, Register
from pm_pipeline.render.wording import ordinal

FIELDS = ["rule", "severity", "pi_id", "source_file", "source_row", "value", "message"]


def mail_dir(files: CouncilFiles) -> Path:
    return files.root / "mail"


def outbox(files: CouncilFiles, quarter: ReturnPeriod) -> Path:
    return files.reports_dir / quarter.folder / "outbox"


def deliver(
    context: dg.AssetExecutionContext,
    files: CouncilFiles,
    mailer: Mailer,
    quarter: ReturnPeriod,
    letters: list[Letter],
    mail: MailSettings | None = None,
) -> Delivery:
    """The quarter's letters sent (or written to its outbox), each once, from and replied to
    as council.yaml's `mail` says. Each is built in its own guard, so one bad address stops no
    other letter; a letter not delivered is an error in the run, and the first time it fails
    the data team is alerted, with the server's answer."""
    messages, unbuilt = [], []
    for letter in letters:
        try:
            mail_address(letter.to)
            messages.append(letter.message(mail))
        except ValueError as exc:
            why = f"not sent: '{shown(letter.to)}' {exc} — correct the address in the register"
            unbuilt.append(Failure(letter.to, why, letter.source))
    delivery = mailer.deliver(messages, outbox(files, quarter), SentLog.of(files.root))
    sources = {letter.to: letter.source for letter in letters}
    delivery.failed = [replace(f, source=sources.get(f.to, "")) for f in delivery.failed]
    delivery.failed += unbuilt
    for failure in delivery.failed:
        context.log.error(f"Not delivered: {failure}")
    new = [f for f in delivery.failed if not f.repeated]
    if new:
        alert_team(
            files,
            Alert(
                context.job_name,
                context.run.run_id,
                quarter.key,
                (),
                (),
                f"{plural(len(new), 'message')} not delivered: {'; '.join(map(str, new))}. "
                "Each is kept "
                f"in reports/{quarter.folder}/outbox/ and tried again by the next run (the next "
                "read of the quarter, or re-execute this run once the mail server is put right)",
                kind="could not deliver mail",
            ),
        )
    return delivery


@dataclass(frozen=True)
class Told:
    """What an owner was last told about a quarter: the list's hash ('' = all clear), how
    many lists and all-clears they have had, and each issue's hash (none in a state saved
    before issue 27)."""

    digest: str
    update: int
    issues: tuple[str, ...] = ()


def _digest(rows: list[dict]) -> str:
    text = json.dumps([[str(r.get(f)) for f in FIELDS] for r in rows], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def change_words(quarter: Quarter, before: Told, now: tuple[str, ...]) -> str:
    """What changed since the owner's last message, in words: their first list, or how many
    problems were fixed, are new and are still there (an all-clear: how many were fixed). The
    count of lists makes each message differ from the last, so none is taken for a repeat."""
    update = before.update + 1
    if before.update == 0:
        return f"This is your first list for {quarter.label}."
    nth = f"your {ordinal(update)} message about {quarter.label}"
    if not before.digest:
        return f"This is {nth}: {plural(len(now), 'new problem')} since your last all-clear."
    if not now:
        fixed = len(before.issues)
        which = f"the {plural(fixed, 'problem')}" if fixed else "the problems"
        return f"{which} in your last list {plural(fixed, 'is', 'are', False)} fixed ({nth})."
    if not before.issues:  # a state from before each issue was kept
        return f"This is {nth}: the list has changed since the last one."
    was, kept = set(before.issues), set(now)
    fixed, new, still = len(was - kept), len(kept - was), len(kept & was)
    parts = [
        f"{plural(fixed, 'problem')} fixed",
        f"{new} new",
        f"{still} still to fix" if still else "",
    ]
    return f"This is {nth}. Since the last one: {', '.join(p for p in parts if p)}."


def owner_changes(
    quarter: Quarter,
    told: dict[str, Told],
    issues: pd.DataFrame,
    names: People,
    team: list[str] | None = None,
) -> tuple[dict[str, list[Letter]], dict[str, Told]]:
    """Letters, by owner, for owners whose list changed since they were last told (each
    greeted by name: `names`), and the new state. Problems with no owner are the performance
    team's (`team`, one letter to each of its addresses) under UNASSIGNED; with no team,
    nobody is written to about them."""
    now: dict[str, list[dict]] = {}
    ordered = issues.sort_values(
        ["source_file", "source_row", "pi_id", "rule"], na_position="first"
    )
    for row in ordered.to_dict("records"):
        owner = row.get("owner") if isinstance(row.get("owner"), str) else None
        if owner or team:
            now.setdefault(owner or UNASSIGNED, []).append(row)
    letters: dict[str, list[Letter]] = {}
    state = dict(told)
    for owner in sorted(set(now) | set(told)):
        rows = now.get(owner, [])
        digest = _digest(rows) if rows else ""
        before = told.get(owner, Told("", 0))
        if digest == before.digest:
            continue  # unchanged: nothing to say
        keys = tuple(sorted({_digest([r]) for r in rows}))
        change = change_words(quarter, before, keys)
        to = (team or []) if owner == UNASSIGNED else [owner]
        letters[owner] = [
            issue_letter(
                address, names.name(address), quarter, rows, change, team=owner == UNASSIGNED
            )
            if rows
            else all_clear_letter(address, names.name(address), quarter, change)
            for address in to
        ]
        state[owner] = Told(digest, before.update + 1, keys)
    return letters, state


def _load(path: Path) -> dict[str, dict[str, Told]]:
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        q: {
            o: Told(t["digest"], t["update"], tuple(t.get("issues", ()))) for o, t in owners.items()
        }
        for q, owners in raw.items()
    }


def mail_owners(
    context: dg.AssetExecutionContext,
    files: CouncilFiles,
    mailer: Mailer,
    quarter: Quarter,
    issues: pd.DataFrame,
    register: Register,
) -> Delivery:
    """Send (or write to the outbox) each changed owner's list for one quarter."""
    state_path = mail_dir(files) / "owner_lists.json"
    state = _load(state_path)
    before = state.get(quarter.key, {})
    letters, told = owner_changes(quarter, before, issues, register.names, data_team())
    sent_letters = [letter for sent in letters.values() for letter in sent]
    delivery = deliver(context, files, mailer, quarter, sent_letters, register.council.mail)
    undelivered = {f.to for f in delivery.failed}
    for owner, sent in letters.items():  # told nothing: tried again next time
        if not any(letter.to in undelivered for letter in sent):
            continue
        if owner in before:
            told[owner] = before[owner]
        else:
            told.pop(owner, None)
    state[quarter.key] = told
    write_atomic(
        state_path,
        json.dumps(
            {q: {o: asdict(t) for o, t in owners.items()} for q, owners in state.items()},
            indent=1,
            sort_keys=True,
        ),
        private=True,
    )
    return delivery
