"""The returns rules as one Great Expectations suite, validated once per run.

Each expectation carries its rule name in `meta`; the failing row indexes GX reports become
`Issue`s whose messages tell the owner what to change. Everything that depends on the quarter
(its folder, entry window, whether it is report-ready) is a column of the validation frame, so
one validation covers every quarter a run reads: a backfill of forty quarters costs one GX
context and one suite, not forty. Great Expectations costs seconds to import, so it is imported
inside `run_suites`, and this module is only imported from inside the intake step — never when
Dagster loads the code location.
"""

from __future__ import annotations

import copy
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from pm_pipeline.periods import Quarter
from pm_pipeline.quality.rules import ERROR, RETURN_RULES, RULES, Issue
from pm_pipeline.register.load import due_pis

PLACEHOLDER_NOTE = r"(?i)^\s*(?:|n/?a|-+|\.+|x|tbc|tba|none|nil|na|null|unavailable|see above)\s*$"
MIN_UNAVAILABLE_NOTE = 15  # characters: enough to say why ("awaiting DWP data")
MOVEMENT_Z_LIMIT = 3.5
MOVEMENT_MIN_HISTORY = 4
MOVEMENT_HISTORY_QUARTERS = 12
RATE_SCALES = (1, 100, 1_000, 10_000, 100_000)


@dataclass
class Evaluation:
    """Issues found, by rule (every returns rule present), and the rows ERROR rules reject."""

    issues: dict[str, list[Issue]] = field(
        default_factory=lambda: {rule.name: [] for rule in RETURN_RULES}
    )
    rejected: set[int] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, issue: Issue, row_index: int | None = None) -> None:
        self.issues[issue.rule].append(issue)
        if row_index is not None and RULES[issue.rule].severity == ERROR:
            self.rejected.add(row_index)

    def all_issues(self) -> list[Issue]:
        return [i for rule in self.issues.values() for i in rule]


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "blank"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _implied_values(frame: pd.DataFrame) -> pd.Series:
    """Value implied by numerator / denominator: ×100 for percentages, the nearest scale for rates."""
    ratio = frame["numerator"] / frame["denominator"].where(frame["denominator"] != 0, np.nan)
    ratio = ratio.where(frame["denominator"] != 0, np.inf)
    implied = ratio.where(frame["unit"] != "percent", ratio * 100)
    scaled = np.column_stack([ratio * s for s in RATE_SCALES]) if len(frame) else np.empty((0, 5))
    nearest = (
        np.abs(scaled - frame["value"].to_numpy()[:, None]).argmin(axis=1) if len(frame) else []
    )
    rates = pd.Series(
        scaled[np.arange(len(frame)), nearest] if len(frame) else [], index=frame.index
    )
    return implied.where(frame["unit"] != "rate", rates)


def _movement_z(frame: pd.DataFrame, history: pd.DataFrame) -> pd.Series:
    """How unusual each row's change from last quarter is, against the PI's own past changes."""
    z = pd.Series(np.nan, index=frame.index)
    if history.empty:
        return z
    history = history.assign(value=pd.to_numeric(history["value"], errors="coerce").astype(float))
    wide = history.pivot_table(index="pi_id", columns="period", values="value", aggfunc="last")
    for period, rows in frame.groupby("period"):
        keys = [q.key for q in Quarter.from_key(period).history(MOVEMENT_HISTORY_QUARTERS + 1)[:-1]]
        past = wide.reindex(columns=keys)
        changes = past.diff(axis=1).iloc[:, 1:]
        stats = pd.DataFrame(
            {
                "previous": past[keys[-1]],
                "mean": changes.mean(axis=1),
                "std": changes.std(axis=1),
                "n": changes.count(axis=1),
            }
        )
        joined = rows[["pi_id", "value"]].join(stats, on="pi_id")
        usable = (joined["n"] >= MOVEMENT_MIN_HISTORY) & (joined["std"] > 0)
        spread = joined["std"].where(usable)
        z.loc[rows.index] = (joined["value"] - joined["previous"] - joined["mean"]) / spread
    return z


