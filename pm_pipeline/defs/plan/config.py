"""`config/actions.csv` and `config/risks.csv`: read and validated like the indicator register.

Both files are optional (a council may report PIs only): an absent file is an empty register.
A file that is there but wrong (unknown kind or theme, a duplicate id, a date or score that
cannot be read) raises `RegisterError` naming file, row and column for every problem. A link to
a PI or risk that does not exist is the plan's own mistake, not a reason to stop the KPI
reports: the link is dropped and kept (an action's `dropped_pis` / `dropped_risks`, a risk's
`dropped_due_action`), with its `source_row`, for the `plan_links_known` check and the reports
to name. The same goes for a risk's `due_action` naming an action that is not in actions.csv.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from pm_pipeline.core.mail import mail_address
from pm_pipeline.core.sheets import shown, where
from pm_pipeline.core.values import is_missing
from pm_pipeline.core.words import plural
from pm_pipeline.defs.intake.cells import parse_timestamp
from pm_pipeline.defs.plan.tables import ACTION_REGISTER, RISK_REGISTER
from pm_pipeline.defs.register.model import PI_ID, Council, RegisterError, read_csv_records

KINDS = ("deliverable", "improvement", "service_plan")
ACTION_COLUMNS = tuple(ACTION_REGISTER.columns)
RISK_COLUMNS = tuple(RISK_REGISTER.columns)
REQUIRED_ACTION = ("action_id", "title", "kind", "theme", "owner", "due_date")
REQUIRED_RISK = ("risk_id", "title", "theme", "owner", "likelihood", "impact")
# How each risk is managed (issue 27): optional, so a register written before still loads;
# what it leaves out is named by the WARN check risk_register_complete.
MANAGEMENT_COLUMNS = ("controls", "target_likelihood", "target_impact", "review_date", "due_action")


# a linking column -> (the file it is in, as quality_issues names it; where its dropped ids are
# kept; what the ids name; the file that lists them)
LINK_KINDS = {
    "linked_pis": ("config/actions.csv", "dropped_pis", "PI", "config/indicators.csv"),
    "linked_risks": ("config/actions.csv", "dropped_risks", "risk", "config/risks.csv"),
    "due_action": ("config/risks.csv", "dropped_due_action", "action", "config/actions.csv"),
}


@dataclass(frozen=True)
class DroppedLink:
    """A link in the plan's files to an id the register does not have, left out of the
    reports: from an action (`linked_pis`, `linked_risks`) or a risk (`due_action`)."""

    item_id: str  # the action or risk that names it
    title: str
    owner: str | None
    row: int | None
    column: str  # a key of LINK_KINDS
    linked_id: str  # as written

    @property
    def file(self) -> str:
        return LINK_KINDS[self.column][0]

    @property
    def what(self) -> str:
        return LINK_KINDS[self.column][2]

    @property
    def message(self) -> str:
        file, _, what, register = LINK_KINDS[self.column]
        several = " (ids are separated by ';')" if self.column.startswith("linked_") else ""
        return (
            f"{where(file, self.row, self.column)}: {self.item_id} links to '{self.linked_id}', "
            f"which is not a{'n' if what[0] in 'aeiou' else ''} {what} in {register}, so the "
            f"reports leave that link out — correct the id or remove it{several}"
        )


def dropped_links(actions: pd.DataFrame, risks: pd.DataFrame) -> list[DroppedLink]:
    """Every link the plan's files make to an id the register does not have, actions' first,
    in file order (none from a warehouse written before the register kept them)."""
    found = []
    for items, id_column in ((actions, "action_id"), (risks, "risk_id")):
        for item in items.to_dict("records"):
            row = item.get("source_row")
            for column, (_, kept, _, _) in LINK_KINDS.items():
                ids = item.get(kept)
                if isinstance(ids, str):
                    ids = [ids]
                for linked_id in [] if ids is None or isinstance(ids, float) else list(ids):
                    found.append(
                        DroppedLink(
                            item[id_column],
                            item["title"],
                            item.get("owner"),
                            None if row is None or pd.isna(row) else int(row),
                            column,
                            str(linked_id),
                        )
                    )
    return found


@dataclass
class Plan:
    """The council's actions and risks (each empty when its file is absent)."""

    actions: pd.DataFrame
    risks: pd.DataFrame


