"""The figure and decider sign-off rules as Great Expectations expectations, like the returns'
suite.

As in `quality/suite.py`, pandas derives what GX cannot ask (each figure's check status from
the decisions that count, each decision's standing as manager or delegate) and GX checks the
columns:
- `manager_query_open`: no figure's `check_status` is "query open";
- `decisions_agree`: no figure's `check_status` is "decisions disagree";
- `manager_checked`: every figure's `check_status` is "approved" (or one the two rules above
  report);
- `checked_by_manager`: each decision in the files has a `decided_as` (manager or delegate).
Each expectation's `meta` names its rule and severity; the failing row indexes come back from
GX's COMPLETE result and `rules.evaluate` words the messages. Great Expectations is imported
only inside `failing_rows`.
"""

from __future__ import annotations

import pandas as pd

from pm_pipeline.defs.quality.rules import RULES
from pm_pipeline.defs.signoff.rules import APPROVED, CONFLICT, NO_FIGURE, QUERY_OPEN, TOO_LATE

MANAGER_RULES = ("manager_query_open", "decisions_agree", "manager_checked", "checked_by_manager")


def _meta(rule: str) -> dict[str, str]:
    return {"rule": rule, "severity": RULES[rule].severity}


def expectations() -> dict[str, list]:
    """The expectations on the figures table and on the decisions table."""
    import great_expectations as gx

    e = gx.expectations
    return {
        "figures": [
            e.ExpectColumnValuesToNotBeInSet(
                column="check_status", value_set=[QUERY_OPEN], meta=_meta("manager_query_open")
            ),
            e.ExpectColumnValuesToNotBeInSet(
                column="check_status", value_set=[CONFLICT], meta=_meta("decisions_agree")
            ),
            e.ExpectColumnValuesToBeInSet(
                column="check_status",
                value_set=[APPROVED, QUERY_OPEN, CONFLICT],
                meta=_meta("manager_checked"),
            ),
        ],
        "decisions": [
            e.ExpectColumnValuesToNotBeNull(column="decided_as", meta=_meta("checked_by_manager"))
        ],
    }


def failing_rows(figures: pd.DataFrame, decisions: pd.DataFrame) -> dict[str, list[int]]:
    """Rule -> positions of the failing rows in `figures` (check_status) or `decisions`
    (decided_as: None where the decision is not the manager's or a delegate's). Decisions
    refused for another reason (no figure, dated after it was read) are left out: one row,
    one issue."""
    from pm_pipeline.defs.quality.evaluate import gx_context, validate

    found: dict[str, list[int]] = {rule: [] for rule in MANAGER_RULES}
    refused = decisions["binding"].isin([NO_FIGURE, TOO_LATE])
    tables = {
        "figures": figures[["check_status"]].reset_index(drop=True),
        "decisions": decisions[["decided_as"]].where(~refused, "refused").reset_index(drop=True),
    }
    source = gx_context().data_sources.add_or_update_pandas("signoffs")
    for name, specs in expectations().items():
        frame = tables[name]
        if frame.empty:
            continue
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("run")
        for result in validate(batch, frame.astype(object), "signoffs", specs).results:
            if result.success:
                continue
            rule = (result.expectation_config.meta or {})["rule"]
            found[rule] += [int(i) for i in result.result.get("unexpected_index_list") or []]
    return found
