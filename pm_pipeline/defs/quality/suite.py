"""The returns rules as one Great Expectations suite, saved in the repository for review.

    python -m pm_pipeline.defs.quality.suite --write    # after changing a rule: regenerate the JSON

Each expectation's `meta` carries its rule, severity and the owner-facing message template, so
`suites/pi_returns.json` is the one place the data team reads what is checked; a test fails when
it and this code disagree, so every rule change shows in review as a diff of that file.

Nothing in the suite depends on the council or the quarter: the register's limits and each
quarter's window are columns, so the saved suite is the same for every council and quarter. Where GX has no
expectation for a test, pandas derives a column in `evaluate.validation_frame` and GX checks it:
- `count_fraction`: GX cannot ask "is a whole number" of a float column;
- `ratio_excess`: the value implied by numerator / denominator (x100 for percentages, the nearest
  power-of-ten scale for rates) within the PI's rounding: arithmetic across three columns;
- `window_start`, `window_end`, `report_ready`: each row's quarter's (or month's) data-entry
  window (from `periods.Quarter` / `periods.Month`), so one validation covers every period of a
  backfill;
- `frequency_fits`: False where a monthly PI's row is in a quarter's folder or another PI's in a
  month's: the register's frequency joined to each row, beside the folder's kind;
- `movement_z`: the change from last quarter against the PI's own history of changes, which
  needs earlier quarters from the warehouse;
- `ratio_parts_given`: False where a ratio PI's (not rolling) return has a value but lacks its
  numerator or denominator: the register's measure joined to each row;
- `register_pi_id`: the register's id joined to each row. GX's own fit, ExpectColumnValuesToBeInSet
  with the register's ids, costs time in proportion to the set's size on every one of the ~100
  times GX 1.x serialises an expectation's configuration during a validation (measured: 1,000
  ids, about 0.8 s; the 100,000 returns owed as a set, 30 s), so the ids are joined, not listed;
- `returned`: completeness is a fact about the returns owed, not about the rows given, so it is
  checked on a second table, one row per (period, PI) owed, marked `"table": "returns owed"`
  in `meta` (the same suite, validated against that table).

Great Expectations is imported only inside functions: this module is on no load path.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pm_pipeline.core.checks import WARN
from pm_pipeline.defs.quality.rules import RULES

SUITES_DIR = Path(__file__).resolve().parent / "suites"
RETURNS_SUITE = "pi_returns"
OWED = "returns owed"  # the table the completeness expectation is validated against
REGENERATE = "python -m pm_pipeline.defs.quality.suite --write"

PLACEHOLDER_NOTE = r"(?i)^\s*(?:|n/?a|-+|\.+|x|tbc|tba|none|nil|na|null|unavailable|see above)\s*$"
MIN_UNAVAILABLE_NOTE = 15  # characters: enough to say why ("awaiting DWP data")
MOVEMENT_Z_LIMIT = 3.5

# What the owner reads, by (rule, detail); fields are filled in by evaluate._Messages.
MESSAGES: dict[tuple[str, str], str] = {
    ("pi_in_register", ""): "{pi_id} in {where} is not a PI in the register{hint} — check the id "
    "against your list of PIs, or ask the performance team to add it",
    ("one_return_per_pi", ""): "{pi_id} has {count} returns for {quarter} ({places}) — keep one "
    "and delete the others",
    ("period_matches_folder", ""): "{pi_id} in {where} says {stated} but the file is in the "
    "{quarter} folder — correct the period, or move the row to the {stated_folder} folder",
    ("period_matches_folder", "frequency"): "{pi_id} in {where} is a {frequency} PI but the file "
    "is in the {quarter} folder — {fix}",
    ("value_present", ""): "{pi_id} in {where} has no value — enter the figure, or set status to "
    "unavailable and say why in the note",
    ("note_present", ""): "{pi_id} in {where} has no explanatory note — add a sentence anyone "
    "can understand explaining the figure",
    ("note_present", "why"): "{pi_id} in {where} is unavailable but the note does not say why — "
    "explain why the figure is delayed or unavailable and when it is expected",
    ("value_in_range", "range"): "{pi_id} in {where} is {value} but {problem} — correct the "
    "value and save the file",
    ("value_in_range", "whole_count"): "{pi_id} in {where} is {value} but a count must be a "
    "whole number — correct the value and save the file",
    ("numerator_denominator_agree", ""): "{pi_id} in {where} is {value} but numerator "
    "{numerator} / denominator {denominator} gives {implied} — correct the value, the numerator "
    "or the denominator",
    ("ratio_parts_given", ""): "{pi_id} in {where} gives {value} without its numerator and "
    "denominator — add both (for example tonnes recycled and tonnes collected): the year's "
    "figure is the year's numerators over its denominators, not the average of the quarters",
    ("returns_complete", ""): "{pi_id} ({title}) has no return for {quarter} — {owner} to submit "
    "it in returns/{folder}/{manager}",
    ("submitted_on_time", "early"): "{pi_id} in {where} was submitted on {submitted}, before "
    "{quarter} ended — check the figure covers the whole {kind}",
    ("submitted_on_time", "late"): "{pi_id} in {where} was submitted on {submitted}, after the "
    "data-entry window closed on {closed} — please submit {window} next {kind}",
    ("movement_usual", ""): "{pi_id} in {where} is {value}, a change from last {kind} far "
    "outside its usual {kind}-to-{kind} movement — check the figure, and explain the change "
    "in the note",
    ("final_figures", ""): "{pi_id} in {where} is still provisional after the data-entry window "
    "closed on {closed} — confirm the final figure and set status to final",
}

# The validation frame's columns the suite reads (GX is given only these: it hashes and filters
# whole frames, so every extra column costs time).
COLUMNS = [
    "pi_id",
    "period",
    "stated_period",
    "register_pi_id",
    "value",
    "status",
    "note",
    "unit",
    "valid_min",
    "valid_max",
    "count_fraction",
    "ratio_excess",
    "ratio_parts_given",
    "submitted_at",
    "window_start",
    "window_end",
    "movement_z",
    "report_ready",
    "frequency_fits",
]


def _meta(rule: str, detail: str, check: str) -> dict[str, Any]:
    """Rule, severity, what this expectation checks, and the owner's message template."""
    meta = {
        "rule": rule,
        "severity": RULES[rule].severity,
        "check": check,
        "message": MESSAGES[(rule, detail)],
    }
    return {**meta, "detail": detail} if detail else meta