def validation_frame(
    candidates: pd.DataFrame, indicators: pd.DataFrame, history: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Candidate rows (with their folder's `period`) plus register attributes and the derived
    columns the rules test, including each row's quarter-dependent limits."""
    attrs = indicators.set_index("pi_id")[
        ["title", "type", "unit", "frequency", "decimals", "valid_min", "valid_max", "owner"]
    ]
    frame = candidates.reset_index(drop=True).join(attrs, on="pi_id")
    for column in ("value", "numerator", "denominator", "valid_min", "valid_max"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    windows = {key: Quarter.from_key(key).entry_window for key in frame["period"].drop_duplicates()}
    frame["window_start"] = pd.to_datetime(
        frame["period"].map(lambda k: datetime.combine(windows[k][0], time.min))
    )
    frame["window_end"] = pd.to_datetime(
        frame["period"].map(
            lambda k: (
                datetime.combine(windows[k][1] + timedelta(days=1), time.min) - timedelta(seconds=1)
            )
        )
    )
    frame["report_ready"] = frame["period"].map(lambda k: as_of > windows[k][1]).astype(bool)
    tolerance = 0.5 * 10.0 ** -frame["decimals"].fillna(2) + 1e-9
    frame["implied_value"] = _implied_values(frame)
    frame["ratio_excess"] = (frame["value"] - frame["implied_value"]).abs() - tolerance
    is_count = frame["unit"] == "count"
    natural_min = (is_count | (frame["unit"] == "percent")).map({True: 0.0, False: np.nan})
    natural_max = (frame["unit"] == "percent").map({True: 100.0, False: np.nan})
    frame["lower_bound"] = pd.concat([frame["valid_min"], natural_min], axis=1).max(axis=1)
    frame["upper_bound"] = pd.concat([frame["valid_max"], natural_max], axis=1).min(axis=1)
    frame["note_text"] = frame["note"].fillna("")
    frame["count_fraction"] = (frame["value"] - frame["value"].round()).abs().where(is_count)
    own = candidates[["pi_id", "period", "value"]]
    frame["movement_z"] = _movement_z(frame, pd.concat([history, own], ignore_index=True))
    return frame


def due_returns(
    candidates: pd.DataFrame, indicators: pd.DataFrame, quarters: Sequence[Quarter]
) -> pd.DataFrame:
    """One row per return owed (period, pi_id), and whether any row in the files gives it."""
    owed = pd.concat(
        [due_pis(indicators, q)[["pi_id"]].assign(period=q.key) for q in quarters],
        ignore_index=True,
    )
    given = candidates[["period", "pi_id"]].drop_duplicates().assign(returned=True)
    owed = owed.merge(given, on=["period", "pi_id"], how="left")
    return owed.assign(returned=owed["returned"].fillna(False).astype(bool))


def _completeness() -> list:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="returned", value_set=[True], meta={"rule": "returns_complete"}
        )
    ]


def _expectations(indicators: pd.DataFrame) -> list:
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    e = gx.expectations
    suite = [
        e.ExpectColumnValuesToBeInSet(
            column="pi_id", value_set=list(indicators["pi_id"]), meta={"rule": "pi_in_register"}
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "pi_id"], meta={"rule": "one_return_per_pi"}
        ),
        e.ExpectColumnPairValuesToBeEqual(
            column_A="stated_period", column_B="period", meta={"rule": "period_matches_folder"}
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="value",
            row_condition=Column("status") != "unavailable",
            meta={"rule": "value_present"},
        ),
        e.ExpectColumnValuesToNotMatchRegex(
            column="note_text", regex=PLACEHOLDER_NOTE, meta={"rule": "note_present"}
        ),
        e.ExpectColumnValueLengthsToBeBetween(
            column="note",
            min_value=MIN_UNAVAILABLE_NOTE,
            row_condition=Column("status") == "unavailable",
            meta={"rule": "note_present", "detail": "why"},
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="value",
            column_B="lower_bound",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"rule": "value_in_range", "detail": "low"},
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="upper_bound",
            column_B="value",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"rule": "value_in_range", "detail": "high"},
        ),
        e.ExpectColumnValuesToBeBetween(
            column="count_fraction",
            max_value=0,
            meta={"rule": "value_in_range", "detail": "whole_count"},
        ),
        e.ExpectColumnValuesToBeBetween(
            column="ratio_excess", max_value=0, meta={"rule": "numerator_denominator_agree"}
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="submitted_at",
            column_B="window_start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"rule": "submitted_on_time", "detail": "early"},
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="window_end",
            column_B="submitted_at",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"rule": "submitted_on_time", "detail": "late"},
        ),
        e.ExpectColumnValuesToBeBetween(
            column="movement_z",
            min_value=-MOVEMENT_Z_LIMIT,
            max_value=MOVEMENT_Z_LIMIT,
            meta={"rule": "movement_usual"},
        ),
        e.ExpectColumnValuesToNotBeInSet(
            column="status",
            value_set=["provisional"],
            row_condition=Column("report_ready") == True,  # noqa: E712
            meta={"rule": "final_figures"},
        ),
    ]
    return suite