def _date(text: str) -> date | None:
    stamp = parse_timestamp(text)  # ISO or UK dd/mm/yyyy, as returns are read
    return stamp.date() if stamp else None


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]


def _score(text: str) -> int:
    value = float(text)
    if value != int(value) or not 1 <= value <= 5:
        raise ValueError(text)
    return int(value)


def read_risks(path: Path, council: Council) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=list(RISK_COLUMNS))
    file = path.name
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    records = read_csv_records(path, REQUIRED_RISK)
    for row, rec in records:
        item: dict[str, Any] = {c: rec.get(c, "") for c in RISK_COLUMNS}
        rid = item["risk_id"]
        if not rid or not PI_ID.match(rid):
            problems.append(f"{where(file, row, 'risk_id')}: '{rid}' is not an id like CR-01")
        elif rid.casefold() in seen:
            problems.append(
                f"{where(file, row, 'risk_id')}: '{rid}' duplicates row {seen[rid.casefold()]}"
            )
        seen.setdefault(rid.casefold(), row)
        if item["theme"] not in council.themes:
            problems.append(
                f"{where(file, row, 'theme')}: '{item['theme']}' is not a theme in council.yaml "
                f"({', '.join(council.themes)})"
            )
        try:
            mail_address(item["owner"])
        except ValueError as exc:
            problems.append(f"{where(file, row, 'owner')}: '{shown(item['owner'])}' {exc}")
        for column in ("likelihood", "impact"):
            try:
                item[column] = _score(item[column])
            except ValueError:
                problems.append(
                    f"{where(file, row, column)}: '{item[column]}' must be a whole number 1 to 5"
                )
        item["appetite"] = item["appetite"].casefold() or None
        for column in ("target_likelihood", "target_impact"):
            try:
                item[column] = _score(item[column]) if item[column] else None
            except ValueError:
                problems.append(
                    f"{where(file, row, column)}: '{item[column]}' must be a whole number 1 to "
                    "5, or blank"
                )
        try:
            item["review_date"] = _date(item["review_date"])
        except ValueError as exc:
            problems.append(f"{where(file, row, 'review_date')}: {exc}")
        for column in ("controls", "due_action"):
            item[column] = item[column] or None
        item["source_row"] = row
        out.append(item)
    if problems:
        raise RegisterError(problems)
    frame = pd.DataFrame(out, columns=list(RISK_COLUMNS))
    header = {key for _, rec in records for key in rec}
    frame.attrs["missing_columns"] = [c for c in MANAGEMENT_COLUMNS if c not in header]
    return frame


def read_actions(
    path: Path, council: Council, pi_ids: set[str], risk_ids: set[str]
) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=list(ACTION_COLUMNS))
    file = path.name
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    pis = {p.casefold(): p for p in pi_ids}
    risks = {r.casefold(): r for r in risk_ids}
    for row, rec in read_csv_records(path, REQUIRED_ACTION):
        item: dict[str, Any] = {c: rec.get(c, "") for c in ACTION_COLUMNS}
        aid = item["action_id"]
        if not aid or not PI_ID.match(aid):
            problems.append(f"{where(file, row, 'action_id')}: '{aid}' is not an id like CP-01")
        elif aid.casefold() in seen:
            problems.append(
                f"{where(file, row, 'action_id')}: '{aid}' duplicates row "
                f"{seen[aid.casefold()]} — each action appears once"
            )
        seen.setdefault(aid.casefold(), row)
        item["kind"] = item["kind"].casefold()
        if item["kind"] not in KINDS:
            problems.append(
                f"{where(file, row, 'kind')}: '{rec.get('kind')}' is not one of {', '.join(KINDS)}"
            )
        if item["theme"] not in council.themes:
            problems.append(
                f"{where(file, row, 'theme')}: '{item['theme']}' is not a theme in council.yaml "
                f"({', '.join(council.themes)})"
            )
        for column in ("owner", "manager"):
            if item[column] or column == "owner":
                try:
                    mail_address(item[column])
                except ValueError as exc:
                    problems.append(f"{where(file, row, column)}: '{shown(item[column])}' {exc}")
        due_text = item["due_date"]
        for column in ("start_date", "due_date"):
            try:
                item[column] = _date(item[column])
            except ValueError as exc:
                problems.append(f"{where(file, row, column)}: {exc}")
                item[column] = None
        if not due_text:
            problems.append(f"{where(file, row, 'due_date')}: empty — every action has a due date")
        for column, known in (("linked_pis", pis), ("linked_risks", risks)):
            dropped = LINK_KINDS[column][1]
            given = _ids(item[column])
            item[column] = [known[i.casefold()] for i in given if i.casefold() in known]
            item[dropped] = [i for i in given if i.casefold() not in known]
        item["source_row"] = row
        item["service"] = item["service"] or None
        item["manager"] = item["manager"] or None
        out.append(item)
    if problems:
        raise RegisterError(problems)
    return pd.DataFrame(out, columns=list(ACTION_COLUMNS))