def returns_expectations() -> list:
    """The `pi_returns` suite's expectations, in the order the rules are listed to owners."""
    import great_expectations as gx
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.row_conditions import Column

    e = gx.expectations

    def at_least(column_a: str, column_b: str, meta: dict[str, Any]):
        """`column_a` >= `column_b` where both are given (a blank bound or date is no limit)."""
        return e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column_a,
            column_B=column_b,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=meta,
        )

    specs = [
        e.ExpectColumnPairValuesToBeEqual(
            column_A="pi_id",
            column_B="register_pi_id",
            meta=_meta("pi_in_register", "", "the row's pi_id is one of the register's ids"),
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "pi_id"],
            meta=_meta("one_return_per_pi", "", "one row per period and pi_id"),
        ),
        e.ExpectColumnPairValuesToBeEqual(
            column_A="stated_period",
            column_B="period",
            meta=_meta(
                "period_matches_folder", "", "the period stated in the row is the folder's quarter"
            ),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="frequency_fits",
            value_set=[True],
            meta=_meta(
                "period_matches_folder",
                "frequency",
                "a monthly PI's row is in a month's folder, any other PI's in a quarter's",
            ),
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="value",
            row_condition=Column("status") != "unavailable",
            meta=_meta("value_present", "", "a value, unless the status is unavailable"),
        ),
        e.ExpectColumnValuesToNotBeNull(column="note", meta=_meta("note_present", "", "a note")),
        e.ExpectColumnValuesToNotMatchRegex(
            column="note",
            regex=PLACEHOLDER_NOTE,
            meta=_meta("note_present", "", "the note is not a placeholder (n/a, tbc, -)"),
        ),
        e.ExpectColumnValueLengthsToBeBetween(
            column="note",
            min_value=MIN_UNAVAILABLE_NOTE,
            row_condition=Column("status") == "unavailable",
            meta=_meta(
                "note_present",
                "why",
                f"an unavailable figure's note says why (at least {MIN_UNAVAILABLE_NOTE} characters)",
            ),
        ),
        e.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=0,
            max_value=100,
            row_condition=Column("unit") == "percent",
            meta=_meta("value_in_range", "range", "a percentage lies between 0 and 100"),
        ),
        e.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=0,
            row_condition=Column("unit") == "count",
            meta=_meta("value_in_range", "range", "a count is not negative"),
        ),
        at_least(
            "value",
            "valid_min",
            _meta("value_in_range", "range", "the value is not below the PI's valid_min"),
        ),
        at_least(
            "valid_max",
            "value",
            _meta("value_in_range", "range", "the value is not above the PI's valid_max"),
        ),
        e.ExpectColumnValuesToBeBetween(
            column="count_fraction",
            max_value=0,
            meta=_meta("value_in_range", "whole_count", "a count is a whole number"),
        ),
        e.ExpectColumnValuesToBeBetween(
            column="ratio_excess",
            max_value=0,
            meta=_meta(
                "numerator_denominator_agree",
                "",
                "numerator / denominator gives the value, at the PI's rounding",
            ),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="ratio_parts_given",
            value_set=[True],
            meta=_meta(
                "ratio_parts_given",
                "",
                "a ratio PI's return (not rolling) with a value gives numerator and denominator",
            ),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="returned",
            value_set=[True],
            meta={
                **_meta(
                    "returns_complete",
                    "",
                    "every return owed (each quarterly PI; annual PIs at Q4) is given",
                ),
                "table": OWED,
            },
        ),
        at_least(
            "submitted_at",
            "window_start",
            _meta("submitted_on_time", "early", "submitted after the quarter ended"),
        ),
        at_least(
            "window_end",
            "submitted_at",
            _meta("submitted_on_time", "late", "submitted by the end of the data-entry window"),
        ),
        e.ExpectColumnValuesToBeBetween(
            column="movement_z",
            min_value=-MOVEMENT_Z_LIMIT,
            max_value=MOVEMENT_Z_LIMIT,
            meta=_meta(
                "movement_usual",
                "",
                f"the change from last quarter is within {MOVEMENT_Z_LIMIT} standard deviations of the PI's past changes",
            ),
        ),
        e.ExpectColumnValuesToNotBeInSet(
            column="status",
            value_set=["provisional"],
            row_condition=Column("report_ready") == True,  # noqa: E712 (a GX condition)
            meta=_meta(
                "final_figures", "", "not provisional once the data-entry window has closed"
            ),
        ),
    ]
    for spec in specs:  # GX's own severity and description: Data Docs name the rule and weight
        meta = spec.meta or {}  # every spec above has its _meta
        rule = RULES[meta["rule"]]
        spec.severity = (
            FailureSeverity.WARNING if rule.severity == WARN else FailureSeverity.CRITICAL
        )
        spec.description = f"{rule.name} ({rule.severity}): {meta['check']}"
    return specs


def returns_suite(name: str = RETURNS_SUITE):
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=returns_expectations())


def suite_json(suite: Any) -> dict[str, Any]:
    """The suite as saved: without ids (given by a context) or the GX version (not a rule)."""
    data = suite.to_json_dict()
    data.pop("id", None)
    data["meta"] = {k: v for k, v in data["meta"].items() if k != "great_expectations_version"}
    for expectation in data["expectations"]:
        expectation.pop("id", None)
    return data


def saved_suite(name: str = RETURNS_SUITE) -> dict[str, Any]:
    return json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def write_suite(name: str = RETURNS_SUITE) -> Path:
    SUITES_DIR.mkdir(exist_ok=True)
    path = SUITES_DIR / f"{name}.json"
    text = json.dumps(suite_json(returns_suite(name)), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check or regenerate the saved GX suites.")
    parser.add_argument("--write", action="store_true", help="rewrite the saved suite")
    args = parser.parse_args(argv)
    if args.write:
        print(f"wrote {write_suite()}")
        return 0
    same = suite_json(returns_suite()) == saved_suite()
    print("the saved suite matches the code" if same else f"out of date: run {REGENERATE}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
