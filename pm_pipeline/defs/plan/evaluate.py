"""The plan rules (`quality/plan_rules.py`) as Great Expectations, run on a quarter's updates.

As for the returns (`quality/evaluate.py`), pandas derives what GX cannot compute (the
register's id joined to each row, the action's effective due date, last quarter's status, the
actions owed an update) and GX checks it; each failing row becomes an `Issue` whose message
says what to change. ERROR rules keep a row out of `action_updates` / `risk_updates`.
Great Expectations is imported inside functions only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pm_pipeline.core.checks import ERROR
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.sheets import shown
from pm_pipeline.defs.plan.config import dropped_links
from pm_pipeline.defs.plan.linking import risk_scores, risks_without_action
from pm_pipeline.defs.plan.updates import CLOSED, UpdatesRead
from pm_pipeline.defs.quality.rules import RULES, Issue
from pm_pipeline.defs.quality.suite import PLACEHOLDER_NOTE

OWED = "updates owed"
LINK_RULE = "plan_links_known"
MESSAGES: dict[tuple[str, str], str] = {
    ("action_id_known", ""): "{id} in {where} is not an action in config/actions.csv — check "
    "the id against your list of actions, or ask the performance team to add it",
    ("action_id_known", "once"): "{id} has more than one update for {quarter} ({where}) — keep "
    "one and delete the others",
    ("action_note_present", ""): "{id} in {where} has no note — say what was done this quarter, "
    "or why it slipped",
    ("action_percent_valid", "range"): "{id} in {where} is {percent}% complete — give a "
    "percentage from 0 to 100",
    ("action_percent_valid", "complete"): "{id} in {where} is {percent}% complete but its status "
    "is {status} — 100% is for a complete action: set the status to complete, or correct the "
    "percentage",
    ("action_updates_complete", ""): "{id} ({title}) has no update for {quarter} — {owner} to "
    "add a row to an action update file in returns/{folder}/",
    ("action_not_overdue", ""): "{id} in {where} was due on {due} and is {status} at "
    "{percent}% — give a revised due date and say in the note what is being done",
    ("action_not_reopened", ""): "{id} in {where} was reported complete last quarter but is "
    "now {status} — if it was reopened, say why in the note; if not, correct the status",
    ("risk_id_known", ""): "{id} in {where} is not a risk in config/risks.csv — check the id, "
    "or ask the performance team to add it",
    ("risk_id_known", "once"): "{id} has more than one update for {quarter} ({where}) — keep "
    "one and delete the others",
    ("risk_note_present", ""): "{id} in {where} has no note — explain the scores and what "
    "controls are in place",
    ("risk_score_in_range", ""): "{id} in {where} is scored likelihood {likelihood}, impact "
    "{impact} — each score is a whole number from 1 (lowest) to 5 (highest)",
    ("risk_over_appetite_has_action", ""): "{id} ({title}) scores {score} in {quarter} "
    "(likelihood {likelihood} x impact {impact}), beyond its {appetite} appetite (at most "
    "{limit}), and no open action answers it — name the action due on it in risks.csv's "
    "due_action column, or link an action to {id} in actions.csv's linked_risks",
}


def _meta(rule: str, detail: str = "", table: str = "") -> dict[str, Any]:
    meta = {"rule": rule, "severity": RULES[rule].severity, "detail": detail}
    return {**meta, "table": table} if table else meta


def action_expectations() -> list:
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    e = gx.expectations
    return [
        e.ExpectColumnPairValuesToBeEqual(
            column_A="action_id", column_B="register_id", meta=_meta("action_id_known")
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "action_id"], meta=_meta("action_id_known", "once")
        ),
        e.ExpectColumnValuesToNotBeNull(column="note", meta=_meta("action_note_present")),
        e.ExpectColumnValuesToNotMatchRegex(
            column="note", regex=PLACEHOLDER_NOTE, meta=_meta("action_note_present")
        ),
        e.ExpectColumnValuesToBeBetween(
            column="percent_complete",
            min_value=0,
            max_value=100,
            meta=_meta("action_percent_valid", "range"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="status",
            value_set=["complete"],
            row_condition=Column("percent_complete") == 100,
            meta=_meta("action_percent_valid", "complete"),
        ),
        e.ExpectColumnValuesToBeBetween(
            column="percent_complete",
            min_value=100,
            row_condition=Column("status") == "complete",
            meta=_meta("action_percent_valid", "complete"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="returned", value_set=[True], meta=_meta("action_updates_complete", "", OWED)
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="effective_due",
            column_B="quarter_end",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            row_condition=Column("open") == True,  # noqa: E712 (a GX condition)
            meta=_meta("action_not_overdue"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="status",
            value_set=["complete"],
            row_condition=Column("previous_status") == "complete",
            meta=_meta("action_not_reopened"),
        ),
    ]


def risk_expectations() -> list:
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectColumnPairValuesToBeEqual(
            column_A="risk_id", column_B="register_id", meta=_meta("risk_id_known")
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "risk_id"], meta=_meta("risk_id_known", "once")
        ),
        e.ExpectColumnValuesToNotBeNull(column="note", meta=_meta("risk_note_present")),
        e.ExpectColumnValuesToNotMatchRegex(
            column="note", regex=PLACEHOLDER_NOTE, meta=_meta("risk_note_present")
        ),
        *(
            e.ExpectColumnValuesToBeInSet(
                column=column, value_set=[1, 2, 3, 4, 5], meta=_meta("risk_score_in_range")
            )
            for column in ("likelihood", "impact")
        ),
        *(
            e.ExpectColumnValuesToNotBeNull(column=column, meta=_meta("risk_score_in_range"))
            for column in ("likelihood", "impact")
        ),
    ]


@dataclass
class PlanOutcome:
    """A quarter's updates judged: accepted rows of each kind and the owners' issues."""

    actions: pd.DataFrame
    risks: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)


def last_status(earlier: pd.DataFrame) -> dict[str, str]:
    """Each action's status in its latest update before the quarter."""
    ordered = earlier.sort_values("period")
    return dict(zip(ordered["action_id"], ordered["status"], strict=True))


