"""The rules on managers' sign-offs (docs/managers.md), beside the returns rules so that every
issue has one severity table and lands in the same owners' and managers' lists.

Each is one asset check on `signoffs`. Only an open query blocks the report: a query by the
PI's manager (or their delegate) that stands, alone or contradicted by another decision on
the same figure. A sign-off file that cannot be read, a decision that cannot be counted or one
by someone else is reported, never a reason to hold the quarter's report back.
"""

from __future__ import annotations

from pm_pipeline.core.checks import ERROR, WARN, Rule

SIGNOFF_RULES = [
    Rule(
        "signoff_readable",
        WARN,
        "signoffs",
        "Every sign-off file opens and every row has a pi_id, a decision (approved or query), "
        "checked_by and a checked_at that is not later than when the row was first read.",
    ),
    Rule(
        "signoff_known",
        WARN,
        "signoffs",
        "Every sign-off row names a PI in the register, (if it gives a period) the quarter of "
        "its folder, and a figure that was there when it was checked.",
    ),
    Rule(
        "checked_by_manager",
        ERROR,
        "signoffs",
        "Each decision is made by the PI's manager in the register or a delegate named for "
        "them in people.csv; anyone else's is not counted (reported, not blocking).",
    ),
    Rule(
        "decisions_agree",
        ERROR,
        "signoffs",
        "No figure is both approved and queried: the manager's and their delegate's latest "
        "decisions on one figure, or two at the same time, agree until one is withdrawn.",
    ),
    Rule(
        "manager_query_open",
        ERROR,
        "signoffs",
        "No figure the manager queried stands unchanged and unapproved: the owner resubmits "
        "it or the manager approves it.",
    ),
    Rule(
        "manager_checked",
        WARN,
        "signoffs",
        "Every accepted figure is approved by its manager, as it now stands (listed by manager).",
    ),
]

# The checks that hold the quarter's report back: an authorised query still open.
BLOCKING_SIGNOFF_RULES = frozenset({"manager_query_open", "decisions_agree"})

# The rules about what was written in signoff/ (a row or a file), whose issues the sign-off
# step writes into quality_issues; a figure's own status is the reports' and reminders' to say.
SIGNOFF_ROW_RULES = ("signoff_readable", "signoff_known", "checked_by_manager", "decisions_agree")