def run_suites(batches: Sequence[tuple[pd.DataFrame, list]]) -> list[list]:
    """Validate each frame against its expectations in one ephemeral GX context.

    A first pass asks only pass/fail (cheap); the expectations that failed are run again for
    their failing row indexes. On a clean quarter the second pass does nothing.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("returns")
    results: list[list] = []
    for n, (frame, expectations) in enumerate(batches):
        batch = (
            source.add_dataframe_asset(f"frame_{n}")
            .add_batch_definition_whole_dataframe("run")
            .get_batch(batch_parameters={"dataframe": frame})
        )
        quick = context.suites.add(
            gx.ExpectationSuite(name=f"quick_{n}", expectations=expectations)
        )
        failed = [
            copy.copy(r.expectation_config.to_domain_obj())
            for r in batch.validate(quick, result_format={"result_format": "BOOLEAN_ONLY"}).results
            if not r.success and r.expectation_config is not None  # a suite's results carry theirs
        ]
        if not failed:
            results.append([])
            continue
        full = context.suites.add(gx.ExpectationSuite(name=f"full_{n}", expectations=failed))
        complete = batch.validate(full, result_format={"result_format": "COMPLETE"})
        results.append([r for r in complete.results if not r.success])
    return results


def evaluate_returns(
    candidates: pd.DataFrame,
    indicators: pd.DataFrame,
    quarters: Sequence[Quarter],
    history: pd.DataFrame,
    as_of: date,
) -> Evaluation:
    """Every returns rule on the candidate rows of `quarters` (rows carry their folder's
    `period`); row indexes in the result refer to `candidates`' positions."""
    frame = validation_frame(candidates, indicators, history, as_of)
    outcome = Evaluation()
    still_open = [q for q in quarters if as_of <= q.entry_window[1]]
    if still_open:
        outcome.notes["final_figures"] = (
            "Provisional figures are allowed until the entry window "
            "closes: " + ", ".join(f"{q.label} on {q.entry_window[1]:%d/%m/%Y}" for q in still_open)
        )
    due = due_returns(frame, indicators, quarters)
    row_results, due_results = run_suites(
        [(frame, _expectations(indicators)), (due, _completeness())]
    )
    failing: dict[tuple[str, str], list[int]] = defaultdict(list)
    for result in row_results:
        meta = result.expectation_config.meta or {}
        failing[(meta["rule"], meta.get("detail", ""))] += list(
            result.result.get("unexpected_index_list") or []
        )
    messages = _Messages(frame, indicators)
    for (rule, detail), indexes in failing.items():
        for index in sorted(set(indexes)):
            outcome.add(messages.issue(rule, detail, int(index)), int(index))
    for result in due_results:
        for index in result.result.get("unexpected_index_list") or []:
            owed = due.loc[int(index)]
            outcome.add(messages.missing(owed["pi_id"], Quarter.from_key(owed["period"])))
    return outcome