def action_frame(
    updates: pd.DataFrame, register: pd.DataFrame, quarter: Quarter, earlier: pd.DataFrame
) -> pd.DataFrame:
    frame = updates.reset_index(drop=True).assign(period=quarter.key)
    reg = register.set_index("action_id")
    frame["register_id"] = frame["action_id"].where(frame["action_id"].isin(reg.index))
    due = pd.to_datetime(frame["action_id"].map(reg["due_date"]) if len(reg) else None)
    revised = pd.to_datetime(frame["revised_due_date"])
    frame["effective_due"] = revised.fillna(due) if len(frame) else revised
    frame["quarter_end"] = pd.Timestamp(quarter.end)
    frame["open"] = ~frame["status"].isin(CLOSED)
    previous = earlier[earlier["period"] == quarter.previous.key]
    frame["previous_status"] = frame["action_id"].map(
        dict(zip(previous["action_id"], previous["status"], strict=True))
    )
    frame["percent_complete"] = pd.to_numeric(frame["percent_complete"]).astype(float)
    return frame


def actions_owed(
    register: pd.DataFrame, updates: pd.DataFrame, quarter: Quarter, earlier: pd.DataFrame
) -> pd.DataFrame:
    """Open actions due in or before the quarter (closed in no earlier update), and whether
    the quarter's files give an update for each. Without earlier quarters' updates (a
    quarter built alone) only the actions due in the quarter are owed."""
    closed = {a for a, s in last_status(earlier).items() if s in CLOSED}
    due_date = pd.to_datetime(register["due_date"])
    due = due_date <= pd.Timestamp(quarter.end)
    if earlier.empty:  # no earlier quarter read: an action due before it may long be done
        due &= due_date >= pd.Timestamp(quarter.start)
    owed = register[due & ~register["action_id"].isin(closed)]
    given = set(updates["action_id"])
    return owed.assign(returned=owed["action_id"].isin(given)).reset_index(drop=True)


