"""Run the returns suite (`suite.py`) once per run, and turn its failures into owners' issues.

Pandas derives the columns GX cannot compute (listed in `suite.py`); GX checks them. Everything
that depends on the quarter (its folder, entry window, whether it is report-ready) is a column of
the validation frame, so one validation covers every quarter a run reads: a backfill of forty
quarters costs one GX context and one validation, not forty. The failing row indexes GX reports
become `Issue`s whose messages (templates in the suite's `meta`) tell the owner what to change.
Great Expectations costs seconds to import, so it is imported inside functions, and this module
is only imported from inside the intake step — never when Dagster loads the code location.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pm_pipeline.core.checks import ERROR
from pm_pipeline.core.periods import Month, Quarter, ReturnPeriod
from pm_pipeline.core.sheets import shown
from pm_pipeline.defs.quality.rules import RETURN_RULES, RULES, Issue
from pm_pipeline.defs.quality.suite import (
    COLUMNS,
    MESSAGES,
    OWED,
    RETURNS_SUITE,
    returns_expectations,
)
from pm_pipeline.defs.register.load import returns_owed

PLACES_SHOWN = 5  # a duplicate's message names this many of the other rows, then counts them
MOVEMENT_MIN_HISTORY = 4
MOVEMENT_HISTORY_QUARTERS = 12
RATE_SCALES = (1, 100, 1_000, 10_000, 100_000)


@dataclass
class Evaluation:
    """Issues found, by rule (every returns rule present), and the rows ERROR rules reject;
    the validated frame and the returns owed are kept for the Data Docs."""

    frame: pd.DataFrame
    owed: pd.DataFrame
    issues: dict[str, list[Issue]] = field(
        default_factory=lambda: {rule.name: [] for rule in RETURN_RULES}
    )
    rejected: set[int] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)
    validations: list = field(default_factory=list)  # GX's results, the Data Docs' record

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


def _ratio_parts_given(rows: pd.DataFrame, indicators: pd.DataFrame) -> pd.Series:
    """False where a PI the register declares a ratio (not one defaulted from its unit, nor a
    rolling one) has a return with a value but no numerator or no denominator
    (docs/contracts.md, "Register files": measure)."""
    measure = indicators.set_index("pi_id").get("measure")
    rolling = indicators.set_index("pi_id").get("rolling")
    declared = indicators.set_index("pi_id").get("measure_declared")
    if measure is None:  # a register from before measures
        return pd.Series(True, index=rows.index)
    ratio = rows["pi_id"].map(measure).eq("ratio")
    if declared is not None:
        ratio &= rows["pi_id"].map(declared.fillna(True).astype(bool)).fillna(True).astype(bool)
    if rolling is not None:
        ratio &= ~rows["pi_id"].map(rolling.fillna(False).astype(bool)).fillna(False).astype(bool)
    numbers = {
        c: pd.to_numeric(rows[c], errors="coerce") for c in ("value", "numerator", "denominator")
    }
    lacking = numbers["numerator"].isna() | numbers["denominator"].isna()
    return ~(ratio & numbers["value"].notna() & lacking)


def _movement_z(
    frame: pd.DataFrame, history: pd.DataFrame, periods: Mapping[str, ReturnPeriod]
) -> pd.Series:
    """How unusual each row's change from last quarter (or month) is, against the PI's own
    past changes."""
    z = pd.Series(np.nan, index=frame.index)
    if history.empty:
        return z
    history = history.assign(value=pd.to_numeric(history["value"], errors="coerce").astype(float))
    wide = history.pivot_table(index="pi_id", columns="period", values="value", aggfunc="last")
    for period, rows in frame.groupby("period"):
        keys = [q.key for q in periods[period].history(MOVEMENT_HISTORY_QUARTERS + 1)[:-1]]
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


def period_map(periods: Sequence[ReturnPeriod], keys: pd.Series) -> dict[str, ReturnPeriod]:
    """Each key a run reads, as its period: a quarter's and a month's key can be the same
    string (`2026-07-01`), so the run's own periods say which it is (quarters otherwise)."""
    given: dict[str, ReturnPeriod] = {p.key: p for p in periods}
    return {k: given.get(k) or Quarter.from_key(k) for k in keys.drop_duplicates()}


