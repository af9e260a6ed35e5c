"""The data-quality rules: names, severities, and what each asks of a data owner.

One Dagster asset check per rule, named after it, so the UI reads as a to-do list. This module
is pure and light: Great Expectations is only imported where the rules are evaluated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pm_pipeline.core.checks import ERROR, WARN, Rule
from pm_pipeline.defs.quality.finance_rules import FINANCE_RULES
from pm_pipeline.defs.quality.plan_rules import PLAN_RULES
from pm_pipeline.defs.quality.signoff_rules import SIGNOFF_RULES
from pm_pipeline.defs.register.rules import REGISTER_RULES

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule(
            "file_readable",
            ERROR,
            "pi_returns",
            "Every file in the quarter's folder can be opened and has the pi_id, period, value "
            "and note columns.",
        ),
        Rule(
            "row_readable",
            ERROR,
            "pi_returns",
            "Every row's pi_id, period, numbers, status and dates can be read.",
        ),
        Rule("pi_in_register", ERROR, "pi_returns", "Every row's pi_id is in the register."),
        Rule(
            "one_return_per_pi",
            ERROR,
            "pi_returns",
            "One return per PI per quarter, across all files.",
        ),
        Rule(
            "period_matches_folder",
            ERROR,
            "pi_returns",
            "Each row's period is the quarter (or month) of the folder it was dropped in, and "
            "the PI is returned at that frequency (a monthly PI month by month).",
        ),
        Rule(
            "value_present",
            ERROR,
            "pi_returns",
            "A value is given unless the status is 'unavailable'.",
        ),
        Rule(
            "note_present",
            ERROR,
            "pi_returns",
            "Every return has an explanatory note; an unavailable one says why.",
        ),
        Rule(
            "value_in_range",
            ERROR,
            "pi_returns",
            "Values lie within the PI's valid_min/valid_max and the unit's natural range "
            "(percent 0-100; counts whole and not negative).",
        ),
        Rule(
            "numerator_denominator_agree",
            ERROR,
            "pi_returns",
            "Where numerator and denominator are given, the value agrees with them.",
        ),
        Rule(
            "ratio_parts_given",
            WARN,
            "pi_returns",
            "A ratio PI's return gives its numerator and denominator (a ratio's year is "
            "Σnumerators / Σdenominators); rolling PIs, whose year is their latest figure, "
            "are exempt.",
        ),
        Rule(
            "returns_complete",
            ERROR,
            "pi_returns",
            "Every quarterly PI (and every annual PI at Q4) has a return.",
        ),
        Rule(
            "submitted_on_time",
            WARN,
            "pi_returns",
            "Returns are submitted within the data-entry window (first three weeks after the "
            "quarter ends; a monthly return by council.yaml's monthly_due_working_day, by default "
            "the 10th working day after the month).",
        ),
        Rule(
            "movement_usual",
            WARN,
            "pi_returns",
            "The change from the previous quarter (or month) is within the PI's own history of "
            "changes (not checked where a cumulative PI starts its year again, in April).",
        ),
        Rule(
            "final_figures",
            WARN,
            "pi_returns",
            "No provisional figures once the quarter's data-entry window has closed.",
        ),
        Rule(
            "outturn_matches_lginform",
            WARN,
            "kpi_scorecard",
            "The council's own outturn for a year (worked out by the PI's measure) matches its "
            "own LG Inform value for the same PI and year, within council.yaml's tolerance "
            "(reconcile_points for percentages, reconcile_pct otherwise).",
        ),
        Rule(
            "statistic_agrees",
            WARN,
            "pi_returns",
            "A PI that measures an official statistic agrees with the published figure "
            "(register columns statistic, statistic_use): a checked return matches it, a taken "
            "PI has a release for the period, and no owner's return for a taken PI differs.",
        ),
        *REGISTER_RULES,
        *PLAN_RULES,
        *SIGNOFF_RULES,
        *FINANCE_RULES,
    )
}

RETURN_RULES = [r for r in RULES.values() if r.asset == "pi_returns"]


@dataclass
class Issue:
    """One row of `quality_issues` (docs/contracts.md, "quality_issues"); `message` says what
    is wrong and how to fix it."""

    rule: str
    pi_id: str | None
    source_file: str | None
    source_row: int | None
    value: str | None
    message: str
    owner: str | None = None
    period: str | None = None  # the quarter's partition key (a finance issue's: the month's)
    month: str | None = None  # a monthly return's month key (its quarter is `period`)

    @property
    def severity(self) -> str:
        return RULES[self.rule].severity

    def as_row(self) -> dict:
        return {"severity": self.severity, **asdict(self)}