def updates_outstanding(
    actions: pd.DataFrame,
    risks: pd.DataFrame,
    given: UpdatesRead,
    quarter: Quarter,
    earlier: pd.DataFrame,
) -> pd.DataFrame:
    """The reminder list's rows for the plan: actions owed an update (as the rule counts them)
    and risks not yet re-scored this quarter, with no row in the quarter's files yet."""
    owed = actions_owed(actions, given.frame("action_id"), quarter, earlier)
    owed = owed[~owed["returned"]]
    owed = owed.assign(pi_id=owed["action_id"], frequency="action update")
    have = set(given.frame("risk_id")["risk_id"])
    scored = risks[~risks["risk_id"].isin(have)]
    scored = scored.assign(pi_id=scored["risk_id"], service=scored["theme"], manager=None)
    columns = ["owner", "manager", "pi_id", "title", "service", "frequency"]
    return pd.concat(
        [owed.reindex(columns=columns), scored.assign(frequency="risk update")[columns]],
        ignore_index=True,
    )


def risk_frame(updates: pd.DataFrame, register: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    frame = updates.reset_index(drop=True).assign(period=quarter.key)
    frame["register_id"] = frame["risk_id"].where(frame["risk_id"].isin(set(register["risk_id"])))
    for column in ("likelihood", "impact"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def _failing(
    tables: dict[str, pd.DataFrame], expectations: list, name: str, source: Any
) -> dict[tuple, list[int]]:
    """(rule, detail, table) -> failing row indexes, from one GX validation per table."""
    from pm_pipeline.defs.quality.evaluate import validate

    found: dict[tuple, list[int]] = defaultdict(list)
    by_table: dict[str, list] = defaultdict(list)
    for spec in expectations:
        by_table[spec.meta.get("table", "")].append(spec)
    for table, specs in by_table.items():
        data = tables[table]
        if data.empty:
            continue
        batch = source.add_dataframe_asset(f"{name}{table}").add_batch_definition_whole_dataframe(
            "run"
        )
        for result in validate(batch, data, name, specs).results:
            if result.success:
                continue
            meta = result.expectation_config.meta
            key = (meta["rule"], meta.get("detail", ""), table)
            found[key] += [int(i) for i in result.result.get("unexpected_index_list") or []]
    return found


def _day(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{value:%d/%m/%Y}"


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "blank"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def evaluate_plan(
    quarter: Quarter,
    actions: pd.DataFrame,
    risks: pd.DataFrame,
    action_updates: pd.DataFrame,
    risk_updates: pd.DataFrame,
    earlier_actions: pd.DataFrame,
) -> PlanOutcome:
    """Every plan rule on one quarter's candidate updates."""
    frame = action_frame(action_updates, actions, quarter, earlier_actions)
    owed = actions_owed(actions, frame, quarter, earlier_actions)
    rframe = risk_frame(risk_updates, risks, quarter)
    issues: list[Issue] = []
    rejected: dict[str, set[int]] = {"action": set(), "risk": set()}
    owners = {
        "action": dict(zip(actions["action_id"], actions["owner"], strict=True)),
        "risk": dict(zip(risks["risk_id"], risks["owner"], strict=True)),
    }
    checked = [
        (kind, data, expectations)
        for kind, data, expectations in (
            ("action", frame, action_expectations),
            ("risk", rframe, risk_expectations),
        )
        if not (data.empty and owed.empty)
    ]
    source = None
    if checked:  # a council with no plan, or a quarter with nothing owed, never starts GX
        from pm_pipeline.defs.quality.evaluate import gx_context

        source = gx_context().data_sources.add_or_update_pandas("plan")  # one per quarter
    for kind, data, expectations in checked:
        tables = {"": data, OWED: owed}
        specs = expectations()
        for (rule, detail, table), indexes in _failing(tables, specs, kind, source).items():
            if table:
                issues += [_missing(owed.loc[i], quarter) for i in sorted(set(indexes))]
                continue
            for i in sorted(set(indexes)):
                row = data.loc[i]
                rid = row[f"{kind}_id"]
                where = f"{row['source_file']} row {int(row['source_row'])}"
                fields = {
                    "id": shown(str(rid)),
                    "where": where,
                    "quarter": quarter.label,
                    "status": str(row.get("status", "")).replace("_", " "),
                    "percent": _fmt(row.get("percent_complete")),
                    "likelihood": _fmt(row.get("likelihood")),
                    "impact": _fmt(row.get("impact")),
                    "due": _day(row.get("effective_due")),
                }
                issues.append(
                    Issue(
                        rule,
                        rid,
                        row["source_file"],
                        int(row["source_row"]),
                        None,
                        MESSAGES[(rule, detail)].format(**fields),
                        owner=owners[kind].get(rid),  # else the file's owner: fill_owners
                        period=quarter.key,
                    )
                )
                if RULES[rule].severity == ERROR:
                    rejected[kind].add(i)
    accepted_actions = frame.drop(index=sorted(rejected["action"]))
    accepted_risks = rframe.drop(index=sorted(rejected["risk"]))
    accepted_risks = accepted_risks.assign(
        score=accepted_risks["likelihood"] * accepted_risks["impact"]
    )
    return PlanOutcome(accepted_actions, accepted_risks, issues)


def fill_owners(
    issues: list[Issue], given: UpdatesRead, actions: pd.DataFrame, risks: pd.DataFrame
) -> None:
    """An issue with no owner (an unknown id, an unreadable row) goes to whoever owns most of
    the ids in its file, as the returns' issues do."""
    owners = {
        **dict(zip(actions["action_id"], actions["owner"], strict=True)),
        **dict(zip(risks["risk_id"], risks["owner"], strict=True)),
    }
    by_file: dict[str, Counter] = defaultdict(Counter)
    for id_column in ("action_id", "risk_id"):
        rows = given.frame(id_column)
        for source_file, rid in zip(rows["source_file"], rows[id_column], strict=True):
            if rid in owners:
                by_file[source_file][owners[rid]] += 1
    for issue in issues:
        if not issue.owner and issue.source_file in by_file:
            issue.owner = by_file[issue.source_file].most_common(1)[0][0]


def _missing(owed: pd.Series, quarter: Quarter) -> Issue:
    manager = f" (manager: {owed['manager']})" if isinstance(owed["manager"], str) else ""
    message = MESSAGES[("action_updates_complete", "")].format(
        id=owed["action_id"],
        title=owed["title"],
        quarter=quarter.label,
        owner=owed["owner"],
        folder=quarter.folder,
    )
    return Issue(
        "action_updates_complete",
        owed["action_id"],
        None,
        None,
        None,
        message + manager,
        owner=owed["owner"],
        period=quarter.key,
    )


def unanswered_risks(
    quarter: Quarter,
    risks: pd.DataFrame,
    risk_updates: pd.DataFrame,
    actions: pd.DataFrame,
    action_updates: pd.DataFrame,
    appetite: dict[str, int],
) -> list[Issue]:
    """`risk_over_appetite_has_action`: each risk whose score by the quarter (its latest
    accepted update, else risks.csv's) is beyond its appetite and that no open action answers,
    for its owner (scored as the reports score it: `linking.risk_scores`)."""
    if risks.empty:
        return []
    scores = risk_scores(risks, risk_updates, quarter.key, appetite)
    missing = risks_without_action(scores, actions, action_updates, quarter.key)
    return [
        Issue(
            "risk_over_appetite_has_action",
            r["risk_id"],
            None,
            None,
            str(r["current"]),
            MESSAGES[("risk_over_appetite_has_action", "")].format(
                id=r["risk_id"],
                title=r["title"],
                score=r["current"],
                quarter=quarter.label,
                likelihood=r["current_likelihood"],
                impact=r["current_impact"],
                appetite=r["appetite"],
                limit=r["appetite_limit"],
            ),
            owner=r["owner"],
            period=quarter.key,
        )
        for r in missing.to_dict("records")
    ]


def link_issues(actions: pd.DataFrame, risks: pd.DataFrame, quarter: Quarter) -> list[Issue]:
    """The quarter's `plan_links_known` rows: each link in the plan's files to an id the
    register does not have, for the owner of the action or risk that makes it (the quarter's
    reports say the link was left out)."""
    return [
        Issue(
            LINK_RULE,
            link.item_id,
            link.file,
            link.row,
            link.linked_id,
            link.message,
            owner=link.owner,
            period=quarter.key,
        )
        for link in dropped_links(actions, risks)
    ]