def load_plan(config_dir: Path, council: Council, pi_ids: set[str]) -> Plan:
    """Both files validated together (an action's linked risks must be in risks.csv)."""
    problems: list[str] = []
    risks = pd.DataFrame(columns=list(RISK_COLUMNS))
    risk_ids: set[str] = set()
    try:
        risks = read_risks(config_dir / "risks.csv", council)
        risk_ids = set(risks["risk_id"])
    except RegisterError as exc:
        problems += exc.problems
        with contextlib.suppress(RegisterError):  # links judged against the ids it does hold
            risk_ids = {
                r.get("risk_id", "")
                for _, r in read_csv_records(config_dir / "risks.csv", ("risk_id",))
            }
    try:
        actions = read_actions(config_dir / "actions.csv", council, pi_ids, risk_ids)
    except RegisterError as exc:
        problems += exc.problems
    if problems:
        raise RegisterError(problems)
    known = {a.casefold(): a for a in actions["action_id"]}  # ids in the register's spelling
    due = [a if isinstance(a, str) else None for a in risks["due_action"]]
    risks["due_action"] = [known.get(a.casefold()) if a else None for a in due]
    risks["dropped_due_action"] = [a if a and a.casefold() not in known else None for a in due]
    return Plan(actions, risks)


def risk_register_notices(risks: pd.DataFrame, appetite: dict[str, int]) -> list[str]:
    """What risks.csv leaves out of managing each risk (the WARN check
    `risk_register_complete`): the issue-27 columns it lacks, a risk without controls, target
    scores, review date or due action, and an appetite council.yaml has no level for. None of
    these stops a run (a due action that is not in actions.csv is a `plan_links_known` error:
    `dropped_links`)."""
    file = "risks.csv"
    missing = risks.attrs.get("missing_columns", [])
    notices = []
    if missing:
        notices.append(
            f"{file}: no {', '.join(missing)} column — add them so the reports can show each "
            "risk's controls, target score, next review and the action due on it "
            '(docs/plan.md, "Managing a risk"); until then the reports show what is there'
        )
    for risk in risks.to_dict("records"):
        rid = risk["risk_id"]
        due = risk.get("due_action")  # one named but not in actions.csv is not blank
        given = {**risk, "due_action": risk.get("dropped_due_action") if is_missing(due) else due}
        blank = [
            c
            for c in MANAGEMENT_COLUMNS
            if c not in missing and (given.get(c) is None or pd.isna(given.get(c)))
        ]
        if blank:
            them = plural(len(blank), "it", "them", number=False)
            notices.append(f"{file}, {rid}: no {', '.join(blank)} — fill {them} in")
        level = risk.get("appetite")
        if not level:
            notices.append(
                f"{file}, {rid}: no appetite — give one of {', '.join(appetite)} (council.yaml "
                "risk_appetite) so the reports can say whether its score is acceptable"
            )
        elif level not in appetite:
            notices.append(
                f"{file}, {rid}: appetite '{level}' is not a level in council.yaml's "
                f"risk_appetite ({', '.join(appetite)}) — use one of them, or add '{level}' "
                "there with the highest score it accepts; until then it is not judged"
            )
    return notices