def validation_frame(
    candidates: pd.DataFrame,
    indicators: pd.DataFrame,
    history: pd.DataFrame,
    as_of: date,
    periods: Sequence[ReturnPeriod] = (),
) -> pd.DataFrame:
    """Candidate rows (with their folder's `period`) plus register attributes and the derived
    columns the rules test, including each row's period-dependent limits."""
    attrs = indicators.set_index("pi_id")[
        ["title", "type", "unit", "frequency", "decimals", "valid_min", "valid_max", "owner"]
    ]
    frame = candidates.reset_index(drop=True).join(attrs, on="pi_id")
    frame["ratio_parts_given"] = _ratio_parts_given(candidates.reset_index(drop=True), indicators)
    for column in ("value", "numerator", "denominator", "valid_min", "valid_max"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    by_key = period_map(periods, frame["period"])
    windows = {key: period.entry_window for key, period in by_key.items()}
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
    frame["count_fraction"] = (frame["value"] - frame["value"].round()).abs().where(is_count)
    frame["register_pi_id"] = frame["pi_id"].where(frame["type"].notna())
    own = candidates[["pi_id", "period", "value"]]
    frame["movement_z"] = _movement_z(frame, pd.concat([history, own], ignore_index=True), by_key)
    # a cumulative (year-to-date) figure starts again each April: no unusual movement then
    measure = frame["pi_id"].map(indicators.set_index("pi_id").get("measure", pd.Series()))
    year_start = frame["period"].map(lambda k: by_key[k].start.month == 4).astype(bool)
    frame.loc[measure.eq("cumulative") & year_start, "movement_z"] = np.nan
    in_month = frame["period"].map(lambda k: isinstance(by_key[k], Month)).astype(bool)
    # an unknown PI (no frequency) is pi_in_register's to report
    frame["frequency_fits"] = frame["frequency"].isna() | (
        frame["frequency"].eq("monthly") == in_month
    )
    return frame


def due_returns(
    frame: pd.DataFrame, indicators: pd.DataFrame, quarters: Sequence[ReturnPeriod]
) -> pd.DataFrame:
    """One row per return owed (period, pi_id), and whether any row in the files gives it."""
    owed = pd.concat(
        [returns_owed(indicators, q)[["pi_id"]].assign(period=q.key) for q in quarters],
        ignore_index=True,
    )
    given = frame[["period", "pi_id"]].drop_duplicates().assign(returned=True)
    owed = owed.merge(given, on=["period", "pi_id"], how="left")
    return owed.assign(returned=owed["returned"].fillna(False).astype(bool))


def gx_context(mode: str = "ephemeral", root: Path | None = None):
    """A GX context without progress bars or analytics (imports Great Expectations)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = (
        gx.get_context(mode="file", project_root_dir=str(root))
        if mode == "file"
        else gx.get_context(mode="ephemeral")
    )
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def gx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the suite reads, in the dtypes GX's pandas engine is fast with.

    GX checks nulls, filters rows (each row condition copies the frame) and fingerprints the
    frame many times per validation; over pandas' string dtype each of those loops in Python.
    Short codes become categoricals (a pair compared for equality shares one set of
    categories, as pandas requires) and the notes plain objects: about half GX's time on
    100,000 returns.
    """
    out = frame[COLUMNS].copy()
    for pair in (("pi_id", "register_pi_id"), ("period", "stated_period")):
        categories = pd.Index(pd.concat([out[c] for c in pair]).dropna().unique())
        for column in pair:
            out[column] = pd.Categorical(out[column], categories=categories)
    for column in ("status", "unit"):
        out[column] = out[column].astype("category")
    return out.astype({"note": object})


def split_suite() -> tuple[list, list]:
    """The suite's expectations on the returns' rows, and those on the table of returns owed."""
    expectations = returns_expectations()
    owed = [e for e in expectations if e.meta.get("table") == OWED]
    return [e for e in expectations if e not in owed], owed


def validate(batch_definition, data: pd.DataFrame, suite_name: str, expectations: list):
    """The suite's result with every failing row's index (GX's COMPLETE result format).

    One pass: asking pass/fail first and then only the failed expectations for their rows saves
    time on a clean frame but costs more as soon as a few expectations fail, as most quarters'
    do (measured on 100,000 returns with a few rows breaking each rule: 0.7 s against 0.8-1.4 s).
    """
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(
        batch_definition, result_format="COMPLETE", batch_parameters={"dataframe": data}
    )
    suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
    return validator.validate_expectation_suite(suite)


def run_suite(frame: pd.DataFrame, owed: pd.DataFrame, context=None) -> list:
    """Validate the rows and the returns owed against the returns suite, once each: GX's two
    suite results (rows, then returns owed)."""
    context = context or gx_context()
    source = context.data_sources.add_or_update_pandas("pi_returns")
    rows, owing = split_suite()
    results = []
    for name, suite_name, data, expectations in (
        ("rows", RETURNS_SUITE, gx_frame(frame), rows),
        ("owed", f"{RETURNS_SUITE}_owed", owed, owing),
    ):
        batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(
            "run"
        )
        results.append(validate(batch_definition, data, suite_name, expectations))
    return results


def evaluate_returns(
    candidates: pd.DataFrame,
    indicators: pd.DataFrame,
    quarters: Sequence[ReturnPeriod],
    history: pd.DataFrame,
    as_of: date,
) -> Evaluation:
    """Every returns rule on the candidate rows of `quarters` (or months: one kind a run; rows
    carry their folder's `period`); row indexes in the result refer to `candidates`' positions."""
    frame = validation_frame(candidates, indicators, history, as_of, quarters)
    owed = due_returns(frame, indicators, quarters)
    outcome = Evaluation(frame=frame, owed=owed)
    still_open = [q for q in quarters if as_of <= q.entry_window[1]]
    if still_open:
        outcome.notes["final_figures"] = (
            "Provisional figures are allowed until the entry window "
            "closes: " + ", ".join(f"{q.label} on {q.entry_window[1]:%d/%m/%Y}" for q in still_open)
        )
    failing: dict[tuple[str, str], list[int]] = defaultdict(list)
    missing: list[int] = []
    outcome.validations = run_suite(frame, owed)
    for result in (r for v in outcome.validations for r in v.results if not r.success):
        meta = result.expectation_config.meta or {}
        indexes = list(result.result.get("unexpected_index_list") or [])
        if meta.get("table") == OWED:
            missing += indexes
        else:
            failing[(meta["rule"], meta.get("detail", ""))] += indexes
    periods = {p.key: p for p in quarters}
    messages = _Messages(frame, indicators, failing.get(("one_return_per_pi", ""), []), periods)
    rows = frame.loc[sorted({int(i) for ix in failing.values() for i in ix})].to_dict("index")
    for (rule, detail), indexes in failing.items():
        for index in sorted(set(indexes)):
            outcome.add(messages.issue(rule, detail, rows[int(index)]), int(index))
    for index in missing:
        row = owed.loc[int(index)]
        outcome.add(messages.missing(row["pi_id"], periods[row["period"]]))
    return outcome


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 10th, 12th ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _frequency_fix(folder: ReturnPeriod) -> str:
    """Where a row returned at the wrong frequency belongs."""
    if isinstance(folder, Month):
        quarter = folder.quarter
        return (
            f"return it for the whole quarter in returns/{quarter.folder}/ (period "
            f"{quarter.label}), or ask the performance team to make it monthly in the register"
        )
    months = folder.months
    return (
        f"return it month by month in each month's folder, returns/{months[0].folder}/ to "
        f"returns/{months[-1].folder}/ (period e.g. {months[0].label}); its quarter is worked "
        "out from its months"
    )


class _Messages:
    """Plain-English messages from the suite's templates: what is wrong, where, what to do."""

    def __init__(
        self,
        frame: pd.DataFrame,
        indicators: pd.DataFrame,
        duplicated: list[int],
        periods: Mapping[str, ReturnPeriod],
    ):
        self.pis = indicators.set_index("pi_id")
        self.periods = periods
        self.places: dict[tuple[str, str], list[str]] = defaultdict(list)
        dupes = frame.loc[sorted({int(i) for i in duplicated})]
        for r in dupes.itertuples():  # once, so a file of duplicates costs what it has rows
            self.places[(r.pi_id, r.period)].append(f"{r.source_file} row {int(r.source_row)}")

    def _issue(self, rule: str, row: Mapping[str, Any], message: str) -> Issue:
        return Issue(
            rule,
            shown(row["pi_id"]),  # an unknown id may be a pasted essay
            row["source_file"],
            int(row["source_row"]),
            row["raw_value"] if isinstance(row["raw_value"], str) else _fmt(row["value"]),
            message,
            # the register's owner; an unknown PI's is found from its file (never the address
            # typed in the row: mail goes only to the council's people)
            owner=row["owner"] if isinstance(row["owner"], str) else None,
            period=row["period"],
        )

    def issue(self, rule: str, detail: str, row: Mapping[str, Any]) -> Issue:
        quarter = self.periods[row["period"]]
        monthly = isinstance(quarter, Month)
        fields: dict[str, object] = {
            "pi_id": shown(row["pi_id"]),
            "where": f"{row['source_file']} row {int(row['source_row'])}",
            "value": _fmt(row["value"]),
            "quarter": quarter.label,
            "closed": f"{quarter.entry_window[1]:%d/%m/%Y}",
            "kind": "month" if monthly else "quarter",
            "window": f"by the {_ordinal(quarter.due_day)} working day"
            if isinstance(quarter, Month)
            else "within the first three weeks",
        }
        if rule == "pi_in_register":
            fields["hint"] = row["raw_id_hint"]
        elif rule == "one_return_per_pi":
            fields.update(self._duplicates(row))
        elif rule == "period_matches_folder" and detail == "frequency":
            fields.update(frequency=row["frequency"], fix=_frequency_fix(quarter))
        elif rule == "period_matches_folder":
            stated = type(quarter).from_key(row["stated_period"])
            fields.update(stated=stated.label, stated_folder=stated.folder)
        elif rule == "value_in_range":
            fields["problem"] = self._range_problem(row)
        elif rule == "numerator_denominator_agree":
            fields.update(
                numerator=_fmt(row["numerator"]),
                denominator=_fmt(row["denominator"]),
                implied=_fmt(row["implied_value"]),
            )
        elif rule == "submitted_on_time":
            fields["submitted"] = f"{row['submitted_at']:%d/%m/%Y}"
        return self._issue(rule, row, MESSAGES[(rule, detail)].format(**fields))

    def _duplicates(self, row: Mapping[str, Any]) -> dict[str, object]:
        """How many returns a PI has in the quarter and where (the first few, then a count)."""
        places = self.places[(row["pi_id"], row["period"])]
        shown = ", ".join(places[:PLACES_SHOWN])
        if len(places) > PLACES_SHOWN:
            shown += f" and {len(places) - PLACES_SHOWN:,} more"
        return {"count": len(places), "places": shown}

    def _range_problem(self, row: Mapping[str, Any]) -> str:
        """Which limit the value breaks, said the way the owner thinks of it."""
        pid, unit = row["pi_id"], row["unit"]
        own_min = -np.inf if pd.isna(row["valid_min"]) else row["valid_min"]
        own_max = np.inf if pd.isna(row["valid_max"]) else row["valid_max"]
        natural_min = 0.0 if unit in ("percent", "count") else -np.inf
        low = row["value"] < max(own_min, natural_min)
        if unit == "percent" and ((low and own_min <= 0) or (not low and own_max >= 100)):
            return "a percentage must be between 0 and 100"
        if unit == "count" and low and own_min <= 0:
            return "a count cannot be negative"
        if low:
            return f"{pid} cannot be below {_fmt(row['valid_min'])}"
        return f"{pid} cannot be above {_fmt(row['valid_max'])}"

    def missing(self, pi_id: str, quarter: ReturnPeriod) -> Issue:
        pi = self.pis.loc[pi_id]
        manager = f" (manager: {pi['manager']})" if isinstance(pi["manager"], str) else ""
        message = MESSAGES[("returns_complete", "")].format(
            pi_id=pi_id,
            title=pi["title"],
            quarter=quarter.label,
            owner=pi["owner"],
            folder=quarter.folder,
            manager=manager,
        )
        return Issue(
            "returns_complete",
            pi_id,
            None,
            None,
            None,
            message,
            owner=pi["owner"],
            period=quarter.key,
        )