class _Messages:
    """Plain-English messages: what is wrong, where, and what to do about it."""

    def __init__(self, frame: pd.DataFrame, indicators: pd.DataFrame):
        self.frame = frame
        self.indicators = indicators

    def _issue(self, rule: str, row: pd.Series, message: str) -> Issue:
        return Issue(
            rule,
            row["pi_id"],
            row["source_file"],
            int(row["source_row"]),
            row["raw_value"] if isinstance(row["raw_value"], str) else _fmt(row["value"]),
            message,
            owner=row["owner"] if isinstance(row["owner"], str) else row["submitted_by"],
            period=row["period"],
        )

    def issue(self, rule: str, detail: str, index: int) -> Issue:
        row = self.frame.loc[index]
        quarter = Quarter.from_key(row["period"])
        pid, where = row["pi_id"], f"{row['source_file']} row {int(row['source_row'])}"
        value = _fmt(row["value"])
        text = {
            "pi_in_register": lambda: (
                f"{pid} in {where} is not a PI in the register{row['raw_id_hint']} — check the "
                "id against your list of PIs, or ask the performance team to add it"
            ),
            "one_return_per_pi": lambda: self._duplicates(row, quarter),
            "period_matches_folder": lambda: (
                f"{pid} in {where} says {Quarter.from_key(row['stated_period']).label} but the "
                f"file is in the {quarter.label} folder — correct the period, or move the row to "
                f"the {Quarter.from_key(row['stated_period']).folder} folder"
            ),
            "value_present": lambda: (
                f"{pid} in {where} has no value — enter the figure, or set status to "
                "unavailable and say why in the note"
            ),
            "note_present": lambda: (
                f"{pid} in {where} is unavailable but the note does not say why — explain why "
                "the figure is delayed or unavailable and when it is expected"
                if detail == "why"
                else f"{pid} in {where} has no explanatory note — add a sentence anyone can "
                "understand explaining the figure"
            ),
            "value_in_range": lambda: self._range(row, detail, where),
            "numerator_denominator_agree": lambda: (
                f"{pid} in {where} is {value} but numerator {_fmt(row['numerator'])} / "
                f"denominator {_fmt(row['denominator'])} gives {_fmt(row['implied_value'])} — "
                "correct the value, the numerator or the denominator"
            ),
            "submitted_on_time": lambda: self._timing(row, detail, where, quarter),
            "movement_usual": lambda: (
                f"{pid} in {where} is {value}, a change from last quarter far outside its usual "
                "quarter-to-quarter movement — check the figure, and explain the change in the note"
            ),
            "final_figures": lambda: (
                f"{pid} in {where} is still provisional after the data-entry window closed on "
                f"{quarter.entry_window[1]:%d/%m/%Y} — confirm the final figure and set status "
                "to final"
            ),
        }[rule]()
        return self._issue(rule, row, text)

    def _duplicates(self, row: pd.Series, quarter: Quarter) -> str:
        same = self.frame[
            (self.frame["pi_id"] == row["pi_id"]) & (self.frame["period"] == row["period"])
        ]
        places = ", ".join(f"{r.source_file} row {int(r.source_row)}" for r in same.itertuples())
        return (
            f"{row['pi_id']} has {len(same)} returns for {quarter.label} ({places}) — keep one "
            "and delete the others"
        )

    def _range(self, row: pd.Series, detail: str, where: str) -> str:
        pid, value, unit = row["pi_id"], _fmt(row["value"]), row["unit"]
        own_min = -np.inf if pd.isna(row["valid_min"]) else row["valid_min"]
        own_max = np.inf if pd.isna(row["valid_max"]) else row["valid_max"]
        if detail == "whole_count":
            problem = "a count must be a whole number"
        elif unit == "percent" and (
            (detail == "low" and own_min <= 0) or (detail == "high" and own_max >= 100)
        ):
            problem = "a percentage must be between 0 and 100"
        elif unit == "count" and detail == "low" and own_min <= 0:
            problem = "a count cannot be negative"
        elif detail == "low":
            problem = f"{pid} cannot be below {_fmt(row['valid_min'])}"
        else:
            problem = f"{pid} cannot be above {_fmt(row['valid_max'])}"
        return f"{pid} in {where} is {value} but {problem} — correct the value and save the file"

    def _timing(self, row: pd.Series, detail: str, where: str, quarter: Quarter) -> str:
        submitted = row["submitted_at"]
        if detail == "early":
            return (
                f"{row['pi_id']} in {where} was submitted on {submitted:%d/%m/%Y}, before "
                f"{quarter.label} ended — check the figure covers the whole quarter"
            )
        return (
            f"{row['pi_id']} in {where} was submitted on {submitted:%d/%m/%Y}, after the "
            f"data-entry window closed on {quarter.entry_window[1]:%d/%m/%Y} — please submit "
            "within the first three weeks next quarter"
        )

    def missing(self, pi_id: str, quarter: Quarter) -> Issue:
        pi = self.indicators.set_index("pi_id").loc[pi_id]
        manager = f" (manager: {pi['manager']})" if isinstance(pi["manager"], str) else ""
        return Issue(
            "returns_complete",
            pi_id,
            None,
            None,
            None,
            f"{pi_id} ({pi['title']}) has no return for {quarter.label} — {pi['owner']} to "
            f"submit it in returns/{quarter.folder}/{manager}",
            owner=pi["owner"],
            period=quarter.key,
        )
